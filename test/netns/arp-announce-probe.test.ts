// Gratuitous ARP / unsolicited NA and ARP probes on veth pairs between namespaces. Oracles: a
// tcpdump capture in the peer namespace decoded by tshark (every field of the frames), and the
// peer kernel's neighbour table (it must update an existing entry to our MAC).
import { type ExecutionContext } from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { announce } from '../../src/arp/announce.js';
import { buildArp, buildGratuitousArp } from '../../src/arp/frames.js';
import { OPERATIONAL_WAIT_MS } from '../../src/arp/operational.js';
import { arpProbe } from '../../src/arp/probe.js';
import { NotFoundError, StateError, UsageError } from '../../src/errors.js';
import { withHandle } from '../../src/netlink/handle.js';
import { getLink, setLink } from '../../src/netlink/link.js';
import { PacketSocket } from '../../src/netlink/packet.js';
import { capture } from '../helpers/capture.js';
import { netnsFor, type Netns } from '../helpers/netns.js';
import { patient } from '../helpers/patience.js';
import { testIf } from '../helpers/require.js';

const t0 = testIf('root', 'cmd:tcpdump', 'cmd:tshark');

const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';
const mac = (s: string): Buffer => Buffer.from(s.replace(/:/g, ''), 'hex');
const ip4 = (s: string): Buffer => Buffer.from(s.split('.').map(Number));

/**
 * A (va 192.0.2.1, 2001:db8::1) ⟷ B (vb 192.0.2.2, 2001:db8::2), both operationally up: until
 * the kernel's link watcher has run, a veth still has its no-op qdisc and silently drops what
 * is sent (seen under emulation, where the watcher runs late: 1 of 3 announcements arrived).
 */
async function pair(t: ExecutionContext): Promise<{ a: Netns; b: Netns }> {
  const a = netnsFor(t);
  const b = netnsFor(t);
  a.ip('link', 'add', 'va', 'address', MAC_A, 'type', 'veth', 'peer', 'name', 'vb', 'address', MAC_B, 'netns', b.name);
  a.ip('addr', 'add', '192.0.2.1/24', 'dev', 'va');
  a.ip('addr', 'add', '2001:db8::1/64', 'dev', 'va', 'nodad');
  b.ip('addr', 'add', '192.0.2.2/24', 'dev', 'vb');
  b.ip('addr', 'add', '2001:db8::2/64', 'dev', 'vb', 'nodad');
  a.ip('link', 'set', 'va', 'up');
  b.ip('link', 'set', 'vb', 'up');
  await linkUp(a, 'va');
  await linkUp(b, 'vb');
  return { a, b };
}

/** Wait until the kernel reports the link operationally up (IPv6 ignores input before that). */
async function linkUp(ns: Netns, dev: string): Promise<void> {
  // generous: under emulation the link watcher can lag by seconds
  const deadline = Date.now() + patient(30_000);
  while (Date.now() < deadline) {
    if (ns.ipJson<Array<{ operstate: string }>>('link', 'show', 'dev', dev)[0]?.operstate === 'UP') return;
    await sleep(20);
  }
  throw new Error(`${dev} in ${ns.name} did not come up within 30 s`);
}

function neighMac(ns: Netns, address: string, dev: string): string | undefined {
  return ns.ipJson<Array<{ lladdr?: string }>>('neigh', 'show', address, 'dev', dev)[0]?.lladdr;
}

const field = (layers: Record<string, Record<string, unknown>>, layer: string, name: string): unknown => {
  const l = layers[layer];
  if (!l) return undefined;
  const walk = (o: Record<string, unknown>): unknown => {
    if (name in o) return o[name];
    for (const v of Object.values(o)) {
      if (v && typeof v === 'object') {
        const r = walk(v as Record<string, unknown>);
        if (r !== undefined) return r;
      }
    }
    return undefined;
  };
  return walk(l);
};

t0('IPv4 announcement: broadcast requests with sender = target = ADDRESS, zero target MAC; the peer updates its entry', async (t) => {
  const { a, b } = await pair(t);
  b.ip('neigh', 'add', '192.0.2.1', 'lladdr', '02:00:00:00:00:99', 'dev', 'vb', 'nud', 'stale');
  const cap = capture(b, 'vb', `arp and ether src ${MAC_A}`, 3);
  await cap.ready;
  const r = await announce({ netns: a.name }, { ifname: 'va', address: '192.0.2.1', count: 3, intervalMs: 20 });
  t.like(r, { ifname: 'va', mac: MAC_A, family: 4, kind: 'arp-request', sent: 3 });
  const frames = await cap.done;
  t.is(frames.length, 3);
  for (const f of frames) {
    t.is(field(f, 'eth', 'eth.dst'), 'ff:ff:ff:ff:ff:ff');
    t.is(field(f, 'eth', 'eth.src'), MAC_A);
    t.is(field(f, 'arp', 'arp.opcode'), '1');
    t.is(field(f, 'arp', 'arp.src.hw_mac'), MAC_A);
    t.is(field(f, 'arp', 'arp.src.proto_ipv4'), '192.0.2.1');
    t.is(field(f, 'arp', 'arp.dst.hw_mac'), '00:00:00:00:00:00');
    t.is(field(f, 'arp', 'arp.dst.proto_ipv4'), '192.0.2.1');
    t.is(field(f, 'arp', 'arp.isannouncement'), '1');
  }
  t.is(neighMac(b, '192.0.2.1', 'vb'), MAC_A, 'the peer moved its entry to our MAC');
});

