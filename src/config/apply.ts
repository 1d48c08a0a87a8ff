// config apply: snapshot → plan → journal → steps → verify; any failure undoes every step begun,
// in reverse, from inverses computed BEFORE the first step (from the pre-apply snapshot). A
// process killed mid-way leaves the journal behind; the next apply or `config recover` finishes
// the rollback before doing anything else.
import { createRequire } from 'node:module';
import { ApplyError, NetlinkError, NodectlError, NotFoundError, StateError } from '../errors.js';
import { type ArpKey } from '../arp/policy.js';
import { type Addr, addAddr, decodeAddr, delAddr } from '../netlink/addr.js';
import { consistently, Handle, RTM } from '../netlink/handle.js';
import { decodeLinkInetConf, type InetConf, setInetConf } from '../netlink/inetconf.js';
import { addLink, decodeLink, delLink, getLink, type Link, listLinks, listLinksOnce, setLink } from '../netlink/link.js';
import { dumpEach } from '../netlink/dump-once.js';
import { delLinkGroup } from '../netlink/link-group.js';
import type { BondMode, MacvlanMode } from '../netlink/linkinfo.js';
import { addNeigh, listNeighs } from '../netlink/neigh.js';
import {
  type ActualState, type ArpValues, type CreateSpec, describeOp, isManagedAddr, type Op, OWNED_GROUP, plan, PlanConflict, type Plan,
} from '../interfaces/planner.js';
import type { Snapshot } from '../interfaces/snapshot.js';
import { ARP_KEY_NAMES } from './arp-keys.js';
import type { NodeConfig } from './schema.js';
import { type OwnedLink, type Progress, StateDir, stateDirOf } from './state.js';

/** Links on their way out are moved here first, so one group delete takes exactly them. */
export const DOOMED_GROUP = OWNED_GROUP + 1;

/** Operations only rollback uses: restoring what a delete took, and deleting only what we made. */
export type UndoOp =
  | Op
  | { op: 'neigh-add'; name: string; address: string; lladdr: string; state: string }
  | { op: 'link-del-owned'; name: string };

export interface Step {
  op: Op;
  /** Undo of this step, in execution order; computed from the pre-apply snapshot. */
  undo: UndoOp[];
}

export interface Journal {
  version: 1;
  id: string;
  bootId: string;
  netnsInode: number;
  netns: string | null;
  file: string | null;
  startedAt: string;
  pid: number;
  state: 'applying' | 'pending-confirm' | 'committing';
  confirmDeadline?: number;
  steps: Step[];
  ownedBefore: OwnedLink[];
  ownedAfter?: OwnedLink[];
}

export interface Where {
  netns?: string;
  stateDir?: string;
}

export interface ApplyOptions extends Where {
  file?: string;
  prune?: boolean;
  /** Revert unless `config confirm` runs within this many seconds. */
  confirmSeconds?: number;
  /** Fault injection: make step k (1-based) fail before it runs. Default: env NODECTL_FAIL_AT_STEP. */
  failAtStep?: number;
  /** Pause after each step (tests widen the window for a SIGKILL). Default: env NODECTL_STEP_DELAY_MS. */
  stepDelayMs?: number;
  onStep?: (n: number, total: number, op: Op) => void;
  /** How to start the confirm watchdog (tests replace it); default: a detached `nodectl config recover --watchdog`. */
  startWatchdog?: (j: Journal, root: string) => void;
}

export interface PlannedStep {
  step: number;
  marker: '+' | '-' | '~';
  op: Op;
  text: string;
}

export interface ApplyResult {
  changed: boolean;
  steps: PlannedStep[];
  warnings: string[];
  created: string[];
  deleted: string[];
  /** What a leftover journal from an interrupted apply needed (done before this apply). */
  recovered: RecoverResult | null;
  confirmDeadline: string | null;
}

export interface RecoverResult {
  action: 'none' | 'rolled-back' | 'committed' | 'discarded' | 'waiting';
  journal: string | null;
  undone: number;
  reason: string;
  errors: string[];
}

/**
 * A Node built-in loaded when first needed: a no-op apply needs neither crypto (journal ids,
 * ~7 ms to load) nor child_process (the confirm watchdog).
 */
