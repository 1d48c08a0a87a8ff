// The NDP probe's frames: the solicitation checked against the one the Linux kernel itself sent,
// and the advertisement validation against the kernel's answer to it (both recorded with
// tcpdump -xx in a namespace pair: 2001:db8::a on 02:..:0a asking for 2001:db8::1 on 02:..:0b),
// then against each way an NA can fail to be that answer.
import test from 'ava';
import {
  buildNeighborSolicitation, buildUnsolicitedNa, icmpv6Checksum, multicastMac, parseNa, solicitedNode, validateNaReply,
} from '../../src/arp/frames.js';
import { parseIPv6 } from '../../src/netlink/attr.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const MAC_A = hex('02000000000a');
const MAC_B = hex('02000000000b');
const IP_A = parseIPv6('2001:db8::a')!;
const GW = parseIPv6('2001:db8::1')!;

// kernel: 2001:db8::a > ff02::1:ff00:1: neighbor solicitation, who has 2001:db8::1
const KERNEL_NS = hex(`3333 ff00 0001 0200 0000 000a 86dd 6000
  0000 0020 3aff 2001 0db8 0000 0000 0000 0000 0000 000a ff02 0000 0000 0000 0000
  0001 ff00 0001 8700 1c17 0000 0000 2001 0db8 0000 0000 0000 0000 0000 0001 0101
  0200 0000 000a`);
// kernel: 2001:db8::1 > 2001:db8::a: neighbor advertisement, tgt is 2001:db8::1 (S and O set)
const KERNEL_NA = hex(`0200 0000 000a 0200 0000 000b 86dd 6000
  0000 0020 3aff 2001 0db8 0000 0000 0000 0000 0000 0001 2001 0db8 0000 0000 0000
  0000 0000 000a 8800 8a61 6000 0000 2001 0db8 0000 0000 0000 0000 0000 0001 0201
  0200 0000 000b`);

const q = { mac: MAC_A, source: IP_A, target: GW };

/** The kernel's NA with one thing changed, its checksum made right again unless told. */
function na(edit: (f: Buffer) => void, fixChecksum = true): Buffer {
  const f = Buffer.from(KERNEL_NA);
  edit(f);
  if (fixChecksum) {
    f.writeUInt16BE(0, 56);
    f.writeUInt16BE(icmpv6Checksum(f.subarray(22, 38), f.subarray(38, 54), f.subarray(54)), 56);
  }
  return f;
}

const why = (v: ReturnType<typeof validateNaReply>): string => (v.ok ? 'ok' : v.why);

test('solicited-node group and its Ethernet address (RFC 4291, RFC 2464)', (t) => {
  t.deepEqual(solicitedNode(parseIPv6('2001:db8::12:3456:789a')!), parseIPv6('ff02::1:ff56:789a'));
  t.deepEqual(multicastMac(parseIPv6('ff02::1:ff56:789a')!), hex('3333ff56789a'));
});

test('neighbour solicitation equals the kernel\'s, byte for byte', (t) => {
  t.deepEqual(buildNeighborSolicitation(MAC_A, IP_A, GW), KERNEL_NS);
});

test('the kernel\'s solicited advertisement answers our solicitation', (t) => {
  const n = parseNa(KERNEL_NA)!;
  t.is(n.type, 136);
  t.true(n.solicited && n.override && !n.router && n.checksumOk);
  t.deepEqual(validateNaReply(KERNEL_NA, q), { ok: true });
});

test('an advertisement that is not that answer is refused, each for its reason', (t) => {
  t.regex(why(validateNaReply(na((f) => f.writeUInt8(254, 21)), q)), /hop limit 254/);
  t.regex(why(validateNaReply(na((f) => f.writeUInt8(135, 54)), q)), /type 135 .*not a neighbour advertisement/);
  t.regex(why(validateNaReply(na((f) => f.writeUInt8(0x20, 58)), q)), /Solicited flag clear/);
  t.regex(why(validateNaReply(na((f) => f.writeUInt8(0x99, 77)), q)), /target is not/);
  t.regex(why(validateNaReply(na((f) => f.writeUInt8(0x0b, 53)), q)), /not addressed to our source/);
  t.regex(why(validateNaReply(na((f) => f.writeUInt8(0x0c, 5)), q)), /not unicast to us/);
  t.regex(why(validateNaReply(na((f) => f.writeUInt8(0x99, 77), false), q)), /checksum/);
  t.regex(why(validateNaReply(na((f) => f.writeUInt8(17, 20), false), q)), /not an Ethernet\/IPv6 ICMPv6/);
  // the gateway's own unsolicited NA (what a failover of the gateway sends) is no answer
  t.regex(why(validateNaReply(buildUnsolicitedNa(MAC_B, GW), q)), /Solicited flag clear/);
  t.regex(why(validateNaReply(KERNEL_NA.subarray(0, 60), q)), /not an Ethernet\/IPv6 ICMPv6/);
});
