// The rules a route must pass before anything is sent, in canonical form: one definition for
// `nodectl route add|del` (src/interfaces/routes.ts) and the config file's `routes:`
// (src/config/semantic.ts). Pure: `config validate` loads no netlink code.
import { isIPv4, isIPv6 } from 'node:net';
import { bigintToIpv6, canonicalIp, type Cidr, ipToBigint, parseCidr } from './cidr.js';

/** The main routing table (RT_TABLE_MAIN). */
export const MAIN_TABLE = 254;

export interface RouteRequest {
  /** 'default' or ADDRESS/PREFIX (a bare address is a host route) */
  to: string;
  via?: string;
  dev?: string;
  metric?: number;
  table?: number;
}

export interface CheckedRoute { family: 4 | 6; dst: string; gateway?: string; metric?: number; table: number }

/** Which part of a route request a problem is about (the config file places it at that key). */
export type RouteField = 'to' | 'via' | 'metric' | 'table';
export interface RouteProblem { field: RouteField; reason: string }

/**
 * The request, checked and in canonical form, or the first thing the kernel would refuse about
 * it. One definition for `nodectl route add|del` and the config file's `routes:`.
 */
export function checkRoute(r: RouteRequest, family?: 4 | 6): CheckedRoute | RouteProblem {
  let fam = family;
  let dst = 'default';
  if (r.to !== 'default') {
    const c = parseCidr(r.to.includes('/') ? r.to : `${r.to}/${isIPv4(r.to) ? 32 : 128}`);
    if (typeof c === 'string') return { field: 'to', reason: c };
    // the kernel refuses 10.1.2.3/16 as a destination (EINVAL): say which network was meant
    const net = netOf(c.address, c.family, c.prefixlen);
    if (net !== c.address) return { field: 'to', reason: `${r.to} has host bits set: the route's destination is ${net}/${c.prefixlen}` };
    dst = c.prefixlen === 0 ? 'default' : `${c.address}/${c.prefixlen}`;
    fam = c.family;
  }
  if (r.via !== undefined) {
    const gf = isIPv4(r.via) ? 4 : isIPv6(r.via) && !r.via.includes('%') ? 6 : 0;
    if (!gf) return { field: 'via', reason: `gateway "${r.via}" is not an IPv4 or IPv6 address` };
    if (fam !== undefined && gf !== fam) return { field: 'via', reason: `gateway ${r.via} is IPv${gf} but ${r.to} is IPv${fam}` };
    fam = gf;
  }
  if (fam === undefined) return { field: 'to', reason: '"default" without a gateway does not say IPv4 or IPv6: give via, or write 0.0.0.0/0 or ::/0' };
  if (r.table !== undefined && (!Number.isInteger(r.table) || r.table < 1 || r.table > 0xffffffff || r.table === 255)) {
    return { field: 'table', reason: `table ${r.table} is not a table routes can be added to (1-4294967295, not 255 "local")` };
  }
  if (r.metric !== undefined && (!Number.isInteger(r.metric) || r.metric < 0 || r.metric > 0xffffffff)) {
    return { field: 'metric', reason: `metric ${r.metric} is out of range (0-4294967295)` };
  }
  const out: CheckedRoute = { family: fam, dst, table: r.table ?? MAIN_TABLE };
  if (r.via !== undefined) out.gateway = canonicalIp(r.via);
  if (r.metric !== undefined) out.metric = r.metric;
  return out;
}

/** The network of ADDRESS/PREFIX, in canonical text. */
export function netOf(address: string, family: 4 | 6, prefixlen: number): string {
  const bits = family === 4 ? 32 : 128;
  const all = (1n << BigInt(bits)) - 1n;
  const v = ipToBigint(address, family) & (all ^ ((1n << BigInt(bits - prefixlen)) - 1n));
  return family === 4 ? [24n, 16n, 8n, 0n].map((sh) => String((v >> sh) & 255n)).join('.') : bigintToIpv6(v);
}


/** The metric the kernel gives a route: IPv6 makes 0 (and none) into 1024 (IP6_RT_PRIO_USER). */
export function effectiveMetric(family: 4 | 6, metric: number | undefined): number {
  return family === 6 && !metric ? 1024 : metric ?? 0;
}

/** The kernel's identity of a route (fib_table_insert, fib6_add_rt2node): one per key and table. */
export function routeKey(c: Pick<CheckedRoute, 'family' | 'dst' | 'table'>, metric: number): string {
  return `${c.family} ${c.dst} table ${c.table} metric ${metric}`;
}

function covers(c: Pick<Cidr, 'family' | 'address' | 'prefixlen'>, ip: string, family: 4 | 6): boolean {
  if (c.family !== family) return false;
  const bits = family === 4 ? 32 : 128;
  const sh = BigInt(bits - c.prefixlen);
  return ipToBigint(c.address, family) >> sh === ipToBigint(ip, family) >> sh;
}

/**
 * Why the kernel would refuse gateway `gw` of a route through `ifname`, or null: a gateway must
 * be on-link — inside a prefix of the interface's addresses or of a route through it without a
 * gateway (fib_check_nh_v4_gw, ip6_route_check_nh) — unless the route says onlink; an IPv6
 * link-local gateway always is. An IPv6 gateway must not be one of the interface's own addresses.
 */
export function gatewayProblem(gw: string, family: 4 | 6, onlink: boolean, ifname: string, addrs: readonly Pick<Cidr, 'family' | 'address' | 'prefixlen'>[], linkRoutes: readonly { family: 4 | 6; dst: string }[]): string | null {
  if (family === 6 && addrs.some((a) => a.family === 6 && a.address === gw)) return `gateway ${gw} is an address of ${ifname} itself: the kernel refuses it (a gateway is another host)`;
  if (onlink || (family === 6 && /^fe[89ab]/i.test(gw))) return null;
  if (addrs.some((a) => covers(a, gw, family))) return null;
  for (const r of linkRoutes) {
    if (r.family !== family) continue;
    if (r.dst === 'default') return null;
    const [a, p] = r.dst.split('/');
    if (covers({ family, address: a!, prefixlen: Number(p) }, gw, family)) return null;
  }
  const mine = addrs.filter((a) => a.family === family).map((a) => `${a.address}/${a.prefixlen}`);
  return `gateway ${gw} is not on-link through ${ifname} (${mine.length ? `its IPv${family} prefixes: ${mine.join(', ')}` : `it has no IPv${family} address`}): the kernel refuses it (ENETUNREACH); add an address in its prefix, or onlink: true`;
}

