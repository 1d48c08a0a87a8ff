// Links (network interfaces): RTM_GETLINK/NEWLINK/SETLINK/DELLINK.
import { release } from 'node:os';
import { linkNameProblem } from './ifname.js';
import { closeSync, openSync } from 'node:fs';
import { NetlinkError, NotFoundError, UnsupportedError, UsageError } from '../errors.js';
import { AttrWriter, forEachAttr, formatLladdr, parseLladdr, readString } from './attr.js';
import { dumpEachIndexed } from './dump-once.js';
import { consistently, type Handle, NLM_F_CREATE, NLM_F_EXCL, type RequestOptions, RTM } from './handle.js';
import {
  type BondSpec, type BridgeSpec, decodeLinkInfo, encodeLinkInfo, ifinfomsg, type KindData, type MacvlanSpec,
  type SlaveData, validateKindSpec, type VlanSpec, encodeBridgePortOptions, bridgePortAttrNames, linkInfoAttrNames,
} from './linkinfo.js';
import { refuseTooNew } from './attr-since.js';
import { IFLA, IFLA_INET6, IFLA_PROTO_DOWN_REASON, KIND_TABLE, LINK_STATS_KEYS } from './link-kinds.js';
import { netnsPath } from './netns.js';

export type { KindData, SlaveData } from './linkinfo.js';

export { IFLA } from './link-kinds.js';

/** net_device_flags (include/uapi/linux/if.h), in the order iproute2 prints them. */
const IFF_BITS = [0x8, 0x2, 0x10, 0x1000, 0x80, 0x200, 0x100, 0x400, 0x800, 0x4, 0x8000, 0x4000, 0x2000, 0x20, 0x1, 0x10000, 0x20000, 0x40000];
const IFF_NAMES = [
  'LOOPBACK', 'BROADCAST', 'POINTOPOINT', 'MULTICAST', 'NOARP', 'ALLMULTI', 'PROMISC', 'MASTER', 'SLAVE', 'DEBUG',
  'DYNAMIC', 'AUTOMEDIA', 'PORTSEL', 'NOTRAILERS', 'UP', 'LOWER_UP', 'DORMANT', 'ECHO',
];
export const IFF_UP = 0x1;
/** sizeof(struct ifinfomsg): the attributes follow it. */
const IFINFOMSG_LEN = 16;
const IFF_RUNNING = 0x40;
const IFF_LOWER_UP = 0x10000;

/** IF_OPER_* (RFC 2863 operational status), lowercased like the kernel's sysfs operstate. */
const OPERSTATES = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'];
const LINKMODES = ['default', 'dormant', 'testing'];
const ADDR_GEN_MODES = ['eui64', 'none', 'stable_secret', 'random'];
const AF_INET6 = 10;

/** ADDR_GEN_MODE inside IFLA_AF_SPEC's AF_INET6 block, or null (no IPv6 on the link). */
function addrGenModeOf(buf: Buffer, s: number, e: number): string | null {
  let mode: string | null = null;
  forEachAttr(buf, s, e, (t, vs, ve) => {
    if (t !== AF_INET6) return;
    forEachAttr(buf, vs, ve, (t2, ws) => {
      if (t2 === IFLA_INET6.ADDR_GEN_MODE) mode = ADDR_GEN_MODES[buf[ws]!] ?? String(buf[ws]);
    });
  });
  return mode;
}
/** IFLA_PROTO_DOWN_REASON_VALUE inside IFLA_PROTO_DOWN_REASON (the last one wins), or null. */
function protoDownReasonOf(buf: Buffer, s: number, e: number): number | null {
  let v: number | null = null;
  forEachAttr(buf, s, e, (t, vs) => { if (t === IFLA_PROTO_DOWN_REASON.VALUE) v = buf.readUInt32LE(vs); });
  return v;
}
const ARPHRD_LOOPBACK = 772;
const ARPHRD: Record<number, string> = { 1: 'ether', 772: 'loopback', 768: 'ipip', 776: 'sit', 778: 'gre', 65534: 'none', 823: 'ip6gre', 769: 'tunnel6' };

/**
 * struct rtnl_link_stats64 (include/uapi/linux/if_link.h), its members by the kernel's names in
 * camelCase, in its order. The first ten are 0 when the kernel sends no counters (RTEXT_FILTER_SKIP_STATS);
 * the detailed ones are null when the payload does not reach them: rx_nohandler came in 4.6,
 * rx_otherhost_dropped in 6.0 (an older kernel sends a shorter IFLA_STATS64, and iproute2, which
 * zero-fills, prints neither). The 32-bit IFLA_STATS fallback has no rxOtherhostDropped.
 */
export interface LinkStats {
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
  rxErrors: number;
  txErrors: number;
  rxDropped: number;
  txDropped: number;
  multicast: number;
  collisions: number;
  /** Detailed rx_errors (ip -s -s: length_errors, over_errors, crc_errors, frame_errors, fifo_errors, missed_errors). */
  rxLengthErrors: number | null;
  rxOverErrors: number | null;
  rxCrcErrors: number | null;
  rxFrameErrors: number | null;
  rxFifoErrors: number | null;
  rxMissedErrors: number | null;
  /** Detailed tx_errors (ip -s -s: aborted_errors, carrier_errors, fifo_errors, heartbeat_errors, window_errors). */
  txAbortedErrors: number | null;
  txCarrierErrors: number | null;
  txFifoErrors: number | null;
  txHeartbeatErrors: number | null;
  txWindowErrors: number | null;
  /** Compressed packets (cslip, ppp); ip prints them only when non-zero. */
  rxCompressed: number | null;
  txCompressed: number | null;
  /** Dropped for want of a protocol handler (ip: nohandler, printed when non-zero); Linux 4.6+. */
  rxNohandler: number | null;
  /** Dropped as addressed to another host (ip: otherhost, printed when non-zero); Linux 6.0+. */
  rxOtherhostDropped: number | null;
}

