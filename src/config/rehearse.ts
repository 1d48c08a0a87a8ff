// The rehearsal (issue 18): before step 1 on the node, the plan's steps run — through the same
// runSteps/execOp as the apply — in a throwaway network namespace that holds stand-ins for the
// node's current interfaces that the steps involve (scopeOf: same names, kinds where this kernel
// can make them, MTU, MAC, group, masters, addresses, nodectl's routes). What only the kernel knows — a bridge as a port of a
// bridge (ELOOP), an MTU a device refuses (EINVAL/ERANGE with the driver's extack), a macvlan
// above its lower device's MTU, a kind this kernel lacks — is then refused before anything on
// the node changes, with the kernel's errno name and extack text.
//
// The namespace is anonymous (src/netlink/netns.ts anonymousNetns): only this process's fd and
// socket hold it, so it and every stand-in in it go away however the process ends, SIGKILL
// included. Nothing is named under /run/netns, so nothing can leak or needs reaping.
//
// What a stand-in cannot copy: a NIC's driver limits (min/max MTU are read-only; preflight.ts
// checks them from the node's own values), offloads, carrier of a real wire. A node interface of
// a kind nodectl does not re-create (tun, wireguard, a NIC) is stood in by a dummy, or a veth
// where this kernel has no dummy; each such substitution is reported in `notes`.
import { writeFileSync } from 'node:fs';
import { NetlinkError, NodectlError, RehearsalRefusal, UnsupportedError } from '../errors.js';
import { addAddr, type Addr } from '../netlink/addr.js';
import { Handle } from '../netlink/handle.js';
import { addLink, delLink, type Link, type LinkChange, type LinkSpec, listLinks, setLink } from '../netlink/link.js';
import { BOND, BOND_MODES, type BondMode, defaultOf, MACVLAN, MACVLAN_MODES, type MacvlanMode, VLAN } from '../netlink/link-kinds.js';
import { anonymousNetns, withNetns } from '../netlink/netns.js';
import { addRoute, RTPROT_NODECTL, RTPROT_STATIC } from '../netlink/route.js';
import { describeOp, type Op, type Plan } from '../interfaces/planner.js';
import type { Snapshot } from '../interfaces/snapshot.js';
import { canonicalIp } from './cidr.js';
import { Progress } from './state.js';
import type { Step } from './journal.js';
import { Names, runSteps, StepFailure, type Tx } from './transaction.js';
import { count } from '../text.js';

export interface Rehearsal {
  /** passed: every step was accepted by the kernel in the throwaway namespace. */
  status: 'passed' | 'skipped';
  /** Why it was skipped (--no-rehearse, no privilege, an interface the plan needs has no stand-in). */
  reason?: string;
  /** Steps rehearsed. */
  steps: number;
  /** Stand-ins made for the node's interfaces (those in scopeOf's scope). */
  standIns: number;
  /** The node's interfaces (lo aside) left out: nothing the steps touch or the kernel checks them against. */
  unrelated: number;
  /** Interfaces stood in by another kind, or not at all, and why. */
  notes: string[];
}

export interface RehearseOptions {
  /** Names the plan creates (a link doomed under one is renamed), as the apply passes them. */
  reused: Set<string>;
  /** Pause after each rehearsed step (tests widen the window for a SIGKILL). */
  stepDelayMs?: number;
  /**
   * Take over letting the namespace go (called once, with the function that does it). Its
   * teardown is kernel work under the RTNL lock — for 1,000 bridges, an rcu_barrier() each —
   * that would otherwise run beside, and stall, the apply's own steps.
   */
  hold?: (release: () => void) => void;
}

/** Requests sent in one datagram (Handle.cork), as runSteps does. */
const WINDOW = 64;

/** Run fns pipelined: up to WINDOW requests in flight, answered in order. */
async function pipelined<T>(h: Handle, items: T[], fn: (x: T) => Promise<void>): Promise<PromiseSettledResult<void>[]> {
  const out: PromiseSettledResult<void>[] = [];
  for (let i = 0; i < items.length; i += WINDOW) {
    h.cork();
    // settled from the start: one that fails before it is sent must not go unhandled meanwhile
    const running = Promise.allSettled(items.slice(i, i + WINDOW).map(fn));
    await new Promise((r) => setImmediate(r));
    h.uncork();
    out.push(...(await running));
  }
  return out;
}

