// `monitor` events with the same fields as the list commands: a link as `link list --json`
// prints it (master, parent, peer, ports, linkNetns), an address or neighbour with its ifname,
// a route as `route list --json` (dev by name).
// A notification carries only ifindexes, so the names come from a table of the namespace's
// links, read once when the monitor starts and kept current by the link events themselves.
import { ifIndexWord } from '../netlink/ifname.js';
import type { Link } from '../netlink/link.js';
import { listLinksOnce } from '../netlink/link.js';
import type { MonitorEvent } from '../netlink/monitor.js';
import { type AddrView, type LinkView, nameKindMembers, type NeighView } from './model.js';
import { routeView, type RouteView } from './routes.js';

export interface ViewEvent {
  type: MonitorEvent['type'];
  action: MonitorEvent['action'];
  link?: LinkView;
  addr?: AddrView;
  neigh?: NeighView;
  route?: RouteView;
}

export class MonitorViews {
  private readonly links = new Map<number, Link>();

  /**
   * `links`: the namespace's links, read after the monitor subscribed (so no change falls
   * between the two); `nsNames`: nsid -> name of the namespaces under /run/netns.
   */
  constructor(links: Link[], private readonly nsNames: Map<number, string>) {
    for (const l of links) this.links.set(l.index, l);
  }

  /**
   * The event as the monitor prints it, or null for what it does not print: the bridge
   * layer's AF_BRIDGE messages about a port (not the link's attributes; the link's own
   * notification carries its master and port data).
   */
  view(e: MonitorEvent): ViewEvent | null {
    if (e.family === 'bridge') return null;
    const out: ViewEvent = { type: e.type, action: e.action };
    if (e.link) {
      if (e.action === 'new') this.links.set(e.link.index, e.link);
      out.link = this.linkView(e.link);
      if (e.action === 'del') this.links.delete(e.link.index);
    }
    if (e.addr) out.addr = { ...e.addr, ifname: this.nameOf(e.addr.ifindex) };
    if (e.neigh) out.neigh = { ...e.neigh, ifname: this.nameOf(e.neigh.ifindex) };
    if (e.route) out.route = routeView(e.route, { get: (i) => this.links.get(i)?.name });
    return out;
  }

  /** As listAddrViews/listNeighViews name an unknown ifindex. */
  private nameOf(index: number): string {
    return this.links.get(index)?.name ?? ifIndexWord(index);
  }

  /** What toViews and nameForeignEnds (query.ts) make of this link, from the table. */
  private linkView(l: Link): LinkView {
    const name = (i: number | null): string | null => (i !== null ? (this.links.get(i)?.name ?? null) : null);
    const ports: string[] = [];
    for (const x of this.links.values()) if (x.masterIndex === l.index && x.index !== l.index) ports.push(x.name);
    const peerIndex = l.kindData?.kind === 'veth' ? l.kindData.peerIndex : undefined;
    const v: LinkView = { ...l, master: name(l.masterIndex), parent: name(l.parentIndex), peer: null, ports };
    nameKindMembers(v, name);
    if (l.linkNetnsId === null) {
      v.peer = peerIndex !== undefined ? name(peerIndex) : null;
      return v;
    }
    const ns = this.nsNames.get(l.linkNetnsId) ?? null;
    v.linkNetns = ns;
    if (ns !== null && peerIndex !== undefined) {
      try {
        v.peer = listLinksOnce(ns).find((x) => x.index === peerIndex)?.name ?? null;
      } catch {
        // cannot enter it (not root): unnamed, as in link list
      }
    }
    return v;
  }
}
