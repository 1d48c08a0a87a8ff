// Netlink answers that differ by kernel, named in errors, on recorded bytes: the extended ACK
// points at an attribute (NLMSGERR_ATTR_OFFS) more often than it explains it, and older kernels
// give no text at all for many refusals. Recorded from Linux 6.18 in a throwaway namespace
// (RTM_NEWLINK on lo with a 2-byte IFLA_MTU, and with an empty IFLA_ALT_IFNAME).
import test from 'ava';
import { NetlinkError, UnsupportedError } from '../../src/errors.js';
import { parseAck } from '../../src/netlink/ack.js';
import { attributeAt } from '../../src/netlink/attr-names.js';
import { refusal, RTM } from '../../src/netlink/handle.js';
import { unsupportedKind } from '../../src/netlink/link.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const NLM_F_CAPPED_TLVS = 0x300;

const MTU_REQ = hex('000000000100000000000000000000000600040000050000');
const MTU_ACK = hex('deffffff2800000010000500010000002620000827000100417474726962757465206661696c656420706f6c6963792076616c69646174696f6e00000800020020000000240004800c00040000000000000000000c000500ffffffff000000000800010004000000');
const ALT_REQ = hex('00000000010000000000000000000000070003006c6f000004003500');
const ALT_ACK = hex('deffffff2c00000010000500040000002620000827000100417474726962757465206661696c656420706f6c6963792076616c69646174696f6e0000080002002800000014000480080007007f000000080001000b000000');

test('a policy refusal names the attribute the kernel pointed at, and the kernel', (t) => {
  const ack = parseAck(MTU_ACK, NLM_F_CAPPED_TLVS);
  t.like(ack, { errnoName: 'ERANGE', message: 'Attribute failed policy validation', offset: 32 });
  const err = refusal(RTM.NEWLINK, ack, { action: 'set mtu on lo', target: 'lo' }, MTU_REQ, '5.10.0-46-amd64') as NetlinkError;
  t.true(err instanceof NetlinkError);
  t.is(err.attribute, 'IFLA_MTU');
  t.is(err.kernel, '5.10.0-46-amd64');
  t.is(err.message, 'cannot set mtu on lo: RTM_NEWLINK ERANGE: Attribute failed policy validation (attribute IFLA_MTU on Linux 5.10.0-46-amd64)');
  t.like(err.toJSON(), { attribute: 'IFLA_MTU', kernel: '5.10.0-46-amd64', extack: 'Attribute failed policy validation' });
  // retold for the caller, the attribute stays
  t.is((err.withAction('set mtu, name on lo')).attribute, 'IFLA_MTU');
});

test('the attribute is found past others (IFLA_ALT_IFNAME after IFLA_IFNAME)', (t) => {
  const ack = parseAck(ALT_ACK, NLM_F_CAPPED_TLVS);
  t.is(ack.offset, 40);
  const err = refusal(RTM.NEWLINK, ack, {}, ALT_REQ, '6.18.44') as NetlinkError;
  t.is(err.attribute, 'IFLA_ALT_IFNAME');
});

test('nested attributes are named by their path; an offset on no attribute header names none', (t) => {
  // ifinfomsg, IFLA_LINKINFO { IFLA_INFO_KIND "bridge", IFLA_INFO_DATA { attribute 7 (u8) } }
  const fixed = hex('00000000010000000000000000000000' + '1c001280' + '0b0001006272696467650000' + '0c000280' + '0500070001000000');
  t.is(fixed.length, 16 + 28);
  t.is(attributeAt(RTM.NEWLINK, fixed, 16 + 16), 'IFLA_LINKINFO');
  t.is(attributeAt(RTM.NEWLINK, fixed, 16 + 16 + 4), 'IFLA_LINKINFO › IFLA_INFO_KIND');
  t.is(attributeAt(RTM.NEWLINK, fixed, 16 + 16 + 16), 'IFLA_LINKINFO › IFLA_INFO_DATA');
  t.is(attributeAt(RTM.NEWLINK, fixed, 16 + 16 + 20), 'IFLA_LINKINFO › IFLA_INFO_DATA › attribute 7');
  t.is(attributeAt(RTM.NEWLINK, fixed, 16 + 16 + 2), undefined);
  t.is(attributeAt(RTM.NEWADDR, hex('0218000001000000' + '08000200c0000201'), 16 + 8), 'IFA_LOCAL');
});

test('a bare errno (no extended ACK text, as older kernels answer): the errno\'s words, no attribute, no guess', (t) => {
  // as recorded for RTM_NEWLINK EOPNOTSUPP with no TLVs (flags NLM_F_CAPPED only)
  const ack = parseAck(hex('a1ffffff3c000000100005000300000026200008'), 0x100);
  t.like(ack, { errnoName: 'EOPNOTSUPP', message: undefined, offset: undefined });
  const err = refusal(RTM.NEWLINK, ack, { action: 'create vlan eth0.100', target: 'eth0.100' }, MTU_REQ) as NetlinkError;
  t.is(err.attribute, undefined);
  t.is(err.message, 'cannot create vlan eth0.100: RTM_NEWLINK EOPNOTSUPP: operation not supported');
});

test('a missing link driver is UNSUPPORTED with the module named, with or without the kernel\'s text', (t) => {
  const withText = new NetlinkError({ op: 'RTM_NEWLINK', errno: 'EOPNOTSUPP', errnoValue: 95, extack: 'Unknown device type', action: 'create vlan v0' });
  const bare = new NetlinkError({ op: 'RTM_NEWLINK', errno: 'EOPNOTSUPP', errnoValue: 95, action: 'create vlan v0' });
  const other = new NetlinkError({ op: 'RTM_NEWLINK', errno: 'EOPNOTSUPP', errnoValue: 95, extack: 'VLANs not supported on device', action: 'create vlan v0' });
  const a = unsupportedKind(withText, 'vlan');
  const b = unsupportedKind(bare, 'vlan');
  t.true(a instanceof UnsupportedError);
  t.true(b instanceof UnsupportedError);
  t.regex(a!.message, /modprobe 8021q, or a kernel built with CONFIG_VLAN_8021Q\)$/);
  t.regex(b!.message, /modprobe 8021q, or a kernel built with CONFIG_VLAN_8021Q; Linux \S+ gave no reason, and this is how it refuses a link kind it has no driver for\)$/);
  t.is(unsupportedKind(other, 'vlan'), undefined, 'a driver\'s own refusal is not a missing driver');
});