const why = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Temporary names (veth ends the node does not have): never one the node or the plan uses. */
function nameMaker(avoid: Set<string>): () => string {
  let n = 0;
  return () => {
    let s: string;
    do s = `nrh${n++}`; while (avoid.has(s));
    avoid.add(s);
    return s;
  };
}

/** The kind-specific part of a link's stand-in, or null when nodectl does not re-create that kind. */
function ownKind(l: Link, nameOf: (i: number | null) => string | undefined, peerOf: () => string): Omit<LinkSpec, 'name'> | null {
  const kd = l.kindData as Record<string, unknown> | null;
  switch (l.kind) {
    case 'bridge':
      // only what differs from a new bridge: a kernel without CONFIG_BRIDGE_VLAN_FILTERING
      // refuses even vlan_filtering 0 (EOPNOTSUPP)
      return { kind: 'bridge', bridge: { ...(kd?.stp === true ? { stp: true } : {}), ...(kd?.vlanFiltering === true ? { vlanFiltering: true } : {}) } };
    case 'dummy':
      return { kind: 'dummy' };
    case 'bond': {
      const mode = BOND_MODES.includes(kd?.mode as BondMode) ? kd!.mode as BondMode : defaultOf<BondMode>(BOND, 'mode');
      return { kind: 'bond', bond: { mode, ...(typeof kd?.miimon === 'number' ? { miimon: kd.miimon } : {}) } };
    }
    case 'macvlan': {
      const parent = l.linkNetnsId === null ? nameOf(l.parentIndex) : undefined;
      if (parent === undefined) return null;
      const mode = (kd?.mode as string) in MACVLAN_MODES ? kd!.mode as MacvlanMode : defaultOf<MacvlanMode>(MACVLAN, 'mode');
      return { kind: 'macvlan', parent, macvlan: { mode } };
    }
    case 'vlan': {
      const parent = l.linkNetnsId === null ? nameOf(l.parentIndex) : undefined;
      if (parent === undefined || typeof kd?.id !== 'number') return null;
      return { kind: 'vlan', parent, vlan: { id: kd.id, protocol: kd.protocol === '802.1ad' ? '802.1ad' : defaultOf<'802.1Q'>(VLAN, 'protocol') } };
    }
    case 'veth': {
      // the other end too when it is here; a temporary one when it lives in another namespace
      const here = kd?.peerNetnsId === undefined && l.linkNetnsId === null ? nameOf(typeof kd?.peerIndex === 'number' ? kd.peerIndex : null) : undefined;
      return { kind: 'veth', veth: { peer: here ?? peerOf() } };
    }
    default:
      return null;
  }
}

/** Kinds that share one lower device's table (same MACs, passthru, VLAN ids): a new one checks these siblings. */
function family(kind: string): string {
  return kind === 'macvtap' ? 'macvlan' : kind === 'ipvtap' ? 'ipvlan' : kind;
}

/**
 * The node's interfaces the rehearsal stands in: those the steps name, and what the kernel
 * checks them against. Every such interface brings its lower device (chain), its master and its
 * veth peer, without which its stand-in is not the same device. Then, by what a step does:
 * - creating a link on a lower device, or changing a link's MAC or bringing it up: the lower
 *   device's other uppers of the same family (a MAC in use, a passthru macvlan, a VLAN id);
 * - creating a port of a master, or changing a link's master, MTU, MAC or state: the master's
 *   ports (a bond passes its MTU and MAC to its ports, and some refuse);
 * - changing a link's MTU: the links on it (they follow a lower device's MTU);
 * - creating a link under a name the node has: that interface (EEXIST, as on the node);
 * - a route via a gateway: the interface that holds the gateway's address, if one does (IPv6
 *   refuses "Gateway can not be a local address" whichever interface has it).
 * Otherwise addresses, routes, ARP settings and removals (a group until the commit) only need
 * their own interface. The rest of the node is left out: the rehearsal of a one-step plan on a
 * node of 1,000 links makes a handful of stand-ins, not 1,000.
 */