// The members of LinkStats in struct rtnl_link_stats64's order live in link-kinds.ts (the header
// generator reads them there without loading this module, which loads the native addon).
export { LINK_STATS_KEYS };
void (LINK_STATS_KEYS satisfies readonly (keyof LinkStats)[]); // each a member of LinkStats

/** Counters as a link without any reads (the first ten 0, the detailed ones null). */
export function emptyStats(): LinkStats {
  return {
    rxPackets: 0, txPackets: 0, rxBytes: 0, txBytes: 0, rxErrors: 0, txErrors: 0, rxDropped: 0, txDropped: 0, multicast: 0, collisions: 0,
    rxLengthErrors: null, rxOverErrors: null, rxCrcErrors: null, rxFrameErrors: null, rxFifoErrors: null, rxMissedErrors: null,
    txAbortedErrors: null, txCarrierErrors: null, txFifoErrors: null, txHeartbeatErrors: null, txWindowErrors: null,
    rxCompressed: null, txCompressed: null, rxNohandler: null, rxOtherhostDropped: null,
  };
}

export interface Link {
  index: number;
  name: string;
  /** IFLA_INFO_KIND ('veth', 'bridge', 'vlan', …); 'loopback' or 'device' when the kernel gives none. */
  kind: string;
  admin: 'up' | 'down';
  oper: string;
  carrier: boolean;
  /** IFLA_CARRIER_CHANGES: carrier transitions since the device was made (ip -s -s: carrier_changes); null when not sent. */
  carrierChanges: number | null;
  /** IFLA_CARRIER_UP_COUNT / IFLA_CARRIER_DOWN_COUNT: the transitions each way. */
  carrierUpCount: number | null;
  carrierDownCount: number | null;
  /** IFLA_PROTO_DOWN: held down by a control protocol (ip: proto_down, printed only when on); null when not sent. */
  protoDown: boolean | null;
  /** IFLA_PROTO_DOWN_REASON's value: the bits of the reasons it is held down (ip: proto_down_reason); null when none. */
  protoDownReason: number | null;
  flags: string[];
  mtu: number;
  minMtu: number | null;
  maxMtu: number | null;
  mac: string | null;
  broadcast: string | null;
  permMac: string | null;
  /** ARPHRD name of the link layer ('ether', 'loopback', 'none', …). */
  linkType: string;
  masterIndex: number | null;
  /** IFLA_LINK when it names a lower device in this namespace (vlan, macvlan); null for veth. */
  parentIndex: number | null;
  /** IFLA_LINK as the kernel sent it (for veth: the peer; maybe in another namespace). */
  linkIndex: number | null;
  /** IFLA_LINK_NETNSID: linkIndex lives in the namespace with this id (peer of a veth elsewhere). */
  linkNetnsId: number | null;
  group: number;
  alias: string | null;
  altNames: string[];
  txqlen: number;
  promiscuity: number;
  /** IFLA_ALLMULTI (Linux 6.1+): how many want all multicast (ip -d: allmulti); null when not sent. */
  allmulti: number | null;
  /** What `ip -d link` prints as qdisc, linkmode, num_tx/rx_queues, gso/gro/tso limits; null when not sent. */
  qdisc: string | null;
  /** IFLA_LINKMODE: 'default', 'dormant' (set by a supplicant until authenticated), 'testing'. */
  linkMode: string | null;
  numTxQueues: number | null;
  numRxQueues: number | null;
  gsoMaxSize: number | null;
  gsoMaxSegs: number | null;
  groMaxSize: number | null;
  tsoMaxSize: number | null;
  tsoMaxSegs: number | null;
  /** IFLA_GSO_IPV4_MAX_SIZE / IFLA_GRO_IPV4_MAX_SIZE (Linux 6.3+): the IPv4 limits, apart from IPv6's BIG TCP ones. */
  gsoIpv4MaxSize: number | null;
  groIpv4MaxSize: number | null;
  /** IFLA_PARENT_DEV_NAME / IFLA_PARENT_DEV_BUS_NAME: the device (e.g. PCI 0000:00:03.0) and bus behind it (ip: parentdev, parentbus); null for virtual links. */
  parentDev: string | null;
  parentBus: string | null;
  /** IPv6 link-local generation (IFLA_AF_SPEC → AF_INET6 → ADDR_GEN_MODE): ip's inet6_addr_gen_mode. */
  addrGenMode: string | null;
  kindData: KindData | null;
  slaveKind: string | null;
  slaveData: SlaveData | null;
  stats: LinkStats;
}

// Names of each ifi_flags value seen, copied per link (links of a dump share a handful of values).
const flagNameCache = new Map<number, string[]>();

function flagNames(ifflags: number): string[] {
  let names = flagNameCache.get(ifflags);
  if (names === undefined) {
    names = [];
    for (let i = 0; i < IFF_BITS.length; i++) if (ifflags & IFF_BITS[i]!) names.push(IFF_NAMES[i]!);
    if (ifflags & IFF_UP && !(ifflags & IFF_RUNNING)) names.unshift('NO-CARRIER');
    if (flagNameCache.size < 256) flagNameCache.set(ifflags, names);
  }
  return names.slice();
}

