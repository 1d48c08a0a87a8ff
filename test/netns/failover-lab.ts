// The failover test bed: a "node" namespace whose ethN are veth ends, their peers pN ports of
// a bridge in a "switch" namespace that also holds the gateway (192.0.2.1/24, 2001:db8::1/64).
// Carrier loss on ethN = `ip link set pN down` in the switch. The daemon runs as a child process
// through the entry `nodectl mgmt run` takes (src/failover/fast-run.ts, from the sources); the
// other commands run through bin/dev.js. `ip -j` in the node namespace is the independent oracle.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { ExecutionContext } from 'ava';
import { netnsFor, type Netns } from '../helpers/netns.js';
import { patient } from '../helpers/patience.js';

const execFileP = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, '../..');
export const V4 = '192.0.2.10';
export const V6 = '2001:db8::10';
/** How long a daemon may take to start: generous, a loaded CI machine needs seconds for tsx. */
export const START_MS = 180_000;

export interface Lab {
  node: Netns;
  sw: Netns;
  n: number;
  dir: string;
}

export function makeLab(t: ExecutionContext, n: number): Lab {
  const node = netnsFor(t);
  const sw = netnsFor(t);
  sw.ip('link', 'add', 'br0', 'type', 'bridge');
  sw.ip('link', 'set', 'br0', 'up');
  sw.ip('addr', 'add', '192.0.2.1/24', 'dev', 'br0');
  sw.ip('addr', 'add', '2001:db8::1/64', 'dev', 'br0', 'nodad');
  for (let i = 0; i < n; i++) {
    node.ip('link', 'add', `eth${i}`, 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', sw.name);
    sw.ip('link', 'set', `p${i}`, 'master', 'br0', 'up');
    node.ip('link', 'set', `eth${i}`, 'up');
  }
  const dir = mkdtempSync(join(tmpdir(), 'nctl-fo-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return { node, sw, n, dir };
}

export interface CfgOpts {
  candidates?: string[];
  holdDownMs?: number;
  preemptDelayMs?: number;
  /** false: `damping.preempt: false` (and no preempt_delay_ms, which it refuses). */
  preempt?: false;
  probe?: { intervalMs: number; allowedMisses: number } | null;
  refreshMs?: number;
  announceIntervalMs?: number;
  extra?: string;
}

export function writeConfig(lab: Lab, o: CfgOpts = {}, name = 'mgmt.yaml'): string {
  const candidates = o.candidates ?? Array.from({ length: lab.n }, (_, i) => `eth${i}`);
  const lines = [
    'mgmt:',
    `  addresses: [${V4}/24, ${V6}/64]`,
    `  candidates: [${candidates.join(', ')}]`,
    '  gateway: { ipv4: 192.0.2.1, ipv6: "2001:db8::1" }',
    o.preempt === false ? `  damping: { hold_down_ms: ${o.holdDownMs ?? 300}, preempt: false }`
      : `  damping: { hold_down_ms: ${o.holdDownMs ?? 300}, preempt_delay_ms: ${o.preemptDelayMs ?? 600} }`,
    `  announce: { count: 3, interval_ms: ${o.announceIntervalMs ?? 20}, refresh_ms: ${o.refreshMs ?? 0} }`,
  ];
  if (o.probe) lines.push(`  health: { arp_probe: { interval_ms: ${o.probe.intervalMs}, allowed_misses: ${o.probe.allowedMisses} } }`);
  if (o.extra) lines.push(o.extra);
  const file = join(lab.dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

export interface Daemon {
  proc: ChildProcess;
  logs: Record<string, unknown>[];
  stderr: string[];
  stdout: string;
  exited: Promise<number | null>;
  waitLog(pred: (e: Record<string, unknown>) => boolean, timeoutMs?: number, what?: string): Promise<Record<string, unknown>>;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
  statePath: string;
  socketPath: string;
}

/** The CLI itself, run from the sources: `node --import tsx bin/dev.js ARGS`. */
export function cliArgs(args: string[]): string[] {
  return ['--import', 'tsx', join(ROOT, 'bin/dev.js'), ...args];
}

/** `dist`: run the built daemon as installed (bin/run.js mgmt run, dist/; needs `npm run build:ts`). */
export function startDaemon(t: ExecutionContext, lab: Lab, config: string, extraArgs: string[] = [], tag = 'd', opts: { nodeFlags?: string[]; env?: NodeJS.ProcessEnv; dist?: boolean } = {}): Daemon {
  const statePath = join(lab.dir, `${tag}.json`);
  const socketPath = join(lab.dir, `${tag}.sock`);
  const entry = opts.dist ? [join(ROOT, 'bin/run.js'), 'mgmt', 'run'] : ['--import', 'tsx', join(ROOT, 'test/netns/fixtures/mgmt-run.ts')];
  const proc = spawn(process.execPath, [...(opts.nodeFlags ?? []), ...entry, '-n', lab.node.name, '--config', config, '--state-file', statePath, '--socket', socketPath, ...extraArgs], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  let stdout = '';
  const watchers = new Set<() => void>();
  let buf = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (d: string) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      stderr.push(line);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a timeline entry (an error message)
      }
      for (const w of watchers) w();
    }
  });
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (d: string) => (stdout += d));
  let done = false;
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => {
    done = true;
    if (buf) stderr.push(buf);
    for (const w of [...watchers]) w();
    r(code);
  }));
  const d: Daemon = {
    proc, logs, stderr, get stdout() { return stdout; }, exited, statePath, socketPath,
    waitLog(pred, hostMs = 30_000, what = 'log entry') {
      const timeoutMs = patient(hostMs);
      return new Promise((resolveP, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < logs.length; seen++) {
            if (pred(logs[seen]!)) {
              watchers.delete(check);
              clearTimeout(timer);
              resolveP(logs[seen]!);
              return;
            }
          }
          if (done) {
            watchers.delete(check);
            clearTimeout(timer);
            reject(new Error(`daemon exited before ${what}; stderr:\n${stderr.join('\n')}`));
          }
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`no ${what} within ${timeoutMs} ms; stderr:\n${stderr.slice(-30).join('\n')}`));
        }, timeoutMs);
        watchers.add(check);
        check();
      });
    },
    async stop() {
      if (done) return proc.exitCode;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), patient(5000));
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill9() {
      if (done) return;
      proc.kill('SIGKILL');
      await exited;
    },
  };
  t.teardown(() => d.stop());
  return d;
}

