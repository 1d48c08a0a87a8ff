// Attributes newer than the 5.10 floor are refused before the request on a kernel that would
// ignore them (src/netlink/attr-since.ts); the kernel's release is the input.
import test from 'ava';
import { AFTER_FLOOR, AT_FLOOR, kernelAtLeast, refuseTooNew, tooNewFor } from '../../src/netlink/attr-since.js';
import { IFLA, IFLA_BRPORT, KIND_TABLE } from '../../src/netlink/link-kinds.js';
import { AttrWriter } from '../../src/netlink/attr.js';
import { bridgePortAttrNames, BRPORT_SETTABLE, linkInfoAttrNames } from '../../src/netlink/linkinfo.js';
import { UnsupportedError } from '../../src/errors.js';

const NAME_OF_BRPORT: Record<number, string> = Object.fromEntries(Object.entries(IFLA_BRPORT).map(([k, v]) => [v, `IFLA_BRPORT_${k}`]));

test('kernelAtLeast compares major.minor of a release string', (t) => {
  t.true(kernelAtLeast('5.18', '6.1.0-57-amd64'));
  t.true(kernelAtLeast('5.18', '5.18.0'));
  t.false(kernelAtLeast('5.18', '5.10.0-46-amd64'));
  t.false(kernelAtLeast('6.2', '6.1.0-57-amd64'));
  t.true(kernelAtLeast('6.6', '7.2.13-amd64'));
  t.true(kernelAtLeast('6.6', 'weird'), 'an unreadable release is not refused');
});

test('the decision: an attribute after the floor is too new exactly below its first kernel', (t) => {
  const names = ['IFLA_MTU', 'IFLA_BRPORT_LOCKED', 'IFLA_BRPORT_BACKUP_NHID', 'IFLA_BRPORT_ISOLATED'];
  t.deepEqual(tooNewFor(names, '5.10.0-46-amd64'), [{ attribute: 'IFLA_BRPORT_LOCKED', minKernel: '5.18' }, { attribute: 'IFLA_BRPORT_BACKUP_NHID', minKernel: '6.6' }]);
  t.deepEqual(tooNewFor(names, '6.1.0-57-amd64'), [{ attribute: 'IFLA_BRPORT_BACKUP_NHID', minKernel: '6.6' }]);
  t.deepEqual(tooNewFor(names, '6.12.48-amd64'), []);
  t.deepEqual(tooNewFor(names, '6.6.0'), []);
  t.deepEqual(tooNewFor(['IFLA_BRPORT_MCAST_EHT_HOSTS_LIMIT'], '5.11.0'), [{ attribute: 'IFLA_BRPORT_MCAST_EHT_HOSTS_LIMIT', minKernel: '5.12' }]);
  // what a newer kernel reports for a port nobody configured: nothing an older one would lose
  const defaults = [{ name: 'IFLA_BRPORT_LOCKED', value: 0 }, { name: 'IFLA_BRPORT_MAB', value: 0 }, { name: 'IFLA_BRPORT_MCAST_EHT_HOSTS_LIMIT', value: 512 },
    { name: 'IFLA_BRPORT_MCAST_MAX_GROUPS', value: 0 }, { name: 'IFLA_BRPORT_NEIGH_VLAN_SUPPRESS', value: 0 }];
  t.deepEqual(tooNewFor(defaults, '5.10.0-46-amd64'), []);
  t.deepEqual(tooNewFor([...defaults, { name: 'IFLA_BRPORT_MAB', value: 1 }, { name: 'IFLA_BRPORT_MCAST_EHT_HOSTS_LIMIT', value: 64 }], '5.10.0'),
    [{ attribute: 'IFLA_BRPORT_MAB', minKernel: '6.2' }, { attribute: 'IFLA_BRPORT_MCAST_EHT_HOSTS_LIMIT', minKernel: '5.12' }]);
});