let wordsOf: ArrayBufferLike | null = null;
let words: Uint32Array = new Uint32Array(0);

/** A Uint32Array over buf's memory (cached per receive buffer), or null when buf is not 4-aligned. */
function wordView(buf: Buffer): Uint32Array | null {
  if ((buf.byteOffset & 3) !== 0) return null;
  if (buf.buffer !== wordsOf) {
    wordsOf = buf.buffer;
    words = new Uint32Array(buf.buffer, 0, buf.buffer.byteLength >>> 2);
  }
  return words;
}

/** Slots of an attribute index row: [start, end) of the value of each IFLA type below 72 (INDEX_ROW / 2). */
export const LINK_ATTR_SLOTS = 72;

/** Where an attribute's start sits in an index row: 2 * its IFLA type (its end is the next slot). */
const S = Object.fromEntries(Object.entries(IFLA).map(([k, v]) => [k, 2 * v])) as { readonly [K in keyof typeof IFLA]: number };
const scratchIndex = new Int32Array(LINK_ATTR_SLOTS * 2);

/**
 * Decode one RTM_NEWLINK payload (ifinfomsg + attributes) at buf[off, end). Reads only what a
 * Link holds, in place: the generic decoder of the `netlink` package builds objects for every
 * attribute (all 25 stats64 counters as BigInt, AF_SPEC, …) and is several times slower on big
 * dumps. The attributes are first indexed by type, then read from the index (decodeLinkIndexed).
 */
export function decodeLink(buf: Buffer, off = 0, end = buf.length): Link {
  if (!wordView(buf) || ((off & 3) !== 0)) {
    // Unaligned input (not what the kernel hands us): decode an aligned copy.
    const copy = Buffer.from(new Uint8Array(buf.subarray(off, end)).buffer);
    return decodeLink(copy, 0, end - off);
  }
  const idx = scratchIndex;
  idx.fill(0);
  // Stops at the first malformed header (as the kernel's nla_for_each_attr does): a truncated
  // tail must not hide what came before. The last of two attributes of one type wins.
  for (let p = off + IFINFOMSG_LEN; p + 4 <= end; ) {
    const len = buf[p]! | (buf[p + 1]! << 8);
    if (len < 4 || p + len > end) break;
    const type = (buf[p + 2]! | (buf[p + 3]! << 8)) & 0x3fff;
    if (type < LINK_ATTR_SLOTS) {
      idx[2 * type] = p + 4;
      idx[2 * type + 1] = p + len;
    }
    p += (len + 3) & ~3;
  }
  return decodeLinkIndexed(buf, off, idx, 0);
}

/**
 * Build a Link from the message at buf[off…] whose top-level attributes are indexed in
 * idx[row, row + 2 * LINK_ATTR_SLOTS): [start, end) of the value of type t at row + 2t, start 0
 * when absent. The one-shot dump has the index made natively while it receives
 * (native/src/netlink_dump.cc), so a cold process never walks the ~45 attributes of each link in
 * unoptimized JavaScript, which was most of its decode time; only the ~20 a Link holds are read.
 * Netlink attributes are 4-byte aligned, so 32-bit fields are read as words of a Uint32Array:
 * one load each, where Buffer.readUInt32LE is a call plus four loads. buf must be 4-aligned.
 */
