// Desired (config file) vs actual (kernel snapshot) → the ordered list of operations.
// Pure: no kernel, no clock, no files; everything it needs is passed in, so every ordering rule
// is unit-tested with hand-built snapshots. Operations name interfaces (not ifindexes): an
// ifindex changes when a link is re-created, a name in a plan does not.
import type { Addr } from '../netlink/addr.js';
import type { Link } from '../netlink/link.js';
import type { Route } from '../netlink/route.js';
import { ARP_KEY_NAMES, type ArpKey } from '../config/arp-keys.js';
import { canonicalIp, parseCidr } from '../config/cidr.js';
import type { InterfaceDecl, NodeConfig } from '../config/schema.js';
import { addressParts, mastersOf } from '../config/semantic.js';
import { checkRoute, effectiveMetric, routeKey } from '../config/route-rules.js';
import { expandPeers, peerName, peerNetns } from '../config/peers.js';
import { BOND, type BondMode, defaultOf, MACVLAN, type MacvlanMode, VLAN } from '../netlink/link-kinds.js';

// The kernel's defaults, as the kind tables (src/netlink/link-kinds.ts) state them.
const VLAN_PROTOCOL = defaultOf<'802.1Q' | '802.1ad'>(VLAN, 'protocol');
const MACVLAN_MODE = defaultOf<MacvlanMode>(MACVLAN, 'mode');
const BOND_MODE = defaultOf<BondMode>(BOND, 'mode');

/** The interface group nodectl puts the links it creates in (IFLA_GROUP; `ip link show group`). */
export const OWNED_GROUP = 0x6e63; // "nc"

export type ArpValues = Partial<Record<ArpKey, number>>;

export interface ActualState {
  links: Pick<Link, 'index' | 'name' | 'kind' | 'admin' | 'mtu' | 'mac' | 'masterIndex' | 'parentIndex' | 'linkNetnsId' | 'group' | 'alias' | 'kindData'>[];
  addrs: Pick<Addr, 'ifindex' | 'family' | 'address' | 'prefixlen' | 'label' | 'flags' | 'broadcast'>[];
  /** Per-interface ARP settings by ifindex (only needed for interfaces that declare `arp:`). */
  inetConf?: Map<number, ArpValues>;
  /**
   * Routes of every table: those nodectl installed (protocol "nodectl"), and — when the file
   * declares routes — the others, whose keys a declared route must not collide with.
   */
  routes?: Pick<Route, 'family' | 'dst' | 'gateway' | 'oif' | 'metric' | 'table' | 'protocol' | 'scope' | 'type' | 'onlink'>[];
}

/** A route as a step adds or removes it: every field the kernel compares, in canonical form. */
export interface RouteWant {
  family: 4 | 6;
  /** 'default' or NETWORK/PREFIX */
  dst: string;
  gateway?: string;
  /** As the kernel keeps it (IPv6: 0 is 1024). */
  metric: number;
  table: number;
  /** IPv4 only (IPv6 routes are all scope global). */
  scope?: 'link' | 'global';
  onlink?: boolean;
}

/** A link to create, as names (resolved to ifindexes when applied). */
export interface CreateSpec {
  name: string;
  kind: string;
  parent?: string;
  mtu?: number;
  mac?: string;
  master?: string;
  up?: boolean;
  group?: number;
  alias?: string;
  vlan?: { id: number; protocol?: '802.1Q' | '802.1ad' };
  bond?: { mode: string; miimon?: number; arpInterval?: number; arpIpTargets?: string[] };
  bridge?: { stp?: boolean; vlanFiltering?: boolean };
  macvlan?: { mode: string };
  veth?: { peer: string; peerNetns?: string };
}

export interface LinkAttrs {
  up?: boolean;
  mtu?: number;
  mac?: string;
  /** master by name; null = nomaster */
  master?: string | null;
  alias?: string;
  group?: number;
}

export type Op =
  | { op: 'link-add'; name: string; spec: CreateSpec }
  | { op: 'link-del'; name: string; kind: string; /** also goes away (veth peer) */ with?: string[] }
  | { op: 'link-set'; name: string; change: LinkAttrs; from: LinkAttrs }
  | { op: 'addr-add'; name: string; address: string; prefixlen: number; label?: string; nodad?: boolean; broadcast?: string }
  | { op: 'addr-del'; name: string; address: string; prefixlen: number; label?: string; broadcast?: string }
  | { op: 'arp-set'; name: string; values: ArpValues; from: ArpValues | null }
  | { op: 'route-add'; name: string; route: RouteWant }
  | { op: 'route-del'; name: string; route: RouteWant };

export interface PlanOptions {
  /** Names of the links nodectl created (ownership record); only these are ever deleted. */
  owned: Set<string>;
  /**
   * Remove owned links the file no longer declares (default true), and nodectl's routes
   * (protocol "nodectl") through links the file does not declare; nodectl's routes through a
   * declared link are what its `routes:` says, always.
   */
  prune?: boolean;
}

/**
 * What one operation does to the link it names, as far as traffic through it is concerned:
 * - `new`: the link did not exist (created by this plan, or a step on one it creates);
 * - `in-place`: changed while it keeps working (MTU, MAC, alias, addresses, ARP, routes, up);
 * - `enslave`: a port without a master gets one (a first enslavement; a bond's ports also bounce);
 * - `re-enslave`: a port leaves its master (moved to another, released, or its master goes);
 * - `bounce`: the link is taken down and brought up again by this plan;
 * - `down`: the link is taken down and stays down (the file says `state: down`);
 * - `recreate`: deleted and created again under the same name (a new ifindex), and every step
 *   on it in between;
 * - `delete`: removed, the file no longer declares it (pruning; `--no-prune` keeps it).
 */
