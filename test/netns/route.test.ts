// Default routes through src/netlink/route.ts, checked against `ip -j route` in a throwaway netns.
import { Handle } from '../../src/netlink/handle.js';
import { addRoute, delRoute, listRoutes, replaceRoute } from '../../src/netlink/route.js';
import { NetlinkError } from '../../src/errors.js';
import { isRoot, netnsFor } from '../helpers/netns.js';
import { testIf } from '../helpers/require.js';

interface IpRoute { dst: string; gateway?: string; dev: string; metric?: number; protocol?: string }

testIf('root')(isRoot() ? 'default route add, replace onto another device, delete (IPv4 and IPv6)' : 'default route (skipped: needs root)', async (t) => {
  const ns = netnsFor(t);
  ns.ip('link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'a1');
  ns.ip('link', 'add', 'b0', 'type', 'veth', 'peer', 'name', 'b1');
  for (const d of ['a0', 'a1', 'b0', 'b1']) ns.ip('link', 'set', d, 'up');
  ns.ip('addr', 'add', '192.0.2.10/24', 'dev', 'a0');
  ns.ip('addr', 'add', '192.0.2.11/24', 'dev', 'b0');
  ns.ip('addr', 'add', '2001:db8::10/64', 'dev', 'a0', 'nodad');
  ns.ip('addr', 'add', '2001:db8::11/64', 'dev', 'b0', 'nodad');
  const idx = (n: string) => ns.ipJson<{ ifindex: number }[]>('link', 'show', 'dev', n)[0]!.ifindex;
  const h = Handle.open({ netns: ns.name });
  t.teardown(() => h.close());

  await addRoute(h, { family: 4, dst: 'default', gateway: '192.0.2.1', ifindex: idx('a0'), metric: 7 });
  let r = ns.ipJson<IpRoute[]>('route', 'show', 'default');
  t.deepEqual(r.map((x) => [x.dst, x.gateway, x.dev, x.metric, x.protocol]), [['default', '192.0.2.1', 'a0', 7, 'static']]);
  const mine = (await listRoutes(h, { family: 4 })).filter((x) => x.dst === 'default');
  t.deepEqual(mine.map((x) => [x.gateway, x.oif, x.metric, x.protocol]), [['192.0.2.1', idx('a0'), 7, 'static']]);

  const dup = await t.throwsAsync(addRoute(h, { family: 4, dst: 'default', gateway: '192.0.2.1', ifindex: idx('a0'), metric: 7 }));
  t.true(dup instanceof NetlinkError);
  t.is((dup as NetlinkError).errno, 'EEXIST');

  await replaceRoute(h, { family: 4, dst: 'default', gateway: '192.0.2.1', ifindex: idx('b0'), metric: 7 });
  r = ns.ipJson<IpRoute[]>('route', 'show', 'default');
  t.deepEqual(r.map((x) => x.dev), ['b0'], 'replace moved the one route, no second one');

  await replaceRoute(h, { family: 6, dst: 'default', gateway: '2001:db8::1', ifindex: idx('a0'), metric: 7 });
  await replaceRoute(h, { family: 6, dst: 'default', gateway: '2001:db8::1', ifindex: idx('b0'), metric: 7 });
  const r6 = ns.ipJson<IpRoute[]>('-6', 'route', 'show', 'default');
  t.deepEqual(r6.map((x) => [x.gateway, x.dev]), [['2001:db8::1', 'b0']]);

  await delRoute(h, { family: 4, dst: 'default', metric: 7 });
  await delRoute(h, { family: 6, dst: 'default', metric: 7 });
  t.deepEqual(ns.ipJson('route', 'show', 'default'), []);
  t.deepEqual(ns.ipJson('-6', 'route', 'show', 'default'), []);

  const gone = await t.throwsAsync(delRoute(h, { family: 4, dst: 'default', metric: 7 }));
  t.is((gone as NetlinkError).errno, 'ESRCH');
  const off = await t.throwsAsync(addRoute(h, { family: 4, dst: 'default', gateway: '198.51.100.1', ifindex: idx('a0') }));
  t.is((off as NetlinkError).errno, 'ENETUNREACH', 'gateway outside every prefix of the device');
});
