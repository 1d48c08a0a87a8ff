// bench/apply: in one run, in a throwaway namespace,
//   1. create COUNT logical interfaces (macvlans on a veth "NIC", or bridges): `ip -batch` vs
//      `config apply` of a file declaring them, with its rehearsal (the steps first run in an
//      anonymous namespace of stand-ins, src/config/rehearse.ts) and without (--no-rehearse);
//   2. re-apply the unchanged file (a no-op: snapshot + plan + verify nothing);
//   3. remove them all: `ip -batch` deleting one by one vs `config apply` of a file without
//      them (prune), and vs the rollback of an apply of the same size that fails at its last step.
// nodectl is timed in-process (the library the CLI calls) and end to end through the built CLI
// (creation and no-op); creation also in CPU time, and by how long a link change made right after
// it waits for the kernel's leftover work. Prints figures and ratios; asserts nothing. The
// namespace is removed on exit.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyConfig, planConfig } from '../src/config/apply.js';
import { parseConfig } from '../src/config/load.js';
import { ApplyError } from '../src/errors.js';
import { Handle } from '../src/netlink/handle.js';
import { listLinks, setLink } from '../src/netlink/link.js';
import { onExit } from './on-exit.js';

const COUNT = Number(process.env.COUNT ?? 1000);
const KIND = (process.env.KIND ?? 'macvlan') as 'macvlan' | 'bridge';
const ns = `nctl-bench-${randomBytes(3).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'nctl-bench-apply-'));
const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));

function cleanup(): void {
  spawnSync('ip', ['netns', 'del', ns]);
  rmSync(dir, { recursive: true, force: true });
}
onExit(cleanup);

function sh(cmd: string, args: string[], input?: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}
function linkCount(): number {
  const r = spawnSync('ip', ['-n', ns, '-o', 'link', 'show'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return r.stdout.split('\n').filter(Boolean).length;
}
function timeSync(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
async function time(fn: () => Promise<unknown>, cpu?: number[]): Promise<number> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await fn();
  const c = process.cpuUsage(c0);
  cpu?.push((c.user + c.system) / 1000);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
/**
 * `ip ARGS` with `input` on stdin: wall and CPU (user+sys, from bash's `time`: the child's
 * getrusage) in ms. CPU is far less disturbed than wall time by other load on the machine.
 */
function ipTimed(args: string[], input: string): { wall: number; cpu: number; sys: number } {
  const r = spawnSync('bash', ['-c', 'TIMEFORMAT="%3R %3U %3S"; time ip "$@" >/dev/null', 'ip', ...args], { encoding: 'utf8', input, maxBuffer: 1 << 26 });
  const [real, user, sys] = (r.stderr.trim().split('\n').at(-1) ?? '').split(' ').map((x) => Number(x) * 1000);
  if (r.status !== 0 || !Number.isFinite(real) || !Number.isFinite(user) || !Number.isFinite(sys)) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr}`);
  return { wall: real!, cpu: user! + sys!, sys: sys! };
}
const name = (i: number): string => `${KIND === 'macvlan' ? 'mv' : 'br'}${i}`;
const ms = (x: number): string => `${x.toFixed(0).padStart(7)} ms`;

sh('ip', ['netns', 'add', ns]);
sh('ip', ['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p']);
sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
const base = linkCount();
// Another program's link change right after an apply returns: how long the kernel's leftover work
// (the rehearsal namespace's teardown, the new links' IPv6 and link watch work, all under the
// RTNL lock) makes it wait. The longest wait of changes made every 5 ms for STALL_MS.
const STALL_MS = Number(process.env.STALL_MS ?? 1500);
const poker = Handle.open({ netns: ns });
const peerIndex = (await listLinks(poker)).find((l) => l.name === 'eth0p')!.index;
let pokes = 0;
async function longestWait(): Promise<number> {
  let worst = 0;
  const end = performance.now() + STALL_MS;
  while (performance.now() < end) {
    const t0 = performance.now();
    await setLink(poker, peerIndex, { alias: `bench ${pokes++}` });
    worst = Math.max(worst, performance.now() - t0);
    await new Promise((r) => setTimeout(r, 5));
  }
  return worst;
}

// iproute2: the same links, one batch to create, one batch deleting them one by one
const addLines = Array.from({ length: COUNT }, (_, i) => KIND === 'macvlan'
  ? `link add link eth0 name ${name(i)} group 28259 up type macvlan mode bridge`
  : `link add name ${name(i)} group 28259 up type bridge stp_state 0`).join('\n') + '\n';
const delLines = Array.from({ length: COUNT }, (_, i) => `link del ${name(i)}`).join('\n') + '\n';