export type Effect = 'new' | 'in-place' | 'enslave' | 're-enslave' | 'bounce' | 'down' | 'recreate' | 'delete';

/** The effects that interrupt an existing link that is up (see `Plan.disruption`). */
export const DISRUPTIVE_EFFECTS: ReadonlySet<Effect> = new Set<Effect>(['re-enslave', 'bounce', 'down', 'recreate']);

/** One existing link, up now, that the plan interrupts, and how (steps are 1-based). */
export interface Disruption {
  name: string;
  effects: Effect[];
  steps: number[];
}

export interface Plan {
  ops: Op[];
  /** The effect of each operation, parallel to `ops`. */
  effects: Effect[];
  /**
   * The links that exist and are up now which the plan interrupts (re-enslaves, bounces, takes
   * down or re-creates), in plan order; `config apply` refuses such a plan unless allowed.
   * Creating what does not exist, changing in place, a first enslavement and deleting what the
   * file no longer declares are not disruption: at boot nothing configured exists yet.
   */
  disruption: Disruption[];
  /** Things nodectl chose not to do, and why (an owned link another program builds on, …). */
  warnings: string[];
  /** Interfaces the plan creates (they become owned once created). */
  creates: string[];
  /** Interfaces the plan deletes (with veth peers). */
  deletes: string[];
}

/** The file cannot be applied to this kernel state (a declared device is missing, a name is taken). */
export class PlanConflict extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('; '));
    this.problems = problems;
  }
}

type ActualLink = ActualState['links'][number];

const LOGICAL: ReadonlySet<string> = new Set(['vlan', 'bond', 'bridge', 'macvlan', 'veth', 'dummy']);

/**
 * Addresses nodectl manages: permanent ones (autoconf/SLAAC addresses are not), except IPv6
 * link-local ones, which the kernel itself adds — as permanent — to every interface that comes up.
 */
export function isManagedAddr(a: Pick<Addr, 'flags' | 'family' | 'address'>): boolean {
  return a.flags.includes('permanent') && !(a.family === 6 && /^fe[89ab]/i.test(a.address));
}

function declState(d: InterfaceDecl): 'up' | 'down' {
  return d.state ?? 'up';
}

/** The spec that creates `d` (names, not indexes). */
export function createSpecOf(d: InterfaceDecl, master: string | undefined): CreateSpec {
  const s: CreateSpec = { name: d.name, kind: d.kind, group: OWNED_GROUP };
  if (d.mtu !== undefined) s.mtu = d.mtu;
  if (d.mac !== undefined) s.mac = d.mac.toLowerCase();
  if (d.alias !== undefined) s.alias = d.alias;
  if (master !== undefined) s.master = master;
  switch (d.kind) {
    case 'vlan': s.parent = d.link; s.vlan = { id: d.vlan.id, protocol: d.vlan.protocol ?? VLAN_PROTOCOL }; break;
    case 'macvlan': s.parent = d.link; s.macvlan = { mode: d.macvlan?.mode ?? MACVLAN_MODE }; break;
    case 'bridge':
      // IFLA_BR_VLAN_FILTERING is refused (EOPNOTSUPP) even as 0 by kernels built without
      // CONFIG_BRIDGE_VLAN_FILTERING, and 0 is the default: send it only to turn it on.
      s.bridge = { stp: d.bridge?.stp ?? false };
      if (d.bridge?.vlan_filtering) s.bridge.vlanFiltering = true;
      break;
    case 'bond': {
      const b = d.bond ?? {};
      s.bond = { mode: b.mode ?? BOND_MODE };
      if (b.miimon !== undefined) s.bond.miimon = b.miimon;
      if (b.arp_interval !== undefined) s.bond.arpInterval = b.arp_interval;
      if (b.arp_ip_target?.length) s.bond.arpIpTargets = [...b.arp_ip_target];
      break;
    }
    case 'veth': { s.veth = { peer: peerName(d) }; const ns = peerNetns(d); if (ns) s.veth.peerNetns = ns; break; }
    default: break;
  }
  return s;
}

/**
 * Why an existing link cannot become `d` without being re-created (kind, lower device, or a
 * kind option the kernel cannot change in place); null when it can be changed in place.
 */
export function immutableDiff(d: InterfaceDecl, l: ActualLink, nameOf: (i: number | null) => string | null): string | null {
  if (d.kind === 'device') return null;
  if (l.kind !== d.kind) return `is a ${l.kind}, the file wants a ${d.kind}`;
  const kd = l.kindData as Record<string, unknown> | null;
  switch (d.kind) {
    case 'vlan': {
      if (nameOf(l.parentIndex) !== d.link) return `lower device is ${nameOf(l.parentIndex) ?? '?'}, the file wants ${d.link}`;
      if (kd && kd.id !== d.vlan.id) return `vlan id is ${String(kd.id)}, the file wants ${d.vlan.id}`;
      if (kd && kd.protocol !== (d.vlan.protocol ?? VLAN_PROTOCOL)) return `vlan protocol is ${String(kd.protocol)}, the file wants ${d.vlan.protocol ?? VLAN_PROTOCOL}`;
      return null;
    }
    case 'macvlan': {
      if (nameOf(l.parentIndex) !== d.link) return `lower device is ${nameOf(l.parentIndex) ?? '?'}, the file wants ${d.link}`;
      const mode = d.macvlan?.mode ?? MACVLAN_MODE;
      if (kd && kd.mode !== mode) return `macvlan mode is ${String(kd.mode)}, the file wants ${mode}`;
      return null;
    }
    case 'bridge': {
      if (kd && Boolean(kd.stp) !== (d.bridge?.stp ?? false)) return `stp is ${kd.stp ? 'on' : 'off'}, the file wants ${d.bridge?.stp ? 'on' : 'off'}`;
      if (kd && Boolean(kd.vlanFiltering) !== (d.bridge?.vlan_filtering ?? false)) return `vlan_filtering is ${kd.vlanFiltering ? 'on' : 'off'}, the file wants ${d.bridge?.vlan_filtering ? 'on' : 'off'}`;
      return null;
    }
    case 'bond': {
      const b = d.bond ?? {};
      if (kd && kd.mode !== (b.mode ?? BOND_MODE)) return `bond mode is ${String(kd.mode)}, the file wants ${b.mode ?? BOND_MODE}`;
      if (kd && b.miimon !== undefined && kd.miimon !== b.miimon) return `miimon is ${String(kd.miimon)}, the file wants ${b.miimon}`;
      if (kd && b.arp_interval !== undefined && (kd.arpInterval ?? 0) !== b.arp_interval) return `arp_interval is ${String(kd.arpInterval ?? 0)}, the file wants ${b.arp_interval}`;
      if (kd && b.arp_ip_target !== undefined && [...((kd.arpIpTargets as string[] | undefined) ?? [])].sort().join() !== [...b.arp_ip_target].sort().join()) return 'arp_ip_target differs';
      return null;
    }
    case 'veth': {
      if (peerNetns(d)) return null; // the peer lives elsewhere: its name cannot be read from here
      const peer = kd && typeof kd.peerIndex === 'number' && kd.peerNetnsId === undefined ? nameOf(kd.peerIndex) : null;
      if (peer !== null && peer !== peerName(d)) return `veth peer is ${peer}, the file wants ${peerName(d)}`;
      return null;
    }
    default:
      return null;
  }
}

