// The failover daemon's event intake (src/failover/kernel-view.ts) fed with the kernel's own
// notifications, not hand-made ones: what a real sequence of rtnetlink messages does to the
// machine's picture of where the management addresses and the default route are.
import { KernelView } from '../../src/failover/kernel-view.js';
import { parseMgmtConfig } from '../../src/config/mgmt-file.js';
import { routeFamilies } from '../../src/failover/config.js';
import { FailoverMachine } from '../../src/failover/state-machine.js';
import { listAddrs } from '../../src/netlink/addr.js';
import { Handle } from '../../src/netlink/handle.js';
import { listLinks } from '../../src/netlink/link.js';
import { type MonitorEvent, Monitor } from '../../src/netlink/monitor.js';
import { listRoutes } from '../../src/netlink/route.js';
import { netnsFor, waitLowerUp } from '../helpers/netns.js';
import { waitUntil } from '../helpers/patience.js';
import { testIf } from '../helpers/require.js';

testIf('root')('a candidate released from its bridge keeps its management address and default route in the failover picture (the AF_BRIDGE RTM_DELLINK is not a deletion)', async (t) => {
  const ns = netnsFor(t);
  // eth1, the holder, is a port of br0 (carrying an address itself, as a port may); eth2 the spare
  ns.ip('link', 'add', 'br0', 'type', 'bridge');
  for (const n of ['eth1', 'eth2']) {
    ns.ip('link', 'add', n, 'type', 'veth', 'peer', 'name', `${n}p`);
    ns.ip('link', 'set', `${n}p`, 'up');
    ns.ip('link', 'set', n, 'up');
  }
  ns.ip('link', 'set', 'eth1', 'master', 'br0');
  ns.ip('link', 'set', 'br0', 'up');
  await waitLowerUp(ns, ['eth1', 'eth2']);
  ns.ip('addr', 'add', '192.0.2.10/24', 'dev', 'eth1');
  ns.ip('route', 'add', 'default', 'via', '192.0.2.1', 'dev', 'eth1');
  const config = parseMgmtConfig('mgmt:\n  addresses: [192.0.2.10/24]\n  candidates: [eth1, eth2]\n  gateway: { ipv4: 192.0.2.1 }\n  announce: { count: 3, interval_ms: 100, refresh_ms: 0 }\n');
  const machine = new FailoverMachine({
    candidates: config.candidates, addresses: config.addresses, routeFamilies: routeFamilies(config),
    holdDownMs: config.holdDownMs, preemptDelayMs: config.preemptDelayMs, preempt: config.preempt,
    probe: null, ndpProbe: null, announce: config.announce,
  });
  const view = new KernelView(config, machine, () => {});
  // subscribe before the dump, as the daemon does
  const mon = Monitor.open({ netns: ns.name, groups: ['link', 'addr', 'route'] });
  t.teardown(() => mon.close());
  const events: MonitorEvent[] = [];
  mon.on('event', (e: MonitorEvent) => events.push(e));
  const h = Handle.open({ netns: ns.name });
  t.teardown(() => h.close());
  view.load(0, await listLinks(h), await listAddrs(h), await listRoutes(h));
  const where = (): string => JSON.stringify([...machine.where()]);
  const picture = where();
  t.is(picture, JSON.stringify([['4/192.0.2.10', [{ ifname: 'eth1', prefixlen: 24 }]]]));
  t.deepEqual(machine.decide(0).decisions, [], 'nothing to do once loaded');

  events.length = 0;
  ns.ip('link', 'set', 'eth1', 'nomaster');
  // the bridge says the port is gone (RTM_DELLINK, AF_BRIDGE), then the link itself is
  // announced without its master (RTM_NEWLINK, AF_UNSPEC)
  const eth1 = ns.ipJson<{ ifindex: number }[]>('link', 'show', 'eth1')[0]!.ifindex;
  const sawRelease = (): boolean => events.some((e) => e.type === 'link' && e.action === 'new' && e.family === undefined && e.link?.index === eth1 && e.link.masterIndex === null);
  await waitUntil(sawRelease, () => `no RTM_NEWLINK of eth1 without a master among ${events.length} events`);
  t.true(events.some((e) => e.type === 'link' && e.action === 'del' && e.family === 'bridge' && e.link?.index === eth1), 'the kernel sent the AF_BRIDGE RTM_DELLINK');
  for (const [i, e] of events.entries()) {
    const r = view.apply(1 + i, e);
    t.is(r.resync, undefined, `event ${i} (${e.type} ${e.action}${e.family ? ` ${e.family}` : ''}) asked for a resync: ${r.resync}`);
  }
  t.is(where(), picture, 'the address is still on eth1');
  t.deepEqual(machine.decide(1000).decisions.map((d) => `${d.kind}: ${d.reason}`), [], 'and nothing to do: eth1 never went away');
});
