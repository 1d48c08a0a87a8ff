// Ethernet frames for ARP (RFC 826, RFC 5227) and IPv6 neighbour advertisements (RFC 4861),
// built and parsed as plain bytes: no I/O here, so every field is unit-testable.

export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;
/** Ethernet minimum payload is 46 bytes: frames shorter than 60 (without FCS) are padded. */
const MIN_FRAME = 60;

export const BROADCAST_MAC = Buffer.from('ffffffffffff', 'hex');
export const ZERO_MAC = Buffer.alloc(6);
/** 33:33:00:00:00:01, the Ethernet group of ff02::1 (RFC 2464). */
export const ALL_NODES_MAC = Buffer.from('333300000001', 'hex');
export const ALL_NODES_IP6 = Buffer.from('ff020000000000000000000000000001', 'hex');

export interface ArpFields {
  /** Ethernet destination and source. */
  dst: Buffer;
  src: Buffer;
  op: number;
  senderMac: Buffer;
  senderIp: Buffer;
  targetMac: Buffer;
  targetIp: Buffer;
}

/** An Ethernet/IPv4 ARP frame, padded to the Ethernet minimum. */
export function buildArp(f: ArpFields): Buffer {
  const b = Buffer.alloc(MIN_FRAME);
  f.dst.copy(b, 0);
  f.src.copy(b, 6);
  b.writeUInt16BE(ETHERTYPE_ARP, 12);
  b.writeUInt16BE(1, 14); // htype Ethernet
  b.writeUInt16BE(0x0800, 16); // ptype IPv4
  b[18] = 6;
  b[19] = 4;
  b.writeUInt16BE(f.op, 20);
  f.senderMac.copy(b, 22);
  f.senderIp.copy(b, 28);
  f.targetMac.copy(b, 32);
  f.targetIp.copy(b, 38);
  return b;
}

/** The ARP fields of a frame, or null when it is no Ethernet/IPv4 ARP packet. */
export function parseArp(frame: Buffer): ArpFields | null {
  if (frame.length < 42 || frame.readUInt16BE(12) !== ETHERTYPE_ARP) return null;
  if (frame.readUInt16BE(14) !== 1 || frame.readUInt16BE(16) !== 0x0800 || frame[18] !== 6 || frame[19] !== 4) return null;
  return {
    dst: frame.subarray(0, 6), src: frame.subarray(6, 12), op: frame.readUInt16BE(20),
    senderMac: frame.subarray(22, 28), senderIp: frame.subarray(28, 32),
    targetMac: frame.subarray(32, 38), targetIp: frame.subarray(38, 42),
  };
}

/**
 * Gratuitous ARP for `ip` owned by `mac`. 'request' is RFC 5227's ARP announcement (what the
 * kernel's arp_notify sends and `arping -U` approximates): a broadcast request with sender =
 * target = ip and a zero target MAC. 'reply' is the `arping -A` style: a broadcast reply with
 * the target MAC set to our own, for the rare stacks that learn only from replies.
 */
export function buildGratuitousArp(mac: Buffer, ip: Buffer, mode: 'request' | 'reply' = 'request'): Buffer {
  return buildArp({
    dst: BROADCAST_MAC, src: mac, op: mode === 'request' ? ARPOP_REQUEST : ARPOP_REPLY,
    senderMac: mac, senderIp: ip, targetMac: mode === 'request' ? ZERO_MAC : mac, targetIp: ip,
  });
}

/** A broadcast who-has `target` from (mac, source); source 0.0.0.0 makes it an RFC 5227 probe. */
export function buildArpRequest(mac: Buffer, source: Buffer, target: Buffer): Buffer {
  return buildArp({ dst: BROADCAST_MAC, src: mac, op: ARPOP_REQUEST, senderMac: mac, senderIp: source, targetMac: ZERO_MAC, targetIp: target });
}

export type ReplyVerdict = { ok: true } | { ok: false; why: string };

/**
 * Whether `frame` is the answer to our who-has `target` sent from (mac, source), in the spirit
 * of bonding's arp_validate: an ARP reply, unicast to us, whose sender IP is the target and
 * whose target IP and MAC are ours. Gratuitous ARP and replies to somebody else fail here.
 */