/** Order names so that every name comes after the names it depends on (stable otherwise). */
export function topoOrder(names: string[], deps: (n: string) => string[]): string[] {
  const inSet = new Set(names);
  const out: string[] = [];
  const mark = new Map<string, 1 | 2>();
  const visit = (n: string): void => {
    if (mark.get(n) === 2) return;
    if (mark.get(n) === 1) return; // cycles are rejected by validation; never loop here
    mark.set(n, 1);
    for (const d of deps(n)) if (inSet.has(d)) visit(d);
    mark.set(n, 2);
    out.push(n);
  };
  for (const n of names) visit(n);
  return out;
}

interface AddrWant { address: string; prefixlen: number; label?: string; nodad?: boolean }

function wantedAddrs(d: InterfaceDecl): AddrWant[] | null {
  if (d.addresses === undefined) return d.kind === 'device' ? null : [];
  return d.addresses.map((a) => {
    const p = addressParts(a);
    const c = parseCidr(p.text);
    if (typeof c === 'string') throw new Error(`unvalidated address ${p.text}`);
    const w: AddrWant = { address: c.address, prefixlen: c.prefixlen };
    if (p.label !== undefined) w.label = p.label;
    if (p.nodad) w.nodad = true;
    return w;
  });
}

/** The routes `d` declares, as the kernel will keep them. */
export function wantedRoutes(d: InterfaceDecl): RouteWant[] {
  return (d.routes ?? []).map((r) => {
    const c = checkRoute(r);
    if ('reason' in c) throw new Error(`unvalidated route ${r.to}: ${c.reason}`);
    const w: RouteWant = { family: c.family, dst: c.dst, metric: effectiveMetric(c.family, c.metric), table: c.table };
    if (c.gateway !== undefined) w.gateway = c.gateway;
    if (c.family === 4) w.scope = r.scope ?? (c.gateway !== undefined ? 'global' : 'link');
    if (r.onlink) w.onlink = true;
    return w;
  });
}

/** A route from a dump, as a RouteWant (the fields a step compares and names). */
export function routeWantOf(r: NonNullable<ActualState['routes']>[number]): RouteWant {
  const w: RouteWant = { family: r.family, dst: r.dst, metric: r.metric, table: r.table };
  if (r.gateway !== null) w.gateway = canonicalIp(r.gateway);
  if (r.family === 4) w.scope = r.scope === 'link' ? 'link' : 'global';
  if (r.onlink) w.onlink = true;
  return w;
}

const wantKey = (w: RouteWant): string => routeKey(w, w.metric);
const sameRoute = (a: RouteWant, b: RouteWant): boolean =>
  wantKey(a) === wantKey(b) && (a.gateway ?? '') === (b.gateway ?? '') && (a.scope ?? '') === (b.scope ?? '') && Boolean(a.onlink) === Boolean(b.onlink);