function builtin<T>(name: 'node:crypto' | 'node:child_process'): T {
  return createRequire(import.meta.url)(name) as T;
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

export function actualOf(s: Snapshot): ActualState {
  const inetConf = new Map<number, ArpValues>();
  for (const [idx, c] of Object.entries(s.inetConf)) {
    const v: ArpValues = {};
    for (const k of ARP_KEY_NAMES) if (c[k] !== undefined) v[k] = c[k];
    inetConf.set(Number(idx), v);
  }
  return { links: s.links, addrs: s.addrs, inetConf };
}

/** Owned names whose record still matches the kernel (same name at the same ifindex). */
export function liveOwned(records: OwnedLink[], s: Pick<Snapshot, 'links'>): OwnedLink[] {
  const byName = new Map(s.links.map((l) => [l.name, l]));
  return records.filter((r) => byName.get(r.name)?.index === r.ifindex);
}

/**
 * The kernel state apply needs, and no more: one link dump (IPv4 settings decoded from the same
 * messages, only when asked), the addresses, and the neighbours only when links will be deleted
 * (their permanent entries must come back with them). A no-op re-apply is this plus the plan.
 * Links and addresses are read with one-shot blocking dumps (src/netlink/dump-once.ts): apply is
 * a one-shot command, and a no-op then never loads the netlink package nor opens a Handle.
 */
export async function readState(netns: string | undefined, want: { inetConf: boolean; neighs: boolean }, handle: () => Handle): Promise<Snapshot> {
  // Links and addresses are read again, both, when either dump comes back marked interrupted:
  // a table that changed under its dump can miss or repeat objects, which would read as drift.
  const { links, addrs, inetConf } = consistently(() => {
    let links: Link[];
    const inetConf: Record<number, InetConf> = {};
    if (!want.inetConf) links = listLinksOnce(netns);
    else {
      links = [];
      // struct ifinfomsg, all zero: every link
      dumpEach(netns, RTM.GETLINK, Buffer.alloc(16), { action: 'list links' }, (buf, type, s, e) => {
        if (type !== RTM.NEWLINK) return;
        const l = decodeLink(buf, s, e);
        links.push(l);
        const c = decodeLinkInetConf(buf, s, e);
        if (c) inetConf[l.index] = c;
      });
    }
    const addrs: Addr[] = [];
    // struct ifaddrmsg, all zero: every family, every interface
    dumpEach(netns, RTM.GETADDR, Buffer.alloc(8), { action: 'list addresses' }, (buf, type, s, e) => {
      if (type !== RTM.NEWADDR) return;
      const a = decodeAddr(buf, s, e);
      if (a) addrs.push(a);
    });
    return { links, addrs, inetConf };
  });
  const neighs = want.neighs ? await listNeighs(handle()) : [];
  return { netns: netns ?? null, takenAt: new Date().toISOString(), links, addrs, neighs, routes: [], inetConf };
}

const wantsArp = (cfg: NodeConfig): boolean => cfg.interfaces.some((d) => d.arp !== undefined);

// ---------------------------------------------------------------------------------------------
// Inverses

/** Everything needed to bring back link `name` as the snapshot had it (after a delete). */
export function restoreOps(name: string, pre: Snapshot, owned: OwnedLink[]): UndoOp[] {
  const { byIndex, byName, addrsOf, neighsOf } = indexed(pre);
  const l = byName.get(name);
  if (!l) return [];
  const nameOf = (i: number | null): string | undefined => (i === null ? undefined : byIndex.get(i)?.name);
  const master = nameOf(l.masterIndex);
  const spec: CreateSpec = { name, kind: l.kind, mtu: l.mtu, group: l.group };
  // Known limit: a bridge that never had a port nor a set address has carrier (the kernel's
  // fresh-bridge state); any bridge given an address has none until a port is up. Re-created,
  // such a bridge gets its address back, but not that carrier (nor the IPv6 link-local address
  // carrier brings): the netlink API has no way to recreate both.
  if (l.mac) spec.mac = l.mac;
  if (master) spec.master = master;
  if (l.parentIndex !== null && nameOf(l.parentIndex)) spec.parent = nameOf(l.parentIndex)!;
  const kd = l.kindData as unknown as Record<string, unknown> | null;
  if (kd) {
    if (l.kind === 'vlan') spec.vlan = { id: kd.id as number, protocol: kd.protocol as '802.1Q' | '802.1ad' };
    if (l.kind === 'macvlan') spec.macvlan = { mode: kd.mode as string };
    if (l.kind === 'bridge') spec.bridge = { stp: Boolean(kd.stp), ...(kd.vlanFiltering ? { vlanFiltering: true } : {}) };
    if (l.kind === 'bond') {
      spec.bond = { mode: kd.mode as string, miimon: kd.miimon as number };
      if (kd.arpInterval) spec.bond.arpInterval = kd.arpInterval as number;
      if ((kd.arpIpTargets as string[] | undefined)?.length) spec.bond.arpIpTargets = kd.arpIpTargets as string[];
    }
  }
  const ops: UndoOp[] = [];
  const peers: string[] = [];
  if (l.kind === 'veth') {
    const rec = owned.find((o) => o.name === name); // veths only: few
    const peerIndex = (kd?.peerIndex as number | undefined) ?? null;
    const local = kd?.peerNetnsId === undefined && l.linkNetnsId === null;
    const peerName = local ? nameOf(peerIndex) : rec?.peer;
    if (!peerName) return [];
    spec.veth = { peer: peerName };
    if (!local && rec?.peerNetns) spec.veth.peerNetns = rec.peerNetns;
    if (local) peers.push(peerName);
  }
  // created down; brought up after addresses, as the snapshot had it
  ops.push({ op: 'link-add', name, spec });
  ops.push({ op: 'link-set', name, change: { group: l.group }, from: {} });
  for (const n of [name, ...peers]) {
    const x = byName.get(n)!;
    if (n !== name) {
      const change: Op & { op: 'link-set' } = { op: 'link-set', name: n, change: { mtu: x.mtu, group: x.group }, from: {} };
      if (x.mac) change.change.mac = x.mac;
      if (x.alias) change.change.alias = x.alias;
      const pm = nameOf(x.masterIndex);
      if (pm) change.change.master = pm;
      ops.push(change);
    } else if (x.alias) {
      ops.push({ op: 'link-set', name: n, change: { alias: x.alias }, from: {} });
    }
    for (const a of addrsOf.get(x.index) ?? []) {
      if (!isManagedAddr(a)) continue;
      const add: UndoOp = { op: 'addr-add', name: n, address: a.address, prefixlen: a.prefixlen };
      if (a.family === 4 && a.label && a.label !== n) add.label = a.label;
      if (a.flags.includes('nodad')) add.nodad = true;
      if (a.broadcast) add.broadcast = a.broadcast;
      ops.push(add);
    }
    const conf = pre.inetConf[x.index];
    if (conf) {
      const values: ArpValues = {};
      for (const k of ARP_KEY_NAMES) if (conf[k as ArpKey] !== undefined) values[k] = conf[k as ArpKey]!;
      if (Object.keys(values).length) ops.push({ op: 'arp-set', name: n, values, from: null });
    }
    for (const nb of neighsOf.get(x.index) ?? []) {
      if (nb.state !== 'PERMANENT' || !nb.lladdr) continue;
      ops.push({ op: 'neigh-add', name: n, address: nb.address, lladdr: nb.lladdr, state: nb.state });
    }
    if (x.admin === 'up') ops.push({ op: 'link-set', name: n, change: { up: true }, from: {} });
  }
  return ops;
}

type Indexed = {
  byIndex: Map<number, Snapshot['links'][number]>;
  byName: Map<string, Snapshot['links'][number]>;
  addrsOf: Map<number, Snapshot['addrs']>;
  neighsOf: Map<number, Snapshot['neighs']>;
};
const indexes = new WeakMap<Snapshot, Indexed>();

/** Lookups into a snapshot, built once per snapshot (a prune of n links asks n times). */
function indexed(pre: Snapshot): Indexed {
  let x = indexes.get(pre);
  if (x) return x;
  const group = <T extends { ifindex: number }>(items: T[]): Map<number, T[]> => {
    const m = new Map<number, T[]>();
    for (const it of items) {
      const list = m.get(it.ifindex);
      if (list) list.push(it);
      else m.set(it.ifindex, [it]);
    }
    return m;
  };
  // the first link of a name wins, as a find() would
  const byName = new Map<string, Snapshot['links'][number]>();
  for (const l of pre.links) if (!byName.has(l.name)) byName.set(l.name, l);
  x = { byIndex: new Map(pre.links.map((l) => [l.index, l])), byName, addrsOf: group(pre.addrs), neighsOf: group(pre.neighs) };
  indexes.set(pre, x);
  return x;
}

export function inverseOf(op: Op, pre: Snapshot, owned: OwnedLink[]): UndoOp[] {
  switch (op.op) {
    case 'link-add':
      return [{ op: 'link-del-owned', name: op.name }];
    case 'link-del':
      return restoreOps(op.name, pre, owned);
    case 'link-set': {
      const change: Op & { op: 'link-set' } = { op: 'link-set', name: op.name, change: {}, from: op.change };
      for (const k of Object.keys(op.change) as (keyof typeof op.change)[]) {
        if (k in op.from) (change.change as Record<string, unknown>)[k] = op.from[k] === undefined ? null : op.from[k];
      }
      if (change.change.mac === null) delete change.change.mac;
      return [change];
    }
    case 'addr-add':
      return [{ op: 'addr-del', name: op.name, address: op.address, prefixlen: op.prefixlen }];
    case 'addr-del': {
      const add: UndoOp = { op: 'addr-add', name: op.name, address: op.address, prefixlen: op.prefixlen };
      if (op.label && op.label !== op.name) add.label = op.label;
      if (op.broadcast) add.broadcast = op.broadcast;
      return [add];
    }
    case 'arp-set':
      return op.from && Object.keys(op.from).length ? [{ op: 'arp-set', name: op.name, values: op.from, from: op.values }] : [];
  }
}

// ---------------------------------------------------------------------------------------------
// Execution

/** Name → ifindex, from the snapshot, kept current as links come and go. */
class Names {
  private readonly map = new Map<string, number>();
  constructor(private readonly h: Handle, links: { name: string; index: number }[]) {
    for (const l of links) this.map.set(l.name, l.index);
  }

  private stale = false;

  async index(name: string): Promise<number> {
    const i = this.map.get(name);
    if (i !== undefined) return i;
    if (this.stale) {
      // many links were just created: one dump answers all the lookups that follow
      this.stale = false;
      await this.refresh();
      const j = this.map.get(name);
      if (j !== undefined) return j;
    }
    const l = await getLink(this.h, name);
    this.map.set(name, l.index);
    return l.index;
  }

  /** The next miss re-reads every link instead of looking up one. */
  markStale(): void {
    this.stale = true;
  }

  async refresh(): Promise<void> {
    for (const l of await listLinks(this.h)) this.map.set(l.name, l.index);
  }

  forget(...names: string[]): void {
    for (const n of names) this.map.delete(n);
  }
}

async function execOp(h: Handle, names: Names, op: UndoOp): Promise<void> {
  switch (op.op) {
    case 'link-add': {
      const s = op.spec;
      names.forget(s.name, ...(s.veth ? [s.veth.peer] : []));
      await addLink(h, {
        name: s.name, kind: s.kind,
        ...(s.parent !== undefined ? { parent: await names.index(s.parent) } : {}),
        ...(s.master !== undefined ? { master: await names.index(s.master) } : {}),
        ...(s.mtu !== undefined ? { mtu: s.mtu } : {}),
        ...(s.mac !== undefined ? { mac: s.mac } : {}),
        ...(s.up ? { up: true } : {}),
        ...(s.group !== undefined ? { group: s.group } : {}),
        ...(s.alias !== undefined ? { alias: s.alias } : {}),
        ...(s.vlan ? { vlan: s.vlan } : {}),
        ...(s.bond ? { bond: { ...s.bond, mode: s.bond.mode as BondMode } } : {}),
        ...(s.bridge ? { bridge: s.bridge } : {}),
        ...(s.macvlan ? { macvlan: { mode: s.macvlan.mode as MacvlanMode } } : {}),
        ...(s.veth ? { veth: s.veth } : {}),
      });
      return;
    }
    case 'link-del':
      await delLink(h, await names.index(op.name));
      names.forget(op.name, ...(op.with ?? []));
      return;
    case 'link-del-owned': {
      const l = await getLink(h, op.name);
      // only what nodectl made: everything it creates carries its group
      if (l.group !== OWNED_GROUP && l.group !== DOOMED_GROUP) throw new StateError(`not deleting ${op.name}: it is not in nodectl's interface group ${OWNED_GROUP} (someone else re-created it?)`);
      await delLink(h, l.index);
      names.forget(op.name);
      return;
    }
    case 'link-set': {
      const c = op.change;
      const idx = await names.index(op.name);
      // a MAC or master change on a running link: apply in the order ip would
      await setLink(h, idx, {
        ...(c.up !== undefined ? { up: c.up } : {}),
        ...(c.mtu !== undefined ? { mtu: c.mtu } : {}),
        ...(c.mac !== undefined ? { mac: c.mac } : {}),
        ...(c.alias !== undefined ? { alias: c.alias } : {}),
        ...(c.group !== undefined ? { group: c.group } : {}),
        ...(c.master !== undefined ? { master: c.master === null ? null : await names.index(c.master) } : {}),
      });
      return;
    }
    case 'addr-add':
      await addAddr(h, {
        ifindex: await names.index(op.name), address: op.address, prefixlen: op.prefixlen,
        ...(op.label !== undefined ? { label: op.label } : {}), ...(op.nodad ? { nodad: true } : {}),
        ...(op.broadcast !== undefined ? { broadcast: op.broadcast } : {}),
      });
      return;
    case 'addr-del':
      await delAddr(h, { ifindex: await names.index(op.name), address: op.address, prefixlen: op.prefixlen });
      return;
    case 'arp-set':
      await setInetConf(h, await names.index(op.name), op.values, op.name);
      return;
    case 'neigh-add':
      await addNeigh(h, { ifindex: await names.index(op.name), address: op.address, lladdr: op.lladdr, state: op.state });
      return;
  }
}

/** Undo ops run during rollback: "already undone" answers are success, not failure. */
function alreadyUndone(op: UndoOp, err: unknown): boolean {
  if (err instanceof NotFoundError) return op.op !== 'link-add';
  if (!(err instanceof NetlinkError)) return false;
  if (op.op === 'link-add' || op.op === 'addr-add') return err.errno === 'EEXIST';
  if (op.op === 'link-del' || op.op === 'link-del-owned') return err.errno === 'ENODEV';
  if (op.op === 'addr-del') return err.errno === 'EADDRNOTAVAIL' || err.errno === 'ENOENT' || err.errno === 'ENODEV';
  return err.errno === 'ENODEV';
}

/**
 * Delete links by moving them into DOOMED_GROUP and deleting that group in one request. Before
 * the delete, the group must hold exactly these links; otherwise (someone else uses the group)
 * they are deleted one by one.
 */
async function bulkDelete(h: Handle, names: Names, targets: { name: string; with?: string[] }[], mark?: (ks: number[]) => void): Promise<void> {
  const all = await listLinks(h);
  const byName = new Map(all.map((l) => [l.name, l]));
  const moved: string[] = [];
  for (let i = 0; i < targets.length; i += PIPELINE) {
    const chunk = targets.slice(i, i + PIPELINE);
    mark?.(chunk.map((_, k) => i + k));
    const found = chunk.map((t) => byName.get(t.name)).filter((l): l is NonNullable<typeof l> => l !== undefined);
    await Promise.all(found.map((l) => setLink(h, l.index, { group: DOOMED_GROUP })));
    moved.push(...found.map((l) => l.name));
  }
  const expect = new Set(moved);
  const inGroup = (await listLinks(h)).filter((l) => l.group === DOOMED_GROUP);
  const exact = inGroup.length === expect.size && inGroup.every((l) => expect.has(l.name));
  if (exact && moved.length) {
    await delLinkGroup(h, DOOMED_GROUP);
  } else {
    for (const n of moved) {
      try {
        await delLink(h, await names.index(n));
      } catch (err) {
        if (!(err instanceof NetlinkError && err.errno === 'ENODEV') && !(err instanceof NotFoundError)) throw err;
      }
    }
  }
  for (const t of targets) names.forget(t.name, ...(t.with ?? []));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How many requests may be in flight at once: the kernel answers them in order. */
const PIPELINE = 64;

/**
 * Length of the run of steps from i that can be sent without waiting for each answer: link
 * creations whose lower device and master are not created in the same run, or address changes.
 * Each is its own step in the journal (begun before the run is sent), so a failure in the
 * middle is undone exactly like a sequential one; the error reported is the first refusal.
 */
function pipelineWindow(steps: Step[], i: number, failAt: number | undefined): number {
  const kind = steps[i]!.op.op;
  if (kind !== 'link-add' && kind !== 'addr-add' && kind !== 'addr-del') return 1;
  const made = new Set<string>();
  let j = i;
  while (j < steps.length && j - i < PIPELINE && steps[j]!.op.op === kind) {
    if (failAt === j + 1) break;
    const op = steps[j]!.op;
    if (op.op === 'link-add') {
      const deps = [op.spec.parent, op.spec.master].filter((x): x is string => x !== undefined);
      if (deps.some((d) => made.has(d))) break;
      made.add(op.name);
      if (op.spec.veth) made.add(op.spec.veth.peer);
    }
    j++;
  }
  return j - i;
}

async function prefetch(names: Names, op: Op): Promise<void> {
  if (op.op === 'link-add') {
    if (op.spec.parent) await names.index(op.spec.parent);
    if (op.spec.master) await names.index(op.spec.master);
  } else {
    await names.index(op.name);
  }
}

/** Run the steps; on failure undo what was begun and throw ApplyError (original error first). */
async function runSteps(h: Handle, steps: Step[], pre: Snapshot, progress: Progress, opts: ApplyOptions): Promise<void> {
  const names = new Names(h, pre.links);
  const failAt = opts.failAtStep ?? envInt('NODECTL_FAIL_AT_STEP');
  const delay = opts.stepDelayMs ?? envInt('NODECTL_STEP_DELAY_MS') ?? 0;
  const begun: number[] = [];
  let i = 0;
  try {
    while (i < steps.length) {
      // consecutive deletes go out as one group delete (see bulkDelete)
      let j = i;
      while (j < steps.length && steps[j]!.op.op === 'link-del') j++;
      if (j - i >= 2 && !(failAt !== undefined && failAt > i && failAt <= j)) {
        const batch = steps.slice(i, j).map((s) => s.op as Op & { op: 'link-del' });
        await bulkDelete(h, names, batch, (ks) => {
          const idx = ks.map((k) => i + k);
          begun.push(...idx);
          progress.markMany('begin', idx);
          for (const k of idx) opts.onStep?.(k + 1, steps.length, steps[k]!.op);
        });
        progress.markMany('done', Array.from({ length: j - i }, (_, n) => i + n));
        i = j;
        if (delay) await sleep(delay);
        continue;
      }
      // independent creations and address changes go out pipelined (see pipelineWindow)
      const w = delay ? 1 : pipelineWindow(steps, i, failAt);
      if (w >= 2) {
        const idx = Array.from({ length: w }, (_, k) => i + k);
        begun.push(...idx);
        progress.markMany('begin', idx);
        for (const k of idx) opts.onStep?.(k + 1, steps.length, steps[k]!.op);
        // resolve every name first, so that each op gets to its request without waiting; the
        // window then leaves in one datagram (Handle.cork), answered request by request
        for (const k of idx) await prefetch(names, steps[k]!.op);
        h.cork();
        const running = idx.map((k) => execOp(h, names, steps[k]!.op));
        // a macrotask runs after every pending microtask: by then each op has queued its request
        await new Promise((r) => setImmediate(r));
        h.uncork();
        const results = await Promise.allSettled(running);
        const bad = results.findIndex((r) => r.status === 'rejected');
        progress.markMany('done', idx.filter((_, n) => results[n]!.status === 'fulfilled'));
        if (bad >= 0) { i += bad; throw (results[bad] as PromiseRejectedResult).reason; }
        if (steps[i]!.op.op === 'link-add' && w > 8) names.markStale();
        i += w;
        continue;
      }
      const step = steps[i]!;
      begun.push(i);
      progress.mark('begin', i);
      opts.onStep?.(i + 1, steps.length, step.op);
      if (failAt === i + 1) throw new NodectlError('APPLY_FAILED', `injected failure before step ${i + 1} (NODECTL_FAIL_AT_STEP=${failAt})`);
      await execOp(h, names, step.op);
      progress.mark('done', i);
      i++;
      if (delay) await sleep(delay);
    }
  } catch (err) {
    const failed = Math.min(i, steps.length - 1);
    const { undone, errors } = await undoSteps(h, steps, new Set(begun), progress, pre.links);
    throw new ApplyError({ step: failed + 1, steps: steps.length, operation: describeOp(steps[failed]!.op), cause: err, rolledBack: undone, rollbackErrors: errors });
  }
}

/** Undo the begun steps in reverse. Returns how many were undone and what could not be. */
async function undoSteps(h: Handle, steps: Step[], begun: Set<number>, progress: Progress | null, links: { name: string; index: number }[]): Promise<{ undone: number; errors: string[] }> {
  const current = await listLinks(h);
  const names = new Names(h, current);
  void links;
  const order = [...begun].sort((a, b) => b - a);
  const errors: string[] = [];
  let undone = 0;
  let k = 0;
  while (k < order.length) {
    // consecutive creations are undone by one group delete
    let m = k;
    while (m < order.length && steps[order[m]!]!.undo.length === 1 && steps[order[m]!]!.undo[0]!.op === 'link-del-owned') m++;
    if (m - k >= 2) {
      const idx = order.slice(k, m);
      const byName = new Map(current.map((l) => [l.name, l]));
      const ours = idx.map((i) => (steps[i]!.undo[0] as { name: string }).name).filter((n) => {
        const l = byName.get(n);
        if (l && l.group !== OWNED_GROUP && l.group !== DOOMED_GROUP) { errors.push(`not deleting ${n}: not in nodectl's group`); return false; }
        return true;
      });
      try {
        await bulkDelete(h, names, ours.map((name) => ({ name })));
        progress?.markMany('undone', idx);
        undone += idx.length;
      } catch (err) {
        errors.push(`group delete of ${ours.length} links: ${(err as Error).message}`);
      }
      k = m;
      continue;
    }
    const i = order[k]!;
    let ok = true;
    for (const u of steps[i]!.undo) {
      try {
        await execOp(h, names, u);
      } catch (err) {
        if (alreadyUndone(u, err)) continue;
        ok = false;
        errors.push(`undo step ${i + 1} (${describeUndo(u)}): ${(err as Error).message}`);
      }
    }
    if (ok) { progress?.mark('undone', i); undone++; }
    k++;
  }
  return { undone, errors };
}

export function describeUndo(u: UndoOp): string {
  if (u.op === 'neigh-add') return `neigh add ${u.address} lladdr ${u.lladdr} dev ${u.name} nud ${u.state.toLowerCase()}`;
  if (u.op === 'link-del-owned') return `link del ${u.name}`;
  return describeOp(u);
}

// ---------------------------------------------------------------------------------------------
// Public entry points

function planned(p: Plan): PlannedStep[] {
  return p.ops.map((op, i) => ({ step: i + 1, marker: op.op === 'link-add' || op.op === 'addr-add' ? '+' : op.op === 'link-del' || op.op === 'addr-del' ? '-' : '~', op, text: describeOp(op) }));
}

function conflictError(err: unknown): unknown {
  if (err instanceof PlanConflict) return new StateError(`the file cannot be applied to this node: ${err.problems.join('; ')}`);
  return err;
}

export interface PlanResult {
  changed: boolean;
  steps: PlannedStep[];
  warnings: string[];
  pendingJournal: boolean;
}

/** What apply would do, without doing it. */
export async function planConfig(cfg: NodeConfig, opts: Where & { prune?: boolean } = {}): Promise<PlanResult> {
  const sd = new StateDir(stateDirOf(opts.stateDir), opts.netns);
  const lazy = lazyHandle(opts.netns);
  try {
    const pre = await readState(opts.netns, { inetConf: wantsArp(cfg), neighs: false }, lazy.get);
    const owned = liveOwned(sd.readOwned(), pre);
    let p: Plan;
    try {
      p = plan(cfg, actualOf(pre), { owned: new Set(owned.map((o) => o.name)), prune: opts.prune ?? true });
    } catch (err) {
      throw conflictError(err);
    }
    return { changed: p.ops.length > 0, steps: planned(p), warnings: p.warnings, pendingJournal: sd.readJournal() !== null };
  } finally {
    lazy.close();
  }
}

function ownedAfter(before: OwnedLink[], p: Plan, post: Snapshot, cfg: NodeConfig): OwnedLink[] {
  const gone = new Set(p.deletes);
  const keep = before.filter((o) => !gone.has(o.name));
  const byName = new Map(post.links.map((l) => [l.name, l]));
  const declared = new Map<string, NodeConfig['interfaces'][number]>();
  for (const d of cfg.interfaces) if (!declared.has(d.name)) declared.set(d.name, d);
  for (const n of p.creates) {
    const l = byName.get(n);
    const d = declared.get(n);
    if (!l || !d) continue;
    const rec: OwnedLink = { name: n, ifindex: l.index, kind: d.kind };
    if (d.kind === 'veth') { rec.peer = d.veth.peer; if (d.veth.peer_netns) rec.peerNetns = d.veth.peer_netns; }
    keep.push(rec);
  }
  // ifindexes as they are now (a re-created link has a new one)
  return keep.map((o) => ({ ...o, ifindex: byName.get(o.name)?.index ?? o.ifindex })).filter((o) => byName.has(o.name));
}

export async function applyConfig(cfg: NodeConfig, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const root = stateDirOf(opts.stateDir);
  const sd = new StateDir(root, opts.netns);
  const unlock = sd.lock();
  const lazy = lazyHandle(opts.netns);
  try {
    const recovered = await recoverLocked(sd, lazy.get, 'apply');
    if (recovered.action === 'waiting') {
      throw new StateError(`a previous apply is waiting for confirmation (${recovered.reason}): run "nodectl config confirm" to keep it or "nodectl config recover" to revert it first`);
    }
    let pre = await readState(opts.netns, { inetConf: wantsArp(cfg), neighs: false }, lazy.get);
    let ownedBefore = liveOwned(sd.readOwned(), pre);
    let p: Plan;
    try {
      p = plan(cfg, actualOf(pre), { owned: new Set(ownedBefore.map((o) => o.name)), prune: opts.prune ?? true });
      if (p.ops.some((o) => o.op === 'link-del')) {
        // undoing a delete needs everything the link had: read it all, and plan on that
        pre = await readState(opts.netns, { inetConf: true, neighs: true }, lazy.get);
        ownedBefore = liveOwned(sd.readOwned(), pre);
        p = plan(cfg, actualOf(pre), { owned: new Set(ownedBefore.map((o) => o.name)), prune: opts.prune ?? true });
      }
    } catch (err) {
      throw conflictError(err);
    }
    const result: ApplyResult = {
      changed: p.ops.length > 0, steps: planned(p), warnings: p.warnings, created: p.creates, deleted: p.deletes,
      recovered: recovered.action === 'none' ? null : recovered, confirmDeadline: null,
    };
    if (!p.ops.length) return result;
    const h = lazy.get();

    const steps: Step[] = p.ops.map((op) => ({ op, undo: inverseOf(op, pre, ownedBefore) }));
    const journal: Journal = {
      version: 1, id: builtin<typeof import('node:crypto')>('node:crypto').randomUUID(), bootId: sd.boot, netnsInode: sd.inode, netns: opts.netns ?? null, file: opts.file ?? null,
      startedAt: new Date().toISOString(), pid: process.pid, state: 'applying', steps, ownedBefore,
    };
    sd.clearJournal();
    sd.writeJournal(journal);
    const progress = sd.openProgress();
    try {
      await runSteps(h, steps, pre, progress, opts);
      // verify: the kernel, read again, must now need nothing
      const post = await readState(opts.netns, { inetConf: wantsArp(cfg), neighs: false }, lazy.get);
      const owned = ownedAfter(ownedBefore, p, post, cfg);
      let left: Plan;
      try {
        left = plan(cfg, actualOf(post), { owned: new Set(owned.map((o) => o.name)), prune: opts.prune ?? true });
      } catch (err) {
        left = { ops: [], warnings: [], creates: [], deletes: [] };
        const { undone, errors } = await undoSteps(h, steps, new Set(steps.map((_, i) => i)), progress, pre.links);
        throw new ApplyError({ step: steps.length, steps: steps.length, operation: 'verify', cause: conflictError(err), rolledBack: undone, rollbackErrors: errors });
      }
      if (left.ops.length) {
        const { undone, errors } = await undoSteps(h, steps, new Set(steps.map((_, i) => i)), progress, pre.links);
        const cause = new StateError(`verification failed: after all steps the kernel still differs from the file: ${left.ops.map(describeOp).join('; ')}`);
        throw new ApplyError({ step: steps.length, steps: steps.length, operation: 'verify', cause, rolledBack: undone, rollbackErrors: errors });
      }
      if (opts.confirmSeconds !== undefined) {
        journal.state = 'pending-confirm';
        journal.confirmDeadline = Date.now() + opts.confirmSeconds * 1000;
        journal.ownedAfter = owned;
        sd.writeJournal(journal);
        sd.writeOwned(owned);
        (opts.startWatchdog ?? startWatchdog)(journal, root);
        result.confirmDeadline = new Date(journal.confirmDeadline).toISOString();
      } else {
        // Ownership first, then the journal goes: dying in between leaves a journal that
        // `recover` rolls back — all or nothing still holds, and the record is re-written then.
        sd.writeOwned(owned);
        sd.clearJournal();
      }
      return result;
    } catch (err) {
      if (err instanceof ApplyError && err.rollbackErrors.length === 0) {
        sd.writeOwned(await reownAfterRollback(h, ownedBefore));
        sd.clearJournal();
      }
      throw err;
    } finally {
      progress.close();
    }
  } finally {
    lazy.close();
    unlock();
  }
}

/** A Handle opened on first use: a no-op apply or plan reads with one-shot dumps and needs none. */
function lazyHandle(netns: string | undefined): { get: () => Handle; close: () => void } {
  let h: Handle | null = null;
  return {
    get: () => (h ??= Handle.open(netns ? { netns } : {})),
    close: () => h?.close(),
  };
}

/**
 * The ownership record as it was before the apply, with the ifindexes the rollback gave the
 * links it re-created (a record only counts while name and ifindex both match).
 */
async function reownAfterRollback(h: Handle, before: OwnedLink[]): Promise<OwnedLink[]> {
  const now = new Map((await listLinks(h)).map((l) => [l.name, l]));
  return before.filter((o) => now.has(o.name)).map((o) => ({ ...o, ifindex: now.get(o.name)!.index }));
}

/** Finish whatever a journal says is unfinished. Caller holds the lock. */
async function recoverLocked(sd: StateDir, handle: () => Handle, why: 'apply' | 'recover' | 'watchdog' | 'confirm', watchdogId?: string): Promise<RecoverResult> {
  const j = sd.readJournal<Journal>();
  if (!j) return { action: 'none', journal: null, undone: 0, reason: 'no journal', errors: [] };
  if (watchdogId !== undefined && j.id !== watchdogId) return { action: 'none', journal: j.id, undone: 0, reason: 'the apply this watchdog guards was confirmed or reverted', errors: [] };
  if (j.bootId !== sd.boot || j.netnsInode !== sd.inode) {
    sd.clearJournal();
    return { action: 'discarded', journal: j.id, undone: 0, reason: j.bootId !== sd.boot ? 'journal from an earlier boot: the kernel state it describes is gone' : 'the namespace was re-created since', errors: [] };
  }
  if (j.state === 'committing') {
    sd.writeOwned(j.ownedAfter ?? j.ownedBefore);
    sd.clearJournal();
    return { action: 'committed', journal: j.id, undone: 0, reason: 'the apply had finished; its ownership record is now written', errors: [] };
  }
  if (j.state === 'pending-confirm') {
    const left = (j.confirmDeadline ?? 0) - Date.now();
    if (left > 0 && why === 'apply') return { action: 'waiting', journal: j.id, undone: 0, reason: `confirm within ${Math.ceil(left / 1000)} s`, errors: [] };
    if (why === 'confirm') {
      if (left > 0) {
        sd.clearJournal();
        return { action: 'committed', journal: j.id, undone: 0, reason: 'confirmed', errors: [] };
      }
    }
  }
  const prog = sd.readProgress();
  const todo = new Set([...prog.begun].filter((i) => !prog.undone.has(i) && i < j.steps.length));
  const h = handle();
  const progress = sd.openProgress();
  try {
    const { undone, errors } = await undoSteps(h, j.steps, todo, progress, []);
    if (!errors.length) {
      sd.writeOwned(await reownAfterRollback(h, j.ownedBefore));
      sd.clearJournal();
    }
    const reason = j.state === 'pending-confirm'
      ? (why === 'confirm' ? 'too late: the confirmation deadline had passed, the apply was reverted' : why === 'recover' ? 'reverted on request before confirmation' : 'not confirmed in time')
      : `apply ${j.id} (pid ${j.pid}, started ${j.startedAt}) was interrupted after ${prog.begun.size} of ${j.steps.length} steps`;
    return { action: 'rolled-back', journal: j.id, undone, reason, errors };
  } finally {
    progress.close();
  }
}

export async function recoverConfig(opts: Where & { watchdog?: string } = {}): Promise<RecoverResult> {
  const root = stateDirOf(opts.stateDir);
  const sd = new StateDir(root, opts.netns);
  if (opts.watchdog !== undefined) {
    // the watchdog sleeps until the deadline, outside the lock
    const j = sd.readJournal<Journal>();
    if (!j || j.id !== opts.watchdog) return { action: 'none', journal: null, undone: 0, reason: 'nothing to guard', errors: [] };
    const wait = (j.confirmDeadline ?? 0) - Date.now();
    if (wait > 0) await sleep(wait);
  }
  const unlock = sd.lock();
  const lazy = lazyHandle(opts.netns);
  try {
    const r = await recoverLocked(sd, lazy.get, opts.watchdog !== undefined ? 'watchdog' : 'recover', opts.watchdog);
    if (r.errors.length) throw new StateError(`recovery incomplete (${r.errors.length} undo steps failed): ${r.errors.join('; ')}; the journal is kept in ${sd.dir}`);
    return r;
  } finally {
    lazy.close();
    unlock();
  }
}

export async function confirmConfig(opts: Where = {}): Promise<RecoverResult> {
  const sd = new StateDir(stateDirOf(opts.stateDir), opts.netns);
  const unlock = sd.lock();
  const lazy = lazyHandle(opts.netns);
  try {
    const j = sd.readJournal<Journal>();
    if (!j || j.state !== 'pending-confirm') throw new StateError('no apply is waiting for confirmation');
    const r = await recoverLocked(sd, lazy.get, 'confirm');
    if (r.action === 'rolled-back') throw new StateError(`${r.reason}${r.errors.length ? `; rollback errors: ${r.errors.join('; ')}` : ''}`);
    return r;
  } finally {
    lazy.close();
    unlock();
  }
}

/** The confirm timer outlives this process: a detached `nodectl config recover --watchdog ID`. */
function startWatchdog(j: Journal, root: string): void {
  const script = process.argv[1];
  if (!script) throw new StateError('cannot start the confirm watchdog: unknown nodectl entry script');
  const args = [...process.execArgv, script, 'config', 'recover', '--watchdog', j.id, '--state-dir', root, ...(j.netns ? ['--netns', j.netns] : [])];
  const child = builtin<typeof import('node:child_process')>('node:child_process').spawn(process.execPath, args, { detached: true, stdio: 'ignore', env: { ...process.env, NODECTL_FAIL_AT_STEP: '' } });
  child.unref();
}