export function scopeOf(links: readonly Link[], addrs: readonly Addr[], ops: readonly Op[]): Set<string> {
  const byName = new Map(links.map((l) => [l.name, l]));
  const byIndex = new Map(links.map((l) => [l.index, l]));
  const uppers = new Map<number, Link[]>();
  const ports = new Map<number, Link[]>();
  for (const l of links) {
    if (l.parentIndex !== null && l.linkNetnsId === null) (uppers.get(l.parentIndex) ?? uppers.set(l.parentIndex, []).get(l.parentIndex)!).push(l);
    if (l.masterIndex !== null) (ports.get(l.masterIndex) ?? ports.set(l.masterIndex, []).get(l.masterIndex)!).push(l);
  }
  const scope = new Set<string>();
  const work: Link[] = [];
  const add = (l: Link | undefined): void => {
    if (l && !scope.has(l.name)) { scope.add(l.name); work.push(l); }
  };
  const named = (n: string | null | undefined): Link | undefined => (n == null ? undefined : byName.get(n));
  const siblings = (lower: Link | undefined, kind: string): void => {
    for (const u of lower ? uppers.get(lower.index) ?? [] : []) if (family(u.kind) === family(kind)) add(u);
  };
  const portsOf = (m: Link | undefined): void => { for (const p of m ? ports.get(m.index) ?? [] : []) add(p); };
  for (const op of ops) {
    switch (op.op) {
      case 'link-add': {
        const s = op.spec;
        add(named(s.name));
        if (s.veth) add(named(s.veth.peer));
        const parent = named(s.parent);
        add(parent);
        siblings(parent, s.kind);
        const master = named(s.master);
        add(master);
        portsOf(master);
        break;
      }
      case 'link-set': {
        const l = named(op.name);
        const c = op.change;
        const master = named(typeof c.master === 'string' ? c.master : undefined);
        add(l);
        add(master);
        portsOf(master);
        if (!l) break; // a link the plan creates
        const lower = l.parentIndex !== null && l.linkNetnsId === null ? byIndex.get(l.parentIndex) : undefined;
        if (c.mac !== undefined || c.up !== undefined) siblings(lower, l.kind);
        if (c.master !== undefined || c.mtu !== undefined || c.mac !== undefined || c.up !== undefined) {
          portsOf(l);
          if (l.masterIndex !== null) portsOf(byIndex.get(l.masterIndex));
        }
        if (c.mtu !== undefined) for (const u of uppers.get(l.index) ?? []) add(u);
        break;
      }
      case 'link-del':
        for (const n of [op.name, ...(op.with ?? [])]) add(named(n));
        break;
      case 'route-add': {
        add(named(op.name));
        const gw = op.route.gateway === undefined ? undefined : canonicalIp(op.route.gateway);
        if (gw !== undefined) for (const a of addrs) if (canonicalIp(a.address) === gw) add(byIndex.get(a.ifindex));
        break;
      }
      default:
        add(named(op.name));
    }
  }
  // what each stand-in cannot be made without
  while (work.length) {
    const l = work.pop()!;
    if (l.parentIndex !== null && l.linkNetnsId === null) add(byIndex.get(l.parentIndex));
    if (l.masterIndex !== null) add(byIndex.get(l.masterIndex));
    const kd = l.kindData as Record<string, unknown> | null;
    if (l.kind === 'veth' && kd?.peerNetnsId === undefined && l.linkNetnsId === null && typeof kd?.peerIndex === 'number') add(byIndex.get(kd.peerIndex));
  }
  return scope;
}

interface StandIns {
  /** Node interfaces without a stand-in. */
  missing: Set<string>;
  made: number;
  notes: string[];
  /** Temporary veth ends made for stand-ins, by the stand-in they belong to. */
  tempPeers: Map<string, string>;
}

