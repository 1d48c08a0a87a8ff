// Failover on carrier loss, fail-back after hold-down + preempt delay, all candidates down then
// one back; the default route follows and gratuitous ARP / unsolicited NA reach the switch.
import { spawn } from 'node:child_process';
import { isRoot } from '../helpers/netns.js';
import {
  carrier, cli, defaultRouteDev, holder, makeLab, sleep, startDaemon, V4, V6, waitHolder, writeConfig, START_MS } from './failover-lab.js';
import { patient } from '../helpers/patience.js';
import { testIf } from '../helpers/require.js';

const root = isRoot();
const title = (s: string) => (root ? s : `${s} (skipped: needs root for network namespaces)`);

testIf('root')(title('carrier loss on the holder: addresses and default routes move to the backup, GARP and NA seen by the switch'), async (t) => {
  const lab = makeLab(t, 3);
  const d = startDaemon(t, lab, writeConfig(lab));
  await d.waitLog((e) => e.event === 'place', START_MS, 'first placement');
  t.is(await holder(lab), 'eth0');
  t.deepEqual(defaultRouteDev(lab, 4), ['eth0']);
  t.deepEqual(defaultRouteDev(lab, 6), ['eth0']);

  // An independent capture on the switch side of eth1, started before the failure.
  const cap = spawn('ip', ['netns', 'exec', lab.sw.name, 'tcpdump', '-i', 'p1', '-nn', '-l', '-e', 'arp or icmp6'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => cap.kill());
  let captured = '';
  cap.stdout.setEncoding('utf8').on('data', (s: string) => (captured += s));
  await new Promise<void>((r) => cap.stderr.setEncoding('utf8').on('data', (s: string) => s.includes('listening on') && r()));

  // The gateway knows the address at eth0's MAC; the announcements must make it learn eth1's.
  // (locktime 0: the kernel would otherwise ignore an update within 1 s of the last one.)
  const mac = (i: number) => lab.node.ipJson<{ address: string }[]>('link', 'show', `eth${i}`)[0]!.address;
  lab.sw.exec('sysctl', '-qw', 'net.ipv4.neigh.br0.locktime=0', 'net.ipv6.neigh.br0.locktime=0');
  lab.sw.ip('neigh', 'replace', V4, 'lladdr', mac(0), 'dev', 'br0', 'nud', 'stale');
  lab.sw.ip('neigh', 'replace', V6, 'lladdr', mac(0), 'dev', 'br0', 'nud', 'stale');
  await carrier(lab, 0, false);
  await waitHolder(lab, 'eth1');
  const move = await d.waitLog((e) => e.event === 'move', 10_000, 'move');
  t.is(move.from, 'eth0');
  t.is(move.to, 'eth1');
  t.regex(String(move.reason), /eth0 unhealthy \(no carrier\)/);
  t.deepEqual(defaultRouteDev(lab, 4), ['eth1']);
  t.deepEqual(defaultRouteDev(lab, 6), ['eth1']);
  const t0 = Date.now();
  while (Date.now() - t0 < 5000 && !(/Request who-has 192\.0\.2\.10 tell 192\.0\.2\.10/.test(captured) && /neighbor advertisement, tgt is 2001:db8::10/.test(captured))) await sleep(20);
  t.regex(captured, /Request who-has 192\.0\.2\.10 tell 192\.0\.2\.10/, 'gratuitous ARP on the backup path');
  t.regex(captured, /neighbor advertisement, tgt is 2001:db8::10/, 'unsolicited NA on the backup path');
  const gwNeigh = (a: string) => lab.sw.ipJson<{ lladdr?: string }[]>('neigh', 'show', a, 'dev', 'br0')[0]?.lladdr;
  t.is(gwNeigh(V4), mac(1), 'the gateway now reaches 192.0.2.10 through eth1');
  t.is(gwNeigh(V6), mac(1), 'the gateway now reaches 2001:db8::10 through eth1');

  const st = await cli(['mgmt', 'status', '--json', '--socket', d.socketPath, '--state-file', d.statePath]);
  t.is(st.code, 0, st.stderr);
  const s = JSON.parse(st.stdout) as { running: boolean; holder: string; counters: { moves: number }; candidates: { name: string; healthy: boolean; why: string }[] };
  t.true(s.running);
  t.is(s.holder, 'eth1');
  t.is(s.counters.moves, 1);
  t.deepEqual(s.candidates.map((c) => [c.name, c.healthy]), [['eth0', false], ['eth1', true], ['eth2', true]]);
  t.is(s.candidates[0]!.why, 'no carrier');
});

testIf('root')(title('fail-back waits for the hold-down and the preempt delay, then moves back once'), async (t) => {
  const lab = makeLab(t, 2);
  // long enough that the holder check below runs inside the window, however slow the machine
  const holdDownMs = patient(400);
  const preemptDelayMs = patient(800);
  const d = startDaemon(t, lab, writeConfig(lab, { holdDownMs, preemptDelayMs }));
  await d.waitLog((e) => e.event === 'place', START_MS, 'first placement');
  await carrier(lab, 0, false);
  await waitHolder(lab, 'eth1');
  await carrier(lab, 0, true);
  const hold = await d.waitLog((e) => e.event === 'health' && e.iface === 'eth0' && e.state === 'hold-down', 10_000, 'eth0 hold-down');
  t.is(await holder(lab), 'eth1', 'no move back while eth0 is in hold-down');
  const back = await d.waitLog((e) => e.event === 'move' && e.to === 'eth0', 15_000, 'move back');
  t.true(String(back.reason).includes(`preferred and has been healthy for the preempt delay (${preemptDelayMs} ms)`), String(back.reason));
  // The daemon's own clock: the move back came no earlier than hold-down + preempt delay after
  // eth0 came up (both instants as the daemon recorded them, in ms).
  const waited = Date.parse(String(back.ts)) - Date.parse(String(hold.upSince));
  t.true(waited >= holdDownMs + preemptDelayMs - 2, `moved back ${waited} ms after eth0 came up: ${JSON.stringify(hold)} ${JSON.stringify(back)}`);
  await waitHolder(lab, 'eth0');
  t.deepEqual(defaultRouteDev(lab, 4), ['eth0']);
  await sleep(300);
  t.is(d.logs.filter((e) => e.event === 'move').length, 2, 'one failover and one fail-back, nothing else');
});

testIf('root')(title('all candidates down: addresses stay parked; the first one back takes them after its hold-down'), async (t) => {
  const lab = makeLab(t, 3);
  const d = startDaemon(t, lab, writeConfig(lab, { holdDownMs: 300, preemptDelayMs: 60_000 }));
  await d.waitLog((e) => e.event === 'place', START_MS, 'first placement');
  // Backups first (no reason to move), then the holder: nowhere healthy to go.
  for (const i of [2, 1, 0]) await carrier(lab, i, false);
  await d.waitLog((e) => e.event === 'health' && e.iface === 'eth0' && e.state === 'down', 10_000, 'eth0 down');
  await sleep(200);
  // Parked on a dead interface is better than nowhere: it is already in place when eth0 returns.
  t.is(await holder(lab), 'eth0');
  t.is(d.logs.filter((e) => e.event === 'move').length, 0);
  await carrier(lab, 2, true);
  await waitHolder(lab, 'eth2');
  // the addresses are on eth2 (the kernel says so) a moment before the daemon's log line arrives
  const mv = await d.waitLog((e) => e.event === 'move', 10_000, 'move');
  t.regex(String(mv.reason), /eth0 unhealthy \(no carrier\); eth2 is the best healthy candidate/);
  t.deepEqual(defaultRouteDev(lab, 4), ['eth2']);
  // eth0 back: preferred, but the preempt delay (60 s) keeps the addresses on eth2.
  await carrier(lab, 0, true);
  await d.waitLog((e) => e.event === 'health' && e.iface === 'eth0' && e.state === 'healthy', 10_000, 'eth0 healthy');
  t.is(await holder(lab), 'eth2');
});

testIf('root')(title('mgmt move pins to an interface; --auto returns to priority order; bad targets refused'), async (t) => {
  const lab = makeLab(t, 2);
  const d = startDaemon(t, lab, writeConfig(lab, { holdDownMs: 200, preemptDelayMs: 300 }));
  await d.waitLog((e) => e.event === 'place', START_MS, 'first placement');
  const mv = await cli(['mgmt', 'move', 'eth1', '--socket', d.socketPath]);
  t.is(mv.code, 0, mv.stderr);
  t.regex(mv.stdout, /holder: eth1 \(pinned to eth1\)/);
  t.is(await holder(lab), 'eth1');
  await sleep(800);
  t.is(await holder(lab), 'eth1', 'no preemption while pinned');
  const bad = await cli(['mgmt', 'move', 'eth7', '--socket', d.socketPath]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /cannot move: eth7 is not a candidate \(candidates: eth0, eth1\)/);
  await carrier(lab, 0, false);
  const down = await cli(['mgmt', 'move', 'eth0', '--socket', d.socketPath, '--json']);
  t.is(down.code, 2);
  t.regex(JSON.parse(down.stdout).error.message as string, /eth0 is not usable: no carrier/);
  await carrier(lab, 0, true);
  const auto = await cli(['mgmt', 'move', '--auto', '--socket', d.socketPath]);
  t.is(auto.code, 0, auto.stderr);
  await waitHolder(lab, 'eth0');
  const none = await cli(['mgmt', 'move', 'eth0', '--socket', `${d.socketPath}.nope`]);
  t.is(none.code, 1);
  t.regex(none.stderr, /no failover daemon is running/);
});