export function validateArpReply(frame: Buffer, q: { mac: Buffer; source: Buffer; target: Buffer }): ReplyVerdict {
  const a = parseArp(frame);
  if (!a) return { ok: false, why: 'not an Ethernet/IPv4 ARP frame' };
  if (a.op !== ARPOP_REPLY) return { ok: false, why: `opcode ${a.op} is not a reply` };
  if (!a.senderIp.equals(q.target)) return { ok: false, why: 'sender IP is not the target' };
  if (!a.targetIp.equals(q.source)) return { ok: false, why: 'target IP is not our source address' };
  if (!a.targetMac.equals(q.mac)) return { ok: false, why: 'target MAC is not ours' };
  if (!a.dst.equals(q.mac)) return { ok: false, why: 'not unicast to us' };
  if (a.senderIp.equals(a.targetIp)) return { ok: false, why: 'gratuitous (sender IP = target IP)' };
  return { ok: true };
}

/** The 16-bit one's complement sum used by IPv4/ICMPv6, folded, not yet inverted. */
function sum16(buf: Buffer, acc = 0): number {
  let s = acc;
  for (let i = 0; i + 1 < buf.length; i += 2) s += buf.readUInt16BE(i);
  if (buf.length % 2) s += buf[buf.length - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** ICMPv6 checksum (RFC 4443 §2.3) over the IPv6 pseudo-header and the message. */
export function icmpv6Checksum(src: Buffer, dst: Buffer, message: Buffer): number {
  const pseudo = Buffer.alloc(40);
  src.copy(pseudo, 0);
  dst.copy(pseudo, 16);
  pseudo.writeUInt32BE(message.length, 32);
  pseudo[39] = 58; // next header ICMPv6
  const s = sum16(message, sum16(pseudo));
  return ~s & 0xffff;
}

/**
 * An unsolicited neighbour advertisement (RFC 4861 §7.2.6) for `address` owned by `mac`: to
 * all-nodes, Override set, Solicited clear, with the Target Link-Layer Address option; the
 * source is the address itself, as the kernel's ndisc_send_unsol_na does. Hop limit 255 (a
 * receiver drops NDP with any other).
 */
export function buildUnsolicitedNa(mac: Buffer, address: Buffer, opts: { router?: boolean; dstMac?: Buffer; dstIp?: Buffer } = {}): Buffer {
  const dstIp = opts.dstIp ?? ALL_NODES_IP6;
  const icmp = Buffer.alloc(32);
  icmp[0] = 136; // Neighbor Advertisement
  icmp[1] = 0;
  icmp[4] = (opts.router ? 0x80 : 0) | 0x20; // R, S=0, O=1
  address.copy(icmp, 8);
  icmp[24] = 2; // option: Target Link-Layer Address
  icmp[25] = 1; // length in units of 8 bytes
  mac.copy(icmp, 26);
  return ndpFrame(opts.dstMac ?? ALL_NODES_MAC, mac, address, dstIp, icmp);
}

/**
 * An NDP message in its Ethernet and IPv6 headers, its ICMPv6 checksum filled in: hop limit
 * 255, as RFC 4861 requires (a receiver drops NDP with any other).
 */
function ndpFrame(dstMac: Buffer, srcMac: Buffer, srcIp: Buffer, dstIp: Buffer, icmp: Buffer): Buffer {
  icmp.writeUInt16BE(icmpv6Checksum(srcIp, dstIp, icmp), 2);
  const b = Buffer.alloc(14 + 40 + icmp.length);
  dstMac.copy(b, 0);
  srcMac.copy(b, 6);
  b.writeUInt16BE(ETHERTYPE_IPV6, 12);
  b.writeUInt32BE(0x60000000, 14); // version 6, no traffic class, no flow label
  b.writeUInt16BE(icmp.length, 18);
  b[20] = 58; // next header ICMPv6
  b[21] = 255;
  srcIp.copy(b, 22);
  dstIp.copy(b, 38);
  icmp.copy(b, 54);
  return b;
}

// --- NDP probe (RFC 4861 §7.2.2 / §7.2.4): the IPv6 twin of the ARP probe ---

/** ff02::1:ffXX:XXXX, the solicited-node multicast group of `target` (RFC 4291 §2.7.1). */
export function solicitedNode(target: Buffer): Buffer {
  const g = Buffer.from('ff0200000000000000000001ff000000', 'hex');
  target.copy(g, 13, 13, 16);
  return g;
}

/** 33:33 and the group's low 32 bits: the Ethernet address of an IPv6 multicast group (RFC 2464 §7). */
export function multicastMac(group: Buffer): Buffer {
  const m = Buffer.from('333300000000', 'hex');
  group.copy(m, 2, 12, 16);
  return m;
}

/**
 * A Neighbor Solicitation for `target` from (mac, source), to target's solicited-node group,
 * hop limit 255, with the Source Link-Layer Address option so the answer can come back unicast
 * without a solicitation of its own. `source` must be a real address: an NS from :: (a DAD
 * probe) is answered to all-nodes with Solicited clear, which nothing could tell from an
 * unsolicited advertisement.
 */
export function buildNeighborSolicitation(mac: Buffer, source: Buffer, target: Buffer): Buffer {
  const dstIp = solicitedNode(target);
  const icmp = Buffer.alloc(32);
  icmp[0] = 135; // Neighbor Solicitation
  target.copy(icmp, 8);
  icmp[24] = 1; // option: Source Link-Layer Address
  icmp[25] = 1;
  mac.copy(icmp, 26);
  return ndpFrame(multicastMac(dstIp), mac, source, dstIp, icmp);
}

export interface NaFields {
  dst: Buffer;
  src: Buffer;
  hopLimit: number;
  srcIp: Buffer;
  dstIp: Buffer;
  type: number;
  code: number;
  router: boolean;
  solicited: boolean;
  override: boolean;
  target: Buffer;
  /** The ICMPv6 checksum is right for this source and destination. */
  checksumOk: boolean;
}

/**
 * The fields of an ICMPv6 message carried directly in an IPv6 frame (no extension headers: NDP
 * never has them), or null for anything else. Named for the NA but parses any ICMPv6 message
 * of at least 24 bytes, so the validator can say "not an NA" rather than "not ICMPv6".
 */
export function parseNa(frame: Buffer): NaFields | null {
  if (frame.length < 54 + 24 || frame.readUInt16BE(12) !== ETHERTYPE_IPV6 || frame[14]! >> 4 !== 6 || frame[20] !== 58) return null;
  const plen = frame.readUInt16BE(18);
  if (plen < 24 || 54 + plen > frame.length) return null;
  const srcIp = frame.subarray(22, 38);
  const dstIp = frame.subarray(38, 54);
  const icmp = frame.subarray(54, 54 + plen);
  return {
    dst: frame.subarray(0, 6), src: frame.subarray(6, 12), hopLimit: frame[21]!, srcIp, dstIp,
    type: icmp[0]!, code: icmp[1]!,
    router: (icmp[4]! & 0x80) !== 0, solicited: (icmp[4]! & 0x40) !== 0, override: (icmp[4]! & 0x20) !== 0,
    target: icmp.subarray(8, 24),
    // a correct checksum sums to 0xffff with itself included, i.e. recomputing over it gives 0
    checksumOk: icmpv6Checksum(srcIp, dstIp, icmp) === 0,
  };
}

/**
 * Whether `frame` answers our NS for `target` sent from (mac, source): an ICMPv6 Neighbor
 * Advertisement with hop limit 255 (so it was not routed here, RFC 4861 §7.1.2), a correct
 * checksum, the Solicited flag (an answer, not an announcement), our target, and sent back to
 * our source address and MAC. An unsolicited NA, one for another target or one routed in from
 * elsewhere fails here, as validateArpReply does for ARP.
 */
export function validateNaReply(frame: Buffer, q: { mac: Buffer; source: Buffer; target: Buffer }): ReplyVerdict {
  const n = parseNa(frame);
  if (!n) return { ok: false, why: 'not an Ethernet/IPv6 ICMPv6 frame' };
  if (n.type !== 136 || n.code !== 0) return { ok: false, why: `ICMPv6 type ${n.type} code ${n.code} is not a neighbour advertisement` };
  if (n.hopLimit !== 255) return { ok: false, why: `hop limit ${n.hopLimit}, not 255: not from this link` };
  if (!n.checksumOk) return { ok: false, why: 'bad ICMPv6 checksum' };
  if (!n.solicited) return { ok: false, why: 'Solicited flag clear: an announcement, not an answer' };
  if (!n.target.equals(q.target)) return { ok: false, why: 'target is not the probed address' };
  if (!n.dstIp.equals(q.source)) return { ok: false, why: 'not addressed to our source address' };
  if (!n.dst.equals(q.mac)) return { ok: false, why: 'not unicast to us' };
  return { ok: true };
}
