// The three things the `nodectl mgmt` commands do, as one call each: run the daemon until a
// signal, read its status, ask it to move.
import { existsSync } from 'node:fs';
import { NotFoundError, PermissionError, StateError, UsageError } from '../errors.js';
import { loadMgmtConfig, type MgmtConfig } from './config.js';
import { controlRequest, DEFAULT_CONTROL_SOCKET } from './control.js';
import { MgmtDaemon } from './daemon.js';
import { DEFAULT_STATE_FILE, readState, type MgmtState } from './state-file.js';
import { defaultAnnouncer, defaultProbe } from './arp-io.js';
import { parseListen, type Listen } from './metrics.js';
import { keepHeap } from './heap.js';
import { formatTable } from '../text.js';

export const DEFAULT_CONFIG_FILE = '/etc/nodectl/node.yaml';

export interface RunOptions {
  configFile?: string;
  netns?: string;
  stateFile?: string;
  controlSocket?: string;
  rcvbuf?: number;
  /** `--metrics [HOST:]PORT`: serve Prometheus metrics there (loopback when only a port). */
  metrics?: string;
  /** Called once the daemon has taken over the kernel state (before the first move is done). */
  onStarted?: (d: MgmtDaemon) => void;
}

export async function runMgmtDaemon(o: RunOptions): Promise<{ stoppedBy: string; holder: string | null }> {
  const file = o.configFile ?? DEFAULT_CONFIG_FILE;
  if (!o.configFile && !existsSync(file)) throw new NotFoundError('config file', file, '(pass --config FILE)');
  let metrics: Listen | undefined;
  if (o.metrics !== undefined) {
    const l = parseListen(o.metrics);
    if (typeof l === 'string') throw new UsageError(l);
    metrics = l;
  }
  const config: MgmtConfig = await loadMgmtConfig(file);
  const d = await MgmtDaemon.start({
    config,
    netns: o.netns,
    stateFile: o.stateFile ?? DEFAULT_STATE_FILE,
    controlSocket: o.controlSocket ?? DEFAULT_CONTROL_SOCKET,
    rcvbuf: o.rcvbuf,
    metrics,
    probe: config.probe || config.ndpProbe ? defaultProbe(o.netns) : undefined,
    announcer: defaultAnnouncer(o.netns),
  });
  o.onStarted?.(d);
  const heap = keepHeap();
  let stoppedBy = '';
  const onSignal = (sig: NodeJS.Signals) => {
    stoppedBy = sig;
    void d.stop();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  await d.done;
  heap?.stop();
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return { stoppedBy, holder: d.holder };
}

/**
 * What `mgmt status` reports. `running` is true only when the daemon answered on its control
 * socket: a pid in a file proves nothing (after kill -9 the pid may be reused, and a stopped
 * daemon's file stays). When it did not answer, the rest is the state file it last wrote, if any.
 */
export type StatusResult = Partial<MgmtState> & {
  running: boolean;
  /** ok: holding on a healthy candidate; degraded: no holder, holder unhealthy, or pinned. */
  health: 'ok' | 'degraded' | 'not-running';
  /** Why degraded / not running, one phrase each. */
  why: string[];
};

/** Exit status of `mgmt status`, like `systemctl is-active`: 0 ok, 1 degraded, 3 not running. */
export const STATUS_EXIT = { ok: 0, degraded: 1, 'not-running': 3 } as const;

function judge(st: MgmtState): { health: 'ok' | 'degraded'; why: string[] } {
  const why: string[] = [];
  const healthy = st.candidates.filter((c) => c.healthy);
  if (!st.holder) why.push('no interface holds the addresses');
  else if (!st.candidates.find((c) => c.name === st.holder)?.healthy) why.push(`holder ${st.holder} is not healthy`);
  if (!healthy.length) why.push('no healthy candidate');
  if (st.pinned) why.push(`pinned to ${st.pinned} by an operator (mgmt move --auto undoes it)`);
  return { health: why.length ? 'degraded' : 'ok', why };
}

export async function mgmtStatus(o: { stateFile?: string; controlSocket?: string }): Promise<StatusResult> {
  const socket = o.controlSocket ?? DEFAULT_CONTROL_SOCKET;
  let notRunning: string;
  try {
    const r = await controlRequest(socket, { cmd: 'status' }, 2000);
    if (r.ok === true && r.state) {
      const st = r.state as MgmtState;
      return { running: true, ...judge(st), ...st };
    }
    if (r.denied === true) throw new PermissionError('root', `asking the failover daemon on ${socket} (${String(r.error)})`);
    throw new StateError(`the failover daemon on ${socket} answered: ${String(r.error)}`);
  } catch (err) {
    if (!(err instanceof StateError) || !(err as StateError & { notRunning?: boolean }).notRunning) throw err;
    notRunning = `nothing answers on ${socket}`;
  }
  // Not running: what it last did, from its state file, if there is one.
  const file = o.stateFile ?? DEFAULT_STATE_FILE;
  try {
    const { state } = readState(file);
    return { ...state, running: false, health: 'not-running', why: [notRunning] };
  } catch (err) {
    if (err instanceof StateError) return { running: false, health: 'not-running', why: [notRunning, `no state file at ${file}`] };
    if ((err as NodeJS.ErrnoException).code === 'EACCES') throw new PermissionError('root', `reading the failover state file ${file}`);
    throw err;
  }
}

export interface MoveResult {
  holder: string | null;
  pinned: string | null;
  /** Where the addresses were when the request arrived. */
  from: string | null;
  /** --auto: a move back by priority still to come (its preempt delay is longer than the wait). */
  due: { to: string; inMs: number } | null;
}

/** The control socket: --socket, else the one named in --state-file, else the default. */
function socketFor(o: { controlSocket?: string; stateFile?: string }): string {
  if (o.controlSocket) return o.controlSocket;
  if (o.stateFile) {
    try {
      const s = readState(o.stateFile).state.controlSocket;
      if (s) return s;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EACCES') throw new PermissionError('root', `reading the failover state file ${o.stateFile}`);
      throw err;
    }
  }
  return DEFAULT_CONTROL_SOCKET;
}

export async function mgmtMove(o: { iface: string | null; controlSocket?: string; stateFile?: string }): Promise<MoveResult> {
  const socket = socketFor(o);
  // --auto may wait out a preempt delay (the daemon caps it at AUTO_WAIT_MS)
  const r = await controlRequest(socket, { cmd: 'move', iface: o.iface }, o.iface === null ? MgmtDaemon.AUTO_WAIT_MS + 10_000 : 10_000);
  if (r.denied === true) throw new PermissionError('root', `asking the failover daemon on ${socket} to move (${String(r.error)})`);
  if (r.ok !== true) throw new UsageError(`cannot move: ${String(r.error)}`);
  const due = r.due as MoveResult['due'] | undefined;
  return { holder: (r.holder as string | null) ?? null, pinned: (r.pinned as string | null) ?? null, from: (r.from as string | null) ?? null, due: due ?? null };
}

/** One line for `mgmt move`. */
export function renderMove(r: MoveResult): string {
  if (r.pinned) return `holder: ${r.holder ?? 'none'} (pinned to ${r.pinned})`;
  const what = r.due ? `move to ${r.due.to} due in ${r.due.inMs} ms (preempt delay)`
    : r.holder !== r.from ? `moved from ${r.from ?? 'none'}` : 'no move is due';
  return `holder: ${r.holder ?? 'none'} (automatic; ${what})`;
}

export function renderStatus(s: StatusResult): string[] {
  const out: string[] = [];
  if (!s.running) {
    out.push(`daemon: NOT running (${s.why.join('; ')})${s.pid ? `; last pid ${s.pid}, state of ${s.updatedAt}` : ''}`);
    if (!s.candidates) return out;
    out.push('last state it wrote:');
  } else {
    out.push(`daemon: running, pid ${s.pid}, started ${s.startedAt}${s.netns ? `, netns ${s.netns}` : ''}: ${s.health === 'ok' ? 'ok' : `DEGRADED (${s.why.join('; ')})`}`);
  }
  out.push(`holder: ${s.holder ?? 'none'}${s.pinned ? ` (pinned by operator)` : ''}   addresses: ${(s.addresses ?? []).join(' ')}`);
  const gw = [s.gateway?.ipv4, s.gateway?.ipv6].filter(Boolean).join(' ');
  if (gw) out.push(`gateway: ${gw}`);
  out.push('');
  const rows = (s.candidates ?? []).map((c) => [c.name, String(c.priority), c.name === s.holder ? 'holder' : '', c.healthy ? 'healthy' : c.up ? 'hold-down' : 'down', c.why]);
  const head = ['CANDIDATE', 'PRIO', 'ROLE', 'STATE', 'WHY'];
  out.push(...formatTable(head, rows).split('\n'));
  out.push('');
  if (s.lastMoves?.length) {
    out.push('last decisions:');
    for (const m of s.lastMoves.slice(-10)) out.push(`  ${m.at}  ${m.kind.padEnd(8)} ${m.from ?? '-'} -> ${m.to ?? '-'}: ${m.reason}`);
  }
  const c = s.counters;
  if (c) out.push(`counters: moves ${c.moves}, restores ${c.restores}, dedupes ${c.dedupes}, route fixes ${c.routeFixes}, announcements ${c.announcements}, probe misses ${c.probeMisses}, events ${c.events}, overruns ${c.overruns}, resyncs ${c.resyncs}, action errors ${c.actionErrors}, audit mismatches ${c.auditMismatches ?? 0}`);
  return out;
}