t0('IPv4 reply-style gratuitous ARP (arping -A): opcode 2, target MAC ours', async (t) => {
  const { a, b } = await pair(t);
  const cap = capture(b, 'vb', `arp and ether src ${MAC_A}`, 1);
  await cap.ready;
  await announce({ netns: a.name }, { ifname: 'va', address: '192.0.2.1', count: 1, mode: 'reply' });
  const [f] = await cap.done;
  t.is(field(f!, 'eth', 'eth.dst'), 'ff:ff:ff:ff:ff:ff');
  t.is(field(f!, 'arp', 'arp.opcode'), '2');
  t.is(field(f!, 'arp', 'arp.src.proto_ipv4'), '192.0.2.1');
  t.is(field(f!, 'arp', 'arp.dst.proto_ipv4'), '192.0.2.1');
  t.is(field(f!, 'arp', 'arp.dst.hw_mac'), MAC_A);
});

t0('IPv6 unsolicited NA: to ff02::1, hop limit 255, O flag, target option, valid checksum; the peer updates its entry', async (t) => {
  const { a, b } = await pair(t);
  b.ip('-6', 'neigh', 'add', '2001:db8::1', 'lladdr', '02:00:00:00:00:99', 'dev', 'vb', 'nud', 'stale');
  const cap = capture(b, 'vb', `icmp6 and ether src ${MAC_A} and ip6[40] == 136`, 1);
  await cap.ready;
  const r = await announce({ netns: a.name }, { ifname: 'va', address: '2001:db8::1', count: 1 });
  t.is(r.kind, 'unsolicited-na');
  const [f] = await cap.done;
  t.is(field(f!, 'eth', 'eth.dst'), '33:33:00:00:00:01');
  t.is(field(f!, 'ipv6', 'ipv6.src'), '2001:db8::1');
  t.is(field(f!, 'ipv6', 'ipv6.dst'), 'ff02::1');
  t.is(field(f!, 'ipv6', 'ipv6.hlim'), '255');
  t.is(field(f!, 'icmpv6', 'icmpv6.type'), '136');
  t.is(field(f!, 'icmpv6', 'icmpv6.checksum.status'), '1', 'tshark verified the checksum');
  t.is(field(f!, 'icmpv6', 'icmpv6.nd.na.flag.o'), '1');
  t.is(field(f!, 'icmpv6', 'icmpv6.nd.na.flag.s'), '0');
  t.is(field(f!, 'icmpv6', 'icmpv6.nd.na.flag.r'), '0');
  t.is(field(f!, 'icmpv6', 'icmpv6.nd.na.target_address'), '2001:db8::1');
  t.is(field(f!, 'icmpv6', 'icmpv6.opt.linkaddr'), MAC_A);
  for (let i = 0; i < 50 && neighMac(b, '2001:db8::1', 'vb') !== MAC_A; i++) await sleep(20);
  t.is(neighMac(b, '2001:db8::1', 'vb'), MAC_A);
});

t0('announce bad input: unknown interface, foreign address, bad count — an error and no frame sent', async (t) => {
  const { a, b } = await pair(t);
  const cap = capture(b, 'vb', `ether src ${MAC_A} and (arp or (icmp6 and ip6[40] == 136))`, 1, 1500);
  await cap.ready;
  await t.throwsAsync(announce({ netns: a.name }, { ifname: 'nope0', address: '192.0.2.1' }), { instanceOf: NotFoundError });
  await t.throwsAsync(announce({ netns: a.name }, { ifname: 'va', address: '192.0.2.2' }), { instanceOf: UsageError, message: /192\.0\.2\.2 is not configured on va/ });
  await t.throwsAsync(announce({ netns: a.name }, { ifname: 'va', address: '192.0.2.1', count: 0 }), { instanceOf: UsageError, message: /count must be/ });
  await t.throwsAsync(announce({ netns: a.name }, { ifname: 'va', address: '192.0.2.x' }), { instanceOf: UsageError });
  await t.throwsAsync(announce({ netns: a.name }, { ifname: 'lo', address: '127.0.0.1' }), { instanceOf: UsageError, message: /lo does not do ARP/ });
  t.deepEqual(await cap.done, []);
});

