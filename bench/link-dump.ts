// bench/link-dump: 4,000 veth ends in a throwaway namespace; prints, in one run, nodectl's
// in-process dump+decode time and `nodectl link list --json` end to end as ratios of
// `ip -j -d link show`, and `nodectl --version` cold start. Wall time is what the targets are
// about; CPU time (user+sys, all threads) is printed next to it because it is far less
// disturbed by other load on the machine. Root only; the namespace is removed on exit, even
// on failure or Ctrl-C. Nothing is asserted: these are measurements.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { rt } from 'netlink';
import { Handle, RTM } from '../src/netlink/handle.js';
import { decodeLink, listLinks, listLinksOnce } from '../src/netlink/link.js';
import { onExit } from './on-exit.js';

const PAIRS = Number(process.env.PAIRS ?? 2000);
const RUNS = Number(process.env.RUNS ?? 7);
const ns = `nctl-bench-${randomBytes(3).toString('hex')}`;
const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const devnull = openSync('/dev/null', 'w');

function cleanup(): void {
  spawnSync('ip', ['netns', 'del', ns]);
}
onExit(cleanup);

function run(cmd: string, args: string[], env: Record<string, string> = {}): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', devnull, 'pipe'], env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;
/**
 * CPU time (user+sys) of a child process in ms, from bash's `time` (getrusage, to the
 * millisecond; POSIX `times` counts 10 ms clock ticks, too coarse next to ip's ~50 ms).
 */
function childCpu(cmd: string, args: string[], env: Record<string, string> = {}): number {
  const script = `TIMEFORMAT='%3U %3S'; { time ${[cmd, ...args].map(quote).join(' ')} >/dev/null 2>&1; } 2>&1`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { ...process.env, ...env } });
  const [user, sys] = r.stdout.trim().split(/\s+/).map(Number);
  if (!Number.isFinite(user) || !Number.isFinite(sys)) throw new Error(`no CPU time for ${cmd}: ${r.stdout}${r.stderr}`);
  return (user! + sys!) * 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Figures {
  wall: number;
  cpu: number;
  /** Fresh-process probes: each round's wall time divided by the reference's in that round. */
  roundRatios?: number[];
}

/** Median wall and CPU time in ms of an in-process fn over RUNS runs, after one warm-up. */
async function timeIn(fn: () => unknown, warm = true): Promise<Figures> {
  if (warm) await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await fn();
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

/** One run of a command: wall time of spawnSync, CPU time from a second run under `times`. */
function cmdProbe(cmd: string, args: string[], env: Record<string, string> = {}): () => Figures {
  return () => {
    const t0 = process.hrtime.bigint();
    run(cmd, args, env);
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    return { wall, cpu: childCpu(cmd, args, env) };
  };
}

/**
 * A fresh process doing exactly one dump+decode: the cold cost a one-shot CLI pays. 'once' is
 * what `link list` runs (listLinksOnce: one blocking native read, no Handle); 'handle' is
 * listLinks over a Handle (the netlink package), what everything long-lived uses.
 */
function coldProbe(how: 'once' | 'handle'): () => Figures {
  const script = how === 'once' ? `
    const { listLinksOnce } = await import(${JSON.stringify(new URL('../dist/netlink/link.js', import.meta.url).href)});
    const c0 = process.cpuUsage(); const t0 = process.hrtime.bigint();
    listLinksOnce(${JSON.stringify(ns)});
    const c = process.cpuUsage(c0);
    console.log(JSON.stringify({ wall: Number(process.hrtime.bigint() - t0) / 1e6, cpu: (c.user + c.system) / 1000 }));` : `
    const { Handle, RTM } = await import(${JSON.stringify(new URL('../dist/netlink/handle.js', import.meta.url).href)});
    const { listLinks } = await import(${JSON.stringify(new URL('../dist/netlink/link.js', import.meta.url).href)});
    const h = Handle.open({ netns: ${JSON.stringify(ns)} });
    const c0 = process.cpuUsage(); const t0 = process.hrtime.bigint();
    await listLinks(h);
    const c = process.cpuUsage(c0);
    console.log(JSON.stringify({ wall: Number(process.hrtime.bigint() - t0) / 1e6, cpu: (c.user + c.system) / 1000 }));
    h.close();`;
  return () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cold run failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as Figures;
  };
}

