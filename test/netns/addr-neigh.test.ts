// Addresses and neighbours through src/netlink/{addr,neigh}.ts, with `ip -j addr` / `ip -j neigh` as oracle.
import { NetlinkError, UsageError } from '../../src/errors.js';
import { Handle } from '../../src/netlink/handle.js';
import { addAddr, delAddr, listAddrs } from '../../src/netlink/addr.js';
import { getLink } from '../../src/netlink/link.js';
import { addNeigh, delNeigh, listNeighs } from '../../src/netlink/neigh.js';
import { addrKey, compareAddr, compareNeigh, flattenIpAddrs, type IpAddrLink, type IpNeigh } from '../helpers/ip-oracle.js';
import { type Netns, netnsFor, rootTitle } from '../helpers/netns.js';
import { patient } from '../helpers/patience.js';
import { testIf } from '../helpers/require.js';

const title = rootTitle;

function pair(ns: Netns): void {
  ns.ip('link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'a1');
  ns.ip('link', 'set', 'a0', 'up');
  ns.ip('link', 'set', 'a1', 'up');
}

/**
 * Our read, with ip's read of the same moment: the kernel adds and ages entries of its own while
 * links come up (multicast neighbours of IPv6's router solicitations and MLD reports, reachable
 * entries going stale), so only a read that ip's reads before and after agree on is compared.
 */
async function stableRead<I, O>(ipRead: () => I, oursRead: () => Promise<O>): Promise<{ ours: O; ip: I }> {
  const deadline = Date.now() + patient(15_000);
  for (;;) {
    const before = JSON.stringify(ipRead());
    const ours = await oursRead();
    const ip = ipRead();
    if (JSON.stringify(ip) === before || Date.now() > deadline) return { ours, ip };
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function compareAddrs(t: { deepEqual: (a: unknown, b: unknown, m?: string) => void; is: (a: unknown, b: unknown, m?: string) => void }, ns: Netns, h: Handle): Promise<void> {
  const read = await stableRead(() => ns.ipJson<IpAddrLink[]>('addr', 'show'), () => listAddrs(h));
  const ours = read.ours;
  const ip = flattenIpAddrs(read.ip);
  t.is(ours.length, ip.length, 'same number of addresses');
  t.deepEqual(ip.flatMap((a) => {
    const o = ours.find((x) => addrKey({ ...x, local: x.address }) === addrKey(a));
    return o ? compareAddr(o, a) : [`${addrKey(a)} missing`];
  }), []);
}

testIf('root')(title('listAddrs agrees with ip -j addr; addAddr/delAddr as iproute2 sees them'), async (t) => {
  const ns = netnsFor(t);
  pair(ns);
  ns.ip('addr', 'add', '192.0.2.1/24', 'brd', '+', 'dev', 'a0');
  ns.ip('addr', 'add', '192.0.2.7/24', 'dev', 'a0', 'label', 'a0:vip');
  ns.ip('addr', 'add', '10.0.0.1', 'peer', '10.0.0.2/32', 'dev', 'a1');
  ns.ip('addr', 'add', '2001:db8:1::1/64', 'dev', 'a0', 'nodad');
  const h = Handle.open({ netns: ns.name });
  t.teardown(() => h.close());
  await compareAddrs(t, ns, h);

  const a1 = (await getLink(h, 'a1')).index;
  await addAddr(h, { ifindex: a1, address: '198.51.100.5', prefixlen: 25, broadcast: '+', label: 'a1:x' });
  await addAddr(h, { ifindex: a1, address: '2001:db8:2::5', prefixlen: 80, nodad: true });
  const ip = flattenIpAddrs(ns.ipJson<IpAddrLink[]>('addr', 'show', 'dev', 'a1'));
  t.like(ip.find((a) => a.local === '198.51.100.5'), { prefixlen: 25, broadcast: '198.51.100.127', label: 'a1:x' });
  t.like(ip.find((a) => a.local === '2001:db8:2::5'), { prefixlen: 80, nodad: true });
  await compareAddrs(t, ns, h);
  t.deepEqual((await listAddrs(h, { ifindex: a1, family: 6 })).map((a) => a.address).filter((a) => !a.startsWith('fe80')), ['2001:db8:2::5']);

  const dup = await t.throwsAsync(addAddr(h, { ifindex: a1, address: '198.51.100.5', prefixlen: 25 }));
  t.like(dup as NetlinkError, { errno: 'EEXIST', op: 'RTM_NEWADDR' });
  await t.throwsAsync(addAddr(h, { ifindex: a1, address: '198.51.100.500', prefixlen: 24 }), { instanceOf: UsageError });
  await t.throwsAsync(addAddr(h, { ifindex: a1, address: '198.51.100.9', prefixlen: 33 }), { instanceOf: UsageError });

  await delAddr(h, { ifindex: a1, address: '198.51.100.5', prefixlen: 25 });
  await delAddr(h, { ifindex: a1, address: '2001:db8:2::5', prefixlen: 80 });
  t.false(flattenIpAddrs(ns.ipJson<IpAddrLink[]>('addr', 'show', 'dev', 'a1')).some((a) => a.local === '198.51.100.5' || a.local === '2001:db8:2::5'));
  const gone = await t.throwsAsync(delAddr(h, { ifindex: a1, address: '198.51.100.5', prefixlen: 25 }));
  t.like(gone as NetlinkError, { op: 'RTM_DELADDR', errno: 'EADDRNOTAVAIL' });
});

testIf('root')(title('listNeighs agrees with ip -j neigh show nud all; addNeigh replaces, delNeigh removes'), async (t) => {
  const ns = netnsFor(t);
  pair(ns);
  ns.ip('addr', 'add', '192.0.2.1/24', 'dev', 'a0');
  ns.ip('neigh', 'add', '192.0.2.50', 'lladdr', '02:00:00:00:00:50', 'dev', 'a0', 'nud', 'stale');
  ns.ip('neigh', 'add', '2001:db8::50', 'lladdr', '02:00:00:00:00:51', 'dev', 'a0', 'nud', 'permanent', 'router');
  const h = Handle.open({ netns: ns.name });
  t.teardown(() => h.close());
  const a0 = (await getLink(h, 'a0')).index;
  const check = async (): Promise<void> => {
    const { ours, ip } = await stableRead(() => ns.ipJson<IpNeigh[]>('neigh', 'show', 'nud', 'all'), () => listNeighs(h));
    const names = new Map([[a0, 'a0'], [(await getLink(h, 'a1')).index, 'a1'], [1, 'lo']]);
    t.is(ours.length, ip.length);
    t.deepEqual(ip.flatMap((n) => {
      const o = ours.find((x) => x.address === n.dst && names.get(x.ifindex) === n.dev);
      return o ? compareNeigh({ ...o, ifname: n.dev }, n) : [`${n.dst}%${n.dev} missing`];
    }), []);
  };
  await check();
  await addNeigh(h, { ifindex: a0, address: '192.0.2.60', lladdr: '02:00:00:00:00:60' });
  await addNeigh(h, { ifindex: a0, address: '192.0.2.50', lladdr: '02:00:00:00:00:5f', state: 'reachable' });
  const ip = ns.ipJson<IpNeigh[]>('neigh', 'show', 'dev', 'a0', 'nud', 'all');
  t.like(ip.find((n) => n.dst === '192.0.2.60'), { lladdr: '02:00:00:00:00:60', state: ['PERMANENT'] });
  t.is(ip.find((n) => n.dst === '192.0.2.50')?.lladdr, '02:00:00:00:00:5f', 'replaced in place');
  await check();
  t.deepEqual((await listNeighs(h, { ifindex: a0, family: 6 })).map((n) => [n.address, n.flags]).filter(([a]) => a === '2001:db8::50'), [['2001:db8::50', ['router']]]);
  await delNeigh(h, { ifindex: a0, address: '192.0.2.60' });
  t.false(ns.ipJson<IpNeigh[]>('neigh', 'show', 'nud', 'all').some((n) => n.dst === '192.0.2.60'));
  const gone = await t.throwsAsync(delNeigh(h, { ifindex: a0, address: '192.0.2.60' }));
  t.like(gone as NetlinkError, { op: 'RTM_DELNEIGH', errno: 'ENOENT' });
  await t.throwsAsync(addNeigh(h, { ifindex: a0, address: '192.0.2.61', lladdr: '02:00', state: 'bogus' }), { instanceOf: UsageError });
});
