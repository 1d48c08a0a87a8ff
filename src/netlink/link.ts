// Links (network interfaces): RTM_GETLINK/NEWLINK/SETLINK/DELLINK.
import { closeSync, openSync } from 'node:fs';
import { NetlinkError, NotFoundError, UsageError } from '../errors.js';
import { AttrWriter, formatLladdr, parseLladdr, readString } from './attr.js';
import { type Handle, NLM_F_CREATE, NLM_F_EXCL, RTM } from './handle.js';
import {
  type BondSpec, type BridgeSpec, decodeLinkInfo, encodeLinkInfo, ifinfomsg, type KindData, type MacvlanSpec,
  type SlaveData, validateKindSpec, type VlanSpec,
} from './linkinfo.js';
import { netnsPath } from './netns.js';

export type { KindData, SlaveData } from './linkinfo.js';

/** IFLA_* attribute numbers (include/uapi/linux/if_link.h). */
export const IFLA = {
  ADDRESS: 1, BROADCAST: 2, IFNAME: 3, MTU: 4, LINK: 5, QDISC: 6, STATS: 7, MASTER: 10, TXQLEN: 13,
  OPERSTATE: 16, LINKMODE: 17, LINKINFO: 18, IFALIAS: 20, STATS64: 23, AF_SPEC: 26, GROUP: 27,
  NET_NS_FD: 28, EXT_MASK: 29, PROMISCUITY: 30, NUM_TX_QUEUES: 31, NUM_RX_QUEUES: 32, CARRIER: 33,
  CARRIER_CHANGES: 35, LINK_NETNSID: 37, PROTO_DOWN: 39, MIN_MTU: 50, MAX_MTU: 51, PROP_LIST: 52,
  ALT_IFNAME: 53, PERM_ADDRESS: 54, PARENT_DEV_NAME: 56,
} as const;

/** net_device_flags (include/uapi/linux/if.h), in the order iproute2 prints them. */
const IFF_BITS = [0x8, 0x2, 0x10, 0x1000, 0x80, 0x200, 0x100, 0x400, 0x800, 0x4, 0x8000, 0x4000, 0x2000, 0x20, 0x1, 0x10000, 0x20000, 0x40000];
const IFF_NAMES = [
  'LOOPBACK', 'BROADCAST', 'POINTOPOINT', 'MULTICAST', 'NOARP', 'ALLMULTI', 'PROMISC', 'MASTER', 'SLAVE', 'DEBUG',
  'DYNAMIC', 'AUTOMEDIA', 'PORTSEL', 'NOTRAILERS', 'UP', 'LOWER_UP', 'DORMANT', 'ECHO',
];
export const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;
const IFF_LOWER_UP = 0x10000;

/** IF_OPER_* (RFC 2863 operational status), lowercased like the kernel's sysfs operstate. */
const OPERSTATES = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'];
const ARPHRD_LOOPBACK = 772;
const ARPHRD: Record<number, string> = { 1: 'ether', 772: 'loopback', 768: 'ipip', 776: 'sit', 778: 'gre', 65534: 'none', 823: 'ip6gre', 769: 'tunnel6' };

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
}

export interface Link {
  index: number;
  name: string;
  /** IFLA_INFO_KIND ('veth', 'bridge', 'vlan', …); 'loopback' or 'device' when the kernel gives none. */
  kind: string;
  admin: 'up' | 'down';
  oper: string;
  carrier: boolean;
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
  kindData: KindData | null;
  slaveKind: string | null;
  slaveData: SlaveData | null;
  stats: LinkStats;
}

/** Read a u64 counter as a Number: exact up to 2^53, which no interface counter reaches. */
function u64(buf: Buffer, s: number): number {
  return buf.readUInt32LE(s) + buf.readUInt32LE(s + 4) * 0x1_0000_0000;
}

/**
 * Decode one RTM_NEWLINK payload (ifinfomsg + attributes). Walks the bytes in place, reading
 * only what a Link holds: the generic decoder of the `netlink` package builds objects for every
 * attribute (all 25 stats64 counters as BigInt, AF_SPEC, …) and is several times slower on big
 * dumps.
 */
