// Routes: RTM_GETROUTE/NEWROUTE/DELROUTE (struct rtmsg + RTA_* attributes). Only what the
// management failover needs (unicast routes with an optional gateway and output device), kept in
// iproute2's terms: `ip route replace default via GW dev IFACE metric N`.
import { UsageError } from '../errors.js';
import { AttrWriter, forEachAttr, formatIP, parseIP } from './attr.js';
import { AF_INET, AF_INET6, familyOf } from './addr.js';
import { type Handle, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, RTM } from './handle.js';

export const RTA = { DST: 1, SRC: 2, IIF: 3, OIF: 4, GATEWAY: 5, PRIORITY: 6, PREFSRC: 7, TABLE: 15 } as const;
export const RT_TABLE_MAIN = 254;
/** The table of local and broadcast routes (`ip route show table local`). */
export const RT_TABLE_LOCAL = 255;
const RTN_UNICAST = 1;
const RTN_LOCAL = 2;
const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_LINK = 253;
const RT_SCOPE_HOST = 254;
/** RTPROT_STATIC: "installed by the administrator", as `ip route add … proto static`. */
export const RTPROT_STATIC = 4;
/**
 * The routes of a config file carry their own protocol number: the kernel keeps it with the
 * route, so "nodectl installed this" survives nodectl's restarts and never goes stale the way a
 * record on disk would (a route vanishes with its link, its address, a link going down). It is
 * not RTPROT_STATIC (4): `nodectl route add`, `ip route add … proto static`, systemd-networkd and
 * the failover daemon's default route all use that one, and prune must never take theirs.
 * 110 is 0x6e, "n" (the interface group is 0x6e63, "nc"), unused in iproute2's rt_protos.
 */
export const RTPROT_NODECTL = 110;
/**
 * The failover daemon's own IPv6 local routes (docs/failover.md, "The gap during a move"): a
 * number of their own, so that config apply's prune (which owns RTPROT_NODECTL routes) never
 * takes them and the daemon finds exactly its own after a restart. 111 is unused in rt_protos.
 */
export const RTPROT_NODECTL_MGMT = 111;
/** rtm_flags bit: the gateway is on-link whatever the prefixes say (`ip route add … onlink`). */
export const RTNH_F_ONLINK = 0x4;

const PROTOCOLS: Record<number, string> = { 1: 'redirect', 2: 'kernel', 3: 'boot', 4: 'static', 9: 'ra', 16: 'dhcp', [RTPROT_NODECTL]: 'nodectl', [RTPROT_NODECTL_MGMT]: 'nodectl-mgmt' };
const TYPES: Record<number, string> = { 1: 'unicast', 2: 'local', 3: 'broadcast', 4: 'anycast', 5: 'multicast', 6: 'blackhole', 7: 'unreachable', 8: 'prohibit', 9: 'throw' };
const SCOPES: Record<number, string> = { 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };

export interface Route {
  family: 4 | 6;
  /** 'default' for the /0 route, else ADDRESS/PREFIX. */
  dst: string;
  gateway: string | null;
  oif: number | null;
  /** The metric (RTA_PRIORITY); 0 when absent. */
  metric: number;
  table: number;
  protocol: string;
  scope: string;
  type: string;
  /** The gateway was declared on-link (RTNH_F_ONLINK). */
  onlink: boolean;
}

/** Decode one RTM_NEWROUTE/DELROUTE payload; null for families other than IPv4/IPv6. */
export function decodeRoute(buf: Buffer, off = 0, end = buf.length): Route | null {
  const family = familyOf(buf[off]!);
  if (family === null) return null;
  const dstLen = buf[off + 1]!;
  let table = buf[off + 4]!;
  const protocol = buf[off + 5]!;
  const scope = buf[off + 6]!;
  const type = buf[off + 7]!;
  const flags = buf.readUInt32LE(off + 8);
  let dst: string | null = null;
  let gateway: string | null = null;
  let oif: number | null = null;
  let metric = 0;
  forEachAttr(buf, off + 12, end, (t, s, e) => {
    switch (t) {
      case RTA.DST: dst = formatIP(buf, s, e); break;
      case RTA.GATEWAY: gateway = formatIP(buf, s, e); break;
      case RTA.OIF: oif = buf.readUInt32LE(s); break;
      case RTA.PRIORITY: metric = buf.readUInt32LE(s); break;
      case RTA.TABLE: table = buf.readUInt32LE(s); break;
    }
  });
  return {
    family, dst: dstLen === 0 ? 'default' : `${dst ?? (family === 4 ? '0.0.0.0' : '::')}/${dstLen}`,
    gateway, oif, metric, table,
    protocol: PROTOCOLS[protocol] ?? String(protocol), scope: SCOPES[scope] ?? String(scope), type: TYPES[type] ?? String(type),
    onlink: (flags & RTNH_F_ONLINK) !== 0,
  };
}

function rtmsg(family: number, dstLen: number, table: number, protocol: number, scope: number, type: number, flags = 0): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(flags, 8);
  b[0] = family;
  b[1] = dstLen;
  b[4] = table < 256 ? table : 0;
  b[5] = protocol;
  b[6] = scope;
  b[7] = type;
  return b;
}

