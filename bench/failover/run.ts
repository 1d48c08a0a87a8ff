// bench/failover: how fast the management address follows a carrier loss.
//
//   TZ=UTC node --import tsx bench/failover/run.ts [--trials 100] [--dev] [--rt]
//
// Builds its own namespaces (node: eth0, eth1; switch: bridge with the gateway), runs
// `nodectl mgmt run` as a child process, then for each trial drops the carrier of the current
// holder (the switch side of its veth goes down, through rtnetlink from this process) and
// measures, from the instant just before that request:
//   - the first gratuitous ARP for the address, as captured by tcpdump in the switch namespace
//     (an independent process, kernel timestamps in ns), and
//   - the address present on the backup, as reported by `ip -ts monitor address` in the node
//     namespace (another independent process).
// The carrier comes back at once and the next trial fails over the other way after the
// hold-down, so every trial is a real move. Prints p50/p90/p99/max and the daemon's RSS.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Handle } from '../../src/netlink/handle.js';
import { getLink, setLink } from '../../src/netlink/link.js';
import { benchNodeFlags, lines, pct, ROOT, sandbox, sh, twoNicLab, useDev } from './sandbox.js';

const args = process.argv.slice(2);
const TRIALS = Number(args[args.indexOf('--trials') + 1] ?? 100) || 100;
const dev = useDev(args);
const HOLD_DOWN_MS = 100;
const V4 = '192.0.2.10';

const { NODE, SW, dir, children } = sandbox('fo');

const nowRealtimeNs = (): bigint => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --rt: real-time priority for the daemon, as the systemd unit grants (CPUSchedulingPolicy=fifo):
// the kernel work of a move runs in the daemon's own syscalls, so its priority is the move's.
// The witnesses (tcpdump, ip monitor) and this process get it too, so that on a loaded machine
// the figures measure the daemon, not the scheduler's treatment of the measuring tools.
const rt = args.includes('--rt') ? ['chrt', '-f', '50'] : [];
const withRt = (cmd: string, a: string[]): [string, string[]] => (rt.length ? [rt[0]!, [...rt.slice(1), cmd, ...a]] : [cmd, a]);

