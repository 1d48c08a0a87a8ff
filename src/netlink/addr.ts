// Protocol addresses: RTM_GETADDR/NEWADDR/DELADDR (struct ifaddrmsg + IFA_* attributes).
import { UsageError } from '../errors.js';
import { AttrWriter, forEachAttr, formatIP, parseIP, parseIPv4, readString } from './attr.js';
import { type Handle, NLM_F_CREATE, NLM_F_EXCL, RTM } from './handle.js';

export const AF_INET = 2;
export const AF_INET6 = 10;
export const IFA = { ADDRESS: 1, LOCAL: 2, LABEL: 3, BROADCAST: 4, ANYCAST: 5, CACHEINFO: 6, MULTICAST: 7, FLAGS: 8, RT_PRIORITY: 9, PROTO: 11 } as const;

/** IFA_F_* in the order and spelling `ip -j addr` uses. */
const IFA_F: [number, string][] = [
  [0x01, 'secondary'], [0x02, 'nodad'], [0x04, 'optimistic'], [0x08, 'dadfailed'], [0x10, 'home'],
  [0x20, 'deprecated'], [0x40, 'tentative'], [0x80, 'permanent'], [0x100, 'mngtmpaddr'],
  [0x200, 'noprefixroute'], [0x400, 'autojoin'], [0x800, 'stable-privacy'],
];
const IFA_F_NODAD = 0x02;

/** rtm_scope values by the names iproute2 gives them. */
export const SCOPES: Record<number, string> = { 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };

export interface Addr {
  ifindex: number;
  ifname?: string;
  family: 4 | 6;
  /** The interface's own address (IFA_LOCAL; IFA_ADDRESS when there is no LOCAL, as for IPv6). */
  address: string;
  prefixlen: number;
  scope: string;
  label: string | null;
  flags: string[];
  broadcast?: string;
  /** IFA_ADDRESS when it differs from IFA_LOCAL: the other end of a point-to-point link. */
  peer?: string;
  /** Remaining lifetimes in seconds; absent for forever. */
  validLft?: number;
  preferredLft?: number;
}

export function familyOf(af: number): 4 | 6 | null {
  return af === AF_INET ? 4 : af === AF_INET6 ? 6 : null;
}

/** Decode one RTM_NEWADDR/DELADDR payload; null for families other than IPv4/IPv6. */
export function decodeAddr(buf: Buffer, off = 0, end = buf.length): Addr | null {
  const family = familyOf(buf[off]!);
  if (family === null) return null;
  const prefixlen = buf[off + 1]!;
  let flags = buf[off + 2]!;
  const scope = buf[off + 3]!;
  const ifindex = buf.readUInt32LE(off + 4);
  let local: string | undefined;
  let address: string | undefined;
  let label: string | null = null;
  let broadcast: string | undefined;
  let validLft: number | undefined;
  let preferredLft: number | undefined;
  forEachAttr(buf, off + 8, end, (t, s, e) => {
    switch (t) {
      case IFA.LOCAL: local = formatIP(buf, s, e); break;
      case IFA.ADDRESS: address = formatIP(buf, s, e); break;
      case IFA.LABEL: label = readString(buf, s, e); break;
      case IFA.BROADCAST: broadcast = formatIP(buf, s, e); break;
      case IFA.FLAGS: flags = buf.readUInt32LE(s); break;
      case IFA.CACHEINFO:
        // struct ifa_cacheinfo: ifa_prefered, ifa_valid, cstamp, tstamp; 0xffffffff = forever
        if (e - s >= 8) {
          const pref = buf.readUInt32LE(s);
          const valid = buf.readUInt32LE(s + 4);
          if (pref !== 0xffffffff) preferredLft = pref;
          if (valid !== 0xffffffff) validLft = valid;
        }
        break;
    }
  });
  const a: Addr = {
    ifindex, family, address: local ?? address ?? '', prefixlen, scope: SCOPES[scope] ?? String(scope), label,
    flags: IFA_F.filter(([bit]) => flags & bit).map(([, n]) => n),
  };
  if (broadcast !== undefined) a.broadcast = broadcast;
  if (local !== undefined && address !== undefined && address !== local) a.peer = address;
  if (validLft !== undefined) a.validLft = validLft;
  if (preferredLft !== undefined) a.preferredLft = preferredLft;
  return a;
}

function ifaddrmsg(family: number, prefixlen: number, ifindex: number, flags = 0, scope = 0): Buffer {
  const b = Buffer.alloc(8);
  b[0] = family;
  b[1] = prefixlen;
  b[2] = flags & 0xff;
  b[3] = scope;
  b.writeUInt32LE(ifindex, 4);
  return b;
}

