// Read-side domain functions for the commands: each opens a Handle in the requested namespace,
// asks the kernel, closes it, and returns views with names resolved.
import { listAddrs, type Addr } from '../netlink/addr.js';
import { withHandle } from '../netlink/handle.js';
import { getLink, listLinks, listLinksOnce } from '../netlink/link.js';
import { Monitor, type MonitorGroup } from '../netlink/monitor.js';
import { listNeighs } from '../netlink/neigh.js';
import { type AddrView, type LinkView, type NeighView, toViews } from './model.js';
import { buildTree, type TreeNode } from './tree.js';

export interface Where {
  netns?: string;
}

// A one-shot read without a Handle: `link list` on thousands of links is what scripts run in loops.
export async function listLinkViews(where: Where = {}): Promise<LinkView[]> {
  return toViews(listLinksOnce(where.netns));
}

/** One link with its references resolved; NotFoundError (exit 4) when it does not exist. */
export function showLink(where: Where, iface: string): Promise<LinkView> {
  return withHandle({ netns: where.netns }, async (h) => {
    const link = await getLink(h, iface);
    // Names of master/lower/peer/ports come from the same dump the references point into.
    const all = await listLinks(h);
    const view = toViews(all).find((v) => v.index === link.index);
    return view ?? toViews([link])[0]!;
  });
}

export interface LinkTree {
  roots: TreeNode[];
  links: LinkView[];
}

export async function linkTree(where: Where = {}): Promise<LinkTree> {
  const links = listLinksOnce(where.netns);
  return { roots: buildTree(links), links: toViews(links) };
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
      .map((a: Addr) => ({ ...a, ifname: names.get(a.ifindex) ?? `#${a.ifindex}` }))
      .sort((a, b) => a.ifindex - b.ifindex || a.family - b.family);
  });
}

export function listNeighViews(where: Where, filter: { dev?: string; family?: 4 | 6 } = {}): Promise<NeighView[]> {
  return withHandle({ netns: where.netns }, async (h) => {
    const ifindex = await ifindexOf(h, filter.dev);
    const [neighs, links] = [await listNeighs(h, { ifindex, family: filter.family }), await listLinks(h)];
    const names = nameMap(links);
    return neighs.map((n) => ({ ...n, ifname: names.get(n.ifindex) ?? `#${n.ifindex}` }));
  });
}

/** A monitor socket for the CLI's `monitor` (the command cannot reach src/netlink itself). */
export function openMonitor(where: Where, groups: MonitorGroup[]): Monitor {
  return Monitor.open({ netns: where.netns, groups });
}

export { MONITOR_GROUPS } from '../netlink/monitor.js';
export type { Monitor };