async function main(): Promise<void> {
  if (rt.length) sh('chrt', '-f', '-p', '50', String(process.pid));
  twoNicLab(NODE, SW);
  const cfg = join(dir, 'mgmt.yaml');
  writeFileSync(cfg, `mgmt:\n  addresses: [${V4}/24]\n  candidates: [eth0, eth1]\n  gateway: { ipv4: 192.0.2.1 }\n  damping: { hold_down_ms: ${HOLD_DOWN_MS}, preempt_delay_ms: 86400000 }\n  announce: { count: 3, interval_ms: 20, refresh_ms: 0 }\n`);

  // Independent witnesses, started before the daemon.
  const garps: bigint[] = [];
  const cap = spawn(...withRt('ip', ['netns', 'exec', SW, 'tcpdump', '-i', 'br0', '-nn', '-l', '-tt', '--time-stamp-precision=nano', '-j', 'adapter_unsynced', `arp and arp[6:2] == 1 and arp[14:4] = arp[24:4] and arp[14:4] = 0xc000020a`]), { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(cap);
  lines(cap, (l) => {
    const m = /^(\d+)\.(\d{9})/.exec(l);
    if (m) garps.push(BigInt(m[1]!) * 1_000_000_000n + BigInt(m[2]!));
  });
  await new Promise<void>((r, j) => {
    cap.stderr!.setEncoding('utf8').on('data', (s: string) => (s.includes('listening on') ? r() : /error|unsupported/i.test(s) && j(new Error(s))));
  }).catch(async () => {
    // Older tcpdump without -j: fall back to the default timestamp source.
    cap.kill();
    throw new Error('tcpdump could not start with nanosecond timestamps');
  });
  const adds: { ns: bigint; dev: string }[] = [];
  const mon = spawn(...withRt('ip', ['-n', NODE, '-ts', 'monitor', 'address']), { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(mon);
  lines(mon, (l) => {
    // [2026-11-21T12:00:00.123456] 3: eth1    inet 192.0.2.10/24 ...
    const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\]\s+\d+: (\S+)\s+inet 192\.0\.2\.10\//.exec(l);
    if (!m || l.includes('Deleted')) return;
    const ms = Date.parse(`${m[1]}Z`);
    // ip -ts prints local time; the bench host runs in UTC (checked below).
    adds.push({ ns: BigInt(ms) * 1_000_000n + BigInt(m[2]!) * 1000n, dev: m[3]! });
  });
  if (new Date().getTimezoneOffset() !== 0 || (process.env.TZ && process.env.TZ !== 'UTC')) throw new Error('run with TZ=UTC: ip -ts prints local time');

  const cli = dev ? ['--import', 'tsx', join(ROOT, 'bin/dev.js')] : [join(ROOT, 'bin/run.js')];
  // The V8 flags of contrib/systemd/nodectl-mgmt.service (override with NODECTL_BENCH_NODE_FLAGS).
  const nodeFlags = benchNodeFlags();
  const daemon = spawn(...withRt(process.execPath, [...nodeFlags, ...cli, 'mgmt', 'run', '-n', NODE, '--config', cfg, '--state-file', join(dir, 's.json'), '--socket', join(dir, 's.sock')]), { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(daemon);
  let started = false;
  const timeline: Record<string, unknown>[] = [];
  let errBuf = '';
  daemon.stderr!.setEncoding('utf8').on('data', (s: string) => {
    if (s.includes('"event":"place"')) started = true;
    errBuf += s;
    let nl;
    while ((nl = errBuf.indexOf('\n')) >= 0) {
      try {
        timeline.push(JSON.parse(errBuf.slice(0, nl)) as Record<string, unknown>);
      } catch {
        // not JSON
      }
      errBuf = errBuf.slice(nl + 1);
    }
  });
  for (let i = 0; i < 600 && !started; i++) await sleep(50);
  if (!started) throw new Error('daemon did not place the address');
  await sleep(300);

  const sw = Handle.open({ netns: SW });
  const idx = [(await getLink(sw, 'p0')).index, (await getLink(sw, 'p1')).index];
  const toGarp: number[] = [];
  const t0s: bigint[] = [];
  const toAddr: number[] = [];
  let holder = 0;
  for (let t = 0; t < TRIALS; t++) {
    const backup = 1 - holder;
    const g0 = garps.length;
    const a0 = adds.length;
    const t0 = nowRealtimeNs();
    t0s.push(t0);
    await setLink(sw, idx[holder]!, { up: false });
    const deadline = Date.now() + 5000;
    while ((garps.length === g0 || !adds.slice(a0).some((a) => a.dev === `eth${backup}`)) && Date.now() < deadline) await sleep(1);
    const g = garps.slice(g0).find((x) => x > t0);
    const a = adds.slice(a0).find((x) => x.dev === `eth${backup}` && x.ns > t0 - 1_000_000n);
    if (g === undefined || a === undefined) {
      const rel = (x: bigint) => (Number(x - t0) / 1e6).toFixed(2);
      throw new Error(`trial ${t}: no ${g === undefined ? 'gratuitous ARP' : 'address on the backup'} within 5 s; GARPs since: [${garps.slice(g0).map(rel)}] adds since: [${adds.slice(a0).map((x) => `${x.dev}@${rel(x.ns)}`)}]; daemon timeline:\n${timeline.slice(-8).map((e) => JSON.stringify(e)).join('\n')}`);
    }
    toGarp.push(Number(g - t0) / 1e6);
    toAddr.push(Math.max(0, Number(a.ns - t0) / 1e6));
    await setLink(sw, idx[holder]!, { up: true });
    holder = backup;
    // Let the old holder pass its hold-down, so the next trial has a trusted backup, and the
    // rest of this move's burst go by.
    await sleep(HOLD_DOWN_MS + 80);
  }
  sw.close();
  const status = readFileSync(`/proc/${daemon.pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024;

  const row = (name: string, xs: number[]) => `${name.padEnd(40)} p50 ${pct(xs, 50).toFixed(2).padStart(7)} ms   p90 ${pct(xs, 90).toFixed(2).padStart(7)} ms   p99 ${pct(xs, 99).toFixed(2).padStart(7)} ms   max ${Math.max(...xs).toFixed(2).padStart(7)} ms`;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`failover bench: ${TRIALS} trials, daemon via ${dev ? 'bin/dev.js (tsx)' : 'bin/run.js (dist)'} ${nodeFlags.join(' ')}${rt.length ? ' (daemon, witnesses and bench under chrt -f 50)' : ''}, kernel ${sh('uname', '-r').trim()}, load average ${load}`);
  console.log(row('carrier drop -> address on backup', toAddr));
  console.log(row('carrier drop -> gratuitous ARP captured', toGarp));
  const moves = timeline.filter((e) => e.event === 'move');
  const react = moves.map((e) => Number(e.reactMs)).filter((x) => !Number.isNaN(x));
  const nl = moves.map((e) => Number(e.netlinkMs)).filter((x) => !Number.isNaN(x));
  const readAt = moves.map((e) => Number(e.eventReadAt)).filter((x) => !Number.isNaN(x) && x > 0);
  // Each trial's move is the first move whose notification was read after that trial's drop.
  const toRead = t0s.map((t0) => {
    const ms0 = Number(t0) / 1e6;
    const r = readAt.find((x) => x >= ms0);
    return r === undefined ? NaN : r - ms0;
  }).filter((x) => !Number.isNaN(x));
  if (toRead.length) console.log(row('  kernel: carrier drop -> notification read', toRead));
  if (react.length) console.log(row('  daemon: notification read -> move sent', react));
  if (nl.length) console.log(row('  daemon: move sent -> all acks (del/add/route)', nl));
  const fa = moves.map((e) => (e.firstAnnounceMs == null ? NaN : Number(e.firstAnnounceMs))).filter((x) => !Number.isNaN(x));
  if (fa.length) console.log(row('  daemon: move sent -> first announcement', fa));
  const anomalies = timeline.filter((e) => ['audit-mismatch', 'overrun', 'resync', 'announce-failed'].includes(String(e.event)) || e.failures);
  console.log(`daemon anomalies: ${anomalies.length}${anomalies.length ? ` (${anomalies.slice(0, 3).map((e) => JSON.stringify(e)).join(' ')})` : ''}`);
  console.log(`target p99 <= 10 ms: ${pct(toGarp, 99) <= 10 ? 'met' : 'NOT met'}`);
  console.log(`daemon RSS ${rss.toFixed(1)} MB (peak ${hwm.toFixed(1)} MB), target <= 60 MB: ${hwm <= 60 ? 'met' : 'NOT met'}`);
  console.log(`reference: keepalived takes over after 3 missed adverts (advert_int 1 s: ~3.6 s); ratio to p99 here: ${(3600 / pct(toGarp, 99)).toFixed(0)}x`);
  daemon.kill('SIGTERM');
}

main().then(() => process.exit(0), (err: Error) => {
  console.error(`bench failed: ${err.message}`);
  process.exit(1);
});
