// Imperative route changes and the route table for `nodectl route list|add|del`, in iproute2's
// terms (`ip route show|add|del TO [via GW] [dev IFACE] [metric N] [table N]`). Each call opens
// a Handle in the requested namespace, validates before sending anything and reads back.
import { isIPv4, isIPv6 } from 'node:net';
import { NotFoundError, UsageError } from '../errors.js';
import { bigintToIpv6, canonicalIp, ipToBigint, parseCidr } from '../config/cidr.js';
import { type Handle, withHandle } from '../netlink/handle.js';
import { getLink, listLinks } from '../netlink/link.js';
import { addRoute, delRoute, listRoutes, type Route, RT_TABLE_MAIN } from '../netlink/route.js';
import type { Where } from './manage.js';

export interface RouteView {
  family: 4 | 6;
  /** 'default' or ADDRESS/PREFIX (the network, as the kernel keeps it) */
  dst: string;
  gateway: string | null;
  dev: string | null;
  metric: number;
  table: number;
  protocol: string;
  scope: string;
  type: string;
}

export interface RouteRequest {
  /** 'default' or ADDRESS/PREFIX (a bare address is a host route) */
  to: string;
  via?: string;
  dev?: string;
  metric?: number;
  table?: number;
}

interface Checked { family: 4 | 6; dst: string; gateway?: string; metric?: number; table: number }

/** The request, checked and in canonical form, before anything is sent. */
function check(r: RouteRequest, family?: 4 | 6): Checked {
  let fam = family;
  let dst = 'default';
  if (r.to !== 'default') {
    const c = parseCidr(r.to.includes('/') ? r.to : `${r.to}/${isIPv4(r.to) ? 32 : 128}`);
    if (typeof c === 'string') throw new UsageError(c);
    // the kernel refuses 10.1.2.3/16 as a destination (EINVAL): say which network was meant
    const net = netOf(c.address, c.family, c.prefixlen);
    if (net !== c.address) throw new UsageError(`${r.to} has host bits set: the route's destination is ${net}/${c.prefixlen}`);
    dst = c.prefixlen === 0 ? 'default' : `${c.address}/${c.prefixlen}`;
    fam = c.family;
  }
  if (r.via !== undefined) {
    const gf = isIPv4(r.via) ? 4 : isIPv6(r.via) && !r.via.includes('%') ? 6 : 0;
    if (!gf) throw new UsageError(`gateway "${r.via}" is not an IPv4 or IPv6 address`);
    if (fam !== undefined && gf !== fam) throw new UsageError(`gateway ${r.via} is IPv${gf} but ${r.to} is IPv${fam}`);
    fam = gf;
  }
  if (fam === undefined) throw new UsageError('"default" needs --via, or --family, to say IPv4 or IPv6');
  if (r.table !== undefined && (!Number.isInteger(r.table) || r.table < 1 || r.table > 0xffffffff || r.table === 255)) {
    throw new UsageError(`table ${r.table} is not a table routes can be added to (1-4294967295, not 255 "local")`);
  }
  const out: Checked = { family: fam, dst, table: r.table ?? RT_TABLE_MAIN };
  if (r.via !== undefined) out.gateway = canonicalIp(r.via);
  if (r.metric !== undefined) out.metric = r.metric;
  return out;
}

/** The network of ADDRESS/PREFIX, in canonical text. */
function netOf(address: string, family: 4 | 6, prefixlen: number): string {
  const bits = family === 4 ? 32 : 128;
  const all = (1n << BigInt(bits)) - 1n;
  const v = ipToBigint(address, family) & (all ^ ((1n << BigInt(bits - prefixlen)) - 1n));
  return family === 4 ? [24n, 16n, 8n, 0n].map((sh) => String((v >> sh) & 255n)).join('.') : bigintToIpv6(v);
}

function views(routes: Route[], names: Map<number, string>): RouteView[] {
  return routes.map((r) => ({
    family: r.family, dst: r.dst, gateway: r.gateway, dev: r.oif === null ? null : names.get(r.oif) ?? String(r.oif),
    metric: r.metric, table: r.table, protocol: r.protocol, scope: r.scope, type: r.type,
  }));
}

async function names(h: Handle): Promise<Map<number, string>> {
  return new Map((await listLinks(h)).map((l) => [l.index, l.name]));
}

/** `ip route show [table N]`, both families unless one is asked for. */
export function listRouteViews(where: Where, f: { family?: 4 | 6; table?: number; dev?: string } = {}): Promise<RouteView[]> {
  return withHandle({ netns: where.netns }, async (h) => {
    const byIndex = await names(h);
    const dev = f.dev === undefined ? undefined : (await getLink(h, f.dev)).name;
    const routes = await listRoutes(h, { ...(f.family ? { family: f.family } : {}), table: f.table ?? RT_TABLE_MAIN });
    return views(routes, byIndex).filter((r) => dev === undefined || r.dev === dev);
  });
}

/** `ip route add`: an existing route with the same key is an error (EEXIST), like ip. */
export function addRouteView(where: Where, r: RouteRequest, family?: 4 | 6): Promise<RouteView> {
  const c = check(r, family);
  if (c.gateway === undefined && r.dev === undefined) throw new UsageError('a route needs --via GATEWAY, --dev IFACE or both');
  return withHandle({ netns: where.netns }, async (h) => {
    const ifindex = r.dev === undefined ? undefined : (await getLink(h, r.dev)).index;
    await addRoute(h, { family: c.family, dst: c.dst, table: c.table, ...(c.gateway ? { gateway: c.gateway } : {}), ...(ifindex !== undefined ? { ifindex } : {}), ...(c.metric !== undefined ? { metric: c.metric } : {}) });
    const found = (await readBack(h, c, ifindex))[0];
    if (!found) throw new NotFoundError('route', `${c.dst}`, 'after adding it');
    return found;
  });
}

async function readBack(h: Handle, c: Checked, ifindex: number | undefined): Promise<RouteView[]> {
  const all = views(await listRoutes(h, { family: c.family, table: c.table }), await names(h));
  const dev = ifindex === undefined ? undefined : (await names(h)).get(ifindex);
  return all.filter((x) => x.dst === c.dst && (c.gateway === undefined || x.gateway === c.gateway) && (dev === undefined || x.dev === dev) && (c.metric === undefined || x.metric === c.metric));
}

/** `ip route del`: the route must be there (else NOT_FOUND, exit 4); what was removed is returned. */
export function deleteRouteView(where: Where, r: RouteRequest, family?: 4 | 6): Promise<{ deleted: RouteView }> {
  const c = check(r, family);
  return withHandle({ netns: where.netns }, async (h) => {
    const ifindex = r.dev === undefined ? undefined : (await getLink(h, r.dev)).index;
    const have = (await readBack(h, c, ifindex))[0];
    if (!have) throw new NotFoundError('route', `${c.dst}${c.gateway ? ` via ${c.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''}`, c.table === RT_TABLE_MAIN ? undefined : `in table ${c.table}`);
    await delRoute(h, { family: c.family, dst: c.dst, table: c.table, ...(c.gateway ? { gateway: c.gateway } : {}), ...(ifindex !== undefined ? { ifindex } : {}), metric: have.metric });
    return { deleted: have };
  });
}
