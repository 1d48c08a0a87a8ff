// The sandbox the failover benches run in: a node and a switch namespace with unique names, a
// scratch directory, and the child processes started in it; all removed when the process exits
// (or on Ctrl-C), whatever happened. Also what they share: the two-NIC lab and line/percentile helpers.
import { type ChildProcess, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

/** Run a command, its stdout; a failure throws with its stderr. */
export function sh(cmd: string, ...a: string[]): string {
  const r = spawnSync(cmd, a, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${a.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/**
 * The V8 flags the systemd unit starts the daemon with (contrib/systemd/nodectl-mgmt.service,
 * ExecStart: what stands between the node binary and bin/run.js), so that the benches and tests
 * measure the daemon as shipped from the one place they are written.
 */
export function unitNodeFlags(): string[] {
  const unit = readFileSync(join(ROOT, 'contrib/systemd/nodectl-mgmt.service'), 'utf8');
  const m = /^ExecStart=\S+\s+(.*?)\s*\S*\/bin\/run\.js\s/m.exec(unit);
  if (!m) throw new Error('contrib/systemd/nodectl-mgmt.service: no `ExecStart=NODE FLAGS .../bin/run.js` line');
  return m[1]!.split(/\s+/).filter(Boolean);
}

/** The daemon's V8 flags in a bench: the unit's, or NODECTL_BENCH_NODE_FLAGS (space-separated). */
export function benchNodeFlags(): string[] {
  const env = process.env.NODECTL_BENCH_NODE_FLAGS;
  return env === undefined ? unitNodeFlags() : env.split(' ').filter(Boolean);
}

/** `--dev`, or no build: run the daemon from the TypeScript sources. */
export const useDev = (args: string[]): boolean => args.includes('--dev') || !existsSync(join(ROOT, 'dist/commands/mgmt/run.js'));

export function sandbox(name: string): { NODE: string; SW: string; dir: string; children: ChildProcess[] } {
  const tag = randomBytes(3).toString('hex');
  const s = { NODE: `nctl-bench-${name}-node-${tag}`, SW: `nctl-bench-${name}-sw-${tag}`, dir: mkdtempSync(join(tmpdir(), `nctl-bench-${name}-`)), children: [] as ChildProcess[] };
  process.on('exit', () => {
    for (const c of s.children) c.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', s.NODE]);
    spawnSync('ip', ['netns', 'del', s.SW]);
    rmSync(s.dir, { recursive: true, force: true });
  });
  process.on('SIGINT', () => process.exit(130));
  return s;
}

/**
 * The lab: the switch namespace's bridge br0 (192.0.2.1/24, 2001:db8::1/64 nodad) with ports
 * p0 and p1, the far ends of the node's eth0 and eth1 (both up).
 */
export function twoNicLab(NODE: string, SW: string): void {
  sh('ip', 'netns', 'add', NODE);
  sh('ip', 'netns', 'add', SW);
  sh('ip', '-n', SW, 'link', 'add', 'br0', 'type', 'bridge');
  sh('ip', '-n', SW, 'link', 'set', 'br0', 'up');
  sh('ip', '-n', SW, 'addr', 'add', '192.0.2.1/24', 'dev', 'br0');
  sh('ip', '-n', SW, 'addr', 'add', '2001:db8::1/64', 'dev', 'br0', 'nodad');
  for (const i of [0, 1]) {
    sh('ip', '-n', NODE, 'link', 'add', `eth${i}`, 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', SW);
    sh('ip', '-n', SW, 'link', 'set', `p${i}`, 'master', 'br0', 'up');
    sh('ip', '-n', NODE, 'link', 'set', `eth${i}`, 'up');
  }
}

/** Call onLine for each whole line a child writes to stdout. */
export function lines(p: ChildProcess, onLine: (l: string) => void): void {
  let buf = '';
  p.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
}

/** The p-th percentile (nearest rank); NaN for no samples. */
export function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}