/** Compute the operations that take `actual` to `cfg`. Throws PlanConflict when it cannot. */
export function plan(file: NodeConfig, actual: ActualState, opts: PlanOptions): Plan {
  // a veth's other end declared as an object is one more interface (src/config/peers.ts)
  const ex = expandPeers(file);
  const cfg = ex.cfg;
  const prune = opts.prune ?? true;
  const warnings: string[] = [];
  const conflicts: string[] = [];
  const byName = new Map(actual.links.map((l) => [l.name, l]));
  const byIndex = new Map(actual.links.map((l) => [l.index, l]));
  const nameOf = (i: number | null): string | null => (i === null ? null : byIndex.get(i)?.name ?? null);
  const decls = cfg.interfaces;
  const declByName = new Map(decls.map((d) => [d.name, d]));
  const desiredMaster = mastersOf(decls);
  const vethPeerOf = new Map<string, string>();
  for (const d of decls) if (d.kind === 'veth' && !peerNetns(d)) vethPeerOf.set(peerName(d), d.name);

  // 1. What to create, what to re-create, what to delete.
  const create = new Set<string>();
  const del = new Set<string>();
  for (const d of decls) {
    const l = byName.get(d.name);
    if (d.kind === 'device') {
      const peerOf = ex.peers.get(d.name)?.veth;
      if (peerOf !== undefined && create.has(peerOf)) continue; // made with its veth
      if (!l) conflicts.push(peerOf !== undefined ? `${d.name}, the peer of veth ${peerOf}, does not exist: the veth exists with another peer` : `device ${d.name} does not exist (kind: device is for interfaces nodectl does not create)`);
      continue;
    }
    if (!l) { create.add(d.name); continue; }
    const why = immutableDiff(d, l, nameOf);
    if (!why) continue;
    if (opts.owned.has(d.name)) { del.add(d.name); create.add(d.name); } else {
      conflicts.push(`${d.name} already exists and ${why}; it was not created by nodectl, so it is not replaced (delete it, or declare it as kind: device)`);
    }
  }
  // a declared veth peer that exists as something else blocks the veth
  for (const [peer, veth] of vethPeerOf) {
    const l = byName.get(peer);
    if (l && create.has(veth) && !del.has(veth)) conflicts.push(`cannot create veth ${veth}: its peer name ${peer} is taken by an existing ${l.kind}`);
  }
  if (prune) {
    for (const l of actual.links) {
      if (!opts.owned.has(l.name) || declByName.has(l.name) || vethPeerOf.has(l.name)) continue;
      if (!LOGICAL.has(l.kind)) continue; // ownership records can go stale; a NIC is never deleted
      del.add(l.name);
    }
  }
  // deleting a lower device deletes what sits on it: those must be deleted first, by us
  const byParent = new Map<number, ActualLink[]>();
  for (const c of actual.links) {
    if (c.parentIndex === null || c.linkNetnsId !== null) continue;
    const list = byParent.get(c.parentIndex);
    if (list) list.push(c);
    else byParent.set(c.parentIndex, [c]);
  }
  const childrenOf = (name: string): ActualLink[] => {
    const l = byName.get(name);
    return l ? (byParent.get(l.index) ?? []).filter((c) => c.name !== name) : [];
  };
  let grew = true;
  while (grew) {
    grew = false;
    for (const n of [...del]) {
      for (const c of childrenOf(n)) {
        if (del.has(c.name)) continue;
        if (declByName.has(c.name) && declByName.get(c.name)!.kind !== 'device') { del.add(c.name); create.add(c.name); grew = true; } else if (opts.owned.has(c.name)) { del.add(c.name); grew = true; } else {
          // never take down what someone else built
          warnings.push(`not deleting ${n}: ${c.name} (${c.kind}, not created by nodectl) is built on it`);
          const blocked = (x: string): void => {
            if (!del.has(x)) return;
            del.delete(x);
            if (create.has(x) && byName.has(x)) {
              create.delete(x);
              conflicts.push(`${x} must be re-created but ${c.name}, which nodectl does not own, is built on it`);
            }
            const l = byName.get(x);
            if (l?.parentIndex !== null && l?.parentIndex !== undefined) blocked(nameOf(l.parentIndex) ?? '');
          };
          blocked(n);
        }
      }
    }
  }
  // a veth deleted takes its peer with it
  const goneWith = new Map<string, string[]>();
  for (const n of del) {
    const l = byName.get(n)!;
    const kd = l.kindData as { peerIndex?: number; peerNetnsId?: number } | null;
    if (l.kind === 'veth' && kd?.peerIndex !== undefined && kd.peerNetnsId === undefined && l.linkNetnsId === null) {
      const peer = nameOf(kd.peerIndex);
      if (peer) goneWith.set(n, [peer]);
    }
  }
  for (const peers of goneWith.values()) for (const p of peers) if (del.has(p) && goneWith.has(p)) { goneWith.delete(p); del.delete(p); }
  if (conflicts.length) throw new PlanConflict(conflicts);

  const ops: Op[] = [];
  const deletedAll = new Set<string>([...del, ...[...goneWith.values()].flat()]);
  // declared peers of veths the plan creates: new links, whatever has their name now
  const freshPeers = new Set([...ex.peers].filter(([, p]) => create.has(p.veth)).map(([n]) => n));
  const fresh = (n: string): boolean => create.has(n) || freshPeers.has(n);
  const survives = (n: string): boolean => byName.has(n) && !deletedAll.has(n);

  // 2. Release ports whose master goes away or changes (explicit, so each step has an inverse).
  const postMaster = new Map<string, string | null>();
  for (const l of actual.links) postMaster.set(l.name, nameOf(l.masterIndex));
  // the kernel closes a port it releases from a bond (bond_release → dev_close)
  const postAdmin = new Map<string, 'up' | 'down'>(actual.links.map((l) => [l.name, l.admin]));
  const reopen: string[] = [];
  const releases: Op[] = [];
  for (const l of actual.links) {
    if (!survives(l.name)) continue;
    const m = nameOf(l.masterIndex);
    if (m === null) continue;
    const d = declByName.get(l.name);
    const want = d ? desiredMaster.get(l.name) ?? null : m;
    if (deletedAll.has(m) || (d && want !== m)) {
      releases.push({ op: 'link-set', name: l.name, change: { master: null }, from: { master: m } });
      postMaster.set(l.name, null);
      if (byName.get(m)?.kind === 'bond' && l.admin === 'up') {
        postAdmin.set(l.name, 'down');
        if (!d) reopen.push(l.name);
      }
    }
  }
  ops.push(...releases);

  // 3. Delete, dependents first.
  const delOrder = topoOrder([...del], (n) => childrenOf(n).map((c) => c.name)).filter((n) => del.has(n));
  for (const n of delOrder) {
    const op: Op = { op: 'link-del', name: n, kind: byName.get(n)!.kind };
    if (goneWith.has(n)) op.with = goneWith.get(n)!;
    ops.push(op);
  }

  // 4. Create, lower devices and masters first (pushed after the attribute changes below: a
  //    parent's MTU must grow before a child is created with the bigger MTU).
  const createOps: Op[] = [];
  const depsOf = (n: string): string[] => {
    const d = declByName.get(n);
    if (!d) return [];
    const out: string[] = [];
    if (d.kind === 'vlan' || d.kind === 'macvlan') out.push(d.link);
    const m = desiredMaster.get(n);
    if (m) out.push(m);
    return out;
  };
  const allNames = decls.map((d) => d.name);
  const topo = topoOrder(allNames, depsOf);
  const bondPortsUp: string[] = [];
  for (const n of topo) {
    if (!create.has(n)) continue;
    const d = declByName.get(n)!;
    const m = desiredMaster.get(n);
    const spec = createSpecOf(d, m);
    // a bond takes only ports that are down; bring them up once enslaved
    const bondPort = m !== undefined && declByName.get(m)?.kind === 'bond';
    if (declState(d) === 'up' && !bondPort) spec.up = true;
    if (declState(d) === 'up' && bondPort) bondPortsUp.push(n);
    createOps.push({ op: 'link-add', name: n, spec });
  }

  // 5. Attributes of links that stay. MTU: raise parents first, lower children first.
  const sets: Op[] = [];
  const mtuDown: Op[] = [];
  const masterSets: Op[] = [];
  for (const n of topo) {
    const d = declByName.get(n)!;
    const l = byName.get(n);
    if (freshPeers.has(n)) {
      // made down, with the kernel's defaults, by its veth's creation: set what the file says
      const change: LinkAttrs = {};
      if (d.mtu !== undefined) change.mtu = d.mtu;
      if (d.alias !== undefined) change.alias = d.alias;
      if (Object.keys(change).length) createOps.push({ op: 'link-set', name: n, change, from: {} });
      const want = desiredMaster.get(n);
      if (want !== undefined) masterSets.push({ op: 'link-set', name: n, change: { master: want }, from: {} });
      if (declState(d) === 'up') bondPortsUp.push(n);
      continue;
    }
    if (!l || create.has(n)) continue;
    const change: LinkAttrs = {};
    const from: LinkAttrs = {};
    if (d.mtu !== undefined && d.mtu !== l.mtu) {
      if (d.mtu < l.mtu) mtuDown.push({ op: 'link-set', name: n, change: { mtu: d.mtu }, from: { mtu: l.mtu } });
      else { change.mtu = d.mtu; from.mtu = l.mtu; }
    }
    if (d.mac !== undefined && d.mac.toLowerCase() !== l.mac) { change.mac = d.mac.toLowerCase(); from.mac = l.mac ?? undefined; }
    if (d.alias !== undefined && d.alias !== (l.alias ?? '')) { change.alias = d.alias; from.alias = l.alias ?? ''; }
    if (opts.owned.has(n) && d.kind !== 'device' && l.group !== OWNED_GROUP) { change.group = OWNED_GROUP; from.group = l.group; }
    if (Object.keys(change).length) sets.push({ op: 'link-set', name: n, change, from });
    const want = desiredMaster.get(n) ?? null;
    const now = postMaster.get(n) ?? null;
    if (want !== now && want !== null) {
      const toBond = declByName.get(want)?.kind === 'bond';
      if (toBond && l.admin === 'up') {
        masterSets.push({ op: 'link-set', name: n, change: { up: false }, from: { up: true } });
        if (declState(d) === 'up') bondPortsUp.push(n);
      }
      masterSets.push({ op: 'link-set', name: n, change: { master: want }, from: { master: now } });
    } else if (want === null && now !== null) {
      masterSets.push({ op: 'link-set', name: n, change: { master: null }, from: { master: now } });
    }
  }
  ops.push(...mtuDown.reverse(), ...sets, ...createOps, ...masterSets);
  ops.push(...bridgeMtuPins(ops, { decls, declByName, desiredMaster, byName, create, freshPeers, postMaster }));

  // 6. Administrative state: up parents first, down children first. Downs go between the
  //    address removals and additions (section 7): a link going down loses its IPv6 addresses
  //    (keep_addr_on_down=0), so one added first would be gone by verification, and one
  //    removed after would already be gone (EADDRNOTAVAIL). Ups come last.
  const ups: Op[] = [];
  const downs: Op[] = [];
  for (const n of topo) {
    const d = declByName.get(n)!;
    const l = byName.get(n);
    const want = declState(d) === 'up';
    if (bondPortsUp.includes(n)) { ups.push({ op: 'link-set', name: n, change: { up: true }, from: { up: false } }); continue; }
    if (!l || create.has(n)) continue;
    const now = (postAdmin.get(n) ?? l.admin) === 'up';
    if (want === now) continue;
    (want ? ups : downs).push({ op: 'link-set', name: n, change: { up: want }, from: { up: now } });
  }
  // undeclared ports a bond released (its deletion) come back up as they were
  for (const n of reopen) ups.push({ op: 'link-set', name: n, change: { up: true }, from: { up: false } });
  // 7. Addresses: removals first (an address may move between interfaces), then additions.
  const addrDels: Op[] = [];
  const addrAdds: Op[] = [];
  // by interface once: every bridge that is up has an address (its IPv6 link-local one)
  const addrsOf = new Map<number, ActualState['addrs']>();
  for (const a of actual.addrs) {
    const list = addrsOf.get(a.ifindex);
    if (list) list.push(a);
    else addrsOf.set(a.ifindex, [a]);
  }
  // The management addresses belong to the failover daemon, which moves them between its
  // candidates: never removed from (nor, validate sees to it, declared on) a candidate here.
  const mgmtHeld = new Set<string>();
  for (const text of cfg.mgmt?.addresses ?? []) {
    const c = parseCidr(text);
    if (typeof c !== 'string') for (const n of cfg.mgmt!.candidates) mgmtHeld.add(`${n} ${c.address}/${c.prefixlen}`);
  }
  for (const d of decls) {
    const want = wantedAddrs(d);
    if (want === null) continue;
    const l = byName.get(d.name);
    const have = l && !fresh(d.name) ? addrsOf.get(l.index) ?? [] : [];
    const key = (a: { address: string; prefixlen: number }): string => `${canonicalIp(a.address)}/${a.prefixlen}`;
    const wantKeys = new Map(want.map((w) => [key(w), w]));
    // with nothing wanted only managed addresses can need a step: no key (an IPv6 canonical
    // form, BigInt-based) for the link-local address every up interface has
    const haveKeys = new Map((want.length ? have : have.filter(isManagedAddr)).map((a) => [key(a), a]));
    for (const [k, a] of haveKeys) {
      const w = wantKeys.get(k);
      if (!w && (!isManagedAddr(a) || mgmtHeld.has(`${d.name} ${k}`))) continue;
      const labelOk = !w || a.family !== 4 || (w.label ?? d.name) === (a.label ?? d.name);
      if (!w || !labelOk) {
        const op: Op = { op: 'addr-del', name: d.name, address: canonicalIp(a.address), prefixlen: a.prefixlen };
        if (a.label !== null && a.family === 4) op.label = a.label;
        if (a.broadcast) op.broadcast = a.broadcast;
        addrDels.push(op);
        if (w) haveKeys.delete(k);
      }
    }
    for (const [k, w] of wantKeys) {
      if (haveKeys.has(k)) continue;
      const op: Op = { op: 'addr-add', name: d.name, address: w.address, prefixlen: w.prefixlen };
      if (w.label !== undefined) op.label = w.label;
      if (w.nodad) op.nodad = true;
      addrAdds.push(op);
    }
  }
  ops.push(...addrDels, ...downs.reverse(), ...addrAdds);

  // 8. ARP policy (only the keys the file names).
  for (const d of decls) {
    if (!d.arp) continue;
    const l = byName.get(d.name);
    const cur = l && !fresh(d.name) ? actual.inetConf?.get(l.index) ?? null : null;
    const values: ArpValues = {};
    const from: ArpValues = {};
    for (const k of ARP_KEY_NAMES) {
      const v = d.arp[k];
      if (v === undefined) continue;
      if (cur && cur[k] === v) continue;
      values[k] = v;
      if (cur && cur[k] !== undefined) from[k] = cur[k];
    }
    if (Object.keys(values).length) ops.push({ op: 'arp-set', name: d.name, values, from: cur ? from : null });
  }

  ops.push(...ups);

  // 9. Routes, last: they need their link up (IPv4 refuses a route through a down link) and the
  //    prefix of their gateway (an address above). nodectl's own routes that must go (or that
  //    a step above would take away with an address or a link going down, so that rollback
  //    knows them) are removed FIRST, before anything else changes, and put back here.
  const r = planRoutes(cfg, actual, opts, prune, { byName, deletedAll, create: new Set([...create, ...freshPeers]), ops });
  if (r.conflicts.length) throw new PlanConflict(r.conflicts);
  ops.unshift(...r.dels);
  ops.push(...r.adds);

  const effects = effectsOf(ops, { byName, create, del, freshPeers });
  return {
    ops,
    effects,
    disruption: disruptionOf(ops, effects, byName),
    warnings,
    creates: topo.filter((n) => create.has(n)),
    deletes: [...deletedAll],
  };
}

