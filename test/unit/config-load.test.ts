import test from 'ava';
import { ConfigError } from '../../src/errors.js';
import { parseConfig } from '../../src/config/load.js';
import { configJsonSchema } from '../../src/config/schema.js';

function problems(text: string, file = 'node.yaml'): string[] {
  try {
    parseConfig(text, file);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.path} ${p.reason}`);
    throw err;
  }
  return [];
}

const good = `
interfaces:
  - name: eth0
    kind: device
  - name: br0
    kind: bridge
    bridge: {stp: false}
    addresses: [192.0.2.1/24, {address: "2001:db8::1/64", nodad: true}]
    arp: {arp_ignore: 1, arp_announce: 2}
  - name: ve0
    kind: veth
    veth: {peer: ve0p}
    master: br0
  - name: mv0
    kind: macvlan
    link: eth0
    macvlan: {mode: bridge}
`;

test('a valid file loads and keeps its values', (t) => {
  const { config } = parseConfig(good, 'good.yaml');
  t.is(config.interfaces.length, 4);
  t.deepEqual(config.interfaces[1]!.arp, { arp_ignore: 1, arp_announce: 2 });
});

test('JSON is accepted too, with positions', (t) => {
  const p = problems('{\n  "interfaces": [\n    {"name": "x", "kind": "dummy", "mtu": 10}\n  ]\n}\n', 'n.json');
  t.deepEqual(p, ['n.json:3:43 /interfaces/0/mtu 10 is out of range (68-65535)']);
});

test('unknown keys are errors, at the key, with the allowed keys', (t) => {
  const p = problems('interfaces:\n  - name: a\n    kind: dummy\n    colour: red\n');
  t.is(p.length, 1);
  t.regex(p[0]!, /^node\.yaml:4:5 \/interfaces\/0\/colour unknown key "colour" \(expected one of: kind, name, mtu/);
  t.deepEqual(problems('interfaces: []\nextra: 1\n'), ['node.yaml:2:1 /extra unknown key "extra" (expected interfaces, mgmt)']);
});

test('every problem is reported, each at its own line and column', (t) => {
  const text = [
    'interfaces:', //                     1
    '  - name: eth0', //                  2
    '    kind: device', //                3
    '  - name: v100', //                  4
    '    kind: vlan', //                  5
    '    link: eth9', //                  6
    '    vlan: {id: 5000}', //            7
    '  - name: eth0', //                  8
    '    kind: dummy', //                 9
    '    addresses: [10.0.0.0/24, 10.1.1.1/33, 10.2.2.2]', // 10
    '  - name: x', //                     11
    '    kind: tunnel', //                12
    '  - name: b1', //                    13
    '    kind: bond', //                  14
    '    ports: [eth0]', //               15
    '  - name: br1', //                   16
    '    kind: bridge', //                17
    '    ports: [eth0]', //               18
    '    state: sideways', //             19
  ].join('\n');
  t.deepEqual(problems(text), [
    'node.yaml:6:11 /interfaces/1/link unknown lower device "eth9": declare it in this file (kind: device for an existing NIC)',
    'node.yaml:7:16 /interfaces/1/vlan/id 5000 is out of range (1-4094)',
    'node.yaml:8:11 /interfaces/2/name duplicate interface name "eth0" (first declared at line 2)',
    'node.yaml:10:17 /interfaces/2/addresses/0 10.0.0.0 is the network address of its prefix /24, not a host address in it',
    'node.yaml:10:30 /interfaces/2/addresses/1 prefix length /33 is out of range for IPv4 (0-32)',
    'node.yaml:10:43 /interfaces/2/addresses/2 "10.2.2.2" has no prefix length: write ADDRESS/PREFIX, e.g. 192.0.2.10/24',
    'node.yaml:12:11 /interfaces/3/kind unknown kind "tunnel" (expected one of device, vlan, bond, bridge, macvlan, veth, dummy)',
    'node.yaml:18:13 /interfaces/5/ports/0 eth0 is a port of bridge br1 and also of bond b1 (at line 15); an interface has one master',
    'node.yaml:19:12 /interfaces/5/state "sideways" is not one of: up, down',
  ]);
});

test('dependency cycles are found through lower devices and masters', (t) => {
  const p = problems([
    'interfaces:',
    '  - {name: a, kind: vlan, link: b, vlan: {id: 2}}',
    '  - {name: b, kind: vlan, link: a, vlan: {id: 3}}',
    '  - {name: bo0, kind: bond, master: bo1}',
    '  - {name: bo1, kind: bond, master: bo0}',
  ].join('\n'));
  t.deepEqual(p, [
    'node.yaml:3:33 /interfaces/1/link dependency cycle: a → b → a',
    'node.yaml:5:37 /interfaces/3/master dependency cycle: bo0 → bo1 → bo0',
  ]);
});

test('addresses: duplicates, label and nodad rules, mtu vs IPv6', (t) => {
  const p = problems([
    'interfaces:',
    '  - name: d0',
    '    kind: dummy',
    '    mtu: 1000',
    '    addresses:',
    '      - 192.0.2.1/24',
    '      - {address: 192.0.2.1/25}',
    '      - {address: "2001:db8::1/64", label: d0:1}',
    '      - {address: 192.0.2.9/24, label: eth0:1, nodad: true}',
  ].join('\n'));
  t.deepEqual(p, [
    'node.yaml:4:10 /interfaces/0/mtu mtu 1000 is below the IPv6 minimum 1280, but d0 has IPv6 address 2001:db8::1/64',
    'node.yaml:7:19 /interfaces/0/addresses/1/address duplicate address 192.0.2.1 (also at line 6)',
    'node.yaml:8:44 /interfaces/0/addresses/2/label labels exist only for IPv4 addresses',
    'node.yaml:9:40 /interfaces/0/addresses/3/label label "eth0:1" must begin with the interface name "d0" (e.g. d0:1)',
    'node.yaml:9:55 /interfaces/0/addresses/3/nodad nodad applies only to IPv6 addresses',
  ]);
});

test('YAML syntax errors and duplicate keys are reported with positions', (t) => {
  const p = problems('interfaces:\n  - name: a\n    name: b\n    kind: dummy\n');
  t.is(p.length, 1);
  t.regex(p[0]!, /^node\.yaml:3:5 {2}Map keys must be unique/);
});

test('arp keys are range-checked', (t) => {
  const p = problems('interfaces:\n  - {name: a, kind: dummy, arp: {arp_ignore: 9, arp_bogus: 1}}\n');
  t.deepEqual(p, [
    'node.yaml:2:46 /interfaces/0/arp/arp_ignore 9 is out of range (0-8)',
    'node.yaml:2:49 /interfaces/0/arp/arp_bogus unknown key "arp_bogus" (expected one of: arp_ignore, arp_announce, arp_filter, arp_accept, arp_notify, proxy_arp, drop_gratuitous_arp)',
  ]);
});

test('a macvlan on a macvlan is refused: the kernel would put it on the lower device', (t) => {
  t.deepEqual(problems('interfaces:\n  - {name: eth0, kind: device}\n  - {name: m1, kind: macvlan, link: eth0}\n  - {name: m2, kind: macvlan, link: m1}\n'), [
    'node.yaml:4:37 /interfaces/2/link a macvlan cannot sit on macvlan m1: the kernel would put it on eth0 instead; use that',
  ]);
});

test('the JSON Schema is closed and names every kind', (t) => {
  const s = configJsonSchema() as { additionalProperties: boolean; properties: { interfaces: { items: { anyOf: { title: string; additionalProperties: boolean }[] } } } };
  t.false(s.additionalProperties);
  const kinds = s.properties.interfaces.items.anyOf.map((v) => v.title);
  t.deepEqual(kinds, ['device', 'vlan', 'bond', 'bridge', 'macvlan', 'veth', 'dummy']);
  t.true(s.properties.interfaces.items.anyOf.every((v) => v.additionalProperties === false));
});

test('a missing required key is one problem, not also a type error on its absent value', (t) => {
  t.deepEqual(problems('interfaces: []\nmgmt:\n  candidates: [eth0]\n'), ['node.yaml:3:3 /mgmt/addresses missing required key "addresses"']);
});