export function decodeLinkIndexed(buf: Buffer, off: number, idx: Int32Array, row: number): Link {
  const w = wordView(buf)!;
  const bo = buf.byteOffset;
  const type = buf[off + 2]! | (buf[off + 3]! << 8);
  const index = w[(bo + off + 4) >>> 2]! | 0;
  const ifflags = w[(bo + off + 8) >>> 2]!;
  // Arrays and the stats object are made apart from the literal: a literal with nested
  // array/object literals is deep-copied by a runtime call, a flat one by a fast builtin.
  const stats = emptyStats();
  const altNames: string[] = [];
  const link: Link = {
    index, name: '', kind: type === ARPHRD_LOOPBACK ? 'loopback' : 'device',
    admin: ifflags & IFF_UP ? 'up' : 'down', oper: 'unknown', carrier: (ifflags & IFF_LOWER_UP) !== 0,
    carrierChanges: null, carrierUpCount: null, carrierDownCount: null, protoDown: null, protoDownReason: null,
    flags: flagNames(ifflags), mtu: 0, minMtu: null, maxMtu: null, mac: null, broadcast: null, permMac: null,
    linkType: ARPHRD[type] ?? String(type),
    masterIndex: null, parentIndex: null, linkIndex: null, linkNetnsId: null, group: 0, alias: null, altNames,
    txqlen: 0, promiscuity: 0, allmulti: null, qdisc: null, linkMode: null, numTxQueues: null, numRxQueues: null,
    gsoMaxSize: null, gsoMaxSegs: null, groMaxSize: null, tsoMaxSize: null, tsoMaxSegs: null,
    gsoIpv4MaxSize: null, groIpv4MaxSize: null, parentDev: null, parentBus: null, addrGenMode: null,
    kindData: null, slaveKind: null, slaveData: null, stats,
  };
  let s = idx[row + S.IFNAME]!;
  if (s !== 0) link.name = readString(buf, s, idx[row + S.IFNAME + 1]!);
  if ((s = idx[row + S.ADDRESS]!) !== 0) link.mac = formatLladdr(buf, s, idx[row + S.ADDRESS + 1]!);
  if ((s = idx[row + S.BROADCAST]!) !== 0) link.broadcast = formatLladdr(buf, s, idx[row + S.BROADCAST + 1]!);
  if ((s = idx[row + S.PERM_ADDRESS]!) !== 0) link.permMac = formatLladdr(buf, s, idx[row + S.PERM_ADDRESS + 1]!);
  if ((s = idx[row + S.MTU]!) !== 0) link.mtu = w[(bo + s) >>> 2]!;
  if ((s = idx[row + S.MIN_MTU]!) !== 0) link.minMtu = w[(bo + s) >>> 2]!;
  if ((s = idx[row + S.MAX_MTU]!) !== 0) link.maxMtu = w[(bo + s) >>> 2]!;
  if ((s = idx[row + S.LINK]!) !== 0) link.linkIndex = w[(bo + s) >>> 2]! | 0;
  if ((s = idx[row + S.MASTER]!) !== 0) link.masterIndex = w[(bo + s) >>> 2]! || null;
  if ((s = idx[row + S.TXQLEN]!) !== 0) link.txqlen = w[(bo + s) >>> 2]!;
  if ((s = idx[row + S.OPERSTATE]!) !== 0) link.oper = OPERSTATES[buf[s]!] ?? String(buf[s]);
  if ((s = idx[row + S.CARRIER]!) !== 0) link.carrier = buf[s] !== 0;
  if ((s = idx[row + S.CARRIER_CHANGES]!) !== 0) link.carrierChanges = w[(bo + s) >>> 2]!;
  if ((s = idx[row + S.CARRIER_UP_COUNT]!) !== 0) link.carrierUpCount = w[(bo + s) >>> 2]!;
  if ((s = idx[row + S.CARRIER_DOWN_COUNT]!) !== 0) link.carrierDownCount = w[(bo + s) >>> 2]!;
  if ((s = idx[row + S.PROTO_DOWN]!) !== 0) link.protoDown = buf[s] !== 0;
  if ((s = idx[row + S.PROTO_DOWN_REASON]!) !== 0) link.protoDownReason = protoDownReasonOf(buf, s, idx[row + S.PROTO_DOWN_REASON + 1]!);
  if ((s = idx[row + S.ALLMULTI]!) !== 0) link.allmulti = w[(bo + s) >>> 2]!;
  if ((s = idx[row + S.IFALIAS]!) !== 0) link.alias = readString(buf, s, idx[row + S.IFALIAS + 1]!) || null;
  if ((s = idx[row + S.GROUP]!) !== 0) link.group = w[(bo + s) >>> 2]!;
  if ((s = idx[row + S.PROMISCUITY]!) !== 0) link.promiscuity = w[(bo + s) >>> 2]!;
  if ((s = idx[row + S.LINK_NETNSID]!) !== 0) link.linkNetnsId = w[(bo + s) >>> 2]! | 0;
  if ((s = idx[row + S.QDISC]!) !== 0) link.qdisc = readString(buf, s, idx[row + S.QDISC + 1]!) || null;
  if ((s = idx[row + S.LINKMODE]!) !== 0) link.linkMode = LINKMODES[buf[s]!] ?? String(buf[s]);
  if ((s = idx[row + S.NUM_TX_QUEUES]!) !== 0) link.numTxQueues = w[(bo + s) >>> 2]!;
  if ((s = idx[row + S.NUM_RX_QUEUES]!) !== 0) link.numRxQueues = w[(bo + s) >>> 2]!;
  if ((s = idx[row + S.GSO_MAX_SIZE]!) !== 0) link.gsoMaxSize = w[(bo + s) >>> 2]!;
  if ((s = idx[row + S.GSO_MAX_SEGS]!) !== 0) link.gsoMaxSegs = w[(bo + s) >>> 2]!;
  if ((s = idx[row + S.GRO_MAX_SIZE]!) !== 0) link.groMaxSize = w[(bo + s) >>> 2]!;
  if ((s = idx[row + S.TSO_MAX_SIZE]!) !== 0) link.tsoMaxSize = w[(bo + s) >>> 2]!;
  if ((s = idx[row + S.TSO_MAX_SEGS]!) !== 0) link.tsoMaxSegs = w[(bo + s) >>> 2]!;
  if ((s = idx[row + S.GSO_IPV4_MAX_SIZE]!) !== 0) link.gsoIpv4MaxSize = w[(bo + s) >>> 2]!;
  if ((s = idx[row + S.GRO_IPV4_MAX_SIZE]!) !== 0) link.groIpv4MaxSize = w[(bo + s) >>> 2]!;
  if ((s = idx[row + S.PARENT_DEV_NAME]!) !== 0) link.parentDev = readString(buf, s, idx[row + S.PARENT_DEV_NAME + 1]!);
  if ((s = idx[row + S.PARENT_DEV_BUS_NAME]!) !== 0) link.parentBus = readString(buf, s, idx[row + S.PARENT_DEV_BUS_NAME + 1]!);
  if ((s = idx[row + S.AF_SPEC]!) !== 0) link.addrGenMode = addrGenModeOf(buf, s, idx[row + S.AF_SPEC + 1]!);
  if ((s = idx[row + S.PROP_LIST]!) !== 0) { // ALT_IFNAMEs
    const e = idx[row + S.PROP_LIST + 1]!;
    for (let q = s; q + 4 <= e; ) {
      const h2 = w[(bo + q) >>> 2]!;
      const l2 = h2 & 0xffff;
      if (l2 < 4 || q + l2 > e) break;
      if (((h2 >>> 16) & 0x3fff) === IFLA.ALT_IFNAME) altNames.push(readString(buf, q + 4, q + l2));
      q += (l2 + 3) & ~3;
    }
  }
  // struct rtnl_link_stats64 (u64 counters; as Numbers, exact up to 2^53), else the 32-bit one.
  if ((s = idx[row + S.STATS64]!) !== 0 && idx[row + S.STATS64 + 1]! - s >= 80) {
    const v = (bo + s) >>> 2;
    stats.rxPackets = w[v]! + w[v + 1]! * 0x1_0000_0000; stats.txPackets = w[v + 2]! + w[v + 3]! * 0x1_0000_0000;
    stats.rxBytes = w[v + 4]! + w[v + 5]! * 0x1_0000_0000; stats.txBytes = w[v + 6]! + w[v + 7]! * 0x1_0000_0000;
    stats.rxErrors = w[v + 8]! + w[v + 9]! * 0x1_0000_0000; stats.txErrors = w[v + 10]! + w[v + 11]! * 0x1_0000_0000;
    stats.rxDropped = w[v + 12]! + w[v + 13]! * 0x1_0000_0000; stats.txDropped = w[v + 14]! + w[v + 15]! * 0x1_0000_0000;
    stats.multicast = w[v + 16]! + w[v + 17]! * 0x1_0000_0000; stats.collisions = w[v + 18]! + w[v + 19]! * 0x1_0000_0000;
    // the detailed counters: there since the struct was (2.6.35), but for the two at its end
    const n = idx[row + S.STATS64 + 1]! - s;
    if (n >= 184) {
      stats.rxLengthErrors = w[v + 20]! + w[v + 21]! * 0x1_0000_0000; stats.rxOverErrors = w[v + 22]! + w[v + 23]! * 0x1_0000_0000;
      stats.rxCrcErrors = w[v + 24]! + w[v + 25]! * 0x1_0000_0000; stats.rxFrameErrors = w[v + 26]! + w[v + 27]! * 0x1_0000_0000;
      stats.rxFifoErrors = w[v + 28]! + w[v + 29]! * 0x1_0000_0000; stats.rxMissedErrors = w[v + 30]! + w[v + 31]! * 0x1_0000_0000;
      stats.txAbortedErrors = w[v + 32]! + w[v + 33]! * 0x1_0000_0000; stats.txCarrierErrors = w[v + 34]! + w[v + 35]! * 0x1_0000_0000;
      stats.txFifoErrors = w[v + 36]! + w[v + 37]! * 0x1_0000_0000; stats.txHeartbeatErrors = w[v + 38]! + w[v + 39]! * 0x1_0000_0000;
      stats.txWindowErrors = w[v + 40]! + w[v + 41]! * 0x1_0000_0000;
      stats.rxCompressed = w[v + 42]! + w[v + 43]! * 0x1_0000_0000; stats.txCompressed = w[v + 44]! + w[v + 45]! * 0x1_0000_0000;
      if (n >= 192) stats.rxNohandler = w[v + 46]! + w[v + 47]! * 0x1_0000_0000;
      if (n >= 200) stats.rxOtherhostDropped = w[v + 48]! + w[v + 49]! * 0x1_0000_0000;
    }
  } else if ((s = idx[row + S.STATS]!) !== 0 && idx[row + S.STATS + 1]! - s >= 40) {
    const v = (bo + s) >>> 2;
    stats.rxPackets = w[v]!; stats.txPackets = w[v + 1]!; stats.rxBytes = w[v + 2]!; stats.txBytes = w[v + 3]!;
    stats.rxErrors = w[v + 4]!; stats.txErrors = w[v + 5]!; stats.rxDropped = w[v + 6]!; stats.txDropped = w[v + 7]!;
    stats.multicast = w[v + 8]!; stats.collisions = w[v + 9]!;
    // struct rtnl_link_stats: the same members as u32, rx_nohandler last (no rx_otherhost_dropped)
    const n = idx[row + S.STATS + 1]! - s;
    if (n >= 92) {
      stats.rxLengthErrors = w[v + 10]!; stats.rxOverErrors = w[v + 11]!; stats.rxCrcErrors = w[v + 12]!; stats.rxFrameErrors = w[v + 13]!;
      stats.rxFifoErrors = w[v + 14]!; stats.rxMissedErrors = w[v + 15]!; stats.txAbortedErrors = w[v + 16]!; stats.txCarrierErrors = w[v + 17]!;
      stats.txFifoErrors = w[v + 18]!; stats.txHeartbeatErrors = w[v + 19]!; stats.txWindowErrors = w[v + 20]!;
      stats.rxCompressed = w[v + 21]!; stats.txCompressed = w[v + 22]!;
      if (n >= 96) stats.rxNohandler = w[v + 23]!;
    }
  }
  if ((s = idx[row + S.LINKINFO]!) !== 0) {
    const info = decodeLinkInfo(buf, s, idx[row + S.LINKINFO + 1]!);
    if (info.kind) link.kind = info.kind;
    link.kindData = info.data;
    link.slaveKind = info.slaveKind;
    link.slaveData = info.slaveData;
  }
  // IFLA_LINK means "lower device" for stacked kinds but "the other end" for veth: only the
  // former is a parent in the hierarchy. A link in another namespace is never a parent here.
  if (link.kind === 'veth') {
    const vd = (link.kindData ??= { kind: 'veth' });
    if (vd.kind === 'veth' && link.linkIndex !== null) {
      vd.peerIndex = link.linkIndex;
      if (link.linkNetnsId !== null) vd.peerNetnsId = link.linkNetnsId;
    }
  } else if (link.linkIndex !== null && link.linkIndex !== 0 && link.linkNetnsId === null && link.linkIndex !== index) {
    link.parentIndex = link.linkIndex;
  }
  return link;
}