export function decodeLink(buf: Buffer, off = 0, end = buf.length): Link {
  const type = buf.readUInt16LE(off + 2);
  const index = buf.readInt32LE(off + 4);
  const ifflags = buf.readUInt32LE(off + 8);
  const link: Link = {
    index, name: '', kind: type === ARPHRD_LOOPBACK ? 'loopback' : 'device',
    admin: ifflags & IFF_UP ? 'up' : 'down', oper: 'unknown', carrier: (ifflags & IFF_LOWER_UP) !== 0,
    flags: [], mtu: 0, minMtu: null, maxMtu: null, mac: null, broadcast: null, permMac: null,
    linkType: ARPHRD[type] ?? String(type),
    masterIndex: null, parentIndex: null, linkIndex: null, linkNetnsId: null, group: 0, alias: null, altNames: [],
    txqlen: 0, promiscuity: 0, kindData: null, slaveKind: null, slaveData: null,
    stats: { rxPackets: 0, txPackets: 0, rxBytes: 0, txBytes: 0, rxErrors: 0, txErrors: 0, rxDropped: 0, txDropped: 0, multicast: 0, collisions: 0 },
  };
  // Indexed loops, no iterators or closures: a one-shot CLI decodes thousands of links before
  // V8 has optimized anything, so interpreter-friendly code is what makes the dump fast.
  for (let i = 0; i < IFF_BITS.length; i++) if (ifflags & IFF_BITS[i]!) link.flags.push(IFF_NAMES[i]!);
  if (ifflags & IFF_UP && !(ifflags & IFF_RUNNING)) link.flags.unshift('NO-CARRIER');
  let haveStats64 = false;
  let liS = -1;
  let liE = -1;
  let p = off + 16;
  while (p + 4 <= end) {
    const len = buf[p]! | (buf[p + 1]! << 8);
    if (len < 4 || p + len > end) break;
    const t = (buf[p + 2]! | (buf[p + 3]! << 8)) & 0x3fff;
    const s = p + 4;
    const e = p + len;
    switch (t) {
      case IFLA.IFNAME: link.name = readString(buf, s, e); break;
      case IFLA.ADDRESS: link.mac = formatLladdr(buf, s, e); break;
      case IFLA.BROADCAST: link.broadcast = formatLladdr(buf, s, e); break;
      case IFLA.PERM_ADDRESS: link.permMac = formatLladdr(buf, s, e); break;
      case IFLA.MTU: link.mtu = buf.readUInt32LE(s); break;
      case IFLA.MIN_MTU: link.minMtu = buf.readUInt32LE(s); break;
      case IFLA.MAX_MTU: link.maxMtu = buf.readUInt32LE(s); break;
      case IFLA.LINK: link.linkIndex = buf.readInt32LE(s); break;
      case IFLA.MASTER: link.masterIndex = buf.readUInt32LE(s) || null; break;
      case IFLA.TXQLEN: link.txqlen = buf.readUInt32LE(s); break;
      case IFLA.OPERSTATE: link.oper = OPERSTATES[buf[s]!] ?? String(buf[s]); break;
      case IFLA.CARRIER: link.carrier = buf[s] !== 0; break;
      case IFLA.LINKINFO: liS = s; liE = e; break;
      case IFLA.IFALIAS: link.alias = readString(buf, s, e) || null; break;
      case IFLA.GROUP: link.group = buf.readUInt32LE(s); break;
      case IFLA.PROMISCUITY: link.promiscuity = buf.readUInt32LE(s); break;
      case IFLA.LINK_NETNSID: link.linkNetnsId = buf.readInt32LE(s); break;
      case IFLA.PROP_LIST: {
        let q = s;
        while (q + 4 <= e) {
          const l2 = buf.readUInt16LE(q);
          if (l2 < 4 || q + l2 > e) break;
          if ((buf.readUInt16LE(q + 2) & 0x3fff) === IFLA.ALT_IFNAME) link.altNames.push(readString(buf, q + 4, q + l2));
          q += (l2 + 3) & ~3;
        }
        break;
      }
      case IFLA.STATS64: {
        if (e - s < 80) break;
        haveStats64 = true;
        const st = link.stats;
        st.rxPackets = u64(buf, s); st.txPackets = u64(buf, s + 8); st.rxBytes = u64(buf, s + 16); st.txBytes = u64(buf, s + 24);
        st.rxErrors = u64(buf, s + 32); st.txErrors = u64(buf, s + 40); st.rxDropped = u64(buf, s + 48); st.txDropped = u64(buf, s + 56);
        st.multicast = u64(buf, s + 64); st.collisions = u64(buf, s + 72);
        break;
      }
      case IFLA.STATS: {
        if (haveStats64 || e - s < 40) break;
        const st = link.stats;
        st.rxPackets = buf.readUInt32LE(s); st.txPackets = buf.readUInt32LE(s + 4); st.rxBytes = buf.readUInt32LE(s + 8); st.txBytes = buf.readUInt32LE(s + 12);
        st.rxErrors = buf.readUInt32LE(s + 16); st.txErrors = buf.readUInt32LE(s + 20); st.rxDropped = buf.readUInt32LE(s + 24); st.txDropped = buf.readUInt32LE(s + 28);
        st.multicast = buf.readUInt32LE(s + 32); st.collisions = buf.readUInt32LE(s + 36);
        break;
      }
    }
    p += (len + 3) & ~3;
  }
  if (liS >= 0) {
    const info = decodeLinkInfo(buf, liS, liE);
    if (info.kind) link.kind = info.kind;
    link.kindData = info.data;
    link.slaveKind = info.slaveKind;
    link.slaveData = info.slaveData;
  }
  // IFLA_LINK means "lower device" for stacked kinds but "the other end" for veth: only the
  // former is a parent in the hierarchy. A link in another namespace is never a parent here.
  if (link.kind === 'veth') {
    const v = (link.kindData ??= { kind: 'veth' });
    if (v.kind === 'veth' && link.linkIndex !== null) {
      v.peerIndex = link.linkIndex;
      if (link.linkNetnsId !== null) v.peerNetnsId = link.linkNetnsId;
    }
  } else if (link.linkIndex !== null && link.linkIndex !== 0 && link.linkNetnsId === null && link.linkIndex !== index) {
    link.parentIndex = link.linkIndex;
  }
  return link;
}