/** va (a, 192.0.2.1) ⟷ vb (b) with vb still down: va is up but has no carrier yet. */
function halfUp(t: ExecutionContext): { a: Netns; b: Netns } {
  const a = netnsFor(t);
  const b = netnsFor(t);
  a.ip('link', 'add', 'va', 'address', MAC_A, 'type', 'veth', 'peer', 'name', 'vb', 'address', MAC_B, 'netns', b.name);
  a.ip('addr', 'add', '192.0.2.1/24', 'dev', 'va');
  a.ip('link', 'set', 'va', 'up');
  return { a, b };
}

// A tap on va sees what va really transmits: frames dropped by its no-op qdisc never reach it.
t0('announce on a link that is only just coming up waits for it: every frame leaves', async (t) => {
  const { a, b } = halfUp(t);
  const cap = capture(a, 'va', `arp and ether src ${MAC_A}`, 3);
  await cap.ready;
  // announce's wait for the link, stretched like the test's own (a TCG guest at load 9 took longer than 3 s)
  const sent = announce({ netns: a.name }, { ifname: 'va', address: '192.0.2.1', count: 3, intervalMs: 0, settleMs: patient(OPERATIONAL_WAIT_MS) });
  await sleep(200);
  // in-process, not by starting ip: on a loaded machine starting a process can take a good part
  // of announce's 3 s wait for the link
  await withHandle({ netns: b.name }, async (h) => setLink(h, (await getLink(h, 'vb')).index, { up: true }));
  t.is((await sent).sent, 3);
  t.is((await cap.done).length, 3, 'each announcement left va: none went to its no-op qdisc before the link watcher ran');
});

t0('announce and probe on a link that is down or never gets carrier: a state error, nothing sent', async (t) => {
  const { a } = halfUp(t);
  const cap = capture(a, 'va', 'arp', 1, 1500);
  await cap.ready;
  await t.throwsAsync(announce({ netns: a.name }, { ifname: 'va', address: '192.0.2.1' }), { instanceOf: StateError, message: /va is not operational \(\w+, no carrier\)/ });
  await t.throwsAsync(arpProbe({ netns: a.name, ifname: 'va', target: '192.0.2.2', settleMs: 100 }), { instanceOf: StateError, message: /va is not operational/ });
  t.deepEqual(await cap.done, []);
  a.ip('link', 'set', 'va', 'down');
  await t.throwsAsync(announce({ netns: a.name }, { ifname: 'va', address: '192.0.2.1' }), { instanceOf: StateError, message: /va is down/ });
  await t.throwsAsync(arpProbe({ netns: a.name, ifname: 'va', target: '192.0.2.2' }), { instanceOf: StateError, message: /va is down/ });
});

t0('probe: the peer\'s validated reply with its MAC and an RTT', async (t) => {
  const { a } = await pair(t);
  const r = await arpProbe({ netns: a.name, ifname: 'va', target: '192.0.2.2', timeoutMs: patient(1000), count: 3 });
  t.truthy(r.reply);
  t.is(r.reply!.mac, MAC_B);
  t.true(r.reply!.rttMs > 0);
  t.is(r.tries, 1);
  t.is(r.source, '192.0.2.1');
  t.is(r.mac, MAC_A);
});

t0('probe: no host → null after exactly N tries', async (t) => {
  const { a } = await pair(t);
  const r = await arpProbe({ netns: a.name, ifname: 'va', target: '192.0.2.3', timeoutMs: 150, count: 2 });
  t.is(r.reply, null);
  t.is(r.tries, 2);
});

t0('probe asks out of the given interface only, whatever the routes say', async (t) => {
  const { a } = await pair(t);
  // D sits behind a second interface of A (no IPv4 there) and also owns 192.0.2.2
  const d = netnsFor(t);
  const MAC_D = '02:00:00:00:00:0d';
  a.ip('link', 'add', 'vx', 'type', 'veth', 'peer', 'name', 'vd', 'address', MAC_D, 'netns', d.name);
  a.ip('link', 'set', 'vx', 'up');
  d.ip('addr', 'add', '192.0.2.2/24', 'dev', 'vd');
  d.ip('link', 'set', 'vd', 'up');
  const viaX = await arpProbe({ netns: a.name, ifname: 'vx', target: '192.0.2.2', timeoutMs: patient(1000), count: 2 });
  t.is(viaX.source, '0.0.0.0', 'no address on vx: an RFC 5227 probe');
  t.is(viaX.reply?.mac, MAC_D);
  const viaA = await arpProbe({ netns: a.name, ifname: 'va', target: '192.0.2.2', timeoutMs: patient(1000), count: 2 });
  t.is(viaA.reply?.mac, MAC_B);
});