/**
 * A bridge whose MTU nobody set follows its ports: each enslavement, release or port MTU change
 * sets it to its smallest port's MTU (1500 with no port), and a bridge created with IFLA_MTU
 * counts as not set. So a bridge the file wants below its ports (1500 over 9000 ports) would be
 * raised by the very steps that enslave them, and the apply fail its verification. Setting its
 * MTU after those steps (ndo_change_mtu) marks it as set by the user: the kernel then keeps it.
 * Only when the plan changes its ports and they would leave it above the file's MTU (or, with
 * no port left, at 1500); a bridge above its ports is refused by validate and preflight.
 */
function bridgeMtuPins(ops: Op[], c: {
  decls: InterfaceDecl[]; declByName: Map<string, InterfaceDecl>; desiredMaster: Map<string, string | undefined>;
  byName: Map<string, ActualLink>; create: Set<string>; freshPeers: Set<string>; postMaster: Map<string, string | null>;
}): Op[] {
  const mtuAfter = (n: string, depth = 0): number | undefined => {
    const d = c.declByName.get(n);
    if (d?.mtu !== undefined) return d.mtu;
    const l = c.byName.get(n);
    if (l && !c.create.has(n) && !c.freshPeers.has(n)) return l.mtu;
    if (!d || depth > 32) return undefined;
    if (d.kind === 'vlan' || d.kind === 'macvlan') return mtuAfter(d.link, depth + 1);
    // made by the plan with the kernel's default (a veth's declared peer too)
    return d.kind === 'device' && !c.freshPeers.has(n) ? undefined : 1500;
  };
  // the bridges whose ports this plan changes
  const touched = new Set<string>();
  const masterOf = (n: string): string | null => c.desiredMaster.get(n) ?? c.postMaster.get(n) ?? null;
  for (const op of ops) {
    if (op.op === 'link-add' && op.spec.master !== undefined) touched.add(op.spec.master);
    if (op.op === 'link-del') { const m = c.byName.get(op.name)?.masterIndex; if (m !== null && m !== undefined) for (const l of c.byName.values()) if (l.index === m) touched.add(l.name); }
    if (op.op !== 'link-set') continue;
    if (typeof op.change.master === 'string') touched.add(op.change.master);
    if (op.change.master === null && op.from.master) touched.add(op.from.master);
    if (op.change.mtu !== undefined) { const m = masterOf(op.name); if (m !== null) touched.add(m); }
  }
  const out: Op[] = [];
  for (const d of c.decls) {
    if (d.kind !== 'bridge' || d.mtu === undefined || !touched.has(d.name)) continue;
    const ports = c.decls.filter((p) => c.desiredMaster.get(p.name) === d.name).map((p) => mtuAfter(p.name));
    // a port of unknown MTU counts as not the file's: setting a bridge to its own MTU is a no-op
    const auto = ports.length ? Math.min(...ports.map((m) => m ?? Infinity)) : 1500;
    // above a port is the file's error (validate, preflight), never made to stick here: the
    // verification then finds it and the apply rolls back
    if (auto === d.mtu || (ports.length > 0 && auto < d.mtu)) continue;
    const l = c.byName.get(d.name);
    const existing = l && !c.create.has(d.name);
    out.push({ op: 'link-set', name: d.name, change: { mtu: d.mtu }, from: existing ? { mtu: l.mtu } : {} });
  }
  return out;
}