function getlinkRequest(p: { index?: number; name?: string } = {}): Buffer {
  const w = new AttrWriter(64);
  w.raw(ifinfomsg({ index: p.index ?? 0 }));
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
  if (!name || Buffer.byteLength(name) > 15 || /[\s/:]/.test(name) || name === '.' || name === '..') {
    throw new UsageError(`"${name}" is not a valid ${what} (1-15 bytes, no spaces, "/" or ":")`);
  }
}

/** Create a link (NLM_F_CREATE|NLM_F_EXCL: an existing name is an error, never modified). */
export async function addLink(h: Handle, spec: LinkSpec): Promise<void> {
  checkName(spec.name);
  if (spec.kind === 'veth' && spec.veth) checkName(spec.veth.peer, 'veth peer name');
  const why = validateKindSpec({ kind: spec.kind, vlan: spec.vlan, bond: spec.bond, bridge: spec.bridge, macvlan: spec.macvlan, veth: spec.veth && { peer: spec.veth.peer } });
  if (why) throw new UsageError(`cannot create ${spec.kind} ${spec.name}: ${why}`);
  if ((spec.kind === 'vlan' || spec.kind === 'macvlan' || spec.kind === 'macvtap') && spec.parent === undefined) {
    throw new UsageError(`cannot create ${spec.kind} ${spec.name}: it needs a parent (lower device)`);
  }
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
  } finally {
    if (peerFd !== undefined) closeSync(peerFd);
  }
  // The kernel takes IFLA_IFALIAS only on an existing device (do_setlink), not on create.
  if (spec.alias !== undefined) await setLink(h, await resolveIndex(h, spec.name), { alias: spec.alias });
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

/** Change an existing link (RTM_NEWLINK on its index, as iproute2's `ip link set` does). */
export async function setLink(h: Handle, index: number, change: LinkChange): Promise<void> {
  if (change.name !== undefined) checkName(change.name);
  const mac = change.mac !== undefined ? parseMacOrThrow(change.mac) : undefined;
  const w = new AttrWriter(128);
  w.raw(ifinfomsg({ index, flags: change.up ? IFF_UP : 0, change: change.up !== undefined ? IFF_UP : 0 }));
  if (change.name !== undefined) w.str(IFLA.IFNAME, change.name);
  if (change.mtu !== undefined) w.u32(IFLA.MTU, change.mtu);
  if (mac) w.bytes(IFLA.ADDRESS, mac);
  if (change.master !== undefined) w.u32(IFLA.MASTER, change.master ?? 0);
  if (change.alias !== undefined) w.str(IFLA.IFALIAS, change.alias);
  if (change.group !== undefined) w.u32(IFLA.GROUP, change.group);
  const what = Object.keys(change).filter((k) => change[k as keyof LinkChange] !== undefined).join(', ');
  try {
    await h.request(RTM.NEWLINK, w.finish(), { action: `set ${what} on link ${index}`, target: String(index) });
  } catch (err) {
    throw await nameTheLink(h, index, err, `set ${what} on`);
  }
}

/** Retell a refusal with the link's name (looked up only on this error path). */
async function nameTheLink(h: Handle, index: number, err: unknown, doing: string): Promise<unknown> {
  if (!(err instanceof NetlinkError)) return err;
  const name = await getLink(h, index).then((l) => l.name, () => null);
  if (err.errno === 'ENODEV' && !name) return new NotFoundError('interface', `#${index}`, h.netns ? `in netns ${h.netns}` : undefined);
  return err.withAction(`${doing} ${name ?? `link ${index}`}`, name ?? String(index));
}

/** Delete a link (for veth: both ends). */
export async function delLink(h: Handle, index: number): Promise<void> {
  try {
    await h.request(RTM.DELLINK, ifinfomsg({ index }), { action: `delete link ${index}`, target: String(index) });
  } catch (err) {
    throw await nameTheLink(h, index, err, 'delete');
  }
}
