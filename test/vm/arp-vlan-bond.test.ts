// ARP probes and announcements through stacked interfaces the host kernel lacks (VLAN, bond):
// the packet socket is bound to the upper device, so frames must leave tagged (VLAN) or
// through the active slave with the bond's MAC (bond). Oracles: tcpdump/tshark on the peer's
// lower device, the peer kernel's ARP answers, ip -j link for MACs. Runs in the VM only.
import { type ExecutionContext } from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { announce } from '../../src/arp/announce.js';
import { setArpPolicy } from '../../src/arp/policy.js';
import { arpProbe } from '../../src/arp/probe.js';
import { capture } from '../helpers/capture.js';
import { netnsFor, type Netns } from '../helpers/netns.js';
import { testIf } from '../helpers/require.js';

function macOf(ns: Netns, dev: string): string {
  return ns.ipJson<Array<{ address: string }>>('link', 'show', 'dev', dev)[0]!.address;
}

async function waitUp(ns: Netns, dev: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (ns.ipJson<Array<{ operstate: string }>>('link', 'show', 'dev', dev)[0]?.operstate === 'UP') return;
    await sleep(20);
  }
  throw new Error(`${dev} in ${ns.name} did not come up`);
}

function vlanPair(t: ExecutionContext): { a: Netns; b: Netns } {
  const a = netnsFor(t);
  const b = netnsFor(t);
  a.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', b.name);
  a.ip('link', 'add', 'link', 'va', 'name', 'va.100', 'type', 'vlan', 'id', '100');
  b.ip('link', 'add', 'link', 'vb', 'name', 'vb.100', 'type', 'vlan', 'id', '100');
  a.ip('addr', 'add', '192.0.2.1/24', 'dev', 'va.100');
  b.ip('addr', 'add', '192.0.2.2/24', 'dev', 'vb.100');
  for (const [ns, dev] of [[a, 'va'], [a, 'va.100'], [b, 'vb'], [b, 'vb.100']] as const) ns.ip('link', 'set', dev, 'up');
  return { a, b };
}

const field = (layers: Record<string, Record<string, unknown>>, layer: string, name: string): unknown => {
  const walk = (o: Record<string, unknown> | undefined): unknown => {
    if (!o) return undefined;
    if (name in o) return o[name];
    for (const v of Object.values(o)) {
      if (v && typeof v === 'object') {
        const r = walk(v as Record<string, unknown>);
        if (r !== undefined) return r;
      }
    }
    return undefined;
  };
  return walk(layers[layer]);
};

testIf('vm', 'vlan')('VLAN: the probe through va.100 is answered by the peer\'s VLAN interface; untagged va gets no answer', async (t) => {
  const { a, b } = vlanPair(t);
  await waitUp(a, 'va.100');
  const r = await arpProbe({ netns: a.name, ifname: 'va.100', target: '192.0.2.2', timeoutMs: 2000, count: 3 });
  t.is(r.reply?.mac, macOf(b, 'vb.100'));
  t.is(r.source, '192.0.2.1');
  // The same target out of the untagged lower device: B's kernel answers there too (it
  // replies for any local address on any interface: ARP flux) until arp_ignore=1 on vb.
  const flux = await arpProbe({ netns: a.name, ifname: 'va', target: '192.0.2.2', timeoutMs: 2000, count: 3 });
  t.is(flux.reply?.mac, macOf(b, 'vb'), 'arp_ignore=0: vb answers for vb.100\'s address');
  await setArpPolicy({ netns: b.name }, 'vb', { arp_ignore: 1 });
  const untagged = await arpProbe({ netns: a.name, ifname: 'va', target: '192.0.2.2', timeoutMs: 500, count: 2 });
  t.is(untagged.reply, null, 'arp_ignore=1: only vb.100 answers, and it never sees untagged frames');
});

testIf('vm', 'vlan')('VLAN: an announcement on va.100 leaves tagged with VLAN 100', async (t) => {
  const { a, b } = vlanPair(t);
  await waitUp(b, 'vb');
  // No kernel filter: libpcap's "vlan" keyword and VLAN acceleration do not mix on every
  // version; tshark sees the tag that libpcap restores from the packet auxdata.
  // (a count, not a short timeout, ends the capture: under emulation tcpdump lags seconds)
  const cap = capture(b, 'vb', `ether src ${macOf(a, 'va.100')}`, 12, 60_000);
  await cap.ready;
  await announce({ netns: a.name }, { ifname: 'va.100', address: '192.0.2.1', count: 12, intervalMs: 50 });
  const frames = await cap.done;
  t.log(`captured: ${frames.map((x) => String(field(x, 'frame', 'frame.protocols'))).join(', ')} (${cap.info()})`);
  const f = frames.find((x) => x.arp);
  t.truthy(f, 'an ARP frame was captured on the lower device');
  if (!f) return;
  t.is(field(f, 'vlan', 'vlan.id'), '100');
  t.is(field(f, 'arp', 'arp.opcode'), '1');
  t.is(field(f, 'arp', 'arp.src.proto_ipv4'), '192.0.2.1');
  t.is(field(f, 'arp', 'arp.dst.proto_ipv4'), '192.0.2.1');
  t.is(field(f, 'eth', 'eth.dst'), 'ff:ff:ff:ff:ff:ff');
});

testIf('vm', 'bond')('bond (active-backup): probe and announcement go through the active slave with the bond\'s MAC', async (t) => {
  const a = netnsFor(t);
  const b = netnsFor(t);
  a.ip('link', 'add', 'bond0', 'type', 'bond', 'mode', 'active-backup', 'miimon', '100');
  a.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', b.name);
  a.ip('link', 'set', 'va', 'master', 'bond0');
  a.ip('addr', 'add', '192.0.2.1/24', 'dev', 'bond0');
  b.ip('addr', 'add', '192.0.2.2/24', 'dev', 'vb');
  a.ip('link', 'set', 'bond0', 'up');
  a.ip('link', 'set', 'va', 'up');
  b.ip('link', 'set', 'vb', 'up');
  await waitUp(a, 'bond0');
  const bondMac = macOf(a, 'bond0');
  const r = await arpProbe({ netns: a.name, ifname: 'bond0', target: '192.0.2.2', timeoutMs: 2000, count: 3 });
  t.is(r.reply?.mac, macOf(b, 'vb'));
  t.is(r.mac, bondMac);
  // reply-style, because the bond itself sends request-style gratuitous ARP on slave changes
  const cap = capture(b, 'vb', 'arp', 3, 60_000);
  await cap.ready;
  await announce({ netns: a.name }, { ifname: 'bond0', address: '192.0.2.1', count: 3, intervalMs: 50, mode: 'reply' });
  const frames = await cap.done;
  t.log(`captured: ${frames.map((x) => `${String(field(x, 'eth', 'eth.src'))} op ${String(field(x, 'arp', 'arp.opcode'))}`).join(', ')} (${cap.info()})`);
  const f = frames.find((x) => field(x, 'arp', 'arp.opcode') === '2' && field(x, 'arp', 'arp.src.proto_ipv4') === '192.0.2.1');
  t.truthy(f, 'our reply-style announcement reached the peer');
  if (!f) return;
  t.is(field(f, 'arp', 'arp.src.hw_mac'), bondMac);
  t.is(field(f, 'arp', 'arp.dst.hw_mac'), bondMac);
  t.is(field(f, 'arp', 'arp.src.proto_ipv4'), '192.0.2.1');
});