/** The effect of each operation of a plan (see Effect). */
function effectsOf(ops: Op[], ctx: { byName: Map<string, ActualLink>; create: Set<string>; del: Set<string>; freshPeers: Set<string> }): Effect[] {
  // a declared veth peer that exists now goes with its veth, and comes back with it
  const recreated = (n: string): boolean => (ctx.create.has(n) && ctx.del.has(n)) || (ctx.freshPeers.has(n) && ctx.byName.has(n));
  const fresh = (n: string): boolean => (ctx.create.has(n) && !ctx.del.has(n)) || ctx.freshPeers.has(n) || !ctx.byName.has(n);
  // links this plan takes down and brings up again
  const downAt = new Map<string, number>();
  const bounced = new Set<string>();
  ops.forEach((op, i) => {
    if (op.op !== 'link-set' || op.change.up === undefined) return;
    if (op.change.up === false) downAt.set(op.name, i);
    else if (downAt.has(op.name)) bounced.add(op.name);
  });
  return ops.map((op): Effect => {
    if (recreated(op.name)) return 'recreate';
    if (op.op === 'link-del') return 'delete';
    if (fresh(op.name)) return 'new';
    if (op.op !== 'link-set') return 'in-place';
    if (op.change.master !== undefined) {
      // a port released by a bond is closed by the kernel: part of the same interruption
      return op.from.master === null || op.from.master === undefined ? 'enslave' : 're-enslave';
    }
    if (op.change.up === false) return bounced.has(op.name) ? 'bounce' : 'down';
    if (op.change.up === true && downAt.has(op.name)) return 'bounce';
    return 'in-place';
  });
}