/** Which interfaces of the node hold each management address (the oracle: ip -j addr). */
export async function holders(lab: Lab): Promise<{ v4: string[]; v6: string[]; interrupted?: true }> {
  const { stdout, stderr } = await execFileP('ip', ['-n', lab.node.name, '-j', 'addr', 'show']);
  const links = JSON.parse(stdout) as { ifname: string; addr_info?: { local: string }[] }[];
  const v4: string[] = [];
  const v6: string[] = [];
  for (const l of links) {
    for (const a of l.addr_info ?? []) {
      if (a.local === V4) v4.push(l.ifname);
      if (a.local === V6) v6.push(l.ifname);
    }
  }
  // NLM_F_DUMP_INTR: addresses changed while ip was dumping; the picture may mix two instants.
  if (/Dump was interrupted/.test(stderr)) return { v4, v6, interrupted: true };
  return { v4, v6 };
}

/** The single holder of both addresses, or a description of what is wrong. */
export async function holder(lab: Lab): Promise<string> {
  const h = await holders(lab);
  if (h.v4.length === 1 && h.v6.length === 1 && h.v4[0] === h.v6[0]) return h.v4[0]!;
  return `v4 on [${h.v4.join(',')}] v6 on [${h.v6.join(',')}]`;
}

export async function waitHolder(lab: Lab, want: string, hostMs = 60_000): Promise<number> {
  const timeoutMs = patient(hostMs);
  const t0 = Date.now();
  let last = '';
  while (Date.now() - t0 < timeoutMs) {
    last = await holder(lab);
    if (last === want) return Date.now() - t0;
    await sleep(10);
  }
  throw new Error(`holder is not ${want} after ${timeoutMs} ms: ${last}`);
}

export function defaultRouteDev(lab: Lab, family: 4 | 6): string[] {
  return lab.node.ipJson<{ dev: string }[]>(`-${family}`, 'route', 'show', 'default').map((r) => r.dev);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function carrier(lab: Lab, i: number, up: boolean): Promise<void> {
  await execFileP('ip', ['-n', lab.sw.name, 'link', 'set', `p${i}`, up ? 'up' : 'down']);
}

/** Run the CLI to completion (for status, move and the bad-input cases). */
export async function cli(args: string[], opts: { uid?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveP) => {
    const p = spawn(process.execPath, cliArgs(args), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid, env: { ...process.env, HOME: '/nonexistent' } } : {}) });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('exit', (code) => resolveP({ code: code ?? -1, stdout, stderr }));
  });
}

export function isStart(e: Record<string, unknown>): boolean {
  return e.event === 'start';
}
