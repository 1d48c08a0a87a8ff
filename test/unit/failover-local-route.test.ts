// The rule for the daemon's own IPv6 local routes (src/failover/local-route.ts): on the holder
// when it holds the address, nowhere else; an admin-down holder gets none (it refuses routes).
import test from 'ava';
import { decodeRoute } from '../../src/netlink/route.js';
import { isKernelLocalRoute, isOwnLocalRoute, localRoutePlan } from '../../src/failover/local-route.js';
import { describeAction } from '../../src/failover/mover.js';

const A = { key: '6/2001:db8::10', address: '2001:db8::10' };
const plan = (held: string[], ours: string[], holder: string | null, usable = (_: string) => true) =>
  localRoutePlan({ addresses: [A], held: () => held, ours: () => ours, holder, usable }).map((s) => `${s.op} ${s.ifname}`);

test('on the holder that holds the address, nowhere else; deletes before adds', (t) => {
  t.deepEqual(plan(['eth1'], ['eth1'], 'eth1'), [], 'as wanted: nothing to do');
  t.deepEqual(plan(['eth1'], [], 'eth1'), ['add eth1']);
  t.deepEqual(plan(['eth1'], ['eth0'], 'eth1'), ['del eth0', 'add eth1'], 'a leftover on the old holder');
  t.deepEqual(plan([], ['eth0'], 'eth0'), ['del eth0'], 'the address is on no interface: no route of ours either');
  t.deepEqual(plan(['eth0', 'eth1'], ['eth0', 'eth1'], 'eth1'), ['del eth0'], 'on two (a dedupe under way): only the holder keeps it');
  t.deepEqual(plan(['eth1'], ['eth0'], null), ['del eth0'], 'no holder');
  t.deepEqual(plan(['eth1'], [], 'eth1', () => false), [], 'admin down: the kernel refuses the route (ENETDOWN); added when it is up');
});

test('ours and the kernel\'s told apart from a decoded RTM_NEWROUTE', (t) => {
  // rtmsg: AF_INET6, dst_len 128, table 255, protocol P, scope 0, type local; RTA_DST, RTA_OIF
  const msg = (protocol: number) => Buffer.concat([
    Buffer.from([10, 128, 0, 0, 255, protocol, 0, 2, 0, 0, 0, 0]),
    Buffer.from([20, 0, 1, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10]),
    Buffer.from([8, 0, 4, 0, 3, 0, 0, 0]),
  ]);
  const ours = decodeRoute(msg(111))!;
  const kernel = decodeRoute(msg(2))!;
  t.like(ours, { dst: '2001:db8::10/128', type: 'local', table: 255, protocol: 'nodectl-mgmt', oif: 3 });
  t.true(isOwnLocalRoute(ours));
  t.false(isKernelLocalRoute(ours));
  t.true(isKernelLocalRoute(kernel));
  t.false(isOwnLocalRoute(kernel));
});

test('the logged actions name the local route with the IPv6 address (and only there)', (t) => {
  t.is(describeAction({ kind: 'add-addr', ifname: 'eth1', address: '2001:db8::10', prefixlen: 64, family: 6 }),
    'ip -6 route add local 2001:db8::10/128 dev eth1 table local proto 111 metric 1024 && ip addr add 2001:db8::10/64 dev eth1 nodad');
  t.is(describeAction({ kind: 'del-addr', ifname: 'eth0', address: '2001:db8::10', prefixlen: 64, family: 6 }),
    'ip addr del 2001:db8::10/64 dev eth0 && ip -6 route del local 2001:db8::10/128 dev eth0 table local proto 111');
  t.is(describeAction({ kind: 'add-addr', ifname: 'eth1', address: '192.0.2.10', prefixlen: 24, family: 4 }), 'ip addr add 192.0.2.10/24 dev eth1');
});