t0('probe: gratuitous and misaddressed ARP from a third host never count as a reply', async (t) => {
  // A ⟷ [bridge in B] ⟷ C, where C forges ARP about a TARGET nobody has
  const a = netnsFor(t);
  const b = netnsFor(t);
  const c = netnsFor(t);
  const MAC_C = '02:00:00:00:00:0c';
  a.ip('link', 'add', 'va', 'address', MAC_A, 'type', 'veth', 'peer', 'name', 'pa', 'netns', b.name);
  c.ip('link', 'add', 'vc', 'address', MAC_C, 'type', 'veth', 'peer', 'name', 'pc', 'netns', b.name);
  b.ip('link', 'add', 'br0', 'type', 'bridge');
  b.ip('link', 'set', 'pa', 'master', 'br0', 'up');
  b.ip('link', 'set', 'pc', 'master', 'br0', 'up');
  b.ip('link', 'set', 'br0', 'up');
  a.ip('addr', 'add', '192.0.2.1/24', 'dev', 'va');
  a.ip('link', 'set', 'va', 'up');
  c.ip('link', 'set', 'vc', 'up');
  const target = '192.0.2.99';
  const forged = [
    buildGratuitousArp(mac(MAC_C), ip4(target), 'request'),
    buildGratuitousArp(mac(MAC_C), ip4(target), 'reply'),
    // a reply from TARGET, but to another host
    buildArp({ dst: mac('02:00:00:00:00:50'), src: mac(MAC_C), op: 2, senderMac: mac(MAC_C), senderIp: ip4(target), targetMac: mac('02:00:00:00:00:50'), targetIp: ip4('192.0.2.50') }),
    // our IP as target but broadcast, with somebody else's MAC as target MAC
    buildArp({ dst: mac('ffffffffffff'), src: mac(MAC_C), op: 2, senderMac: mac(MAC_C), senderIp: ip4(target), targetMac: mac('02:00:00:00:00:50'), targetIp: ip4('192.0.2.1') }),
    // a request from TARGET asking for us (a request is never a reply)
    buildArp({ dst: mac(MAC_A), src: mac(MAC_C), op: 1, senderMac: mac(MAC_C), senderIp: ip4(target), targetMac: mac(MAC_A), targetIp: ip4('192.0.2.1') }),
  ];
  const forger = PacketSocket.open({ netns: c.name, ifname: 'vc', protocol: 0 });
  t.teardown(() => forger.close());
  const flood = setInterval(() => {
    for (const f of forged) forger.send(f);
  }, 20);
  t.teardown(() => clearInterval(flood));
  const r = await arpProbe({ netns: a.name, ifname: 'va', target, timeoutMs: 300, count: 2 });
  t.is(r.reply, null, 'forged frames were not taken as a reply');
  t.is(r.tries, 2);
  t.true(r.ignored >= forged.length, `the forged frames did reach the prober (ignored ${r.ignored})`);
  // control: a reply addressed exactly like the answer to our request is accepted, so the
  // negative result above is the validation at work and not a deaf socket
  clearInterval(flood);
  const proper = buildArp({ dst: mac(MAC_A), src: mac(MAC_C), op: 2, senderMac: mac(MAC_C), senderIp: ip4(target), targetMac: mac(MAC_A), targetIp: ip4('192.0.2.1') });
  const answer = setInterval(() => forger.send(proper), 20);
  t.teardown(() => clearInterval(answer));
  const ok = await arpProbe({ netns: a.name, ifname: 'va', target, timeoutMs: patient(300), count: 3 });
  clearInterval(answer);
  t.is(ok.reply?.mac, MAC_C);
});

t0('probe bad input: unknown interface, IPv6 target, own address', async (t) => {
  const { a } = await pair(t);
  await t.throwsAsync(arpProbe({ netns: a.name, ifname: 'nope0', target: '192.0.2.2' }), { instanceOf: NotFoundError });
  await t.throwsAsync(arpProbe({ netns: a.name, ifname: 'va', target: '2001:db8::2' }), { instanceOf: UsageError, message: /not an IPv4 address/ });
  await t.throwsAsync(arpProbe({ netns: a.name, ifname: 'va', target: '192.0.2.1' }), { instanceOf: UsageError, message: /address of va itself/ });
  await t.throwsAsync(arpProbe({ netns: a.name, ifname: 'va', target: '192.0.2.2', count: 0 }), { instanceOf: UsageError });
  // A down interface that cannot do ARP: the bad interface is the error, as in announce.
  a.ip('link', 'set', 'lo', 'down');
  await t.throwsAsync(arpProbe({ netns: a.name, ifname: 'lo', target: '127.0.0.2' }), { instanceOf: UsageError, message: /lo does not do ARP/ });
});
