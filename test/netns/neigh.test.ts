// neigh add/del/flush against the kernel; `ip -j neigh show` is the oracle.
import { addNeighbour, deleteNeighbour, flushNeighbours } from '../../src/arp/neigh.js';
import { NotFoundError, UsageError } from '../../src/errors.js';
import { netnsFor, type Netns } from '../helpers/netns.js';
import { testIf } from '../helpers/require.js';

const t0 = testIf('root');

interface IpNeigh { dst: string; dev: string; lladdr?: string; state: string[] }

function setup(t: Parameters<typeof netnsFor>[0]): Netns {
  const ns = netnsFor(t);
  ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
  ns.ip('addr', 'add', '192.0.2.1/24', 'dev', 'va');
  ns.ip('link', 'set', 'va', 'up');
  ns.ip('link', 'set', 'vb', 'up');
  return ns;
}

const table = (ns: Netns): IpNeigh[] => ns.ipJson<IpNeigh[]>('neigh', 'show', 'dev', 'va').map((n) => ({ ...n, dev: 'va' }))
  .sort((a, b) => a.dst.localeCompare(b.dst));

t0('add permanent, reachable and stale entries (IPv4 and IPv6) as ip neigh shows them', async (t) => {
  const ns = setup(t);
  const w = { netns: ns.name };
  const p = await addNeighbour(w, 'va', { address: '192.0.2.10', lladdr: '02:00:00:00:00:10' });
  t.like(p, { ifname: 'va', address: '192.0.2.10', lladdr: '02:00:00:00:00:10', state: 'PERMANENT', family: 4 });
  await addNeighbour(w, 'va', { address: '192.0.2.11', lladdr: '02:00:00:00:00:11', state: 'stale' });
  await addNeighbour(w, 'va', { address: '192.0.2.12', lladdr: '02:00:00:00:00:12', state: 'reachable' });
  const v6 = await addNeighbour(w, 'va', { address: '2001:db8::10', lladdr: '02:00:00:00:00:20', state: 'stale' });
  t.is(v6.family, 6);
  const got = table(ns);
  t.deepEqual(got.find((n) => n.dst === '192.0.2.10')?.state, ['PERMANENT']);
  t.deepEqual(got.find((n) => n.dst === '192.0.2.11')?.state, ['STALE']);
  t.is(got.find((n) => n.dst === '192.0.2.12')?.lladdr, '02:00:00:00:00:12');
  t.deepEqual(got.find((n) => n.dst === '2001:db8::10')?.state, ['STALE']);
  // replace: same address, new MAC
  const r = await addNeighbour(w, 'va', { address: '192.0.2.10', lladdr: '02:00:00:00:00:99' });
  t.is(r.lladdr, '02:00:00:00:00:99');
  t.is(table(ns).find((n) => n.dst === '192.0.2.10')?.lladdr, '02:00:00:00:00:99');
});

t0('del removes one entry; a missing one is NotFoundError', async (t) => {
  const ns = setup(t);
  ns.ip('neigh', 'add', '192.0.2.10', 'lladdr', '02:00:00:00:00:10', 'dev', 'va', 'nud', 'permanent');
  ns.ip('neigh', 'add', '2001:db8::10', 'lladdr', '02:00:00:00:00:20', 'dev', 'va', 'nud', 'permanent');
  const r = await deleteNeighbour({ netns: ns.name }, 'va', '192.0.2.10');
  t.is(r.deleted.lladdr, '02:00:00:00:00:10');
  t.deepEqual(table(ns).map((n) => n.dst), ['2001:db8::10']);
  await t.throwsAsync(deleteNeighbour({ netns: ns.name }, 'va', '192.0.2.10'), { instanceOf: NotFoundError, message: /neighbour "192.0.2.10" does not exist on va/ });
  await deleteNeighbour({ netns: ns.name }, 'va', '2001:db8::10');
  t.deepEqual(table(ns), []);
});

t0('flush keeps permanent entries unless asked, and filters by family and state', async (t) => {
  const ns = setup(t);
  ns.ip('neigh', 'add', '192.0.2.10', 'lladdr', '02:00:00:00:00:10', 'dev', 'va', 'nud', 'permanent');
  ns.ip('neigh', 'add', '192.0.2.11', 'lladdr', '02:00:00:00:00:11', 'dev', 'va', 'nud', 'stale');
  ns.ip('neigh', 'add', '192.0.2.12', 'lladdr', '02:00:00:00:00:12', 'dev', 'va', 'nud', 'reachable');
  ns.ip('neigh', 'add', '2001:db8::11', 'lladdr', '02:00:00:00:00:21', 'dev', 'va', 'nud', 'stale');
  const v4 = await flushNeighbours({ netns: ns.name }, 'va', { family: 4, states: ['stale'] });
  t.deepEqual(v4.flushed.map((n) => n.address), ['192.0.2.11']);
  t.deepEqual(table(ns).map((n) => n.dst), ['192.0.2.10', '192.0.2.12', '2001:db8::11']);
  const noarp = ns.ipJson<IpNeigh[]>('neigh', 'show', 'dev', 'va', 'nud', 'noarp').length;
  const rest = await flushNeighbours({ netns: ns.name }, 'va');
  t.deepEqual(rest.flushed.map((n) => n.address).sort(), ['192.0.2.12', '2001:db8::11']);
  t.is(rest.kept, 1 + noarp, 'the permanent entry and the kernel\'s own NOARP (multicast) entries stay');
  t.deepEqual(table(ns).map((n) => n.dst), ['192.0.2.10']);
  const perm = await flushNeighbours({ netns: ns.name }, 'va', { states: ['permanent'] });
  t.deepEqual(perm.flushed.map((n) => n.address), ['192.0.2.10']);
  t.deepEqual(table(ns), []);
});

t0('bad input: unknown interface, bad lladdr, bad state or address — error, table unchanged', async (t) => {
  const ns = setup(t);
  ns.ip('neigh', 'add', '192.0.2.10', 'lladdr', '02:00:00:00:00:10', 'dev', 'va', 'nud', 'stale');
  const before = table(ns);
  const w = { netns: ns.name };
  await t.throwsAsync(addNeighbour(w, 'nope0', { address: '192.0.2.20', lladdr: '02:00:00:00:00:20' }), { instanceOf: NotFoundError });
  await t.throwsAsync(addNeighbour(w, 'va', { address: '192.0.2.20', lladdr: '02:00:00:00:20' }), { instanceOf: UsageError, message: /not a 6-byte Ethernet address/ });
  await t.throwsAsync(addNeighbour(w, 'va', { address: '192.0.2.20', lladdr: 'zz:00:00:00:00:20' }), { instanceOf: UsageError });
  await t.throwsAsync(addNeighbour(w, 'va', { address: '192.0.2.300', lladdr: '02:00:00:00:00:20' }), { instanceOf: UsageError });
  await t.throwsAsync(addNeighbour(w, 'va', { address: '192.0.2.20', lladdr: '02:00:00:00:00:20', state: 'delay' as never }), { instanceOf: UsageError });
  await t.throwsAsync(flushNeighbours(w, 'va', { states: ['bogus'] }), { instanceOf: UsageError });
  await t.throwsAsync(flushNeighbours(w, 'nope0'), { instanceOf: NotFoundError });
  t.deepEqual(table(ns), before);
});
