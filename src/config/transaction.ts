// Running a journal's steps, and undoing them. Reversible until commit: no step destroys what
// rollback could not give back identically. A link the plan deletes is only DOOMED — taken down,
// detached from its master, moved to DOOMED_GROUP (and renamed when the plan re-uses its name) —
// and deleted by commitDoomed() once every step and the verification have succeeded; its undo
// puts back that same link (same ifindex, MAC, link-local address). What the kernel changed on
// its own along the way is put back afterwards from the pre-apply state (pre-state.ts).
import { NetlinkError, NodectlError, NotFoundError, StateError } from '../errors.js';
import { addAddr, delAddr } from '../netlink/addr.js';
import { type Handle, NLM_F_CREATE, NLM_F_EXCL, RTM } from '../netlink/handle.js';
import { setInetConf } from '../netlink/inetconf.js';
import { addRoute, delRoute, RTNH_F_ONLINK, RTPROT_NODECTL } from '../netlink/route.js';
import { addLink, delLink, getLink, type Link, listLinks, setLink } from '../netlink/link.js';
import { delLinkGroup } from '../netlink/link-group.js';
import type { BondMode, MacvlanMode } from '../netlink/linkinfo.js';
import { OWNED_GROUP, type Op } from '../interfaces/planner.js';
import { DOOMED_GROUP, doomedName, UNDO_GROUP } from './doomed.js';
import { type DoomedLink, describeUndo, type Step, type UndoOp } from './journal.js';
import type { Progress } from './state.js';
import { count } from '../text.js';

/** Name → ifindex, from the snapshot, kept current as links come and go. */
export class Names {
  private readonly map = new Map<string, number>();
  private stale = false;
  constructor(private readonly h: Handle, links: { name: string; index: number }[]) {
    for (const l of links) this.map.set(l.name, l.index);
  }