/** Make the node's interfaces in the rehearsal namespace (see the file comment). */
async function makeStandIns(h: Handle, pre: Snapshot, avoid: Set<string>, allNames: Set<string>): Promise<StandIns> {
  const out: StandIns = { missing: new Set(), made: 0, notes: [], tempPeers: new Map() };
  const tempName = nameMaker(avoid);
  const nodeByIndex = new Map(pre.links.map((l) => [l.index, l]));
  const nodeNames = new Set(pre.links.map((l) => l.name));
  const nameOf = (i: number | null): string | undefined => (i === null ? undefined : nodeByIndex.get(i)?.name);
  // a fresh namespace has lo, and the fallback devices of loaded tunnel modules (sit0, …)
  const present = new Set<string>();
  for (const l of await listLinks(h)) {
    if (allNames.has(l.name)) { if (nodeNames.has(l.name)) present.add(l.name); continue; }
    // not on the node: it must not take a name the plan creates
    await delLink(h, l.index).catch(() => undefined);
  }
  const done = new Set<string>(present);
  const generic = async (l: Link, cause: string): Promise<boolean> => {
    for (const kind of ['dummy', 'veth'] as const) {
      const peer = kind === 'veth' ? tempName() : undefined;
      try {
        await addLink(h, { name: l.name, kind, group: l.group, ...(l.mac && l.linkType === 'ether' ? { mac: l.mac } : {}), ...(peer ? { veth: { peer } } : {}) });
        if (peer) out.tempPeers.set(l.name, peer);
        if (l.kind !== 'device' || kind !== 'dummy') out.notes.push(`${l.name} (${l.kind}) is stood in by a ${kind}: ${cause}`);
        return true;
      } catch (err) {
        if (kind === 'veth') {
          out.notes.push(`no stand-in for ${l.name} (${l.kind}): ${cause}; this kernel cannot make a dummy or a veth either (${why(err)})`);
          return false;
        }
        cause = `${cause}; this kernel has no dummy (${err instanceof UnsupportedError ? 'EOPNOTSUPP' : why(err)})`;
      }
    }
    return false;
  };
  // lower devices before what sits on them: rounds until nothing more can be made
  let pending = pre.links.filter((l) => !done.has(l.name));
  while (pending.length) {
    const ready: { l: Link; spec: LinkSpec | null }[] = [];
    const later: Link[] = [];
    // a lower device made in an earlier round: one made in this round has no ifindex yet
    const before = new Set(done);
    for (const l of pending) {
      if (done.has(l.name)) continue;
      const own = ownKind(l, nameOf, tempName);
      const parent = own?.parent as string | undefined;
      if (parent !== undefined && !before.has(parent) && !out.missing.has(parent) && nodeNames.has(parent)) { later.push(l); continue; }
      const spec = own && (parent === undefined || before.has(parent))
        ? { ...own, name: l.name, group: l.group, ...(l.mac && l.linkType === 'ether' ? { mac: l.mac } : {}) } : null;
      ready.push({ l, spec });
      done.add(l.name);
      if (spec?.veth && nodeNames.has(spec.veth.peer)) done.add(spec.veth.peer);
    }
    // lower devices by ifindex (by name, each creation would first ask for it), and MTU and state
    // in the creating request, as `ip link add … mtu N up` does: one request per stand-in, not
    // three. A port comes up after it is enslaved (a bond takes only ports that are down).
    const indexOf = ready.some((r) => typeof r.spec?.parent === 'string') ? new Map((await listLinks(h)).map((x) => [x.name, x.index])) : new Map<string, number>();
    const results = await pipelined(h, ready, async ({ l, spec }) => {
      if (!spec) throw new Error(`nodectl does not re-create ${l.kind} links`);
      const parent = typeof spec.parent === 'string' ? indexOf.get(spec.parent) ?? spec.parent : spec.parent;
      const whole: LinkSpec = { ...spec, ...(parent !== undefined ? { parent } : {}), mtu: l.mtu, ...(l.admin === 'up' && l.masterIndex === null ? { up: true } : {}) };
      try {
        await addLink(h, whole);
      } catch (err) {
        // an MTU or state the new device does not take yet: the fixes below set them, or say why not
        if (err instanceof UnsupportedError) throw err;
        await addLink(h, { ...spec, ...(parent !== undefined ? { parent } : {}) });
      }
    });
    for (let k = 0; k < ready.length; k++) {
      const { l, spec } = ready[k]!;
      const r = results[k]!;
      if (r.status === 'fulfilled') {
        out.made += spec?.veth && nodeNames.has(spec.veth.peer) ? 2 : 1;
        if (spec?.veth && !nodeNames.has(spec.veth.peer)) out.tempPeers.set(l.name, spec.veth.peer);
        continue;
      }
      const err = r.reason as unknown;
      const cause = !spec ? (l.kind === 'device' ? 'a NIC cannot be made' : why(err))
        : err instanceof UnsupportedError ? `this kernel cannot make a ${l.kind} (${why(err.cause ?? err)})` : `the kernel refused a ${l.kind} stand-in (${why(err)})`;
      if (spec?.veth && nodeNames.has(spec.veth.peer)) {
        // the other end was not made with it: it gets a stand-in of its own next round
        done.delete(spec.veth.peer);
        const peer = pre.links.find((x) => x.name === spec.veth!.peer);
        if (peer) later.push(peer);
      }
      if (await generic(l, cause)) out.made++;
      else out.missing.add(l.name);
    }
    if (later.length === pending.length) {
      for (const l of later) { out.missing.add(l.name); out.notes.push(`no stand-in for ${l.name} (${l.kind}): its lower device has none`); }
      break;
    }
    pending = later;
  }

  // masters, then MTU, MAC and state where they differ (masters first: enslaving changes some)
  let here = new Map((await listLinks(h)).map((l) => [l.name, l]));
  const enslave = pre.links.filter((l) => l.masterIndex !== null && here.has(l.name) && here.has(nameOf(l.masterIndex) ?? ''));
  const er = await pipelined(h, enslave, (l) => setLink(h, here.get(l.name)!.index, { master: here.get(nameOf(l.masterIndex)!)!.index }));
  er.forEach((r, k) => { if (r.status === 'rejected') out.notes.push(`${enslave[k]!.name} is not a port of ${nameOf(enslave[k]!.masterIndex!)} in the rehearsal: ${why(r.reason)}`); });
  here = new Map((await listLinks(h)).map((l) => [l.name, l]));
  const fix: { l: Link; cur: Link; change: LinkChange }[] = [];
  for (const l of pre.links) {
    const cur = here.get(l.name);
    if (!cur) continue;
    const change: LinkChange = {};
    if (cur.mtu !== l.mtu) change.mtu = l.mtu;
    if (l.mac && l.linkType === 'ether' && cur.mac !== l.mac) change.mac = l.mac;
    if (l.admin === 'up' && cur.admin !== 'up') change.up = true;
    if (cur.group !== l.group) change.group = l.group;
    if (Object.keys(change).length) fix.push({ l, cur, change });
  }
  const fr = await pipelined(h, fix, ({ cur, change }) => setLink(h, cur.index, change, { current: cur }));
  fr.forEach((r, k) => { if (r.status === 'rejected') out.notes.push(`${fix[k]!.l.name}'s stand-in differs from it: ${why(r.reason)}`); });
  // a temporary veth end is up when its stand-in is: it gives the stand-in its carrier
  const peersUp = [...out.tempPeers].filter(([n]) => pre.links.find((l) => l.name === n)?.admin === 'up').map(([, p]) => here.get(p)).filter((l): l is Link => l !== undefined);
  await pipelined(h, peersUp, (p) => setLink(h, p.index, { up: true }));

  // addresses (not the link-local ones the kernel makes), then routes through them
  const idx = new Map([...here].map(([n, l]) => [n, l.index]));
  const addrs = pre.addrs.filter((a) => !(a.family === 6 && /^fe[89ab]/i.test(a.address)) && idx.has(nameOf(a.ifindex) ?? ''));
  const ar = await pipelined(h, addrs, (a) => addAddr(h, {
    ifindex: idx.get(nameOf(a.ifindex)!)!, address: a.address, prefixlen: a.prefixlen,
    ...(a.family === 6 ? { nodad: true } : {}),
    ...(a.family === 4 && a.label && a.label !== nameOf(a.ifindex) ? { label: a.label } : {}),
    ...(a.family === 4 && a.broadcast ? { broadcast: a.broadcast } : {}),
  }));
  ar.forEach((r, k) => {
    // lo's own addresses come with it
    if (r.status === 'rejected' && !(r.reason instanceof NetlinkError && r.reason.errno === 'EEXIST')) out.notes.push(`address ${addrs[k]!.address}/${addrs[k]!.prefixlen} of ${nameOf(addrs[k]!.ifindex)} is not in the rehearsal: ${why(r.reason)}`);
  });
  const routes = (pre.routes ?? []).filter((r) => r.type === 'unicast' && (r.protocol === 'nodectl' || r.protocol === 'static' || r.protocol === 'boot') && idx.has(nameOf(r.oif) ?? ''));
  const rr = await pipelined(h, routes, (r) => addRoute(h, {
    family: r.family, dst: r.dst, ifindex: idx.get(nameOf(r.oif)!)!, metric: r.metric, table: r.table,
    protocol: r.protocol === 'nodectl' ? RTPROT_NODECTL : r.protocol === 'boot' ? 3 : RTPROT_STATIC,
    ...(r.gateway ? { gateway: r.gateway } : {}), ...(r.scope === 'link' || r.scope === 'global' ? { scope: r.scope } : {}), ...(r.onlink ? { onlink: true } : {}),
  }));
  rr.forEach((r, k) => {
    if (r.status === 'rejected' && !(r.reason instanceof NetlinkError && r.reason.errno === 'EEXIST')) out.notes.push(`route ${routes[k]!.dst} dev ${nameOf(routes[k]!.oif)} is not in the rehearsal: ${why(r.reason)}`);
  });
  return out;
}