const decl = Array.from({ length: COUNT }, (_, i) => KIND === 'macvlan'
  ? `  - {name: ${name(i)}, kind: macvlan, link: eth0, macvlan: {mode: bridge}}`
  : `  - {name: ${name(i)}, kind: bridge}`).join('\n');
const full = `interfaces:\n  - {name: eth0, kind: device}\n${decl}\n`;
const fullFile = join(dir, 'full.yaml');
writeFileSync(fullFile, full);
const cfg = parseConfig(full, fullFile).config;
const empty = parseConfig('interfaces:\n  - {name: eth0, kind: device}\n', 'empty.yaml').config;
const state = join(dir, 'state');
const opts = { netns: ns, stateDir: state };
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// Creation and prune, alternating with iproute2, ROUNDS times (medians): the machine's load
// moves during a run, alternation exposes both tools to the same conditions.
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SETTLE_MS = Number(process.env.SETTLE_MS ?? 3000);
const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS));
const ipCreates: number[] = [];
const ncCreates: number[] = [];
const ncBare: number[] = [];
const ncPrunes: number[] = [];
const ncNoops: number[] = [];
const ipCpu: number[] = [];
const ipSys: number[] = [];
const bareCpu: number[] = [];
const createCpu: number[] = [];
const bareStall: number[] = [];
const rehearsals: number[] = [];
const createStall: number[] = [];
let phases = '';
for (let r = 0; r < ROUNDS; r++) {
  const ip = ipTimed(['-n', ns, '-batch', '-'], addLines);
  ipCreates.push(ip.wall);
  ipCpu.push(ip.cpu);
  ipSys.push(ip.sys);
  if (linkCount() !== base + COUNT) throw new Error('iproute2 did not create them all');
  sh('ip', ['-n', ns, 'link', 'del', 'group', '28259']); // untimed: clear the stage
  // without the rehearsal first, on a kernel with nothing left to do from an earlier rehearsal
  ncBare.push(await time(() => applyConfig(cfg, { ...opts, rehearse: false }), bareCpu));
  bareStall.push(await longestWait());
  if (linkCount() !== base + COUNT) throw new Error('nodectl --no-rehearse did not create them all');
  await applyConfig(empty, opts);
  await settle(); // the prune's deleted links finish leaving in the background too
  let firstStep = 0;
  let lastStep = 0;
  const t0 = performance.now();
  ncCreates.push(await time(() => applyConfig(cfg, { ...opts, onStep: (n, total) => { if (n === 1) firstStep = performance.now(); if (n === total) lastStep = performance.now(); } }), createCpu));
  createStall.push(await longestWait());
  phases = `read+plan+rehearsal+journal ${(firstStep - t0).toFixed(0)} ms, steps ${(lastStep - firstStep).toFixed(0)} ms, verify+record ${(t0 + ncCreates[r]! - lastStep).toFixed(0)} ms`;
  if (linkCount() !== base + COUNT) throw new Error('nodectl did not create them all');
  // The rehearsal's namespace, with its 1,000 stand-in links, is freed when the apply ends and
  // torn down by the kernel in the background (cleanup_net, under the RTNL lock): the next
  // measurements would pay for it. Untimed settle, so each row measures its own work.
  await settle();
  ncNoops.push(await time(async () => {
    const res = await applyConfig(cfg, opts);
    if (res.changed) throw new Error('re-apply was not a no-op');
  }));
  ncPrunes.push(await time(() => applyConfig(empty, opts)));
  if (linkCount() !== base) throw new Error('prune did not delete them all');
  // the rehearsal alone: `config plan` (read, plan, rehearse; nothing applied) with it minus
  // without, once the prune's deleted links have left
  await settle();
  const planOnly = await time(() => planConfig(cfg, { ...opts, rehearse: false }));
  rehearsals.push(await time(() => planConfig(cfg, opts)) - planOnly);
  await settle(); // its namespace's teardown
}

// the slow baseline, once: iproute2 deleting one by one
sh('ip', ['-n', ns, '-batch', '-'], addLines);
const ipDelete = timeSync(() => sh('ip', ['-n', ns, '-batch', '-'], delLines));
if (linkCount() !== base) throw new Error('iproute2 did not delete them all');

// Through the CLI, end to end (process start included): what the boot unit and operators pay.
// A fresh process runs cold (no JIT yet), so creation is also shown this way; medians of 5.
let cliNoop = NaN;
let cliCreate = NaN;
let nodeFloor = NaN;
if (existsSync(new URL('../dist/config/fast-apply.js', import.meta.url))) {
  const cli = (): void => sh(process.execPath, [bin, 'config', 'apply', fullFile, '-n', ns, '--state-dir', state]);
  const creates: number[] = [];
  for (let r = 0; r < 3; r++) {
    creates.push(timeSync(cli));
    if (r < 2) await applyConfig(empty, opts);
  }
  cliCreate = median(creates);
  cliNoop = median(Array.from({ length: 5 }, () => timeSync(cli)));
  nodeFloor = median(Array.from({ length: 5 }, () => timeSync(() => sh(process.execPath, ['-e', '0']))));
}
await applyConfig(empty, opts);

