// Which attribute of a request the kernel refused. With NETLINK_EXT_ACK the kernel points at it
// (NLMSGERR_ATTR_OFFS: the byte offset of the attribute's header from the start of the request
// message) far more often than it explains it: a policy failure says only "Attribute failed
// policy validation", and older kernels say nothing at all. Naming the attribute from our own
// request turns that into something a reader can act on.
import { IFLA, IFLA_INFO } from './link-kinds.js';

// rtnetlink message types (include/uapi/linux/rtnetlink.h), as in handle.ts, which imports this
const RTM = { NEWLINK: 16, SETLINK: 19, NEWADDR: 20, GETADDR: 22, NEWROUTE: 24, GETROUTE: 26, NEWNEIGH: 28, GETNEIGH: 30, NEWQDISC: 36, GETQDISC: 38 } as const;

const NLMSG_HDRLEN = 16;
const NLA_HDRLEN = 4;

/** Bytes of the family header that precedes the attributes, by message type. */
function familyHeaderLength(type: number): number | undefined {
  if (type >= RTM.NEWLINK && type <= RTM.SETLINK) return 16; // ifinfomsg
  if (type >= RTM.NEWADDR && type <= RTM.GETADDR) return 8; // ifaddrmsg
  if (type >= RTM.NEWROUTE && type <= RTM.GETROUTE) return 12; // rtmsg
  if (type >= RTM.NEWNEIGH && type <= RTM.GETNEIGH) return 12; // ndmsg
  if (type >= RTM.NEWQDISC && type <= RTM.GETQDISC) return 20; // tcmsg
  return undefined;
}

// Attribute names as include/uapi/linux/if_link.h and friends spell them. The link attributes
// come from link-kinds.ts, where nodectl defines them once (decode, encode and this naming).
const named = (prefix: string, ids: Readonly<Record<string, number>>): Record<number, string> =>
  Object.fromEntries(Object.entries(ids).map(([k, v]) => [v, `${prefix}${k}`]));
const IFLA_NAMES = named('IFLA_', IFLA);
const IFLA_INFO_NAMES = named('IFLA_INFO_', IFLA_INFO);
const IFA_NAMES: Record<number, string> = { 1: 'IFA_ADDRESS', 2: 'IFA_LOCAL', 3: 'IFA_LABEL', 4: 'IFA_BROADCAST', 8: 'IFA_FLAGS', 9: 'IFA_RT_PRIORITY', 11: 'IFA_PROTO' };
const RTA_NAMES: Record<number, string> = { 1: 'RTA_DST', 2: 'RTA_SRC', 3: 'RTA_IIF', 4: 'RTA_OIF', 5: 'RTA_GATEWAY', 6: 'RTA_PRIORITY', 7: 'RTA_PREFSRC', 15: 'RTA_TABLE' };
const NDA_NAMES: Record<number, string> = { 1: 'NDA_DST', 2: 'NDA_LLADDR', 3: 'NDA_CACHEINFO', 4: 'NDA_PROBES' };

function topNames(type: number): Record<number, string> {
  if (type >= RTM.NEWLINK && type <= RTM.SETLINK) return IFLA_NAMES;
  if (type >= RTM.NEWADDR && type <= RTM.GETADDR) return IFA_NAMES;
  if (type >= RTM.NEWROUTE && type <= RTM.GETROUTE) return RTA_NAMES;
  if (type >= RTM.NEWNEIGH && type <= RTM.GETNEIGH) return NDA_NAMES;
  return {};
}

/** The name of attribute `t` at this nesting (`parent`: the names above it, outermost first). */
function nameOf(msgType: number, parent: string[], t: number): string {
  const top = topNames(msgType);
  if (parent.length === 0) return top[t] ?? `attribute ${t}`;
  if (parent.length === 1 && parent[0] === 'IFLA_LINKINFO') return IFLA_INFO_NAMES[t] ?? `attribute ${t}`;
  return `attribute ${t}`;
}

/**
 * The attribute whose header starts at `offset` (from the start of the request message, as the
 * kernel counts it) in a request of `msgType` whose payload (family header and attributes) is
 * `payload`: its path of names, outermost first ("IFLA_LINKINFO › IFLA_INFO_DATA › attribute
 * 7"), or undefined when the offset falls on no attribute header.
 */
export function attributeAt(msgType: number, payload: Buffer, offset: number): string | undefined {
  const hdr = familyHeaderLength(msgType);
  if (hdr === undefined) return undefined;
  const want = offset - NLMSG_HDRLEN;
  const walk = (start: number, end: number, path: string[]): string | undefined => {
    let off = start;
    while (off + NLA_HDRLEN <= end) {
      const len = payload.readUInt16LE(off);
      const t = payload.readUInt16LE(off + 2) & 0x3fff;
      if (len < NLA_HDRLEN || off + len > end) return undefined;
      const name = nameOf(msgType, path, t);
      if (off === want) return [...path, name].join(' › ');
      if (want > off && want < off + len) return walk(off + NLA_HDRLEN, off + len, [...path, name]);
      off += (len + 3) & ~3;
    }
    return undefined;
  };
  return walk(hdr, payload.length, []);
}

/** The name of a top-level attribute type the kernel said is missing (NLMSGERR_ATTR_MISS_TYPE). */
export function attributeName(msgType: number, t: number): string {
  return nameOf(msgType, [], t);
}