/**
 * Medians of several fresh-process measurements taken in turns (one of each per round, after a
 * warm-up round), so that each is compared with the reference under the same load: on a busy
 * machine the load moves by a factor of two within a minute, and measuring `ip` first and
 * nodectl a minute later made ratios of the two moments, not of the two programs.
 */
function interleaved(probes: (() => Figures)[]): Figures[] {
  for (const p of probes) p();
  const wall: number[][] = probes.map(() => []);
  const cpu: number[][] = probes.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    probes.forEach((p, k) => {
      const f = p();
      wall[k]!.push(f.wall);
      cpu[k]!.push(f.cpu);
    });
  }
  return probes.map((_, k) => ({ wall: median(wall[k]!), cpu: median(cpu[k]!), roundRatios: wall[k]!.map((w, i) => w / wall[0]![i]!) }));
}

async function main(): Promise<void> {
  if (process.geteuid?.() !== 0) throw new Error('bench/link-dump needs root (it creates a network namespace)');
  spawnSync('ip', ['netns', 'add', ns], { stdio: 'inherit' });
  const batch = Array.from({ length: PAIRS }, (_, i) => `link add b${i}a type veth peer name b${i}b`).join('\n') + '\n';
  const t0 = Date.now();
  const r = spawnSync('ip', ['-n', ns, '-batch', '-'], { input: batch, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`creating veths failed: ${r.stderr}`);
  const h = Handle.open({ netns: ns, rcvbuf: 32 << 20 });
  const count = (await listLinks(h)).length;
  console.log(`namespace ${ns}: ${count} links (${PAIRS * 2} veth ends + lo), created in ${((Date.now() - t0) / 1000).toFixed(1)} s; median of ${RUNS} runs (fresh processes: in turns with ip, one of each per round)`);

  const warm = await timeIn(() => listLinksOnce(ns));
  const warmHandle = await timeIn(() => listLinks(h));
  const dumpOnly = await timeIn(() => h.dump(RTM.GETLINK, Buffer.alloc(16)));
  const msgs = await h.dump(RTM.GETLINK, Buffer.alloc(16));
  const decodeOnly = await timeIn(() => {
    for (const m of msgs) decodeLink(m.data, 0, m.data.length);
  });
  // For the record: the same messages through the netlink package's generic decoder.
  const generic = await timeIn(() => {
    for (const m of msgs) rt.parseMessage(m.type, m.data);
  });
  h.close();
  // Fresh processes, in turns with the reference. The executable itself, as users and scripts
  // run it: its shebang line is part of the cost (it starts Node without NODE_EXTRA_CA_CERTS, see
  // bin/run.js); `node bin/run.js` would skip it.
  // NODE_EXTRA_CA_CERTS makes every Node process parse that CA bundle before running any
  // JavaScript. Figures with it set (as here) and unset, each labelled; plus `node bin/run.js`
  // with it set, which is what the executable costs without its shebang's env -S.
  const caSet = process.env.NODE_EXTRA_CA_CERTS;
  const other = caSet ? { NODE_EXTRA_CA_CERTS: '' } : { NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt' };
  const list = ['link', 'list', '--json', '--netns', ns];
  const [ip, cold, coldHandle, e2e, e2eTs, e2eOclif, version, nodeFloor, e2eOther, versionOther, nodeFloorOther, viaNode] = interleaved([
    cmdProbe('ip', ['-n', ns, '-j', '-d', 'link', 'show']),
    coldProbe('once'),
    coldProbe('handle'),
    cmdProbe(bin, list),
    cmdProbe(bin, list, { NODECTL_NO_NATIVE_JSON: '1' }),
    cmdProbe(bin, list, { NODECTL_NO_FAST: '1' }),
    cmdProbe(bin, ['--version']),
    cmdProbe(process.execPath, ['-e', '0']),
    cmdProbe(bin, list, other),
    cmdProbe(bin, ['--version'], other),
    cmdProbe(process.execPath, ['-e', '0'], other),
    ...(caSet ? [cmdProbe(process.execPath, [bin, ...list])] : []),
  ]) as [Figures, Figures, Figures, Figures, Figures, Figures, Figures, Figures, Figures, Figures, Figures, Figures | undefined];

  const ms = (x: number): string => x.toFixed(1).padStart(7);
  const ratio = (x: number, r: number): string => `${(x / r).toFixed(2).padStart(5)}x`;
  const row = (what: string, f: Figures, ref: Figures | null, target: string): string =>
    `${what.padEnd(48)} ${ms(f.wall)} ms ${ref ? ratio(f.wall, ref.wall) : '      '}   ${ms(f.cpu)} ms ${ref ? ratio(f.cpu, ref.cpu) : '      '}   ${target}`;
  // Load that changes within a round moves both figures of the round alike: the median of the
  // rounds' ratios is steadier than the ratio of the two medians when the machine is busy.
  const perRound = (f: Figures): string =>
    `  wall vs ip per round (${f.roundRatios!.map((r) => r.toFixed(2)).join(' ')}): median ${median(f.roundRatios!).toFixed(2)}x`;
  console.log(`${''.padEnd(48)} ${'wall'.padStart(10)} ${'vs ip'.padStart(6)}   ${'cpu'.padStart(10)} ${'vs ip'.padStart(6)}   target (wall)`);
  console.log(row('ip -j -d link show (reference)', ip, null, ''));
  console.log(row('nodectl in-process dump+decode, fresh process', cold, ip, '<= 1.0x'));
  console.log(row('  over a Handle (netlink package), fresh process', coldHandle, ip, ''));
  console.log(row('nodectl in-process dump+decode, warm', warm, ip, ''));
  console.log(row('  over a Handle (netlink package), warm', warmHandle, ip, ''));
  console.log(row('  kernel dump + framing only (warm)', dumpOnly, ip, ''));
  console.log(row('  decodeLink only (warm)', decodeOnly, ip, ''));
  console.log(row('  netlink package generic decoder (warm)', generic, ip, '(why decodeLink exists)'));
  console.log(caSet ? `NODE_EXTRA_CA_CERTS set (${caSet}):` : 'NODE_EXTRA_CA_CERTS unset:');
  console.log(row('nodectl link list --json, end to end', e2e, ip, '<= 2.0x'));
  console.log(perRound(e2e));
  console.log(row('  TypeScript writer (NODECTL_NO_NATIVE_JSON=1)', e2eTs, ip, ''));
  console.log(row('  same through oclif (NODECTL_NO_FAST=1)', e2eOclif, ip, ''));
  console.log(row('nodectl --version (cold start)', version, null, '<= 150 ms'));
  console.log(row('node -e 0 (Node.js start-up floor)', nodeFloor, null, ''));
  if (viaNode) console.log(row('  `node bin/run.js link list --json` (no shebang)', viaNode, ip, ''));
  console.log(caSet ? `NODE_EXTRA_CA_CERTS unset:` : `NODE_EXTRA_CA_CERTS set (${other.NODE_EXTRA_CA_CERTS}):`);
  console.log(row('nodectl link list --json, end to end', e2eOther, ip, '<= 2.0x'));
  console.log(perRound(e2eOther));
  console.log(row('nodectl --version (cold start)', versionOther, null, '<= 150 ms'));
  console.log(row('node -e 0 (Node.js start-up floor)', nodeFloorOther, null, ''));
  const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  const label = (set: boolean): string => (set ? 'NODE_EXTRA_CA_CERTS set' : 'NODE_EXTRA_CA_CERTS unset');
  console.log(`targets (wall): in-process ${verdict(cold.wall <= ip.wall)}`);
  console.log(`  ${label(!!caSet)}: end to end ${verdict(e2e.wall <= 2 * ip.wall)}, cold start ${verdict(version.wall <= 150)}`);
  console.log(`  ${label(!caSet)}: end to end ${verdict(e2eOther.wall <= 2 * ip.wall)}, cold start ${verdict(versionOther.wall <= 150)}`);
  console.log(`load average during the run: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} CPUs`);
}

try {
  await main();
} finally {
  cleanup();
}
