// The daemon's own IPv6 local routes: why they exist and the rule for where they may be.
//
// An IPv6 address added with nodad is listed on its interface at once, but the kernel delivers
// nothing to it until its local route (table local, type local, ADDR/128) is in the FIB, and
// that route is inserted by the addrconf work item (addrconf_dad_work -> addrconf_dad_completed
// -> __ipv6_ifa_notify -> ip6_ins_rt), a kworker that needs the RTNL and that a busy machine
// holds back: the measured IPv6 gap of a move (docs/failover.md). So the daemon puts a local
// route of its own in the move's datagram, just before the RTM_NEWADDR.
//
// The kernel's route and ours never collide: addrconf_f6i_alloc gives the kernel's metric 0, and
// a route from netlink cannot have metric 0 (inet6_rtm_newroute turns 0 into IP6_RT_PRIO_USER,
// 1024), while fib6_add_rt2node only compares routes of equal metric. Both are in the table,
// the kernel's first; its RTM_DELADDR removes the kernel's (ifp->rt) and never ours. So ours
// must be removed by us, wherever the address is not: with the address on a move, and whenever
// the address left an interface some other way (by hand, a restarted daemon's leftovers); and
// on stop, since after that nobody would follow the address (a local route left behind would
// keep delivering to this host an address it no longer holds, also the host's own connections
// to that address once another node holds it).
//
// The rule (localRoutePlan): while the daemon runs, our route for an IPv6 address is on the
// holder if the holder holds the address, and nowhere else. RTPROT_NODECTL_MGMT marks ours: a
// restarted daemon finds exactly its own, and `ip -6 route show table local proto 111` shows them.
import type { Route } from '../netlink/route.js';
import { RT_TABLE_LOCAL, RTPROT_NODECTL_MGMT, type RouteSpec } from '../netlink/route.js';

/** Any metric but 0 (the kernel's) would do; this is what `ip route add` gives without one. */
export const LOCAL_ROUTE_METRIC = 1024;

export function localRouteSpec(address: string, ifindex: number): RouteSpec {
  return { family: 6, dst: `${address}/128`, type: 'local', table: RT_TABLE_LOCAL, protocol: RTPROT_NODECTL_MGMT, metric: LOCAL_ROUTE_METRIC, ifindex };
}

/** The same as iproute2 commands (for the log's list of actions). */
export function describeLocalRoute(op: 'add' | 'del', address: string, ifname: string): string {
  return `ip -6 route ${op} local ${address}/128 dev ${ifname} table local proto ${RTPROT_NODECTL_MGMT}${op === 'add' ? ` metric ${LOCAL_ROUTE_METRIC}` : ''}`;
}

/** One of ours (any address): an IPv6 local route of table local with our protocol. */
export function isOwnLocalRoute(r: Route): boolean {
  return r.family === 6 && r.type === 'local' && r.table === RT_TABLE_LOCAL && r.protocol === 'nodectl-mgmt' && r.dst.endsWith('/128');
}

/** The kernel's own local route for an address (what addrconf inserts). */
export function isKernelLocalRoute(r: Route): boolean {
  return r.family === 6 && r.type === 'local' && r.table === RT_TABLE_LOCAL && r.protocol === 'kernel' && r.dst.endsWith('/128');
}

export interface LocalRouteStep {
  op: 'add' | 'del';
  /** The address key (state-machine addressKey). */
  key: string;
  address: string;
  ifname: string;
  why: string;
}

/**
 * What to add and delete so that, for each IPv6 address, our local route is on the holder when
 * the holder holds the address, and nowhere else. Deletes first. An add only where `usable` (an
 * admin-down interface refuses routes; its addresses' routes come back with the kernel's when
 * it is up, and the next round adds ours).
 */
export function localRoutePlan(s: {
  addresses: readonly { key: string; address: string }[];
  /** Where each address is (as the machine believes), per key. */
  held: (key: string) => string[];
  /** Where our route for each address is, per key. */
  ours: (key: string) => string[];
  holder: string | null;
  usable: (ifname: string) => boolean;
}): LocalRouteStep[] {
  const dels: LocalRouteStep[] = [];
  const adds: LocalRouteStep[] = [];
  for (const { key, address } of s.addresses) {
    const held = s.held(key);
    const ours = s.ours(key);
    const want = s.holder !== null && held.includes(s.holder) ? s.holder : null;
    for (const ifname of ours) {
      if (ifname !== want) dels.push({ op: 'del', key, address, ifname, why: held.includes(ifname) ? `${ifname} is not the holder` : `${address} is not on ${ifname}` });
    }
    if (want !== null && !ours.includes(want) && s.usable(want)) adds.push({ op: 'add', key, address, ifname: want, why: `${address} is on ${want} without the daemon's local route` });
  }
  return [...dels, ...adds];
}
