// Read-side domain functions for the commands: each opens a Handle in the requested namespace,
// asks the kernel, closes it, and returns views with names resolved.
import { listAddrs, type Addr } from '../netlink/addr.js';
import { withHandle } from '../netlink/handle.js';
import { ifIndexWord } from '../netlink/ifname.js';
import { getLink, listLinks, listLinksOnce } from '../netlink/link.js';
import { Monitor, type MonitorGroup } from '../netlink/monitor.js';
import { listNeighs } from '../netlink/neigh.js';
import { netnsNamesById } from '../netlink/nsid.js';
import { type AddrView, type LinkView, type NeighView, toViews } from './model.js';
import { MonitorViews } from './monitor-view.js';
import { buildTree, type TreeNode } from './tree.js';

export interface Where {
  netns?: string;
}

// A one-shot read without a Handle: `link list` on thousands of links is what scripts run in loops.
export async function listLinkViews(where: Where = {}): Promise<LinkView[]> {
  return nameForeignEnds(toViews(listLinksOnce(where.netns)), where);
}

/**
 * Links whose other end is in another namespace (a veth whose peer was moved, `ip link add ...
 * peer name P netns NS`) get that namespace's name (`linkNetns`, ip's `link-netns`) and, for a
 * veth, the peer's name read in it. Costs nothing when no link points elsewhere; a namespace
 * nodectl may not enter (not root) leaves the peer unnamed rather than failing the read.
 */
export async function nameForeignEnds(views: LinkView[], where: Where = {}): Promise<LinkView[]> {
  const foreign = views.filter((v) => v.linkNetnsId !== null);
  if (foreign.length === 0) return views;
  const nsNames = await withHandle({ netns: where.netns }, netnsNamesById);
  const peerNames = new Map<string, Map<number, string> | null>();
  for (const v of foreign) {
    const ns = nsNames.get(v.linkNetnsId!) ?? null;
    v.linkNetns = ns;
    const peerIndex = v.kindData?.kind === 'veth' ? v.kindData.peerIndex : undefined;
    if (ns === null || peerIndex === undefined) continue;
    if (!peerNames.has(ns)) {
      try {
        peerNames.set(ns, new Map(listLinksOnce(ns).map((l) => [l.index, l.name])));
      } catch {
        peerNames.set(ns, null); // cannot enter it (not root): the peer keeps its ifindex only
      }
    }
    v.peer = peerNames.get(ns)?.get(peerIndex) ?? null;
  }
  return views;
}

/** One link with its references resolved; NotFoundError (exit 4) when it does not exist. */
export function showLink(where: Where, iface: string): Promise<LinkView> {
  return withHandle({ netns: where.netns }, async (h) => {
    const link = await getLink(h, iface);
    // Names of master/lower/peer/ports come from the same dump the references point into.
    const all = await listLinks(h);
    const view = toViews(all).find((v) => v.index === link.index) ?? toViews([link])[0]!;
    return (await nameForeignEnds([view], where))[0]!;
  });
}

export interface LinkTree {
  roots: TreeNode[];
  links: LinkView[];
}

export async function linkTree(where: Where = {}): Promise<LinkTree> {
  const links = await nameForeignEnds(toViews(listLinksOnce(where.netns)), where);
  return { roots: buildTree(links), links };
}

async function ifindexOf(h: Parameters<typeof getLink>[0], dev: string | undefined): Promise<number | undefined> {
  return dev === undefined ? undefined : (await getLink(h, dev)).index;
}

function nameMap(links: { index: number; name: string }[]): Map<number, string> {
  return new Map(links.map((l) => [l.index, l.name]));
}

export function listAddrViews(where: Where, filter: { dev?: string; family?: 4 | 6 } = {}): Promise<AddrView[]> {
  return withHandle({ netns: where.netns }, async (h) => {
    const ifindex = await ifindexOf(h, filter.dev);
    const [addrs, links] = [await listAddrs(h, { ifindex, family: filter.family }), await listLinks(h)];
    const names = nameMap(links);
    return addrs
      .map((a: Addr) => ({ ...a, ifname: names.get(a.ifindex) ?? ifIndexWord(a.ifindex) }))
      .sort((a, b) => a.ifindex - b.ifindex || a.family - b.family);
  });
}

export function listNeighViews(where: Where, filter: { dev?: string; family?: 4 | 6 } = {}): Promise<NeighView[]> {
  return withHandle({ netns: where.netns }, async (h) => {
    const ifindex = await ifindexOf(h, filter.dev);
    const [neighs, links] = [await listNeighs(h, { ifindex, family: filter.family }), await listLinks(h)];
    const names = nameMap(links);
    return neighs.map((n) => ({ ...n, ifname: names.get(n.ifindex) ?? ifIndexWord(n.ifindex) }));
  });
}

/**
 * A monitor socket for the CLI's `monitor` (the command cannot reach src/netlink itself), and
 * what names its events (monitor-view.ts): the links are read after the socket
 * subscribed, so a change in between arrives as an event and overrides what was read.
 */
export async function openMonitorViews(where: Where, groups: MonitorGroup[]): Promise<{ mon: Monitor; views: MonitorViews }> {
  const mon = Monitor.open({ netns: where.netns, groups });
  try {
    const links = listLinksOnce(where.netns);
    const nsNames = groups.includes('link') ? await withHandle({ netns: where.netns }, netnsNamesById) : new Map<number, string>();
    return { mon, views: new MonitorViews(links, nsNames, () => listLinksOnce(where.netns)) };
  } catch (err) {
    mon.close();
    throw err;
  }
}

export { MONITOR_GROUPS } from '../netlink/monitor.js';
export type { Monitor };