/**
 * The links, existing and up now, that disruptive steps touch. A port whose master is
 * re-created is interrupted too: its release is a step of its own (re-enslave).
 */
function disruptionOf(ops: Op[], effects: Effect[], byName: Map<string, ActualLink>): Disruption[] {
  const out = new Map<string, Disruption>();
  ops.forEach((op, i) => {
    const e = effects[i]!;
    if (!DISRUPTIVE_EFFECTS.has(e) || byName.get(op.name)?.admin !== 'up') return;
    let d = out.get(op.name);
    if (!d) out.set(op.name, (d = { name: op.name, effects: [], steps: [] }));
    if (!d.effects.includes(e)) d.effects.push(e);
    d.steps.push(i + 1);
  });
  return [...out.values()];
}

/**
 * One line: `br0 (recreate, steps 2, 5), eth1 (re-enslave, step 1)`; past `max` links, a count
 * (re-creating 1,000 macvlans is one error line, not a screenful; --json has them all).
 */
export function describeDisruption(ds: readonly Disruption[], max = 10): string {
  const one = (d: Disruption): string => `${d.name} (${d.effects.join(', ')}, ${d.steps.length === 1 ? 'step' : 'steps'} ${d.steps.join(', ')})`;
  const shown = ds.length > max ? ds.slice(0, max) : ds;
  return shown.map(one).join(', ') + (ds.length > shown.length ? `, and ${ds.length - shown.length} more` : '');
}

function planRoutes(cfg: NodeConfig, actual: ActualState, opts: PlanOptions, prune: boolean, ctx: { byName: Map<string, ActualLink>; deletedAll: Set<string>; create: Set<string>; ops: Op[] }): { dels: Op[]; adds: Op[]; conflicts: string[] } {
  const dels: Op[] = [];
  const adds: Op[] = [];
  const conflicts: string[] = [];
  const nameOfIndex = new Map(actual.links.map((l) => [l.index, l.name]));
  // links whose routes a step takes away: going down, losing an address, re-created or deleted
  const risky = new Set<string>();
  for (const op of ctx.ops) {
    if ((op.op === 'link-set' && (op.change.up === false || op.change.master !== undefined)) || op.op === 'addr-del') risky.add(op.name);
  }
  const gone = (n: string): boolean => ctx.deletedAll.has(n) || ctx.create.has(n);
  // what is there, by key
  const ours = new Map<string, { w: RouteWant; dev: string }>();
  const theirs = new Map<string, { protocol: string; dev: string | null }>();
  // a link deleted by this very apply waits, doomed, until the commit deletes it with its routes
  const doomed = new Set(actual.links.filter((l) => l.group === OWNED_GROUP + 1).map((l) => l.index));
  for (const r of actual.routes ?? []) {
    if (r.type !== 'unicast' || (r.oif !== null && doomed.has(r.oif))) continue;
    const w = routeWantOf(r);
    const dev = r.oif === null ? null : nameOfIndex.get(r.oif) ?? null;
    if (r.protocol === 'nodectl' && dev !== null) ours.set(wantKey(w), { w, dev });
    else theirs.set(wantKey(w), { protocol: r.protocol, dev });
  }
  const declared = new Map(cfg.interfaces.map((d) => [d.name, d]));
  const keep = new Set<string>();
  for (const d of cfg.interfaces) {
    for (const w of wantedRoutes(d)) {
      const k = wantKey(w);
      const t = theirs.get(k);
      if (t) {
        conflicts.push(`route ${describeRoute(w)} cannot be added: ${w.dst} table ${w.table} metric ${w.metric} already exists (proto ${t.protocol}${t.dev ? `, dev ${t.dev}` : ''}), not installed by nodectl; remove it or give this one another metric`);
        continue;
      }
      const have = ours.get(k);
      if (have && have.dev === d.name && sameRoute(have.w, w) && !risky.has(d.name) && !gone(d.name)) { keep.add(k); continue; }
      adds.push({ op: 'route-add', name: d.name, route: w });
    }
  }
  for (const [k, { w, dev }] of ours) {
    if (keep.has(k)) continue;
    // the kernel takes these away with their link
    if (ctx.deletedAll.has(dev) || ctx.create.has(dev)) continue;
    const wanted = adds.some((a) => a.op === 'route-add' && wantKey(a.route) === k);
    if (!wanted && !declared.has(dev) && !prune) continue;
    dels.push({ op: 'route-del', name: dev, route: w });
  }
  void opts;
  return { dels, adds, conflicts };
}