/**
 * No IPv6 link-local address generation, no DAD, in the rehearsal: each link that comes up would
 * otherwise get a link-local address, its routes, DAD and router solicitation timers — a third
 * of the cost of bringing up 1,000 macvlans — and no step's acceptance depends on them (a route
 * via a link-local gateway is accepted without one). Best effort: a kernel without IPv6 has no
 * such files.
 */
function quietIpv6(netns: string): void {
  withNetns(netns, () => {
    for (const [key, value] of [['addr_gen_mode', '1'], ['accept_dad', '0'], ['router_solicitations', '0']]) {
      for (const dev of ['all', 'default']) {
        try { writeFileSync(`/proc/sys/net/ipv6/conf/${dev}/${key}`, value); } catch { /* no IPv6 */ }
      }
    }
  });
}

/** Names an op needs to exist before it runs. */
function namesUsed(op: Op): string[] {
  switch (op.op) {
    case 'link-add': return [op.spec.parent, op.spec.master].filter((x): x is string => x !== undefined);
    case 'link-del': return [op.name, ...(op.with ?? [])];
    case 'link-set': return [op.name, ...(typeof op.change.master === 'string' ? [op.change.master] : [])];
    default: return [op.name];
  }
}

/**
 * The plan's ops as the rehearsal runs them: a veth end the node would put in another namespace
 * is kept in the rehearsal's (a namespace by name is a real one on the node), under a name that
 * cannot collide with anything here.
 */
