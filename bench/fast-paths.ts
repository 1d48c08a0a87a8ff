// bench/fast-paths: the start-up cost of every command line bin/run.js answers without oclif
// (the read commands, `link list --json`, a no-op `config apply`, `--version`), as fresh
// processes, with one or more builds side by side: BINS='before=/tmp/old/bin/run.js,after=bin/run.js'
// (default: this checkout's bin/run.js). Rounds take one run of each command of each build in
// turn, so a change in the machine's load hits every build alike. CPU time (user+sys, from
// bash's `time`) is printed next to wall time: on a busy shared machine it moves far less.
// Root only (a throwaway namespace, removed on exit, even on failure or Ctrl-C). Nothing is
// asserted: these are measurements.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onExit } from './on-exit.js';

const RUNS = Number(process.env.RUNS ?? 15);
const ns = `nctl-fbench-${randomBytes(3).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'nctl-fbench-'));
const bins = (process.env.BINS ?? `this=${fileURLToPath(new URL('../bin/run.js', import.meta.url))}`)
  .split(',').map((s) => { const [name, path] = s.split('='); return { name: name!, path: path! }; });

function cleanup(): void {
  spawnSync('ip', ['netns', 'del', ns]);
  rmSync(dir, { recursive: true, force: true });
}
onExit(cleanup);

const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;

/** Wall and CPU ms of one fresh run; throws when the command fails. */
function once(bin: string, args: string[]): { wall: number; cpu: number } {
  const script = `TIMEFORMAT='%3R %3U %3S'; { time ${[bin, ...args].map(quote).join(' ')} >/dev/null 2>"$ERR"; } 2>&1; echo "rc=$?"`;
  const err = join(dir, 'stderr');
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { ...process.env, ERR: err } });
  const m = /([\d.]+) ([\d.]+) ([\d.]+)\s+rc=(\d+)/.exec(r.stdout);
  if (!m || m[4] !== '0') throw new Error(`${bin} ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
  return { wall: Number(m[1]) * 1000, cpu: (Number(m[2]) + Number(m[3])) * 1000 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function ip(...args: string[]): void {
  const r = spawnSync('ip', ['-n', ns, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

function main(): void {
  if (process.geteuid?.() !== 0) throw new Error('bench/fast-paths needs root (it creates a network namespace)');
  const r = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip netns add: ${r.stderr}`);
  ip('link', 'add', 'br0', 'type', 'bridge');
  ip('link', 'add', 've0', 'type', 'veth', 'peer', 'name', 've1');
  ip('link', 'set', 've1', 'master', 'br0');
  ip('addr', 'add', '10.9.0.1/24', 'dev', 'br0');
  ip('link', 'set', 'br0', 'up');
  const file = join(dir, 'node.yaml');
  writeFileSync(file, 'interfaces:\n  - name: br1\n    kind: bridge\n');
  const state = join(dir, 'state');
  for (const b of bins) once(b.path, ['config', 'apply', file, '-n', ns, '--state-dir', state]);

  const cases: [string, string[]][] = [
    ['--version', ['--version']],
    ['link list --json', ['link', 'list', '--json', '-n', ns]],
    ['link list', ['link', 'list', '-n', ns]],
    ['link show br0', ['link', 'show', 'br0', '-n', ns]],
    ['link tree', ['link', 'tree', '-n', ns]],
    ['addr list', ['addr', 'list', '-n', ns]],
    ['neigh list', ['neigh', 'list', '-n', ns, '--nud', 'all']],
    ['config apply (no-op)', ['config', 'apply', file, '-n', ns, '--state-dir', state]],
  ];
  const wall = new Map<string, number[]>();
  const cpu = new Map<string, number[]>();
  const key = (c: string, b: string): string => `${c}\0${b}`;
  // one warm-up round (page cache, bundles), then RUNS measured ones
  for (let round = -1; round < RUNS; round++) {
    for (const [name, args] of cases) {
      for (const b of bins) {
        const f = once(b.path, args);
        if (round < 0) continue;
        (wall.get(key(name, b.name)) ?? wall.set(key(name, b.name), []).get(key(name, b.name))!).push(f.wall);
        (cpu.get(key(name, b.name)) ?? cpu.set(key(name, b.name), []).get(key(name, b.name))!).push(f.cpu);
      }
    }
  }
  console.log(`bench/fast-paths: median of ${RUNS} fresh runs each, ms (wall / CPU user+sys)`);
  const ref = bins[0]!.name;
  console.log(['command'.padEnd(22), ...bins.map((b) => `${b.name} wall/cpu`.padStart(22)), ...(bins.length > 1 ? bins.slice(1).map((b) => `${b.name}/${ref} cpu`.padStart(20)) : [])].join(''));
  for (const [name] of cases) {
    const cols = bins.map((b) => `${median(wall.get(key(name, b.name))!).toFixed(1)} / ${median(cpu.get(key(name, b.name))!).toFixed(1)}`.padStart(22));
    const ratios = bins.slice(1).map((b) => (median(cpu.get(key(name, b.name))!) / median(cpu.get(key(name, ref))!)).toFixed(3).padStart(20));
    console.log([name.padEnd(22), ...cols, ...ratios].join(''));
  }
}

main();
