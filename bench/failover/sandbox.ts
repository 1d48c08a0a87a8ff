// The sandbox both failover benches run in: a node and a switch namespace with unique names, a
// scratch directory, and the child processes started in it; all removed when the process exits
// (or on Ctrl-C), whatever happened.
import { type ChildProcess, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

/** Run a command, its stdout; a failure throws with its stderr. */
export function sh(cmd: string, ...a: string[]): string {
  const r = spawnSync(cmd, a, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${a.join(' ')}: ${r.stderr}`);
  return r.stdout;
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