function rehearsable(ops: Op[], tempName: () => string): Op[] {
  return ops.map((op) => {
    if (op.op !== 'link-add' || !op.spec.veth?.peerNetns) return op;
    return { ...op, spec: { ...op.spec, veth: { peer: tempName() } } };
  });
}

function skipped(reason: string, steps: number, notes: string[] = [], standIns = 0, unrelated = 0): Rehearsal {
  return { status: 'skipped', reason, steps, standIns, unrelated, notes };
}

/**
 * Rehearse plan `p` against stand-ins of the node in `pre`. Resolves with what was rehearsed (or
 * why not); rejects with the kernel's refusal (RehearsalRefusal, or UnsupportedError for a kind
 * this kernel lacks) when a step would fail on the node.
 */
export async function rehearse(pre: Snapshot, p: Plan, opts: RehearseOptions): Promise<Rehearsal> {
  let ns;
  try {
    ns = anonymousNetns('rehearsing the plan in a throwaway network namespace');
  } catch (err) {
    return skipped(`cannot make a throwaway network namespace: ${why(err)}`, p.ops.length);
  }
  let h: Handle | undefined;
  try {
    // Receives sized to each answer ('fit': peek, then read): nearly every request here is a
    // creation or change answered by a 36-byte ACK, and the default 64 KiB receive buffer is a
    // fresh zeroed allocation per ACK — ~10 page faults each, 20–40 ms of CPU per 1,000 steps,
    // paid again by the apply. Its dumps are of this namespace, which holds only the stand-ins.
    h = Handle.open({ netns: ns.path, recv: 'fit' });
    quietIpv6(ns.path);
    const avoid = new Set<string>([...pre.links.map((l) => l.name), ...p.creates]);
    for (const op of p.ops) if (op.op === 'link-add' && op.spec.veth) avoid.add(op.spec.veth.peer);
    const scope = scopeOf(pre.links, pre.addrs, p.ops);
    const inScope = new Set(pre.links.filter((l) => scope.has(l.name)).map((l) => l.index));
    const scoped: Snapshot = {
      ...pre, links: pre.links.filter((l) => inScope.has(l.index)), addrs: pre.addrs.filter((a) => inScope.has(a.ifindex)),
      routes: (pre.routes ?? []).filter((r) => r.oif !== null && inScope.has(r.oif)),
    };
    const left = pre.links.filter((l) => !inScope.has(l.index) && l.kind !== 'loopback').length;
    const s = await makeStandIns(h, scoped, avoid, new Set(pre.links.map((l) => l.name)));
    const needed = new Set(p.ops.flatMap(namesUsed));
    const lacking = [...s.missing].filter((n) => needed.has(n));
    if (lacking.length) return skipped(`the plan needs ${lacking.join(', ')}, for which this kernel cannot make a stand-in`, p.ops.length, s.notes, s.made, left);
    const ops = rehearsable(p.ops, nameMaker(avoid));
    const steps: Step[] = ops.map((op) => ({ op, undo: [] }));
    const tx: Tx = { h, names: new Names(h, await listLinks(h)), reused: opts.reused };
    try {
      await runSteps(tx, steps, Progress.discard(), { delayMs: opts.stepDelayMs ?? 0 }, new Set());
    } catch (err) {
      if (!(err instanceof StepFailure)) throw err;
      const n = err.index + 1;
      const what = describeOp(p.ops[err.index]!);
      const r = err.reason;
      if (r instanceof RehearsalRefusal) throw r;
      if (r instanceof NetlinkError) throw new RehearsalRefusal(r, n, steps.length, what);
      if (r instanceof UnsupportedError) {
        const said = r.message.replace(/^.*? is not supported by this kernel: /, '');
        throw new UnsupportedError(r.feature, `the rehearsal of step ${n}/${steps.length} (${what}) found it before anything on the node was changed: ${said}`, r.minKernel, { module: r.module, cause: r.cause });
      }
      // not the kernel's answer (a stand-in nodectl could not make faithfully): say so, do not refuse
      return skipped(`step ${n}/${steps.length} (${what}) could not be rehearsed: ${why(r)}`, steps.length, s.notes, s.made, left);
    }
    return { status: 'passed', steps: steps.length, standIns: s.made, unrelated: left, notes: s.notes };
  } catch (err) {
    if (err instanceof RehearsalRefusal || (err instanceof UnsupportedError && /rehearsal of step/.test(err.message))) throw err;
    if (err instanceof NodectlError || err instanceof Error) return skipped(`the rehearsal could not be set up: ${why(err)}`, p.ops.length);
    throw err;
  } finally {
    const release = (): void => { h?.close(); ns.close(); };
    if (opts.hold) opts.hold(release);
    else release();
  }
}

/** One line for the plan and apply output. */
export function rehearsalText(r: Rehearsal): string[] {
  const head = r.status === 'passed'
    ? `rehearsal passed: the kernel accepted ${r.steps === 1 ? 'the step' : `all ${r.steps} steps`} in a throwaway namespace (${count(r.standIns, 'stand-in')} for this node's interfaces${r.unrelated ? ` the steps involve; ${r.unrelated} unrelated left out` : ''})`
    : `rehearsal skipped: ${r.reason}`;
  return [head, ...r.notes.map((n) => `rehearsal note: ${n}`)];
}