// rollback of the same size: the file also gives eth0 an address, and that last step fails
const withAddr = parseConfig(full.replace('{name: eth0, kind: device}', '{name: eth0, kind: device, addresses: [10.99.0.1/24]}'), 'x.yaml').config;
let rollbackMs = NaN;
{
  let failedAt = 0;
  try {
    await applyConfig(withAddr, { ...opts, failAtStep: COUNT + 1, onStep: (n) => { if (n === COUNT + 1) failedAt = performance.now(); } });
    throw new Error('expected the injected failure');
  } catch (err) {
    if (!(err instanceof ApplyError)) throw err;
    rollbackMs = performance.now() - failedAt;
    if (err.rolledBack !== COUNT) throw new Error(`rolled back ${err.rolledBack} steps, expected ${COUNT} (the failed step did nothing)`);
  }
  if (linkCount() !== base) throw new Error('rollback left links behind');
}
const ipCreate = median(ipCreates);
const ncCreate = median(ncCreates);
const ncCreateBare = median(ncBare);
const ncPrune = median(ncPrunes);
const ncNoop = median(ncNoops);

const cpus = (await import('node:os')).cpus().length;
const load = (await import('node:os')).loadavg()[0]!.toFixed(1);
console.log(`bench/apply: ${COUNT} ${KIND}s in a throwaway namespace (${cpus} CPUs, load ${load}); medians of ${ROUNDS} alternating rounds`);
console.log(`  create    iproute2 -batch ${ms(ipCreate)}   nodectl apply --no-rehearse ${ms(ncCreateBare)}   ratio ${(ncCreateBare / ipCreate).toFixed(2)}x  (target <= 1.5x)`);
console.log(`            rehearsal + apply ${ms(ncCreate)}   ratio ${(ncCreate / ipCreate).toFixed(2)}x  (target <= 2x); the rehearsal alone (plan with it - without) ${ms(median(rehearsals)).trim()}, ${(median(rehearsals) / ipCreate).toFixed(2)}x`);
console.log(`            nodectl phases (with the rehearsal): ${phases}`);
// The kernel's part of iproute2's run (its system time) is the creation itself; a rehearsal of
// every step makes the same links once more, so twice that is a floor no rehearsal of the whole
// plan goes under, whatever nodectl's own code costs.
const floor = 2 * median(ipSys);
console.log(`            floor: the kernel's work (iproute2's system time ${ms(median(ipSys)).trim()}) done twice, ${ms(floor).trim()} = ${(floor / ipCreate).toFixed(2)}x iproute2's wall; nodectl's own part: ${ms(ncCreate - floor).trim()}`);
console.log(`            CPU (user+sys; nodectl's whole process, JIT and GC threads too): iproute2 ${ms(median(ipCpu)).trim()}, --no-rehearse ${ms(median(bareCpu)).trim()} (${(median(bareCpu) / median(ipCpu)).toFixed(2)}x), rehearsal + apply ${ms(median(createCpu)).trim()} (${(median(createCpu) / median(ipCpu)).toFixed(2)}x)`);
console.log(`            a link change right after the apply waited up to ${ms(median(createStall)).trim()} with the rehearsal, ${ms(median(bareStall)).trim()} without (RTNL held by the kernel's leftover work)`);
console.log(`            CLI end to end (fresh process, cold): ${Number.isNaN(cliCreate) ? '(not built)' : `${ms(cliCreate)}   ratio ${(cliCreate / ipCreate).toFixed(2)}x`}`);
console.log(`  no-op     nodectl re-apply in-process ${ms(ncNoop)}, CLI end to end ${Number.isNaN(cliNoop) ? '(not built)' : ms(cliNoop)}   (target <= 300 ms; node -e 0 takes ${ms(nodeFloor).trim()} here)`);
console.log(`  teardown  iproute2 -batch del ${ms(ipDelete)} (once)   nodectl prune ${ms(ncPrune)}   speed-up ${(ipDelete / ncPrune).toFixed(1)}x  (target >= 10x)`);
console.log(`  rollback  ${COUNT + 1} steps undone in ${ms(rollbackMs)}   speed-up vs iproute2 del ${(ipDelete / rollbackMs).toFixed(1)}x`);
