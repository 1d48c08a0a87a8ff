// Frame building checked against frames the Linux kernel itself sent (recorded with tcpdump
// -xx in a namespace: arp_notify and ndisc_notify on link up), and the reply validation.
import test from 'ava';
import {
  ARPOP_REPLY, buildArp, buildArpRequest, buildGratuitousArp, buildUnsolicitedNa, icmpv6Checksum, parseArp,
  validateArpReply, ZERO_MAC,
} from '../../src/arp/frames.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const MAC_A = hex('02000000000a');
const MAC_B = hex('02000000000b');
const IP_A = Buffer.from([192, 0, 2, 1]);
const IP_B = Buffer.from([192, 0, 2, 2]);

// kernel, arp_notify=1: 02:00:00:00:00:0a > ff:ff:ff:ff:ff:ff who-has 192.0.2.1 tell 192.0.2.1
const KERNEL_GARP = hex(`ffff ffff ffff 0200 0000 000a 0806 0001
  0800 0604 0001 0200 0000 000a c000 0201 0000 0000 0000 c000 0201`);
// kernel, ndisc_notify=1: 2001:db8::1 > ff02::1 neighbor advertisement, tgt is 2001:db8::1
const KERNEL_NA = hex(`3333 0000 0001 0200 0000 000a 86dd 6000
  0000 0020 3aff 2001 0db8 0000 0000 0000 0000 0000 0001 ff02 0000 0000 0000 0000
  0000 0000 0001 8800 f921 2000 0000 2001 0db8 0000 0000 0000 0000 0000 0001 0201
  0200 0000 000a`);
// kernel: fe80::ff:fe00:a > ff02::1 neighbor advertisement (another checksum to match)
const KERNEL_NA_LL = hex(`3333 0000 0001 0200 0000 000a 86dd 6000
  0000 0020 3aff fe80 0000 0000 0000 0000 00ff fe00 000a ff02 0000 0000 0000 0000
  0000 0000 0001 8800 5980 2000 0000 fe80 0000 0000 0000 0000 00ff fe00 000a 0201
  0200 0000 000a`);

test('gratuitous ARP request equals the kernel\'s arp_notify frame, padded to 60 bytes', (t) => {
  const f = buildGratuitousArp(MAC_A, IP_A, 'request');
  t.is(f.length, 60);
  t.deepEqual(f.subarray(0, 42), KERNEL_GARP);
  t.true(f.subarray(42).equals(Buffer.alloc(18)));
});

test('reply-style gratuitous ARP: opcode 2, target MAC = ours, broadcast', (t) => {
  const a = parseArp(buildGratuitousArp(MAC_A, IP_A, 'reply'))!;
  t.is(a.op, ARPOP_REPLY);
  t.deepEqual(a.targetMac, MAC_A);
  t.deepEqual(a.senderIp, IP_A);
  t.deepEqual(a.targetIp, IP_A);
  t.deepEqual(a.dst, hex('ffffffffffff'));
});

test('unsolicited NA equals the kernel\'s ndisc_notify frame byte for byte (checksum included)', (t) => {
  t.deepEqual(buildUnsolicitedNa(MAC_A, hex('20010db8000000000000000000000001')), KERNEL_NA);
  t.deepEqual(buildUnsolicitedNa(MAC_A, hex('fe80000000000000000000fffe00000a')), KERNEL_NA_LL);
});

test('ICMPv6 checksum: a message with its checksum in place sums to zero', (t) => {
  const icmp = Buffer.from(KERNEL_NA.subarray(54));
  const src = KERNEL_NA.subarray(22, 38);
  const dst = KERNEL_NA.subarray(38, 54);
  t.is(icmpv6Checksum(src, dst, icmp), 0);
  icmp[5] ^= 1;
  t.not(icmpv6Checksum(src, dst, icmp), 0);
});

test('request: who-has target tell source, broadcast, zero target MAC', (t) => {
  const a = parseArp(buildArpRequest(MAC_A, IP_A, IP_B))!;
  t.is(a.op, 1);
  t.deepEqual(a.dst, hex('ffffffffffff'));
  t.deepEqual(a.senderMac, MAC_A);
  t.deepEqual(a.senderIp, IP_A);
  t.deepEqual(a.targetMac, ZERO_MAC);
  t.deepEqual(a.targetIp, IP_B);
});

test('reply validation accepts only the answer to our request', (t) => {
  const q = { mac: MAC_A, source: IP_A, target: IP_B };
  const reply = (over: Partial<Parameters<typeof buildArp>[0]> = {}): Buffer => buildArp({
    dst: MAC_A, src: MAC_B, op: 2, senderMac: MAC_B, senderIp: IP_B, targetMac: MAC_A, targetIp: IP_A, ...over,
  });
  t.deepEqual(validateArpReply(reply(), q), { ok: true });
  t.deepEqual(validateArpReply(buildGratuitousArp(MAC_B, IP_B, 'request'), q), { ok: false, why: 'opcode 1 is not a reply' });
  t.false(validateArpReply(buildGratuitousArp(MAC_B, IP_B, 'reply'), q).ok);
  t.regex((validateArpReply(reply({ senderIp: Buffer.from([192, 0, 2, 3]) }), q) as { why: string }).why, /sender IP/);
  t.regex((validateArpReply(reply({ targetIp: Buffer.from([192, 0, 2, 9]) }), q) as { why: string }).why, /target IP/);
  t.regex((validateArpReply(reply({ targetMac: hex('02000000000c') }), q) as { why: string }).why, /target MAC/);
  t.regex((validateArpReply(reply({ dst: hex('ffffffffffff') }), q) as { why: string }).why, /unicast/);
  t.regex((validateArpReply(Buffer.alloc(60), q) as { why: string }).why, /not an Ethernet\/IPv4 ARP/);
  // an RFC 5227 probe (source 0.0.0.0) is answered with target IP 0.0.0.0
  const probe = { mac: MAC_A, source: Buffer.alloc(4), target: IP_B };
  t.true(validateArpReply(reply({ targetIp: Buffer.alloc(4) }), probe).ok);
});
