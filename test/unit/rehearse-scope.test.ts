// scopeOf (src/config/rehearse.ts): which of the node's interfaces the rehearsal stands in for a
// plan. Pure: a made-up node, the rules one by one. The kernel side (that a refusal needing such
// an interface is still caught) is test/netns/config-rehearse.test.ts.
import test from 'ava';
import { scopeOf } from '../../src/config/rehearse.js';
import type { Op } from '../../src/interfaces/planner.js';
import type { Addr } from '../../src/netlink/addr.js';
import type { Link } from '../../src/netlink/link.js';

let next = 1;
function link(name: string, kind: string, more: Partial<Link> = {}): Link {
  return { index: next++, name, kind, admin: 'up', mtu: 1500, masterIndex: null, parentIndex: null, linkIndex: null, linkNetnsId: null, kindData: null, group: 0, linkType: 'ether', mac: null, ...more } as Link;
}

// lo; a NIC eth0 under 100 macvlans and a vlan; a veth pair v0/v1 with v0 in bridge br0 beside
// port p1; bond0 with port s0; an unrelated NIC eth9 holding 2001:db8::9
const lo = link('lo', 'loopback');
const eth0 = link('eth0', 'device');
const mvs = Array.from({ length: 100 }, (_, i) => link(`mv${i}`, 'macvlan', { parentIndex: eth0.index }));
const vl = link('eth0.5', 'vlan', { parentIndex: eth0.index });
const br0 = link('br0', 'bridge');
const v0 = link('v0', 'veth', { masterIndex: br0.index });
const v1 = link('v1', 'veth', { kindData: { kind: 'veth', peerIndex: v0.index } });
v0.kindData = { kind: 'veth', peerIndex: v1.index };
const p1 = link('p1', 'device', { masterIndex: br0.index });
const bond0 = link('bond0', 'bond');
const s0 = link('s0', 'device', { masterIndex: bond0.index });
const eth9 = link('eth9', 'device');
const links = [lo, eth0, ...mvs, vl, br0, v0, v1, p1, bond0, s0, eth9];
const addrs = [{ ifindex: eth9.index, family: 6, address: '2001:db8::9', prefixlen: 64, scope: 'global', label: null } as Addr];

const scope = (...ops: Op[]): string[] => [...scopeOf(links, addrs, ops)].sort();

test('an address or a route on a link: that link and what it stands on, nothing else', (t) => {
  t.deepEqual(scope({ op: 'addr-add', name: 'mv7', address: '10.0.0.1', prefixlen: 24 }), ['eth0', 'mv7']);
  t.deepEqual(scope({ op: 'route-add', name: 'v1', route: { family: 4, dst: '10.9.0.0/16', metric: 0, table: 254 } }), ['br0', 'v0', 'v1'], 'the peer, and the peer\'s master');
  t.deepEqual(scope({ op: 'addr-add', name: 'newbr', address: '10.0.0.1', prefixlen: 24 }), [], 'a link the plan creates has no stand-in');
});

test('a route via a gateway brings the interface holding it, in any spelling', (t) => {
  t.deepEqual(scope({ op: 'route-add', name: 'p1', route: { family: 6, dst: '2001:db8:9::/48', gateway: '2001:0db8:0::9', metric: 1024, table: 254 } }), ['br0', 'eth9', 'p1']);
});

test('creating a link on a lower device brings its siblings of the same family only', (t) => {
  const mk = (kind: string): Op => ({ op: 'link-add', name: 'x', spec: { name: 'x', kind, parent: 'eth0' } });
  t.deepEqual(scope(mk('macvlan')), ['eth0', ...mvs.map((l) => l.name)].sort());
  t.deepEqual(scope(mk('vlan')), ['eth0', 'eth0.5']);
  t.deepEqual(scope({ op: 'link-add', name: 'y', spec: { name: 'y', kind: 'bridge' } }), [], 'a new link on nothing');
  t.deepEqual(scope({ op: 'link-add', name: 'eth9', spec: { name: 'eth9', kind: 'bridge' } }), ['eth9'], 'a name the node has (EEXIST, as on the node)');
});

test('MAC or state changes on a macvlan bring its siblings; an MTU change on a lower device its uppers', (t) => {
  t.is(scope({ op: 'link-set', name: 'mv3', change: { up: true }, from: { up: false } }).length, 101);
  t.deepEqual(scope({ op: 'link-set', name: 'mv3', change: { alias: 'x' }, from: {} }), ['eth0', 'mv3']);
  t.is(scope({ op: 'link-set', name: 'eth0', change: { mtu: 9000 }, from: { mtu: 1500 } }).length, 102);
});

test('a master change, or an MTU change on a master or a port, brings the master\'s ports', (t) => {
  t.deepEqual(scope({ op: 'link-set', name: 's0', change: { master: 'br0' }, from: { master: 'bond0' } }), ['bond0', 'br0', 'p1', 's0', 'v0', 'v1']);
  t.deepEqual(scope({ op: 'link-set', name: 'bond0', change: { mtu: 9000 }, from: { mtu: 1500 } }), ['bond0', 's0']);
  t.deepEqual(scope({ op: 'link-add', name: 'q', spec: { name: 'q', kind: 'veth', master: 'bond0', veth: { peer: 'q1' } } }), ['bond0', 's0']);
});

test('a removal needs only the link (and what goes with it)', (t) => {
  t.deepEqual(scope({ op: 'link-del', name: 'mv9', kind: 'macvlan' }), ['eth0', 'mv9']);
  t.deepEqual(scope({ op: 'link-del', name: 'v1', kind: 'veth', with: ['v0'] }), ['br0', 'v0', 'v1']);
});
