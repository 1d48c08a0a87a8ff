// Event intake: what the kernel says (rtnetlink dumps and notifications) turned into the
// FailoverMachine's vocabulary (link observations, where each managed address is, which
// interface carries our default route). Kept apart from the daemon because this is where
// ifindexes become names and foreign addresses and routes are filtered out; the machine itself
// only ever sees interface names and its own addresses.
//
// No I/O here: the daemon does the dumps and hands the results in, so a reader can check the
// translation without netlink in mind.
import { canonicalIp } from '../config/cidr.js';
import type { Addr } from '../netlink/addr.js';
import type { Link } from '../netlink/link.js';
import type { MonitorEvent } from '../netlink/monitor.js';
import { RT_TABLE_MAIN, type Route } from '../netlink/route.js';
import type { MgmtConfig } from './config.js';
import { isOwnLocalRoute } from './local-route.js';
import { addressKey, type Family, type FailoverMachine, type LinkObservation, type Placement } from './state-machine.js';

export function linkObs(l: Link | undefined): LinkObservation {
  if (!l) return { exists: false, admin: false, carrier: false, operUp: false };
  return { exists: true, admin: l.admin === 'up', carrier: l.carrier, operUp: l.oper === 'up' };
}

/** What an event asks of the daemon besides the observation already applied to the machine. */
export interface Intake {
  /** Something may have changed: run a decision round. */
  decide: boolean;
  /** The picture cannot be patched from this event alone: re-read it all (why). */
  resync?: string;
}

export class KernelView {
  private readonly config: MgmtConfig;
  private readonly machine: FailoverMachine;
  /** Called when a candidate's ifindex or MAC changed: its prepared announcement socket is stale. */
  private readonly onIdentChange: (ifname: string) => void;
  private readonly names = new Map<number, string>();
  private readonly indexes = new Map<string, number>();
  /** "family/canonical address" -> the machine's key, for our addresses only. */
  private readonly ours = new Map<string, string>();
  /** ifindex/MAC of each candidate as last seen, to notice a recreated interface or a new MAC. */
  private readonly linkIdent = new Map<string, string>();
  /** Our IPv6 local routes (local-route.ts): address key -> the interfaces they are on. */
  private readonly locals = new Map<string, Set<string>>();

  constructor(config: MgmtConfig, machine: FailoverMachine, onIdentChange: (ifname: string) => void) {
    this.config = config;
    this.machine = machine;
    this.onIdentChange = onIdentChange;
    for (const a of config.addresses) this.ours.set(addressKey(a), addressKey(a));
  }

  /** Where our local route for an address (key) is, as last seen or done. */
  localRoutes(key: string): string[] {
    return [...(this.locals.get(key) ?? [])].sort();
  }

  /** Our local route is now on / off an interface (the daemon did it; the event will agree). */
  noteLocal(op: 'add' | 'del', address: string, ifname: string): void {
    const key = this.keyOf({ family: address.includes(':') ? 6 : 4, address });
    if (!key) return;
    const set = this.locals.get(key) ?? new Set<string>();
    if (op === 'add') set.add(ifname);
    else set.delete(ifname);
    this.locals.set(key, set);
  }

  /** The ifindex of a name as last seen (moves address interfaces by index). */
  ifindex(name: string): number | undefined {
    return this.indexes.get(name);
  }

  /**
   * Replace the whole picture with a dump's (start, or after lost notifications) and hand it to
   * the machine. Returns "address on interfaces" phrases for the start/resync log line.
   */
  load(now: number, links: Link[], addrs: Addr[], routes: Route[]): string[] {
    this.names.clear();
    this.indexes.clear();
    for (const l of links) {
      this.names.set(l.index, l.name);
      this.indexes.set(l.name, l.index);
    }
    const byName = new Map(links.map((l) => [l.name, l]));
    for (const c of this.config.candidates) {
      const l = byName.get(c);
      this.noteIdent(c, l ? `${l.index}/${l.mac ?? ''}` : '');
    }
    const placements = new Map<string, Placement[]>();
    for (const a of addrs) {
      const key = this.keyOf(a);
      const ifname = this.names.get(a.ifindex);
      if (!key || !ifname) continue;
      placements.set(key, [...(placements.get(key) ?? []), { ifname, prefixlen: a.prefixlen }]);
    }
    this.locals.clear();
    for (const r of routes) this.localRoute('new', r);
    const rmap = new Map<Family, string | null>();
    for (const r of routes) {
      const f = this.ourRoute(r);
      if (f !== null && r.oif !== null) rmap.set(f, this.names.get(r.oif) ?? null);
    }
    this.machine.sync(now, {
      links: new Map(this.config.candidates.map((c) => [c, linkObs(byName.get(c))])),
      placements, routes: rmap,
    });
    return [...placements].map(([k, v]) => `${k.slice(2)} on ${v.map((p) => p.ifname).join('+') || 'none'}`);
  }

