// Everything rtnetlink says about a namespace at one moment: what config apply verifies against
// and what fault-injection tests compare before and after.
import { type Addr, listAddrs } from '../netlink/addr.js';
import type { Handle } from '../netlink/handle.js';
import { type InetConf, listInetConf } from '../netlink/inetconf.js';
import { emptyStats, type Link, listLinks } from '../netlink/link.js';
import { KIND_TABLE, SLAVE_TABLE, withoutVolatile } from '../netlink/link-kinds.js';
import { listNeighs, type Neigh } from '../netlink/neigh.js';
import { listRoutes, type Route } from '../netlink/route.js';

export interface Snapshot {
  netns: string | null;
  takenAt: string;
  links: Link[];
  addrs: Addr[];
  neighs: Neigh[];
  /** Main-table routes. */
  routes: Route[];
  /** IPv4 per-interface settings (IFLA_INET_CONF) by ifindex; an interface without IPv4 is absent. */
  inetConf: Record<number, InetConf>;
}

export async function takeSnapshot(h: Handle): Promise<Snapshot> {
  const links = await listLinks(h);
  const addrs = await listAddrs(h);
  const neighs = await listNeighs(h);
  const routes = await listRoutes(h);
  const inetConf: Record<number, InetConf> = {};
  for (const c of await listInetConf(h)) if (c.conf) inetConf[c.ifindex] = c.conf;
  return { netns: h.netns ?? null, takenAt: new Date().toISOString(), links, addrs, neighs, routes, inetConf };
}

/** Snapshot without volatile fields (counters, timestamps, lifetimes, neighbour states), for equality checks. */
export function stableSnapshot(s: Snapshot): Omit<Snapshot, 'takenAt'> {
  return {
    netns: s.netns,
    // carrier transitions count like the traffic counters (a link taken down and up again is the
    // same link); multicast group/host counts move on their own
    links: s.links.map((l) => ({ ...l, carrierChanges: null, carrierUpCount: null, carrierDownCount: null, kindData: withoutVolatile(l.kindData, KIND_TABLE), stats: emptyStats(), slaveData: withoutVolatile(l.slaveData, SLAVE_TABLE) })),
    addrs: s.addrs.map(({ validLft: _v, preferredLft: _p, ...a }) => a),
    neighs: s.neighs.filter((n) => n.state === 'PERMANENT' || n.state === 'NOARP').map(({ probes: _p, ...n }) => n),
    routes: s.routes,
    inetConf: s.inetConf,
  };
}