function describeRoute(w: RouteWant, dev?: string): string {
  const parts = [w.family === 6 && w.dst === 'default' ? 'default (IPv6)' : w.dst];
  if (w.gateway) parts.push('via', w.gateway);
  if (dev) parts.push('dev', dev);
  if (w.metric !== (w.family === 6 ? 1024 : 0)) parts.push('metric', String(w.metric));
  if (w.table !== 254) parts.push('table', String(w.table));
  if (w.family === 4 && w.scope !== (w.gateway ? 'global' : 'link')) parts.push('scope', w.scope ?? 'global');
  if (w.onlink) parts.push('onlink');
  return parts.join(' ');
}

/** One line per operation, in iproute2's words. */
export function describeOp(op: Op): string {
  switch (op.op) {
    case 'link-add': {
      const s = op.spec;
      const parts = ['link add', s.name];
      if (s.parent) parts.push('link', s.parent);
      parts.push('type', s.kind);
      if (s.vlan) parts.push('id', String(s.vlan.id), 'protocol', s.vlan.protocol ?? VLAN_PROTOCOL);
      if (s.macvlan) parts.push('mode', s.macvlan.mode);
      if (s.bridge) parts.push('stp', s.bridge.stp ? 'on' : 'off', ...(s.bridge.vlanFiltering ? ['vlan_filtering', 'on'] : []));
      if (s.bond) {
        parts.push('mode', s.bond.mode);
        if (s.bond.miimon !== undefined) parts.push('miimon', String(s.bond.miimon));
        if (s.bond.arpInterval !== undefined) parts.push('arp_interval', String(s.bond.arpInterval));
        if (s.bond.arpIpTargets?.length) parts.push('arp_ip_target', s.bond.arpIpTargets.join(','));
      }
      if (s.veth) parts.push('peer', s.veth.peer, ...(s.veth.peerNetns ? ['netns', s.veth.peerNetns] : []));
      if (s.mtu !== undefined) parts.push('mtu', String(s.mtu));
      if (s.mac !== undefined) parts.push('address', s.mac);
      if (s.master !== undefined) parts.push('master', s.master);
      if (s.alias !== undefined) parts.push('alias', JSON.stringify(s.alias));
      if (s.up) parts.push('up');
      return parts.join(' ');
    }
    case 'link-del':
      return `link del ${op.name}${op.with?.length ? ` (and its peer ${op.with.join(', ')})` : ''}`;
    case 'link-set': {
      const parts = ['link set', op.name];
      const c = op.change;
      const f = op.from;
      if (c.up !== undefined) parts.push(c.up ? 'up' : 'down');
      // the same MTU again: a bridge kept where the file says once its ports changed
      if (c.mtu !== undefined) parts.push('mtu', f.mtu === undefined ? String(c.mtu) : f.mtu === c.mtu ? `${c.mtu} (kept)` : `${f.mtu} → ${c.mtu}`);
      if (c.mac !== undefined) parts.push('address', `${f.mac ?? '?'} → ${c.mac}`);
      if (c.alias !== undefined) parts.push('alias', JSON.stringify(c.alias));
      if (c.group !== undefined) parts.push('group', String(c.group));
      if (c.master !== undefined) parts.push(c.master === null ? `nomaster (was ${f.master ?? '?'})` : `master ${c.master}`);
      return parts.join(' ');
    }
    case 'addr-add':
      return `addr add ${op.address}/${op.prefixlen} dev ${op.name}${op.label ? ` label ${op.label}` : ''}${op.nodad ? ' nodad' : ''}`;
    case 'addr-del':
      return `addr del ${op.address}/${op.prefixlen} dev ${op.name}`;
    case 'arp-set':
      return `arp set ${op.name} ${Object.entries(op.values).map(([k, v]) => `${k} ${v}`).join(' ')}`;
    case 'route-add':
      return `route add ${describeRoute(op.route, op.name)} proto nodectl`;
    case 'route-del':
      return `route del ${describeRoute(op.route, op.name)} proto nodectl`;
  }
}

/** The diff-like marker of an operation: + creates, - removes, ~ changes. */
export function opMarker(op: Op): '+' | '-' | '~' {
  if (op.op === 'link-add' || op.op === 'addr-add' || op.op === 'route-add') return '+';
  if (op.op === 'link-del' || op.op === 'addr-del' || op.op === 'route-del') return '-';
  return '~';
}

export const LOGICAL_KINDS = LOGICAL;