/** IFLA_EXT_MASK bit: leave out IFLA_STATS/STATS64 (and the per-link work of gathering them). */
const RTEXT_FILTER_SKIP_STATS = 1 << 3;

export function getlinkRequest(p: { index?: number; name?: string; skipStats?: boolean } = {}): Buffer {
  const w = new AttrWriter(64);
  w.raw(ifinfomsg({ index: p.index ?? 0 }));
  if (p.skipStats) w.u32(IFLA.EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  if (p.name !== undefined) {
    // Names up to IFNAMSIZ-1 are ifnames; longer ones can only be alternative names.
    if (Buffer.byteLength(p.name) < 16) w.str(IFLA.IFNAME, p.name);
    else w.str(IFLA.ALT_IFNAME, p.name);
  }
  return w.finish();
}

/** Every link of the handle's namespace, in ifindex order. */
export async function listLinks(h: Handle): Promise<Link[]> {
  const msgs = await h.dump(RTM.GETLINK, getlinkRequest(), { action: 'list links' });
  const out: Link[] = [];
  for (const m of msgs) if (m.type === RTM.NEWLINK) out.push(decodeLink(m.data, 0, m.data.length));
  return out;
}

/**
 * listLinks for a one-shot reader without a Handle (the CLI's `link list`): blocking reads of
 * the dump in the namespace (dump-once.ts), attributes indexed natively, decoded in place. Same
 * result, same errors.
 */
export function listLinksOnce(netns?: string, opts: Pick<RequestOptions, 'onInterrupted'> & { skipStats?: boolean } = {}): Link[] {
  return consistently(() => {
    const out: Link[] = [];
    // skipStats: counters read as zero, a quarter less for the kernel to fill (config apply)
    dumpEachIndexed(netns, RTM.GETLINK, getlinkRequest({ skipStats: opts.skipStats }), { action: 'list links' }, IFINFOMSG_LEN, (buf, type, s, e, idx, row) => {
      if (type === RTM.NEWLINK) out.push(row >= 0 ? decodeLinkIndexed(buf, s, idx, row) : decodeLink(buf, s, e));
    });
    return out;
  }, opts);
}

/** The raw RTM_NEWLINK payloads of a dump (for fixtures and benchmarks). */
export async function dumpLinksRaw(h: Handle): Promise<Buffer[]> {
  const msgs = await h.dump(RTM.GETLINK, getlinkRequest(), { action: 'list links' });
  return msgs.filter((m) => m.type === RTM.NEWLINK).map((m) => m.data);
}

/** One link by name (or alternative name) or ifindex; NotFoundError when there is none. */
export async function getLink(h: Handle, nameOrIndex: string | number): Promise<Link> {
  const byIndex = typeof nameOrIndex === 'number' || /^\d+$/.test(nameOrIndex);
  const req = byIndex ? getlinkRequest({ index: Number(nameOrIndex) }) : getlinkRequest({ name: String(nameOrIndex) });
  if (!byIndex && (nameOrIndex === '' || Buffer.byteLength(String(nameOrIndex)) > 127)) {
    throw new UsageError(`"${nameOrIndex}" is not a valid interface name`);
  }
  let msgs;
  try {
    msgs = await h.request(RTM.GETLINK, req, { target: String(nameOrIndex) });
  } catch (err) {
    if (err instanceof NetlinkError && (err.errno === 'ENODEV' || err.errno === 'ENOENT')) {
      throw new NotFoundError('interface', String(nameOrIndex), `(${err.op} ${err.errno}${h.netns ? ` in netns ${h.netns}` : ''})`);
    }
    throw err;
  }
  const m = msgs.find((x) => x.type === RTM.NEWLINK);
  if (!m) throw new NotFoundError('interface', String(nameOrIndex), h.netns ? `in netns ${h.netns}` : undefined);
  return decodeLink(m.data, 0, m.data.length);
}

/** An ifindex from a name or index; names are looked up in the handle's namespace. */
export async function resolveIndex(h: Handle, nameOrIndex: string | number): Promise<number> {
  if (typeof nameOrIndex === 'number') return nameOrIndex;
  if (/^\d+$/.test(nameOrIndex)) return Number(nameOrIndex);
  return (await getLink(h, nameOrIndex)).index;
}

export interface LinkSpec {
  name: string;
  kind: string;
  /** Lower device (vlan, macvlan): name or ifindex. */
  parent?: string | number;
  mtu?: number;
  mac?: string;
  master?: string | number;
  up?: boolean;
  group?: number;
  alias?: string;
  vlan?: VlanSpec;
  bond?: BondSpec;
  bridge?: BridgeSpec;
  macvlan?: MacvlanSpec;
  /** The other end: its name, and optionally the namespace (name under /run/netns) to create it in. */
  veth?: { peer: string; peerNetns?: string };
}

function checkName(name: string, what = 'interface name'): void {
  const why = linkNameProblem(name);
  if (why) throw new UsageError(`invalid ${what}: ${why}`);
}

/** Create a link (NLM_F_CREATE|NLM_F_EXCL: an existing name is an error, never modified). */
export async function addLink(h: Handle, spec: LinkSpec): Promise<void> {
  checkName(spec.name);
  if (spec.kind === 'veth' && spec.veth) checkName(spec.veth.peer, 'veth peer name');
  const why = validateKindSpec({ kind: spec.kind, vlan: spec.vlan, bond: spec.bond, bridge: spec.bridge, macvlan: spec.macvlan, veth: spec.veth && { peer: spec.veth.peer } });
  if (why) throw new UsageError(`cannot create ${spec.kind} ${spec.name}: ${why}`);
  if (KIND_TABLE.get(spec.kind)?.needsParent && spec.parent === undefined) {
    throw new UsageError(`cannot create ${spec.kind} ${spec.name}: it needs a parent (lower device)`);
  }
  // an IFLA_INFO_DATA attribute newer than the kernel would be ignored, not refused
  refuseTooNew(linkInfoAttrNames(spec), `create ${spec.kind} ${spec.name}`);
  const mac = spec.mac !== undefined ? parseMacOrThrow(spec.mac) : undefined;
  const parent = spec.parent !== undefined ? await resolveIndex(h, spec.parent) : undefined;
  const master = spec.master !== undefined ? await resolveIndex(h, spec.master) : undefined;
  let peerFd: number | undefined;
  if (spec.veth?.peerNetns) {
    try {
      peerFd = openSync(netnsPath(spec.veth.peerNetns), 'r');
    } catch {
      throw new NotFoundError('network namespace', spec.veth.peerNetns);
    }
  }
  try {
    const w = new AttrWriter(256);
    w.raw(ifinfomsg({ flags: spec.up ? IFF_UP : 0, change: spec.up ? IFF_UP : 0 }));
    w.str(IFLA.IFNAME, spec.name);
    if (parent !== undefined) w.u32(IFLA.LINK, parent);
    if (spec.mtu !== undefined) w.u32(IFLA.MTU, spec.mtu);
    if (mac) w.bytes(IFLA.ADDRESS, mac);
    if (master !== undefined) w.u32(IFLA.MASTER, master);
    if (spec.group !== undefined) w.u32(IFLA.GROUP, spec.group);
    encodeLinkInfo(w, {
      kind: spec.kind, vlan: spec.vlan, bond: spec.bond, bridge: spec.bridge, macvlan: spec.macvlan,
      veth: spec.veth && { peer: spec.veth.peer, peerNetnsFd: peerFd },
    });
    await h.request(RTM.NEWLINK, w.finish(), {
      flags: NLM_F_CREATE | NLM_F_EXCL, action: `create ${spec.kind} ${spec.name}`, target: spec.name,
    });
  } catch (err) {
    throw unsupportedKind(err, spec.kind) ?? err;
  } finally {
    if (peerFd !== undefined) closeSync(peerFd);
  }
  // The kernel takes IFLA_IFALIAS only on an existing device (do_setlink), not on create.
  if (spec.alias !== undefined) await setLink(h, await resolveIndex(h, spec.name), { alias: spec.alias });
}

/**
 * A kernel without the kind's driver answers RTM_NEWLINK with EOPNOTSUPP "Unknown device type"
 * (rtnl_newlink found no rtnl_link_ops and could not load the module): that is UNSUPPORTED
 * (exit 6) naming the module, not a netlink failure. The kernel's words stay in the fields.
 */
export function unsupportedKind(err: unknown, kind: string): UnsupportedError | undefined {
  if (!(err instanceof NetlinkError) || err.errno !== 'EOPNOTSUPP') return undefined;
  // Kernels that give no extended ACK text here answer a missing driver with a bare EOPNOTSUPP:
  // taken as the same answer, and said to be a reading of the errno alone.
  if (err.extack !== undefined && !/unknown device type/i.test(err.extack)) return undefined;
  const m = KIND_TABLE.get(kind)?.module;
  const bare = err.extack === undefined ? `; Linux ${release()} gave no reason, and this is how it refuses a link kind it has no driver for` : '';
  const why = `${err.message}${m ? ` (modprobe ${m.name}, or a kernel built with ${m.option}${bare})` : bare ? ` (${bare.slice(2)})` : ''}`;
  return new UnsupportedError(`link kind ${kind}`, why, undefined, { module: m?.name, cause: err });
}

function parseMacOrThrow(mac: string): Buffer {
  try {
    return parseLladdr(mac);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export interface LinkChange {
  up?: boolean;
  mtu?: number;
  mac?: string;
  name?: string;
  /** Enslave to this master (ifindex), or null / 0 for nomaster. */
  master?: number | null;
  alias?: string;
  group?: number;
}

/**
 * Change an existing link (RTM_NEWLINK on its index, as iproute2's `ip link set` does), all or
 * nothing. The kernel applies a request's attributes one after another and stops at the first
 * it refuses, keeping the ones before (do_setlink: "A link change request failed with some
 * changes committed already"): on Linux 6.1 a new MTU and name for a link that is up set the
 * MTU, then refuse the name. So a request of several changes that fails is undone here, field
 * by field, from the link as it was just before (opts.current: a caller that has just read the
 * link passes it, saving a second read).
 */
/** The hint of a rename refused because the link is up (Linux before 6.2). */
export const RENAME_UP_HINT = 'this kernel (before 6.2) renames a link only while it is down: set it down, rename it, set it up';

export async function setLink(h: Handle, index: number, change: LinkChange, opts: { current?: Link } = {}): Promise<void> {
  if (change.name !== undefined) checkName(change.name);
  const mac = change.mac !== undefined ? parseMacOrThrow(change.mac) : undefined;
  const what = Object.keys(change).filter((k) => change[k as keyof LinkChange] !== undefined);
  // the link as it is now: the caller's, if it has just read it
  const before = opts.current ?? (what.length > 1 ? await getLink(h, index).catch(() => null) : null);
  try {
    await requestSetLink(h, index, change, mac);
  } catch (err) {
    if (!(err instanceof NetlinkError)) throw err;
    const undo = before && what.length > 1 ? await undoPartial(h, before, change) : '';
    // Linux before 6.2 (dev_change_name) renames only a link that is down, with a bare EBUSY
    // (no extack): say why, and what to do, since "device or resource busy" names neither
    const renameUp = err.errno === 'EBUSY' && change.name !== undefined && (before ?? await getLink(h, index).catch(() => null))?.admin === 'up';
    const hint = [renameUp ? RENAME_UP_HINT : '', undo].filter(Boolean).join('; ') || undefined;
    throw await nameTheLink(h, index, err, `set ${what.join(', ')} on`, hint);
  }
}

async function requestSetLink(h: Handle, index: number, change: LinkChange, mac: Buffer | undefined): Promise<void> {
  const w = new AttrWriter(128);
  w.raw(ifinfomsg({ index, flags: change.up ? IFF_UP : 0, change: change.up !== undefined ? IFF_UP : 0 }));
  if (change.name !== undefined) w.str(IFLA.IFNAME, change.name);
  if (change.mtu !== undefined) w.u32(IFLA.MTU, change.mtu);
  if (mac) w.bytes(IFLA.ADDRESS, mac);
  if (change.master !== undefined) w.u32(IFLA.MASTER, change.master ?? 0);
  if (change.alias !== undefined) w.str(IFLA.IFALIAS, change.alias);
  if (change.group !== undefined) w.u32(IFLA.GROUP, change.group);
  await h.request(RTM.NEWLINK, w.finish(), { action: `set link ${index}`, target: String(index) });
}

/**
 * Put back what a failed request changed, each field on its own, in the reverse of the
 * kernel's order (master last in, first out). Says what it could not put back, else ''.
 */
async function undoPartial(h: Handle, before: Link, change: LinkChange): Promise<string> {
  const now = await getLink(h, before.index).catch(() => null);
  if (!now) return '';
  const steps: Array<[string, LinkChange]> = [];
  if (change.master !== undefined && now.masterIndex !== before.masterIndex) steps.push(['master', { master: before.masterIndex }]);
  if (change.up !== undefined && now.admin !== before.admin) steps.push(['up', { up: before.admin === 'up' }]);
  if (change.alias !== undefined && now.alias !== before.alias) steps.push(['alias', { alias: before.alias ?? '' }]);
  if (change.name !== undefined && now.name !== before.name) steps.push(['name', { name: before.name }]);
  if (change.group !== undefined && now.group !== before.group) steps.push(['group', { group: before.group }]);
  if (change.mtu !== undefined && now.mtu !== before.mtu) steps.push(['mtu', { mtu: before.mtu }]);
  if (change.mac !== undefined && now.mac !== before.mac && before.mac) steps.push(['mac', { mac: before.mac }]);
  const failed: string[] = [];
  for (const [field, c] of steps) {
    await requestSetLink(h, before.index, c, c.mac !== undefined ? parseMacOrThrow(c.mac) : undefined).catch((e: unknown) => {
      failed.push(`${field} (${e instanceof NetlinkError ? e.errno : String(e)})`);
    });
  }
  return failed.length ? `changed before the refusal and not put back: ${failed.join(', ')}` : '';
}

/** Retell a refusal with the link's name (looked up only on this error path). */
async function nameTheLink(h: Handle, index: number, err: unknown, doing: string, hint?: string): Promise<unknown> {
  if (!(err instanceof NetlinkError)) return err;
  const name = await getLink(h, index).then((l) => l.name, () => null);
  if (err.errno === 'ENODEV' && !name) return new NotFoundError('interface', `#${index}`, h.netns ? `in netns ${h.netns}` : undefined);
  return err.withAction(`${doing} ${name ?? `link ${index}`}`, name ?? String(index), hint);
}

/** Delete a link (for veth: both ends). */
export async function delLink(h: Handle, index: number): Promise<void> {
  try {
    await h.request(RTM.DELLINK, ifinfomsg({ index }), { action: `delete link ${index}`, target: String(index) });
  } catch (err) {
    throw await nameTheLink(h, index, err, 'delete');
  }
}

/**
 * Set a bridge port's options back to `options` (bridgePortOptions bytes of an earlier dump):
 * re-enslaving a port gives it the defaults. `now` is what it has at present (see
 * encodeBridgePortOptions). `o.kernel`: the release to check the options against (tests).
 */
export async function setBridgePortOptions(h: Handle, index: number, options: Buffer, now: Buffer | null, o: { kernel?: string } = {}): Promise<void> {
  // Options read from a newer kernel (a journal replayed after booting an older one) would be
  // dropped by this one's liberal parse of the port data: refused before anything is sent.
  refuseTooNew(bridgePortAttrNames(options), `set the bridge port options of link ${index}`, o.kernel);
  const w = new AttrWriter(256);
  w.raw(ifinfomsg({ index }));
  encodeBridgePortOptions(w, options, now);
  try {
    await h.request(RTM.NEWLINK, w.finish(), { action: `set bridge port options of link ${index}`, target: String(index) });
  } catch (err) {
    throw await nameTheLink(h, index, err, 'set the bridge port options of');
  }
}
