// Encoders produce the uapi byte layouts (if_link.h, veth.h): expected bytes are spelled out
// here from the headers, then decoded back. Kinds this host lacks (vlan, bond, dummy) are
// created for real in the VM; these tests pin their request bytes meanwhile.
import test from 'ava';
import { AttrWriter, attrTable, formatIPv6, parseIP, parseIPv6, parseLladdr } from '../../src/netlink/attr.js';
import {
  bridgePortDifferences, bridgePortOptions, decodeKindData, decodeLinkInfo, encodeBridgePortOptions, encodeLinkInfo, type KindSpec, validateKindSpec,
} from '../../src/netlink/linkinfo.js';

function encode(spec: KindSpec): Buffer {
  const w = new AttrWriter(16);
  encodeLinkInfo(w, spec);
  return Buffer.from(w.finish());
}
const hex = (s: string): string => s.replace(/\s+/g, '');

test('vlan: IFLA_VLAN_ID u16 and IFLA_VLAN_PROTOCOL big-endian', (t) => {
  const b = encode({ kind: 'vlan', vlan: { id: 100, protocol: '802.1ad' } });
  t.is(b.toString('hex'), hex(`
    24001280                     IFLA_LINKINFO|NESTED len 36
    09000100 766c616e 00000000   IFLA_INFO_KIND "vlan\\0"
    14000280                     IFLA_INFO_DATA|NESTED len 20
    06000100 64000000            IFLA_VLAN_ID 100
    06000500 88a80000            IFLA_VLAN_PROTOCOL 0x88a8
  `.replace(/[A-Z_|"\\].*$/gm, '').replace(/len \d+/g, '')));
  t.deepEqual(decodeLinkInfo(b, 4, b.length).data, { kind: 'vlan', id: 100, protocol: '802.1ad', flags: [] });
  t.is(encode({ kind: 'vlan', vlan: { id: 7 } }).subarray(-4).toString('hex'), '81000000', 'default protocol is 802.1Q');
});

test('bond: mode u8, miimon u32, arp_ip_target nested by index in network order', (t) => {
  const b = encode({ kind: 'bond', bond: { mode: 'active-backup', miimon: 100, arpIpTargets: ['10.0.0.1', '10.0.0.2'] } });
  t.is(b.toString('hex'), [
    '38001280',
    '09000100', '626f6e64', '00000000',
    '28000280',
    '05000100', '01000000',
    '08000300', '64000000',
    '14000880', '08000000', '0a000001', '08000100', '0a000002',
  ].join(''));
  t.like(decodeLinkInfo(b, 4, b.length).data, { kind: 'bond', mode: 'active-backup', miimon: 100, arpIpTargets: ['10.0.0.1', '10.0.0.2'] });
});

test('dummy: only IFLA_INFO_KIND', (t) => {
  const b = encode({ kind: 'dummy' });
  t.is(b.toString('hex'), '10001280' + '0a000100' + '64756d6d' + '79000000');
  t.deepEqual(decodeLinkInfo(b, 4, b.length), { kind: 'dummy', data: { kind: 'dummy' }, slaveKind: null, slaveData: null });
});

test('bridge: stp_state u32, vlan_filtering u8; nothing sent when nothing asked', (t) => {
  const b = encode({ kind: 'bridge', bridge: { stp: true, vlanFiltering: false } });
  const data = attrTable(b, 4, b.length)[2]!;
  const inner = attrTable(data);
  t.is(inner[5]!.toString('hex'), '01000000');
  t.is(inner[7]!.toString('hex'), '00');
  t.like(decodeKindData('bridge', data, 0, data.length), { stp: true, vlanFiltering: false });
  t.is(encode({ kind: 'bridge' }).length, 4 + 12, 'only the kind');
});

test('macvlan: mode as MACVLAN_MODE_* bit', (t) => {
  for (const [mode, bit] of [['private', 1], ['vepa', 2], ['bridge', 4], ['passthru', 8], ['source', 16]] as const) {
    const b = encode({ kind: 'macvlan', macvlan: { mode } });
    const data = attrTable(b, 4, b.length)[2]!;
    t.is(attrTable(data)[1]!.readUInt32LE(0), bit);
    t.like(decodeKindData('macvlan', data, 0, data.length), { mode });
  }
});

test('veth: VETH_INFO_PEER holds an ifinfomsg then the peer attributes', (t) => {
  const b = encode({ kind: 'veth', veth: { peer: 'vb0', peerNetnsFd: 9 } });
  const data = attrTable(b, 4, b.length)[2]!;
  const peer = attrTable(data)[1]!;
  t.is(data.readUInt16LE(2), 0x0001, 'peer is not flagged NESTED: it starts with a struct, as iproute2 sends it');
  t.deepEqual([...peer.subarray(0, 16)], new Array(16).fill(0), 'a zeroed struct ifinfomsg');
  const attrs = attrTable(peer, 16);
  t.is(attrs[3]!.toString(), 'vb0\0');
  t.is(attrs[28]!.readUInt32LE(0), 9, 'IFLA_NET_NS_FD');
});

test('kind specs are validated before anything is sent', (t) => {
  t.regex(validateKindSpec({ kind: 'vlan', vlan: { id: 4095 } })!, /out of range/);
  t.regex(validateKindSpec({ kind: 'vlan' })!, /needs vlan.id/);
  t.regex(validateKindSpec({ kind: 'bond', bond: { mode: 'lacp' as never } })!, /bond mode must be/);
  t.regex(validateKindSpec({ kind: 'bond', bond: { mode: '802.3ad', arpIpTargets: ['1.2.3'] } })!, /not an IPv4/);
  t.regex(validateKindSpec({ kind: 'veth' })!, /veth.peer/);
  t.is(validateKindSpec({ kind: 'vlan', vlan: { id: 4094, protocol: '802.1Q' } }), null);
});

test('attribute writer pads to 4 and nests patch their length', (t) => {
  const w = new AttrWriter(4);
  w.u8(1, 0xab).nest(2, (n) => n.str(3, 'ab').u16(4, 0x1234)).be16(5, 0x0800);
  t.is(w.finish().toString('hex'), '05000100ab000000' + '14000280' + '07000300616200' + '00' + '0600040034120000' + '0600050008000000');
});

test('IPv6 text matches inet_ntop style (WHATWG URL serializer as reference) and parses back', (t) => {
  let seed = 42;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.alloc(16);
    for (let g = 0; g < 8; g++) if (rnd() < 0.5) b.writeUInt16BE(Math.floor(rnd() * 0x10000), 2 * g);
    if (b.subarray(0, 10).every((x) => x === 0) && b.readUInt16BE(10) === 0xffff) continue;
    const text = formatIPv6(b);
    t.is(new URL(`http://[${text}]/`).hostname, `[${text}]`);
    t.deepEqual(parseIPv6(text), b);
  }
  t.is(formatIPv6(parseIPv6('::ffff:192.0.2.1')!), '::ffff:192.0.2.1');
  t.is(parseIP('2001:db8::1').family, 6);
  t.is(parseIPv6('1::2::3'), null);
  t.is(parseIPv6('12345::'), null);
  t.throws(() => parseIP('300.1.1.1'), { message: /not an IPv4 or IPv6/ });
  t.is(parseLladdr('02:00:5e:00:01:aa').toString('hex'), '02005e0001aa');
  t.throws(() => parseLladdr('02:00:zz:00:01:aa'));
});

/** An RTM_NEWLINK payload of a bridge port, as a dump gives it: ifinfomsg, then IFLA_LINKINFO. */
function portMessage(data: (w: AttrWriter) => void): Buffer {
  const w = new AttrWriter(64);
  w.raw(Buffer.alloc(16));
  w.str(3, 'p1');
  w.nest(18, (li) => {
    li.str(1, 'veth');
    li.str(4, 'bridge');
    li.nest(5, data);
  });
  return Buffer.from(w.finish());
}

test('bridge port options: the settable IFLA_BRPORT_* only, verbatim; set back with IFLA_INFO_SLAVE_DATA', (t) => {
  const msg = portMessage((d) => {
    d.u8(1, 3); // STATE (derived: left out)
    d.u16(2, 5); // PRIORITY
    d.u32(3, 7); // COST
    d.u8(4, 1); // MODE (hairpin)
    d.u8(8, 0); // LEARNING
    d.u16(17, 0x1401); // ID (derived)
    d.u16(18, 1); // NO (derived)
    d.u16(31, 0); // GROUP_FWD_MASK
  });
  const o = bridgePortOptions(msg)!;
  // the hex words of each line, without the comment after them
  const bytes = (s: string): string => s.split('\n').map((l) => /^\s*((?:[0-9a-f]{8}\s*)*)/.exec(l)![1]!.replace(/\s+/g, '')).join('');
  t.is(o.toString('hex'), bytes(`
    06000200 05000000   PRIORITY 5
    08000300 07000000   COST 7
    05000400 01000000   MODE 1
    05000800 00000000   LEARNING 0
    06001f00 00000000   GROUP_FWD_MASK 0`));
  t.is(bridgePortOptions(Buffer.concat([Buffer.alloc(16), Buffer.from('0700030070310000', 'hex')])), null, 'not a port: null');
  // the defaults a re-enslaved port gets, and a backup port it did not have before
  const now = bridgePortOptions(portMessage((d) => { d.u16(2, 32); d.u32(3, 2); d.u8(4, 0); d.u8(8, 1); d.u16(31, 0); d.u32(34, 9); }))!;
  t.deepEqual(bridgePortDifferences(o, now), ['backup_port', 'cost', 'hairpin', 'learning', 'priority']);
  t.deepEqual(bridgePortDifferences(o, o), []);
  const w = new AttrWriter(64);
  encodeBridgePortOptions(w, o, now);
  t.is(Buffer.from(w.finish()).toString('hex'), bytes(`
    44001280                     IFLA_LINKINFO|NESTED len 68
    0b000400 62726964 67650000   IFLA_INFO_SLAVE_KIND "bridge\\0"
    34000580                     IFLA_INFO_SLAVE_DATA|NESTED len 52
    ${o.toString('hex')}
    08002200 00000000            BACKUP_PORT 0: cleared, as before`));
});
