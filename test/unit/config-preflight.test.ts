import test from 'ava';
import { parseConfig } from '../../src/config/load.js';
import { assertPreflight, type NodeLink, preflightProblems } from '../../src/config/preflight.js';
import { StateError } from '../../src/errors.js';

const cfg = (text: string) => parseConfig(text, 'n.yaml').config;
const link = (index: number, name: string, kind: string, mtu: number, minMtu: number | null = 68, maxMtu: number | null = 65535): NodeLink => ({ index, name, kind, mtu, minMtu, maxMtu, masterIndex: null });
const node = [link(1, 'lo', 'loopback', 65536, 0, 0), link(2, 'eth0', 'device', 1500, 68, 9216), link(3, 'eth1', 'device', 1500, 68, 1500)];
const say = (text: string, links = node): string[] => preflightProblems(cfg(text), links).map((p) => `${p.path} ${p.reason}`);

test('a file valid on its own, checked against the node: MTU ranges of the real NICs', (t) => {
  t.deepEqual(say('interfaces:\n  - {name: eth0, kind: device, mtu: 9216}\n  - {name: eth1, kind: device, mtu: 9000}\n'), [
    "/interfaces/1/mtu mtu 9000 is above the maximum 1500 that eth1 takes (its driver's max_mtu)",
  ]);
  t.deepEqual(say('interfaces:\n  - {name: eth0, kind: device, mtu: 600}\n', [link(2, 'eth0', 'device', 1500, 1280, 9000)]), [
    "/interfaces/0/mtu mtu 600 is below the minimum 1280 that eth0 takes (its driver's min_mtu)",
  ]);
  // 0 is "no limit" (dummy, lo)
  t.deepEqual(say('interfaces:\n  - {name: eth0, kind: device, mtu: 65535}\n', [link(2, 'eth0', 'device', 1500, 0, 0)]), []);
});

test('a macvlan or bridge above the MTU a device keeps (the file leaves it)', (t) => {
  t.deepEqual(say('interfaces:\n  - {name: eth0, kind: device}\n  - {name: mv0, kind: macvlan, link: eth0, mtu: 9000}\n  - {name: br0, kind: bridge, mtu: 9000, ports: [eth1]}\n  - {name: eth1, kind: device}\n'), [
    '/interfaces/1/mtu mtu 9000 is above the mtu 1500 of its lower device eth0 on this node: the kernel refuses a macvlan larger than its lower device',
    '/interfaces/2/mtu bridge br0 mtu 9000 is above the mtu 1500 of its port eth1 on this node: the kernel lowers a bridge to the MTU of its smallest port',
  ]);
  // the file raises the lower device's MTU: then validate's rule holds, not the node's MTU
  t.deepEqual(say('interfaces:\n  - {name: eth0, kind: device, mtu: 9000}\n  - {name: mv0, kind: macvlan, link: eth0, mtu: 9000}\n'), []);
});

test('mgmt candidates must exist on the node or be created by the file', (t) => {
  t.deepEqual(say('interfaces:\n  - {name: br0, kind: bridge}\nmgmt: {addresses: [192.0.2.10/24], candidates: [eth0, eth7, br0]}\n'), [
    '/mgmt/candidates/1 candidate eth7 does not exist on this node and the file does not create it',
  ]);
  const err = t.throws(() => assertPreflight(cfg('interfaces: []\nmgmt: {addresses: [192.0.2.10/24], candidates: [eth7]}\n'), node), { instanceOf: StateError });
  t.is(err!.message, 'the file cannot be applied to this node: /mgmt/candidates/0: candidate eth7 does not exist on this node and the file does not create it');
});

test('a route\'s gateway on a device whose addresses the file leaves alone is checked against the node\'s addresses', (t) => {
  const text = 'interfaces:\n  - {name: eth0, kind: device, routes: [{to: 10.9.0.0/16, via: 10.1.0.254}, {to: 10.8.0.0/16, via: 10.7.0.1, onlink: true}]}\n';
  const addrs = (a: string) => [{ ifindex: 2, family: 4 as const, address: a, prefixlen: 24 }];
  t.deepEqual(preflightProblems(cfg(text), node, addrs('10.1.0.1')), []);
  t.deepEqual(preflightProblems(cfg(text), node, addrs('10.2.0.1')).map((p) => `${p.path} ${p.reason}`), [
    '/interfaces/0/routes/0/via gateway 10.1.0.254 is not on-link through eth0 (its IPv4 prefixes: 10.2.0.1/24): the kernel refuses it (ENETUNREACH); add an address in its prefix, or onlink: true (on this node)',
  ]);
});

test('a bridge above a port the apply creates with its kind\'s default MTU (1500), not above one that exists at 9000', (t) => {
  const file = 'interfaces:\n  - {name: br0, kind: bridge, mtu: 9000, ports: [ve0]}\n  - {name: ve0, kind: veth, veth: {peer: ve0p}}\n  - {name: ve1, kind: veth, veth: {peer: ve1p}}\n  - {name: mv0, kind: macvlan, link: ve1, mtu: 9000}\n';
  t.deepEqual(say(file), [
    '/interfaces/3/mtu mtu 9000 is above the mtu 1500 of its lower device ve1 on this node: the kernel refuses a macvlan larger than its lower device',
    '/interfaces/0/mtu bridge br0 mtu 9000 is above the mtu 1500 of its port ve0 on this node: the kernel lowers a bridge to the MTU of its smallest port',
  ]);
  // made by an earlier apply with mtu 9000, which the file now leaves as it is
  t.deepEqual(say(file, [...node, link(4, 've0', 'veth', 9000), link(5, 've1', 'veth', 9000)]), []);
});
