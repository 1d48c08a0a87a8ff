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

  /** Indexes a re-read did not find (gone): not read again for every event about them. */
  private readonly gone = new Set<number>();

  /**
   * `links`: the namespace's links, read after the monitor subscribed (so no change falls
   * between the two); `nsNames`: nsid -> name of the namespaces under /run/netns; `relist`: the
   * namespace's links now, for an index the table lacks (a monitor without the link group
   * learns of no new link), read once per such index, as ip's ll_index_to_name asks the kernel
   * (ll_link_get) before it falls back to if<N>.
   */
  constructor(links: Link[], private readonly nsNames: Map<number, string>, private readonly relist: () => Link[] = () => []) {
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
      if (e.action === 'new') { this.links.set(e.link.index, e.link); this.gone.delete(e.link.index); }
      out.link = this.linkView(e.link);
      if (e.action === 'del') this.links.delete(e.link.index);
    }
    if (e.addr) out.addr = { ...e.addr, ifname: this.nameOf(e.addr.ifindex) };
    if (e.neigh) out.neigh = { ...e.neigh, ifname: this.nameOf(e.neigh.ifindex) };
    if (e.route) out.route = routeView(e.route, { get: (i) => this.linkOf(i)?.name });
    return out;
  }

  /** As listAddrViews/listNeighViews name an unknown ifindex. */
  private nameOf(index: number): string {
    return this.linkOf(index)?.name ?? ifIndexWord(index);
  }

  /** The link from the table, else from one re-read of the namespace's links (not for an index known gone). */
  private linkOf(index: number): Link | undefined {
    const known = this.links.get(index);
    if (known || this.gone.has(index)) return known;
    let now: Link[] = [];
    try {
      now = this.relist();
    } catch {
      // the namespace cannot be read now (gone with the monitor's own socket still open): if<N>
    }
    // only what the table lacks: what it has is as recent as the link events read so far
    for (const l of now) if (!this.links.has(l.index)) this.links.set(l.index, l);
    const l = this.links.get(index);
    if (!l) this.gone.add(index);
    return l;
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
