// The three things the `nodectl mgmt` commands do, as one call each: run the daemon until a
// signal, read its status, ask it to move.
import { existsSync } from 'node:fs';
import { NotFoundError, UsageError } from '../errors.js';
import { loadMgmtConfig, type MgmtConfig } from './config.js';
import { controlRequest, DEFAULT_CONTROL_SOCKET, DEFAULT_STATE_FILE, MgmtDaemon, readState, type MgmtState } from './daemon.js';
import { defaultAnnouncer, defaultProbe } from './arp-io.js';

export const DEFAULT_CONFIG_FILE = '/etc/nodectl/node.yaml';

export interface RunOptions {
  configFile?: string;
  netns?: string;
  stateFile?: string;
  controlSocket?: string;
  rcvbuf?: number;
  /** Called once the daemon has taken over the kernel state (before the first move is done). */
  onStarted?: (d: MgmtDaemon) => void;
}

export async function runMgmtDaemon(o: RunOptions): Promise<{ stoppedBy: string; holder: string | null }> {
  const file = o.configFile ?? DEFAULT_CONFIG_FILE;
  if (!o.configFile && !existsSync(file)) throw new NotFoundError('config file', file, '(pass --config FILE)');
  const config: MgmtConfig = await loadMgmtConfig(file);
  const d = await MgmtDaemon.start({
    config,
    netns: o.netns,
    stateFile: o.stateFile ?? DEFAULT_STATE_FILE,
    controlSocket: o.controlSocket ?? DEFAULT_CONTROL_SOCKET,
    rcvbuf: o.rcvbuf,
    probe: config.probe ? defaultProbe(o.netns) : undefined,
    announcer: defaultAnnouncer(o.netns),
  });
  o.onStarted?.(d);
  let stoppedBy = '';
  const onSignal = (sig: NodeJS.Signals) => {
    stoppedBy = sig;
    void d.stop();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  await d.done;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return { stoppedBy, holder: d.holder };
}

export interface StatusResult extends MgmtState {
  running: boolean;
}

export async function mgmtStatus(o: { stateFile?: string; controlSocket?: string }): Promise<StatusResult> {
  // Ask the live daemon first (hold-down timers are current); the file is the fallback, e.g.
  // when the daemon died and the operator wants to know what it last did.
  try {
    const r = await controlRequest(o.controlSocket ?? DEFAULT_CONTROL_SOCKET, { cmd: 'status' }, 2000);
    if (r.ok === true && r.state) return { running: true, ...(r.state as MgmtState) };
  } catch {
    // fall through to the state file
  }
  const { state, running } = readState(o.stateFile ?? DEFAULT_STATE_FILE);
  return { running, ...state };
}

export interface MoveResult {
  holder: string | null;
  pinned: string | null;
}

export async function mgmtMove(o: { iface: string | null; controlSocket?: string }): Promise<MoveResult> {
  const r = await controlRequest(o.controlSocket ?? DEFAULT_CONTROL_SOCKET, { cmd: 'move', iface: o.iface }, 10_000);
  if (r.ok !== true) throw new UsageError(`cannot move: ${String(r.error)}`);
  return { holder: (r.holder as string | null) ?? null, pinned: (r.pinned as string | null) ?? null };
}

export function renderStatus(s: StatusResult): string[] {
  const out: string[] = [];
  out.push(`holder: ${s.holder ?? 'none'}${s.pinned ? ` (pinned by operator)` : ''}   addresses: ${s.addresses.join(' ')}`);
  out.push(`daemon: ${s.running ? `running, pid ${s.pid}` : `NOT running (last pid ${s.pid})`}, started ${s.startedAt}, state of ${s.updatedAt}${s.netns ? `, netns ${s.netns}` : ''}`);
  const gw = [s.gateway.ipv4, s.gateway.ipv6].filter(Boolean).join(' ');
  if (gw) out.push(`gateway: ${gw}`);
  out.push('');
  const rows = s.candidates.map((c) => [c.name, String(c.priority), c.name === s.holder ? 'holder' : '', c.healthy ? 'healthy' : c.up ? 'hold-down' : 'down', c.why]);
  const head = ['CANDIDATE', 'PRIO', 'ROLE', 'STATE', 'WHY'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows]) out.push(r.map((x, i) => (i === r.length - 1 ? x : x.padEnd(w[i]!))).join('  '));
  out.push('');
  if (s.lastMoves.length) {
    out.push('last decisions:');
    for (const m of s.lastMoves.slice(-10)) out.push(`  ${m.at}  ${m.kind.padEnd(8)} ${m.from ?? '-'} -> ${m.to ?? '-'}: ${m.reason}`);
  }
  const c = s.counters;
  out.push(`counters: moves ${c.moves}, restores ${c.restores}, dedupes ${c.dedupes}, route fixes ${c.routeFixes}, announcements ${c.announcements}, probe misses ${c.probeMisses}, events ${c.events}, overruns ${c.overruns}, resyncs ${c.resyncs}, action errors ${c.actionErrors}, audit mismatches ${c.auditMismatches ?? 0}`);
  return out;
}