test('the refusal is UNSUPPORTED (exit 6) naming the attribute and the kernel it needs; nothing to refuse is silent', (t) => {
  const err = t.throws(() => refuseTooNew(['IFLA_BRPORT_COST', 'IFLA_BRPORT_LOCKED'], 'set the bridge port options of link 7', '5.10.0-46-amd64'), { instanceOf: UnsupportedError })!;
  t.is(err.code, 'UNSUPPORTED');
  t.is(err.feature, 'IFLA_BRPORT_LOCKED');
  t.is(err.minKernel, '5.18');
  t.regex(err.message, /^IFLA_BRPORT_LOCKED is not supported by this kernel: cannot set the bridge port options of link 7: Linux 5\.10\.0-46-amd64 does not know IFLA_BRPORT_LOCKED \(Linux 5\.18\), and would accept the request while ignoring it, so nothing was sent \(needs Linux 5\.18 or later\)$/);
  // several: all listed, the newest kernel asked for
  const two = t.throws(() => refuseTooNew(['IFLA_BRPORT_LOCKED', 'IFLA_BRPORT_MAB'], 'x', '5.10.0'), { instanceOf: UnsupportedError })!;
  t.is(two.minKernel, '6.2');
  t.regex(two.message, /IFLA_BRPORT_LOCKED \(Linux 5\.18\), IFLA_BRPORT_MAB \(Linux 6\.2\).*ignoring them/);
  t.notThrows(() => refuseTooNew(['IFLA_BRPORT_LOCKED', 'IFLA_BRPORT_MAB'], 'x', '6.2.0'));
  t.notThrows(() => refuseTooNew(['IFLA_MTU', 'IFLA_IFNAME'], 'x', '5.10.0'));
});

test('every attribute an encoder can send says its kernel: at the floor, or after it with its first kernel', (t) => {
  const sendable = new Set<string>([
    // link.ts addLink / setLink / the veth peer, inetconf.ts, link-group.ts
    'IFLA_IFNAME', 'IFLA_MTU', 'IFLA_ADDRESS', 'IFLA_LINK', 'IFLA_MASTER', 'IFLA_LINKINFO', 'IFLA_IFALIAS', 'IFLA_NET_NS_FD', 'IFLA_GROUP', 'IFLA_AF_SPEC',
  ]);
  // creation keys of every kind (encodeLinkInfo)
  for (const table of new Set(KIND_TABLE.values())) {
    for (const k of table.create?.keys ?? []) sendable.add(table.attrs.find((d) => d.key === k)!.name);
  }
  // bridge port options given back (encodeBridgePortOptions) and set (encodeBridgePort: priority, cost, learning)
  for (const id of Object.keys(BRPORT_SETTABLE)) sendable.add(NAME_OF_BRPORT[Number(id)]!);
  for (const n of sendable) t.true(AT_FLOOR.has(n) !== (AFTER_FLOOR[n] !== undefined), `${n}: in exactly one of AT_FLOOR and AFTER_FLOOR (src/netlink/attr-since.ts)`);
  // and the lists name nothing nodectl cannot send (a stale entry would hide a missing one)
  for (const n of [...AT_FLOOR, ...Object.keys(AFTER_FLOOR)]) t.true(sendable.has(n), `${n} is listed but not sendable`);
  t.is(IFLA.GROUP, 27);
});

test('the names checked before a request are those of what is sent', (t) => {
  t.deepEqual(linkInfoAttrNames({ kind: 'vlan', vlan: { id: 5 } }), ['IFLA_VLAN_ID', 'IFLA_VLAN_PROTOCOL']);
  t.deepEqual(linkInfoAttrNames({ kind: 'bridge', bridge: { vlanFiltering: true } }), ['IFLA_BR_VLAN_FILTERING']);
  t.deepEqual(linkInfoAttrNames({ kind: 'veth', veth: { peer: 'p' } }), []);
  const w = new AttrWriter(64);
  w.u16(IFLA_BRPORT.PRIORITY, 32);
  w.u8(IFLA_BRPORT.LOCKED, 1);
  t.deepEqual(bridgePortAttrNames(Buffer.from(w.finish())), [{ name: 'IFLA_BRPORT_PRIORITY', value: 32 }, { name: 'IFLA_BRPORT_LOCKED', value: 1 }]);
});
