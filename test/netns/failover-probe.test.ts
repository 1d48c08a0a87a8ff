// Health beyond carrier: the gateway stops answering ARP on the holder's path while the link
// stays up (the switch port is cut off from the bridge but kept up), and comes back.
import { isRoot } from '../helpers/netns.js';
import { defaultRouteDev, holder, makeLab, startDaemon, waitHolder, writeConfig, START_MS } from './failover-lab.js';
import { testIf } from '../helpers/require.js';

const root = isRoot();

testIf('root')(root ? 'gateway silent on the holder path with carrier up: moves after the allowed misses, back after recovery' : 'ARP probe failover (skipped: needs root)', async (t) => {
  const lab = makeLab(t, 2);
  const d = startDaemon(t, lab, writeConfig(lab, { holdDownMs: 300, preemptDelayMs: 300, probe: { intervalMs: 100, allowedMisses: 2 } }));
  await d.waitLog((e) => e.event === 'place', START_MS, 'first placement');
  t.is(await holder(lab), 'eth0');

  // Cut p0 off from the bridge (and so from the gateway) but keep it up: eth0 keeps its carrier.
  // NOARP on p0 too: otherwise the switch's own stack answers for 192.0.2.1 on p0 (Linux
  // replies for any local address on any interface by default).
  lab.sw.ip('link', 'set', 'p0', 'nomaster', 'arp', 'off');
  const move = await d.waitLog((e) => e.event === 'move', 15_000, 'move on probe failure');
  t.is(move.to, 'eth1');
  t.regex(String(move.reason), /eth0 unhealthy \(gateway not answering ARP \(3 consecutive misses\)\)/);
  const link = lab.node.ipJson<{ flags: string[]; operstate: string }[]>('link', 'show', 'eth0')[0]!;
  t.true(link.flags.includes('LOWER_UP'), 'carrier stayed up on eth0');
  t.is(link.operstate, 'UP');
  await waitHolder(lab, 'eth1');
  t.deepEqual(defaultRouteDev(lab, 4), ['eth1']);

  lab.sw.ip('link', 'set', 'p0', 'arp', 'on', 'master', 'br0');
  const healthy = await d.waitLog((e) => e.event === 'health' && e.iface === 'eth0' && e.state === 'healthy', 15_000, 'eth0 healthy again');
  t.regex(String(healthy.why), /gateway answers ARP/);
  await waitHolder(lab, 'eth0');
  // the kernel shows the move a moment before the daemon's log line arrives
  const backMove = await d.waitLog((e) => e.event === 'move' && e.to === 'eth0', 10_000, 'move back');
  t.regex(String(backMove.reason), /preferred/);
  t.is(d.logs.filter((e) => e.event === 'move').length, 2);
});
