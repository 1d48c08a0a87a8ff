// bench/failover/soak: does the failover daemon's memory stay flat under sustained churn?
//
//   node --import tsx bench/failover/soak.ts [--moves 2000] [--warmup 100] [--idle-s 0] [--dev]
//
// Builds its own namespaces (node: eth0, eth1; switch: bridge with the IPv4 and IPv6 gateway),
// runs `nodectl mgmt run` with the realistic config of issue 19 (IPv4 + IPv6 addresses, gateway
// with default_route, arp_probe every 100 ms, 3 announcements 50 ms apart) and the V8 flags of
// the systemd unit, then forces MOVES real moves (see soak-loop.ts) and prints the resident
// set's growth per move after the warm-up, its peak against the unit's MemoryMax, and the open
// descriptor count. --idle-s N then leaves it alone for N seconds (probes and refreshes only)
// and prints the growth over that time.
import { spawn } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Handle } from '../../src/netlink/handle.js';
import { getLink, setLink } from '../../src/netlink/link.js';
import { controlRequest } from '../../src/failover/control.js';
import { fdCount, rssKb, soak } from './soak-loop.js';
import { benchNodeFlags, ROOT, sandbox, twoNicLab, useDev } from './sandbox.js';

const args = process.argv.slice(2);
const num = (flag: string, dflt: number) => (args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) : dflt);
const MOVES = num('--moves', 2000);
const WARMUP = num('--warmup', 100);
const IDLE_S = num('--idle-s', 0);
// Variants to find which part of the config costs memory: --one-addr (IPv4 only), --no-route,
// --no-probe, --announce N.
const dev = useDev(args);
const HOLD_DOWN_MS = 100;
const MEMORY_MAX_KB = 128 * 1024;

const { NODE, SW, dir, children } = sandbox('soak');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  twoNicLab(NODE, SW);
  const cfg = join(dir, 'mgmt.yaml');
  writeFileSync(cfg, [
    'mgmt:',
    `  addresses: [192.0.2.10/24${args.includes('--one-addr') ? '' : ', 2001:db8::10/64'}]`,
    '  candidates: [eth0, eth1]',
    `  gateway: { ipv4: 192.0.2.1${args.includes('--one-addr') ? '' : ', ipv6: "2001:db8::1"'}, default_route: ${!args.includes('--no-route')} }`,
    `  damping: { hold_down_ms: ${HOLD_DOWN_MS}, preempt_delay_ms: 86400000 }`,
    `  announce: { count: ${num('--announce', 3)}, interval_ms: 50, refresh_ms: 0 }`,
    ...(args.includes('--no-probe') ? [] : ['  health: { arp_probe: { interval_ms: 100, allowed_misses: 3 } }']),
    '',
  ].join('\n'));
  // --dev: the same entry bin/run.js takes for `mgmt run` (fast-run.ts), from the sources.
  const cli = dev ? ['--import', 'tsx', join(ROOT, 'test/netns/fixtures/mgmt-run.ts')] : [join(ROOT, 'bin/run.js'), 'mgmt', 'run'];
  const nodeFlags = benchNodeFlags();
  // NODECTL_SOAK_WRAP="heaptrack -o FILE": run the daemon under a native-memory profiler.
  const wrap = (process.env.NODECTL_SOAK_WRAP ?? '').split(' ').filter(Boolean);
  const daemon = spawn(wrap[0] ?? process.execPath, [...wrap.slice(1), ...(wrap.length ? [process.execPath] : []), ...nodeFlags, ...cli, '-n', NODE, '--config', cfg, '--state-file', join(dir, 's.json'), '--socket', join(dir, 's.sock')], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(daemon);
  let moves = 0;
  let placed = false;
  const waiters: (() => void)[] = [];
  let buf = '';
  const logFile = args.includes('--log') ? args[args.indexOf('--log') + 1]! : null;
  daemon.stderr!.setEncoding('utf8').on('data', (s: string) => {
    if (logFile) appendFileSync(logFile, s);
    buf += s;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.includes('"event":"place"')) placed = true;
      if (line.includes('"event":"move"')) moves++;
      for (const w of waiters.splice(0)) w();
    }
  });
  for (let i = 0; i < 1200 && !placed; i++) await sleep(50);
  if (!placed) throw new Error('daemon did not place the address');
  await sleep(500);
  const sw = Handle.open({ netns: SW });
  const idx = [(await getLink(sw, 'p0')).index, (await getLink(sw, 'p1')).index];
  const pid = daemon.pid!;
  console.log(`soak: ${WARMUP} warm-up + ${MOVES} moves, daemon via ${dev ? 'the sources (tsx)' : 'bin/run.js (dist)'} ${nodeFlags.join(' ')}; start RSS ${(rssKb(pid) / 1024).toFixed(1)} MB, ${fdCount(pid)} fds`);
  const r = await soak({
    pid, moves: MOVES, warmup: WARMUP, holdDownMs: HOLD_DOWN_MS, movesBefore: moves,
    carrier: (i, up) => setLink(sw, idx[i]!, { up }).then(() => undefined),
    moved: (n) => new Promise<void>((res, rej) => {
      const deadline = setTimeout(() => rej(new Error(`no move ${n} within 10 s`)), 10_000);
      const check = () => {
        if (moves >= n) {
          clearTimeout(deadline);
          res();
        } else waiters.push(check);
      };
      check();
    }),
    onRound: (s) => {
      if (s.round % (Number(process.env.NODECTL_SOAK_EVERY) || 100) === 0) {
        void controlRequest(join(dir, 's.sock'), { cmd: 'status' }).then((st) => {
          const m = (st.state as { memory?: Record<string, number> }).memory;
          const mb = (x: number | undefined) => ((x ?? NaN) / 1048576).toFixed(1);
          console.log(`  move ${String(s.round).padStart(5)}: RSS ${(s.rssKb / 1024).toFixed(1)} MB, ${s.fds} fds; V8 heap ${mb(m?.heapUsed)} MB, external ${mb(m?.external)} MB, array buffers ${mb(m?.arrayBuffers)} MB`);
        }, () => undefined);
      }
    },
  });
  console.log(`RSS after warm-up ${(r.rssStartKb / 1024).toFixed(1)} MB -> ${(r.rssEndKb / 1024).toFixed(1)} MB over ${MOVES} moves: ${r.kbPerMove.toFixed(2)} kB/move (target <= 4), peak ${(r.rssPeakKb / 1024).toFixed(1)} MB (MemoryMax ${MEMORY_MAX_KB / 1024} MB: ${r.rssPeakKb < MEMORY_MAX_KB ? 'under' : 'OVER'})`);
  console.log(`open fds: ${r.fdsAfterWarmup} after warm-up, max ${r.fdsMax}, end ${r.fdsEnd}`);
  if (IDLE_S > 0) {
    const a = rssKb(pid);
    const f = fdCount(pid);
    await sleep(IDLE_S * 1000);
    console.log(`idle ${IDLE_S} s (probes every 100 ms): RSS ${(a / 1024).toFixed(1)} -> ${(rssKb(pid) / 1024).toFixed(1)} MB, fds ${f} -> ${fdCount(pid)}`);
  }
  sw.close();
  daemon.kill('SIGTERM');
}

main().then(() => process.exit(0), (err: Error) => {
  console.error(`soak failed: ${err.message}`);
  process.exit(1);
});