/** Addresses in the handle's namespace, optionally only those of one interface / family. */
export async function listAddrs(h: Handle, filter: { ifindex?: number; family?: 4 | 6 } = {}): Promise<Addr[]> {
  const af = filter.family === 4 ? AF_INET : filter.family === 6 ? AF_INET6 : 0;
  // The kernel filters by ifa_index only under strict checking; filtering here works everywhere.
  const msgs = await h.dump(RTM.GETADDR, ifaddrmsg(af, 0, 0), { action: 'list addresses' });
  const out: Addr[] = [];
  for (const m of msgs) {
    if (m.type !== RTM.NEWADDR) continue;
    const a = decodeAddr(m.data, 0, m.data.length);
    if (!a) continue;
    if (filter.ifindex !== undefined && a.ifindex !== filter.ifindex) continue;
    if (filter.family !== undefined && a.family !== filter.family) continue;
    out.push(a);
  }
  return out;
}

export interface AddrSpec {
  ifindex: number;
  address: string;
  prefixlen: number;
  label?: string;
  /** IPv6: skip duplicate address detection (the address is usable at once). */
  nodad?: boolean;
  /** IPv4 broadcast; '+' computes it from the prefix like `ip addr add … brd +`. */
  broadcast?: string;
}

function parseAddrOrThrow(address: string, prefixlen: number): { family: 4 | 6; bytes: Buffer } {
  let ip;
  try {
    ip = parseIP(address);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const max = ip.family === 4 ? 32 : 128;
  if (!Number.isInteger(prefixlen) || prefixlen < 0 || prefixlen > max) {
    throw new UsageError(`prefix length ${prefixlen} is out of range 0-${max} for ${address}`);
  }
  return ip;
}

function broadcastOf(addr: Buffer, prefixlen: number): Buffer {
  const v = addr.readUInt32BE(0);
  const host = prefixlen >= 32 ? 0 : 0xffffffff >>> prefixlen;
  const out = Buffer.alloc(4);
  out.writeUInt32BE((v | host) >>> 0);
  return out;
}

/** Add an address (NLM_F_EXCL: an address that is already there is an error). */
export async function addAddr(h: Handle, spec: AddrSpec): Promise<void> {
  const ip = parseAddrOrThrow(spec.address, spec.prefixlen);
  const w = new AttrWriter(96);
  const flags = spec.nodad ? IFA_F_NODAD : 0;
  w.raw(ifaddrmsg(ip.family === 4 ? AF_INET : AF_INET6, spec.prefixlen, spec.ifindex, flags));
  w.bytes(IFA.LOCAL, ip.bytes);
  w.bytes(IFA.ADDRESS, ip.bytes);
  if (spec.label !== undefined) {
    if (ip.family !== 4) throw new UsageError('address labels exist only for IPv4');
    w.str(IFA.LABEL, spec.label);
  }
  if (spec.broadcast !== undefined) {
    if (ip.family !== 4) throw new UsageError('broadcast addresses exist only for IPv4');
    const brd = spec.broadcast === '+' ? broadcastOf(ip.bytes, spec.prefixlen) : parseIPv4(spec.broadcast);
    if (!brd) throw new UsageError(`"${spec.broadcast}" is not an IPv4 broadcast address`);
    w.bytes(IFA.BROADCAST, brd);
  }
  if (flags) w.u32(IFA.FLAGS, flags);
  const what = `${spec.address}/${spec.prefixlen}`;
  await h.request(RTM.NEWADDR, w.finish(), { flags: NLM_F_CREATE | NLM_F_EXCL, action: `add address ${what} to link ${spec.ifindex}`, target: what });
}

export async function delAddr(h: Handle, spec: { ifindex: number; address: string; prefixlen: number }): Promise<void> {
  const ip = parseAddrOrThrow(spec.address, spec.prefixlen);
  const w = new AttrWriter(64);
  w.raw(ifaddrmsg(ip.family === 4 ? AF_INET : AF_INET6, spec.prefixlen, spec.ifindex));
  w.bytes(IFA.LOCAL, ip.bytes);
  if (ip.family === 6) w.bytes(IFA.ADDRESS, ip.bytes);
  const what = `${spec.address}/${spec.prefixlen}`;
  await h.request(RTM.DELADDR, w.finish(), { action: `delete address ${what} from link ${spec.ifindex}`, target: what });
}