  async index(name: string): Promise<number> {
    const i = this.map.get(name);
    if (i !== undefined) return i;
    if (this.stale) {
      // many links were just created: one dump answers all the lookups that follow
      this.stale = false;
      for (const l of await listLinks(this.h)) this.map.set(l.name, l.index);
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

  set(name: string, index: number): void {
    this.map.set(name, index);
  }

  forget(...names: string[]): void {
    for (const n of names) this.map.delete(n);
  }
}

/** What the steps run against. */
export interface Tx {
  h: Handle;
  names: Names;
  /** Names the plan creates: a link doomed under one of them must free it (rename). */
  reused: Set<string>;
}

/** A link-del-owned that found a link nodectl did not make under that name. */
export class NotOursError extends StateError {
  constructor(readonly link: string, readonly ifindex: number, readonly group: number) {
    super(`not deleting ${link} (ifindex ${ifindex}): it is in interface group ${group}, not nodectl's ${OWNED_GROUP}, so another program made it`);
  }
}

/**
 * Doom a link: only its group changes, so that it keeps running as it was — addresses, routes,
 * its place under its master, IPv6 state that DAD would have to redo — until the commit deletes
 * it. Only when the plan re-uses its name is it taken down and renamed (a link is renamed only
 * while down, dev_change_name): its IPv6 addresses then go, and rollback puts them back.
 */
async function doom(tx: Tx, name: string): Promise<void> {
  const idx = await tx.names.index(name);
  await setLink(tx.h, idx, { group: DOOMED_GROUP });
  if (tx.reused.has(name)) {
    await setLink(tx.h, idx, { up: false });
    await setLink(tx.h, idx, { name: doomedName(idx) });
  }
}

async function undoom(tx: Tx, links: DoomedLink[]): Promise<void> {
  for (const d of links) {
    const l = await getLink(tx.h, d.index);
    if (l.name !== d.name) await setLink(tx.h, d.index, { name: d.name });
    if (l.group !== d.group) await setLink(tx.h, d.index, { group: d.group });
    if (l.masterIndex !== d.master) await setLink(tx.h, d.index, { master: d.master });
    tx.names.set(d.name, d.index);
  }
  for (const d of links) if (d.up) await setLink(tx.h, d.index, { up: true });
}

export async function execOp(tx: Tx, op: UndoOp): Promise<void> {
  const { h, names } = tx;
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
      for (const n of [op.name, ...(op.with ?? [])]) await doom(tx, n);
      names.forget(op.name, ...(op.with ?? []));
      return;
    case 'link-undoom':
      await undoom(tx, op.links);
      return;
    case 'link-del-owned': {
      const l = await getLink(h, op.name);
      // only what nodectl made: everything it creates carries its group
      if (l.group !== OWNED_GROUP && l.group !== DOOMED_GROUP && l.group !== UNDO_GROUP) throw new NotOursError(op.name, l.index, l.group);
      await delLink(h, l.index);
      names.forget(op.name);
      return;
    }
    case 'link-set': {
      const c = op.change;
      const idx = await names.index(op.name);
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
    case 'addr-restore': {
      const what = `${op.address}/${op.prefixlen}`;
      await h.request(RTM.NEWADDR, Buffer.from(op.raw, 'base64'), { flags: NLM_F_CREATE | NLM_F_EXCL, action: `put back address ${what} on ${op.name}`, target: what });
      return;
    }
    case 'addr-del':
      await delAddr(h, { ifindex: await names.index(op.name), address: op.address, prefixlen: op.prefixlen });
      return;
    case 'arp-set':
      await setInetConf(h, await names.index(op.name), op.values, op.name);
      return;
    case 'route-add': {
      const r = op.route;
      await addRoute(h, {
        family: r.family, dst: r.dst, ifindex: await names.index(op.name), metric: r.metric, table: r.table, protocol: RTPROT_NODECTL,
        ...(r.gateway !== undefined ? { gateway: r.gateway } : {}), ...(r.scope ? { scope: r.scope } : {}), ...(r.onlink ? { onlink: true } : {}),
      });
      return;
    }
    case 'route-del': {
      const r = op.route;
      // by protocol too: never someone else's route that took the same key meanwhile
      await delRoute(h, { family: r.family, dst: r.dst, ifindex: await names.index(op.name), metric: r.metric, table: r.table, protocol: RTPROT_NODECTL, ...(r.gateway !== undefined ? { gateway: r.gateway } : {}) });
      return;
    }
    case 'route-restore': {
      const buf = Buffer.from(op.raw, 'base64');
      // rtm_flags: only what a route is added with; the rest (linkdown, …) is the kernel's state
      buf.writeUInt32LE(buf.readUInt32LE(8) & RTNH_F_ONLINK, 8);
      const what = `${op.route.dst}${op.route.gateway ? ` via ${op.route.gateway}` : ''} dev ${op.name}`;
      await h.request(RTM.NEWROUTE, buf, { flags: NLM_F_CREATE | NLM_F_EXCL, action: `put back route ${what}`, target: what });
      return;
    }
  }
}

/** Undo ops run during rollback: "already undone" answers are success, not failure. */
function alreadyUndone(op: UndoOp, err: unknown): boolean {
  if (err instanceof NotFoundError) return op.op !== 'link-add' && op.op !== 'link-undoom';
  if (!(err instanceof NetlinkError)) return false;
  if (op.op === 'link-add' || op.op === 'addr-add' || op.op === 'addr-restore' || op.op === 'route-add' || op.op === 'route-restore') return err.errno === 'EEXIST';
  if (op.op === 'route-del') return err.errno === 'ESRCH' || err.errno === 'ENOENT' || err.errno === 'ENODEV';
  if (op.op === 'link-del' || op.op === 'link-del-owned') return err.errno === 'ENODEV';
  if (op.op === 'addr-del') return err.errno === 'EADDRNOTAVAIL' || err.errno === 'ENOENT' || err.errno === 'ENODEV';
  return false;
}

// ---------------------------------------------------------------------------------------------
// Running

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How many requests may be in flight at once: the kernel answers them in order. */
const PIPELINE = 64;

/**
 * Length of the run of steps from i that can be sent without waiting for each answer: link
 * creations whose lower device and master are not created in the same run, dooms, or address
 * changes. Each is its own step in the journal (begun before the run is sent), so a failure in
 * the middle is undone exactly like a sequential one; the error reported is the first refusal.
 */
function pipelineWindow(steps: Step[], i: number, failAt: number | undefined): number {
  const kind = steps[i]!.op.op;
  if (kind !== 'link-add' && kind !== 'link-del' && kind !== 'addr-add' && kind !== 'addr-del') return 1;
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
    if (op.op === 'link-del') for (const w of op.with ?? []) await names.index(w);
  }
}

export interface RunOptions {
  /** Fault injection: make step k (1-based) fail before it runs. */
  failAt?: number;
  /** Pause after each step (tests widen the window for a signal or a SIGKILL). */
  delayMs: number;
  onStep?: (n: number, total: number, op: Op) => void;
  /** A signal that asked the apply to stop (checked before each step), or null. */
  interrupted?: () => string | null;
}

/** Step `index` (0-based) failed, or the apply was stopped before it; `done` says which steps took effect. */
export class StepFailure extends Error {
  constructor(readonly index: number, readonly reason: unknown) {
    super(reason instanceof Error ? reason.message : String(reason));
  }
}

/**
 * Run the steps, recording each as begun before it is sent and done (or failed) once the kernel
 * has answered. Throws StepFailure; `done` then holds exactly the steps that took effect.
 */
export async function runSteps(tx: Tx, steps: Step[], progress: Progress, opts: RunOptions, done: Set<number>): Promise<void> {
  const { h, names } = tx;
  let i = 0;
  while (i < steps.length) {
    const sig = opts.interrupted?.();
    if (sig) throw new StepFailure(i, new NodectlError('APPLY_FAILED', `interrupted by ${sig} before step ${i + 1}`));
    // independent creations, dooms and address changes go out pipelined (see pipelineWindow)
    const w = opts.delayMs ? 1 : pipelineWindow(steps, i, opts.failAt);
    if (w >= 2) {
      const idx = Array.from({ length: w }, (_, k) => i + k);
      progress.markMany('begin', idx);
      // not recorded, not sent: a SIGKILL from here on must not leave an unrecorded step behind
      if (progress.error) throw new StepFailure(i, progress.error);
      for (const k of idx) opts.onStep?.(k + 1, steps.length, steps[k]!.op);
      // resolve every name first, so that each op gets to its request without waiting; the
      // window then leaves in one datagram (Handle.cork), answered request by request
      for (const k of idx) await prefetch(names, steps[k]!.op);
      h.cork();
      const running = idx.map((k) => execOp(tx, steps[k]!.op));
      // a macrotask runs after every pending microtask: by then each op has queued its request
      await new Promise((r) => setImmediate(r));
      h.uncork();
      const results = await Promise.allSettled(running);
      const ok = idx.filter((_, n) => results[n]!.status === 'fulfilled');
      for (const k of ok) done.add(k);
      progress.markMany('done', ok);
      progress.markMany('failed', idx.filter((_, n) => results[n]!.status === 'rejected'));
      const bad = results.findIndex((r) => r.status === 'rejected');
      if (bad >= 0) throw new StepFailure(i + bad, (results[bad] as PromiseRejectedResult).reason);
      if (steps[i]!.op.op === 'link-add' && w > 8) names.markStale();
      i += w;
      continue;
    }
    const step = steps[i]!;
    progress.mark('begin', i);
    if (progress.error) throw new StepFailure(i, progress.error);
    opts.onStep?.(i + 1, steps.length, step.op);
    if (opts.failAt === i + 1) {
      progress.mark('failed', i);
      throw new StepFailure(i, new NodectlError('APPLY_FAILED', `injected failure before step ${i + 1} (NODECTL_FAIL_AT_STEP=${opts.failAt})`));
    }
    try {
      await execOp(tx, step.op);
    } catch (err) {
      progress.mark('failed', i);
      throw new StepFailure(i, err);
    }
    done.add(i);
    progress.mark('done', i);
    i++;
    if (opts.delayMs) await sleep(opts.delayMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Undoing

export interface UndoResult {
  undone: number;
  /** Undo operations that failed: the node is NOT as before. */
  errors: string[];
  /** What another program did meanwhile that rollback found and left alone. */
  interference: string[];
}

/**
 * Undo the steps in `todo` in reverse. `known` holds the steps known to have taken effect; the
 * others in `todo` were begun by a process that died before it learnt the answer, so finding
 * someone else's link where one of them would have created ours is interference, not failure.
 */
export async function undoSteps(tx: Tx, steps: Step[], todo: Set<number>, known: Set<number>, progress: Progress | null): Promise<UndoResult> {
  const { h } = tx;
  const current = await listLinks(h);
  for (const l of current) tx.names.set(l.name, l.index);
  const order = [...todo].sort((a, b) => b - a);
  const out: UndoResult = { undone: 0, errors: [], interference: [] };
  const byName = new Map(current.map((l) => [l.name, l]));
  let k = 0;
  while (k < order.length) {
    // consecutive creations are undone by one group delete
    let m = k;
    while (m < order.length && steps[order[m]!]!.undo.length === 1 && steps[order[m]!]!.undo[0]!.op === 'link-del-owned') m++;
    if (m - k >= 2) {
      const idx = order.slice(k, m);
      const ours: string[] = [];
      for (const i of idx) {
        const n = (steps[i]!.undo[0] as { name: string }).name;
        const l = byName.get(n);
        if (l && l.group !== OWNED_GROUP && l.group !== DOOMED_GROUP && l.group !== UNDO_GROUP) {
          const e = new NotOursError(n, l.index, l.group);
          if (known.has(i)) out.errors.push(`undo step ${i + 1}: ${e.message}`);
          else out.interference.push(`${n} (ifindex ${l.index}, group ${l.group}) was created by another program while the apply ran; left alone`);
          continue;
        }
        if (l) ours.push(n);
      }
      try {
        await groupDelete(tx, ours);
        progress?.markMany('undone', idx);
        out.undone += idx.length;
      } catch (err) {
        out.errors.push(`group delete of ${count(ours.length, 'link')}: ${(err as Error).message}`);
      }
      k = m;
      continue;
    }
    const i = order[k]!;
    let ok = true;
    for (const u of steps[i]!.undo) {
      try {
        await execOp(tx, u);
      } catch (err) {
        if (alreadyUndone(u, err)) continue;
        if (err instanceof NotOursError && !known.has(i)) {
          out.interference.push(`${err.link} (ifindex ${err.ifindex}, group ${err.group}) was created by another program while the apply ran; left alone`);
          continue;
        }
        ok = false;
        out.errors.push(`undo step ${i + 1} (${describeUndo(u)}): ${(err as Error).message}`);
      }
    }
    if (ok) { progress?.mark('undone', i); out.undone++; }
    k++;
  }
  return out;
}

/**
 * Delete these links by moving them into UNDO_GROUP and deleting that group in one request.
 * Before the delete, the group must hold exactly these links; otherwise (someone else uses the
 * group) they are deleted one by one.
 */
async function groupDelete(tx: Tx, names: string[]): Promise<void> {
  const { h } = tx;
  const byName = new Map((await listLinks(h)).map((l) => [l.name, l]));
  const moved: Link[] = [];
  for (let i = 0; i < names.length; i += PIPELINE) {
    const found = names.slice(i, i + PIPELINE).map((n) => byName.get(n)).filter((l): l is Link => l !== undefined);
    await Promise.all(found.map((l) => setLink(h, l.index, { group: UNDO_GROUP })));
    moved.push(...found);
  }
  await deleteGroupExactly(h, UNDO_GROUP, new Set(moved.map((l) => l.index)));
  tx.names.forget(...names);
}

/** Delete `group` if it holds exactly `indexes`; else each of `indexes` on its own. */
async function deleteGroupExactly(h: Handle, group: number, indexes: Set<number>): Promise<void> {
  if (!indexes.size) return;
  const inGroup = (await listLinks(h)).filter((l) => l.group === group);
  if (inGroup.length && inGroup.every((l) => indexes.has(l.index))) {
    await delLinkGroup(h, group);
    return;
  }
  for (const i of indexes) {
    try {
      await delLink(h, i);
    } catch (err) {
      if (!(err instanceof NetlinkError && err.errno === 'ENODEV') && !(err instanceof NotFoundError)) throw err;
    }
  }
}

/** The commit: delete for good the links the steps doomed (those still doomed: by ifindex and group). */
export async function commitDoomed(h: Handle, doomed: DoomedLink[]): Promise<void> {
  if (!doomed.length) return;
  const now = new Map((await listLinks(h)).map((l) => [l.index, l]));
  const ours = new Set(doomed.map((d) => d.index).filter((i) => now.get(i)?.group === DOOMED_GROUP));
  await deleteGroupExactly(h, DOOMED_GROUP, ours);
}
