// Imperative route changes and the route table for `nodectl route list|add|del`, in iproute2's
// terms (`ip route show|add|del TO [via GW] [dev IFACE] [metric N] [table N]`). Each call opens
// a Handle in the requested namespace, validates before sending anything and reads back.
import { NotFoundError, UsageError } from '../errors.js';
import { checkRoute, type CheckedRoute, type RouteRequest } from '../config/route-rules.js';
import { type Handle, withHandle } from '../netlink/handle.js';
import { ifIndexWord } from '../netlink/ifname.js';
import { getLink, listLinks } from '../netlink/link.js';
import { addRoute, delRoute, listRoutes, type Route, RT_TABLE_MAIN } from '../netlink/route.js';
import type { Where } from './manage.js';

export type { RouteRequest };

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

/** checkRoute for the command line: a problem is a usage error. */
function check(r: RouteRequest, family?: 4 | 6): CheckedRoute {
  const c = checkRoute(r, family);
  if ('reason' in c) {
    if (c.field === 'to' && r.to === 'default' && r.via === undefined) throw new UsageError('"default" needs --via, or --family, to say IPv4 or IPv6');
    throw new UsageError(c.reason);
  }
  return c;
}

/** A route as `route list --json` prints it (also what `monitor` prints for a route event). */
export function routeView(r: Route, names: { get(index: number): string | undefined }): RouteView {
  return {
    family: r.family, dst: r.dst, gateway: r.gateway, dev: r.oif === null ? null : names.get(r.oif) ?? ifIndexWord(r.oif),
    metric: r.metric, table: r.table, protocol: r.protocol, scope: r.scope, type: r.type,
  };
}

function views(routes: Route[], names: Map<number, string>): RouteView[] {
  return routes.map((r) => routeView(r, names));
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

async function readBack(h: Handle, c: CheckedRoute, ifindex: number | undefined): Promise<RouteView[]> {
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