/** Routes of the main table (or `table`, or every table with 'all') in the handle's namespace. */
export async function listRoutes(h: Handle, filter: { family?: 4 | 6; table?: number | 'all' } = {}): Promise<Route[]> {
  const af = filter.family === 4 ? AF_INET : filter.family === 6 ? AF_INET6 : 0;
  const msgs = await h.dump(RTM.GETROUTE, rtmsg(af, 0, 0, 0, 0, 0), { action: 'list routes' });
  const table = filter.table ?? RT_TABLE_MAIN;
  const out: Route[] = [];
  for (const m of msgs) {
    if (m.type !== RTM.NEWROUTE) continue;
    const r = decodeRoute(m.data, 0, m.data.length);
    if (!r || (table !== 'all' && r.table !== table)) continue;
    if (filter.family !== undefined && r.family !== filter.family) continue;
    out.push(r);
  }
  return out;
}

export interface RouteSpec {
  family: 4 | 6;
  /** 'default' or ADDRESS/PREFIX. */
  dst: string;
  gateway?: string;
  ifindex?: number;
  metric?: number;
  table?: number;
  /** rtm_protocol; default RTPROT_STATIC. */
  protocol?: number;
  /** IPv4 scope; default link without a gateway, global with one (host for a local route). */
  scope?: 'link' | 'global';
  onlink?: boolean;
  /** rtm_type: 'local' is `ip route add local ADDR …` (delivered to this host); default unicast. */
  type?: 'unicast' | 'local';
}

function encodeRoute(spec: RouteSpec, forDelete: boolean): { payload: Buffer; what: string } {
  const af = spec.family === 4 ? AF_INET : AF_INET6;
  let dstBytes: Buffer | null = null;
  let dstLen = 0;
  if (spec.dst !== 'default') {
    const [a, p] = spec.dst.split('/');
    let ip;
    try {
      ip = parseIP(a ?? '');
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (ip.family !== spec.family) throw new UsageError(`${spec.dst} is not an IPv${spec.family} prefix`);
    dstLen = p === undefined ? (spec.family === 4 ? 32 : 128) : Number(p);
    if (!Number.isInteger(dstLen) || dstLen < 0 || dstLen > (spec.family === 4 ? 32 : 128)) throw new UsageError(`bad prefix length in ${spec.dst}`);
    dstBytes = ip.bytes;
  }
  let gw: Buffer | null = null;
  if (spec.gateway !== undefined) {
    let ip;
    try {
      ip = parseIP(spec.gateway);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (ip.family !== spec.family) throw new UsageError(`gateway ${spec.gateway} is not an IPv${spec.family} address`);
    gw = ip.bytes;
  }
  const table = spec.table ?? RT_TABLE_MAIN;
  // A route without a gateway is on-link (scope link), as `ip route add PREFIX dev X` makes it.
  const local = spec.type === 'local';
  const scope = forDelete ? RT_SCOPE_NOWHERE_FOR_DELETE
    : spec.scope === 'link' ? RT_SCOPE_LINK : spec.scope === 'global' ? RT_SCOPE_UNIVERSE : local ? RT_SCOPE_HOST : gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  const w = new AttrWriter(96);
  // a delete that names the protocol matches only routes of that protocol (fib_table_delete)
  const protocol = forDelete ? spec.protocol ?? 0 : spec.protocol ?? RTPROT_STATIC;
  // rtm_type as `ip route add/del local …` sends it.
  const type = local ? RTN_LOCAL : forDelete ? 0 : RTN_UNICAST;
  w.raw(rtmsg(af, dstLen, table, protocol, scope, type, !forDelete && spec.onlink ? RTNH_F_ONLINK : 0));
  if (table >= 256) w.u32(RTA.TABLE, table);
  if (dstBytes) w.bytes(RTA.DST, dstBytes);
  if (gw) w.bytes(RTA.GATEWAY, gw);
  if (spec.ifindex !== undefined) w.u32(RTA.OIF, spec.ifindex);
  if (spec.metric !== undefined) w.u32(RTA.PRIORITY, spec.metric);
  const what = `${local ? 'local ' : ''}${spec.dst}${spec.gateway ? ` via ${spec.gateway}` : ''}${spec.ifindex !== undefined ? ` dev ${spec.ifindex}` : ''}${spec.metric !== undefined ? ` metric ${spec.metric}` : ''}${table !== RT_TABLE_MAIN ? ` table ${table}` : ''}${spec.onlink ? ' onlink' : ''}`;
  return { payload: w.finish(), what };
}

// RTM_DELROUTE with scope RT_SCOPE_NOWHERE matches routes of any scope (what `ip route del` sends).
const RT_SCOPE_NOWHERE_FOR_DELETE = 255;

/**
 * `ip route add` (NLM_F_EXCL) or, with replace, `ip route replace` (NLM_F_REPLACE). With
 * `ensure`, NLM_F_CREATE alone: EEXIST only for the same route (same metric, device and gateway);
 * another route of the same metric is neither refused (as EXCL would) nor replaced.
 */
export async function addRoute(h: Handle, spec: RouteSpec, opts: { replace?: boolean; ensure?: boolean } = {}): Promise<void> {
  const { payload, what } = encodeRoute(spec, false);
  const flags = NLM_F_CREATE | (opts.replace ? NLM_F_REPLACE : opts.ensure ? 0 : NLM_F_EXCL);
  await h.request(RTM.NEWROUTE, payload, { flags, action: `${opts.replace ? 'replace' : 'add'} route ${what}`, target: what });
}

export function replaceRoute(h: Handle, spec: RouteSpec): Promise<void> {
  return addRoute(h, spec, { replace: true });
}

/** `ip route del`: the attributes given narrow the match (dst is required). */
export async function delRoute(h: Handle, spec: RouteSpec): Promise<void> {
  const { payload, what } = encodeRoute(spec, true);
  await h.request(RTM.DELROUTE, payload, { action: `delete route ${what}`, target: what });
}