  /** Apply one notification to the machine. */
  apply(now: number, e: MonitorEvent): Intake {
    // The bridge layer's own messages (AF_BRIDGE) are about a port's membership and STP state,
    // not the link: when a port leaves its bridge the kernel sends an AF_BRIDGE RTM_DELLINK for
    // a link that stays. Read as a deletion, it made the machine forget the addresses and route
    // on it (nothing re-announces them). Everything about the link itself also comes as AF_UNSPEC.
    if (e.type === 'link' && e.family === 'bridge') return { decide: false };
    if (e.type === 'link' && e.link) {
      const l = e.link;
      const old = this.names.get(l.index);
      let resync: string | undefined;
      if (e.action === 'del') {
        this.names.delete(l.index);
        if (old) this.gone(now, old);
      } else {
        if (old && old !== l.name) {
          // Renamed: the old name is gone (and with it a candidate, if it was one).
          this.gone(now, old);
          resync = 'interface renamed';
        }
        // A new index or MAC makes the prepared announcement socket and frames stale.
        if (this.config.candidates.includes(l.name)) this.noteIdent(l.name, `${l.index}/${l.mac ?? ''}`);
        this.names.set(l.index, l.name);
        this.indexes.set(l.name, l.index);
        // An admin-down device has lost every route (rt6_sync_down_dev), ours too, even when
        // net.ipv6.route.skip_notify_on_dev_down hid the RTM_DELROUTEs.
        if (l.admin !== 'up') for (const set of this.locals.values()) set.delete(l.name);
        this.machine.observeLink(now, l.name, linkObs(l));
      }
      return { decide: true, resync };
    }
    if (e.type === 'addr' && e.addr) {
      const key = this.keyOf(e.addr);
      if (!key) return { decide: false };
      const ifname = this.names.get(e.addr.ifindex);
      if (!ifname) return { decide: false, resync: `address event on unknown ifindex ${e.addr.ifindex}` };
      this.machine.observeAddr(e.action, key, { ifname, prefixlen: e.addr.prefixlen });
      return { decide: true };
    }
    if (e.type === 'route' && e.route) {
      // One of our local routes changed (or went with its link): the next round checks the rule.
      if (this.localRoute(e.action, e.route)) return { decide: true };
      const f = this.ourRoute(e.route);
      if (f !== null && e.route.oif !== null) {
        const ifname = this.names.get(e.route.oif);
        if (ifname) this.machine.observeRoute(e.action, f, ifname);
      }
      // A foreign route (another table, metric or gateway) is none of our business.
      return { decide: f !== null && e.route.oif !== null };
    }
    return { decide: false };
  }

  /**
   * Where the kernel has our addresses ("ifname/prefixlen", sorted, per address key), from an
   * address dump: the audit compares it with the machine's belief.
   */
  placementsOf(addrs: Addr[]): Map<string, string[]> {
    const kernel = new Map<string, string[]>();
    for (const a of addrs) {
      const key = this.keyOf(a);
      const ifname = this.names.get(a.ifindex);
      if (key) kernel.set(key, [...(kernel.get(key) ?? []), `${ifname ?? a.ifindex}/${a.prefixlen}`].sort());
    }
    return kernel;
  }

  /** Record one of our local routes; false when the route is not one. */
  private localRoute(action: 'new' | 'del', r: Route): boolean {
    if (!isOwnLocalRoute(r) || r.oif === null) return false;
    const ifname = this.names.get(r.oif);
    if (!ifname) return false;
    this.noteLocal(action === 'new' ? 'add' : 'del', r.dst.slice(0, r.dst.lastIndexOf('/')), ifname);
    return true;
  }

  private gone(now: number, name: string): void {
    for (const set of this.locals.values()) set.delete(name);
    this.indexes.delete(name);
    this.machine.forgetInterface(name);
    this.machine.observeLink(now, name, linkObs(undefined));
  }

  private noteIdent(name: string, ident: string): void {
    const prev = this.linkIdent.get(name);
    if (prev !== undefined && prev !== ident) this.onIdentChange(name);
    this.linkIdent.set(name, ident);
  }

  private keyOf(a: Pick<Addr, 'family' | 'address'>): string | undefined {
    let canon: string;
    try {
      canon = canonicalIp(a.address);
    } catch {
      return undefined;
    }
    return this.ours.get(`${a.family}/${canon}`);
  }

  private ourRoute(r: Route): Family | null {
    // IPv6 stores metric 0 as 1024 (IP6_RT_PRIO_USER).
    const metric = r.family === 6 && this.config.gateway.metric === 0 ? 1024 : this.config.gateway.metric;
    if (r.dst !== 'default' || r.table !== RT_TABLE_MAIN || r.metric !== metric) return null;
    const gw = r.family === 4 ? this.config.gateway.ipv4 : this.config.gateway.ipv6;
    if (!gw || !r.gateway || canonicalIp(r.gateway) !== gw) return null;
    return r.family;
  }
}
