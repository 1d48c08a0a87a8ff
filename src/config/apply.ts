// config apply, the public entry points: snapshot → plan → journal → steps → verify → commit.
// The transaction itself (running, dooming, undoing) is in transaction.ts, the journal and what
// it records in journal.ts, the inverses in inverses.ts, the pre-apply kernel state and its
// restoration in pre-state.ts. Any failure — a refused step, a failed verification, a signal,
// a state directory that stops taking writes — undoes what took effect, in reverse, then puts
// back what the kernel changed on its own, then compares with the state before step 1: the
// error says "nothing was changed" only when that comparison finds nothing. A process killed
// mid-way leaves the journal behind; the next apply, `config recover` or the confirm watchdog
// finishes the rollback before doing anything else.
import { createRequire } from 'node:module';
import { ApplyError, DisruptionError, NodectlError, StateError } from '../errors.js';
import { type Addr, decodeAddr } from '../netlink/addr.js';
import { consistently, DumpInterruptedError, Handle, RTM } from '../netlink/handle.js';
import { decodeLinkInetConf, type InetConf } from '../netlink/inetconf.js';
import { decodeLink, getlinkRequest, type Link, listLinks, listLinksOnce } from '../netlink/link.js';
import { dumpEach } from '../netlink/dump-once.js';
import { type ActualState, type ArpValues, describeDisruption, describeOp, type Disruption, type Effect, type Op, opMarker, plan, PlanConflict, type Plan } from '../interfaces/planner.js';
import type { Snapshot } from '../interfaces/snapshot.js';
import { ARP_KEY_NAMES } from './arp-keys.js';
import { inverseOf, rawAddrIndex, rawRouteIndex } from './inverses.js';
import { decodeRoute, type Route, RTPROT_NODECTL } from '../netlink/route.js';
import { doomedOf, type Journal, type PreState, type Step } from './journal.js';
import { capturePre, restorePre, settledDifferences } from './pre-state.js';
import type { NodeConfig } from './schema.js';
import { assertPreflight } from './preflight.js';
import { type Rehearsal, rehearse } from './rehearse.js';
import { expandPeers, peerName, peerNetns } from './peers.js';
import { type OwnedLink, processAlive, type Progress, StateDir, stateDirOf } from './state.js';
import { commitDoomed, Names, runSteps, StepFailure, type Tx, undoSteps } from './transaction.js';
import { count } from '../text.js';

export { DOOMED_GROUP } from './doomed.js';
export type { Journal, Step, UndoOp } from './journal.js';

export interface Where {
  netns?: string;
  stateDir?: string;
}

export interface ApplyOptions extends Where {
  file?: string;
  prune?: boolean;
  /**
   * Refuse, before step 1, a plan that re-creates, bounces, takes down or re-enslaves links that
   * are up (Plan.disruption). The CLI sets it unless --allow-disruption is given; callers of this
   * function (the lab, tests) state what they apply, so it is off by default here.
   */
  refuseDisruption?: boolean;
  /** Rehearse the plan in a throwaway namespace before step 1 (default true; --no-rehearse). */
  rehearse?: boolean;
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
  /** What the step does to the link it names (new, in-place, recreate, bounce, …). */
  effect: Effect;
  op: Op;
  text: string;
}

export interface ApplyResult {
  changed: boolean;
  steps: PlannedStep[];
  warnings: string[];
  created: string[];
  deleted: string[];
  /** Links that were up which the apply interrupted (it needed --allow-disruption). */
  disruption: Disruption[];
  /** What a leftover journal from an interrupted apply needed (done before this apply). */
  recovered: RecoverResult | null;
  confirmDeadline: string | null;
  /** The rehearsal before step 1 (src/config/rehearse.ts); null when there was nothing to do. */
  rehearsal: Rehearsal | null;
}

export interface RecoverResult {
  action: 'none' | 'rolled-back' | 'committed' | 'discarded' | 'waiting';
  journal: string | null;
  undone: number;
  reason: string;
  errors: string[];
  /** After a rollback: how the node still differs from before the apply (empty: identical). */
  differences?: string[];
  /** After a rollback: what another program changed meanwhile, left alone. */
  interference?: string[];
  /** Discarded: the journal was of a --confirm apply never confirmed (its file and config hash). */
  unconfirmed?: { file: string | null; hash: string };
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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function configHash(cfg: NodeConfig): string {
  return builtin<typeof import('node:crypto')>('node:crypto').createHash('sha256').update(JSON.stringify(cfg)).digest('hex');
}

export function actualOf(s: Snapshot): ActualState {
  const inetConf = new Map<number, ArpValues>();
  for (const [idx, c] of Object.entries(s.inetConf)) {
    const v: ArpValues = {};
    for (const k of ARP_KEY_NAMES) if (c[k] !== undefined) v[k] = c[k];
    inetConf.set(Number(idx), v);
  }
  return { links: s.links, addrs: s.addrs, inetConf, routes: s.routes };
}

/** Owned names whose record still matches the kernel (same name at the same ifindex). */
export function liveOwned(records: OwnedLink[], s: Pick<Snapshot, 'links'>): OwnedLink[] {
  const byName = new Map(s.links.map((l) => [l.name, l]));
  return records.filter((r) => byName.get(r.name)?.index === r.ifindex);
}

/**
 * The kernel state the plan needs, and no more: one link dump (IPv4 settings decoded from the
 * same messages, only when asked) and the addresses. A no-op re-apply is this plus the plan.
 * Both are read with one-shot blocking dumps (src/netlink/dump-once.ts): apply is a one-shot
 * command, and a no-op then never loads the netlink package nor opens a Handle. What rollback
 * needs beyond this (routes, neighbours, raw messages) is read only when there is a step to take.
 */
export function readState(netns: string | undefined, want: { inetConf: boolean; routes?: boolean }): Snapshot {
  // Each table is read again when its dump comes back marked interrupted: a table that changed
  // under its dump can miss or repeat objects, which would read as drift. Links and addresses
  // apart: right after an apply brought many links up, IPv6 duplicate address detection ends on
  // each of their link-locals and marks many address dumps interrupted (a fifth of them for
  // seconds after 1,000 macvlans), and re-reading 1,000 links with each would double the cost.
  const { links, inetConf } = consistently(() => {
    let links: Link[];
    const inetConf: Record<number, InetConf> = {};
    // without counters (RTEXT_FILTER_SKIP_STATS): the plan never reads them, and the kernel
    // then fills a quarter less (1,000 macvlans: 1.16 MB instead of 1.53 MB)
    if (!want.inetConf) links = listLinksOnce(netns, { skipStats: true });
    else {
      links = [];
      // every link
      dumpEach(netns, RTM.GETLINK, getlinkRequest({ skipStats: true }), { action: 'list links' }, (buf, type, s, e) => {
        if (type !== RTM.NEWLINK) return;
        const l = decodeLink(buf, s, e);
        links.push(l);
        const c = decodeLinkInetConf(buf, s, e);
        if (c) inetConf[l.index] = c;
      });
    }
    return { links, inetConf };
  });
  const addrs = consistently(() => {
    const addrs: Addr[] = [];
    // struct ifaddrmsg, all zero: every family, every interface
    dumpEach(netns, RTM.GETADDR, Buffer.alloc(8), { action: 'list addresses' }, (buf, type, s, e) => {
      if (type !== RTM.NEWADDR) return;
      const a = decodeAddr(buf, s, e);
      if (a) addrs.push(a);
    });
    return addrs;
  });
  // Routes of every table, decoded only when they can matter: nodectl's own (protocol
  // "nodectl", byte 5 of struct rtmsg) always, others only when the file declares routes whose
  // keys they could take. A node with thousands of kernel routes pays one dump, not decoding.
  const routes = consistently(() => {
    const out: Route[] = [];
    dumpEach(netns, RTM.GETROUTE, Buffer.alloc(12), { action: 'list routes' }, (buf, type, s, e) => {
      if (type !== RTM.NEWROUTE || (buf[s + 5] !== RTPROT_NODECTL && !want.routes)) return;
      const r = decodeRoute(buf, s, e);
      if (r) out.push(r);
    });
    return out;
  });
  return { netns: netns ?? null, takenAt: new Date().toISOString(), links, addrs, neighs: [], routes, inetConf };
}

/**
 * readState for the verification, which must not roll back a good apply because the kernel
 * kept marking a dump interrupted: the links the apply brought up end IPv6 duplicate address
 * detection one after another for a second or two, and each end marks a running address dump
 * interrupted. After DUMP_ATTEMPTS interrupted reads in a row, wait a little and read again,
 * for up to ~3 s; only then is it an error.
 */
async function readPatiently(netns: string | undefined, want: { inetConf: boolean; routes?: boolean }): Promise<Snapshot> {
  for (let round = 1; ; round++) {
    try {
      return readState(netns, want);
    } catch (err) {
      if (!(err instanceof DumpInterruptedError) || round >= 12) throw err;
      await sleep(250);
    }
  }
}

// a declared veth peer (src/config/peers.ts) can have both too
const wants = (cfg: NodeConfig): { inetConf: boolean; routes: boolean } => {
  const all = expandPeers(cfg).cfg.interfaces;
  return { inetConf: all.some((d) => d.arp !== undefined), routes: all.some((d) => (d.routes?.length ?? 0) > 0) };
};

function planned(p: Plan): PlannedStep[] {
  return p.ops.map((op, i) => ({ step: i + 1, marker: opMarker(op), effect: p.effects[i]!, op, text: describeOp(op) }));
}

function conflictError(err: unknown): unknown {
  if (err instanceof PlanConflict) return new StateError(`the file cannot be applied to this node: ${err.problems.join('; ')}`);
  return err;
}

export interface PlanResult {
  changed: boolean;
  steps: PlannedStep[];
  /** Links that are up now which the plan interrupts; `config apply` needs --allow-disruption for them. */
  disruption: Disruption[];
  warnings: string[];
  pendingJournal: boolean;
  /** Whether the kernel accepted the steps in a throwaway namespace; null when there are none. */
  rehearsal: Rehearsal | null;
}

/**
 * The rehearsal of a plan that has steps (a no-op has none: it stays a read and a plan), unless
 * turned off. A step the kernel refuses there rejects, before anything on the node changed.
 */
async function rehearseIf(on: boolean | undefined, pre: Snapshot, p: Plan, hold?: (release: () => void) => void): Promise<Rehearsal | null> {
  if (!p.ops.length) return null;
  if (on === false) return { status: 'skipped', reason: '--no-rehearse', steps: p.ops.length, standIns: 0, unrelated: 0, notes: [] };
  return rehearse(pre, p, { reused: createdNames(p), stepDelayMs: envInt('NODECTL_REHEARSE_STEP_DELAY_MS'), ...(hold ? { hold } : {}) });
}

/** What apply would do, without doing it. */
export async function planConfig(cfg: NodeConfig, opts: Where & { prune?: boolean; rehearse?: boolean } = {}): Promise<PlanResult> {
  const sd = new StateDir(stateDirOf(opts.stateDir), opts.netns);
  const pre = readState(opts.netns, wants(cfg));
  assertPreflight(cfg, pre.links, pre.addrs);
  const owned = liveOwned(sd.readOwned(), pre);
  let p: Plan;
  try {
    p = plan(cfg, actualOf(pre), { owned: new Set(owned.map((o) => o.name)), prune: opts.prune ?? true });
  } catch (err) {
    throw conflictError(err);
  }
  const rehearsal = await rehearseIf(opts.rehearse, pre, p);
  return { changed: p.ops.length > 0, steps: planned(p), disruption: p.disruption, warnings: p.warnings, pendingJournal: sd.readJournal() !== null, rehearsal };
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
    if (d.kind === 'veth') { rec.peer = peerName(d); const ns = peerNetns(d); if (ns) rec.peerNetns = ns; }
    keep.push(rec);
  }
  // ifindexes as they are now (a re-created link has a new one)
  return keep.map((o) => ({ ...o, ifindex: byName.get(o.name)?.index ?? o.ifindex })).filter((o) => byName.has(o.name));
}

/** The signals that end an apply early: each rolls it back before the process exits. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** While installed, a stop signal is remembered (and the steps stop) instead of killing the process mid-way. */
function trapSignals(): { interrupted: () => string | null; release: () => void } {
  let got: string | null = null;
  const handlers = STOP_SIGNALS.map((s) => [s, () => { got ??= s; }] as const);
  for (const [s, f] of handlers) process.on(s, f);
  return { interrupted: () => got, release: () => { for (const [s, f] of handlers) process.off(s, f); } };
}

/** Names the plan creates (links and veth peers): a link doomed under one of them is renamed. */
function createdNames(p: Plan): Set<string> {
  const out = new Set<string>();
  for (const op of p.ops) if (op.op === 'link-add') { out.add(op.name); if (op.spec.veth) out.add(op.spec.veth.peer); }
  return out;
}

export async function applyConfig(file: NodeConfig, opts: ApplyOptions = {}): Promise<ApplyResult> {
  let cfg = file;
  const root = stateDirOf(opts.stateDir);
  const sd = new StateDir(root, opts.netns);
  const unlock = sd.lock();
  const lazy = lazyHandle(opts.netns);
  let releaseRehearsal = (): void => {};
  try {
    const recovered = await recoverLocked(sd, lazy.get, 'apply');
    if (recovered.action === 'waiting') {
      throw new StateError(`a previous apply is waiting for confirmation (${recovered.reason}): run "nodectl config confirm" to keep it or "nodectl config recover" to revert it first`);
    }
    const early: string[] = [];
    if (recovered.unconfirmed && recovered.unconfirmed.hash === configHash(cfg)) {
      // The node went down (or its namespace was re-created) inside the confirm window of this
      // very configuration: it was never confirmed, so it is not what comes back.
      const kept = sd.readConfirmed<NodeConfig>();
      if (!kept) throw new StateError(`${opts.file ?? 'this configuration'} was applied with --confirm and never confirmed before the node restarted, and no confirmed configuration is kept in ${sd.dir}: not applying it unconfirmed; run the apply again to apply it anyway`);
      cfg = kept.config;
      early.push(`${opts.file ?? 'this configuration'} was applied with --confirm and never confirmed before the node restarted: applied the last confirmed configuration (${sd.path('confirmed.json')}) instead; apply the file again to use it`);
    }
    const pre = readState(opts.netns, wants(cfg));
    // what only the node can tell (its NICs' MTU ranges, candidates that exist): before step 1
    assertPreflight(cfg, pre.links, pre.addrs);
    const ownedBefore = liveOwned(sd.readOwned(), pre);
    let p: Plan;
    try {
      p = plan(cfg, actualOf(pre), { owned: new Set(ownedBefore.map((o) => o.name)), prune: opts.prune ?? true });
    } catch (err) {
      throw conflictError(err);
    }
    // before the journal and step 1: a refused plan changes nothing
    if (p.disruption.length && opts.refuseDisruption) {
      throw new DisruptionError(`the plan would disrupt ${p.disruption.length === 1 ? 'a link that is up' : `${p.disruption.length} links that are up`}: ${describeDisruption(p.disruption)}; nothing was changed (see "nodectl config plan"; --allow-disruption applies it)`, p.disruption);
    }
    const result: ApplyResult = {
      changed: p.ops.length > 0, steps: planned(p), warnings: [...early, ...p.warnings], created: p.creates, deleted: p.deletes, disruption: p.disruption,
      recovered: recovered.action === 'none' ? null : recovered, confirmDeadline: null, rehearsal: null,
    };
    if (!p.ops.length) return result;
    // what only the kernel knows (ELOOP, an MTU a driver refuses, a kind it lacks): before step 1
    // its namespace is let go once the apply is over: its teardown would stall the steps
    result.rehearsal = await rehearseIf(opts.rehearse, pre, p, (release) => { releaseRehearsal = release; });
    const h = lazy.get();
    // everything rollback must be able to put back, read before anything changes
    const preState = capturePre(opts.netns, pre.links);
    // only deletions need the raw messages (decoding every address of a node costs ~40 ms per 1,000)
    const rawAddrs = p.ops.some((o) => o.op === 'addr-del') ? rawAddrIndex(preState) : new Map<string, string>();
    const rawRoutes = p.ops.some((o) => o.op === 'route-del') ? rawRouteIndex(preState) : new Map<string, string>();
    const steps: Step[] = p.ops.map((op) => ({ op, undo: inverseOf(op, pre, rawAddrs, rawRoutes) }));
    const journal: Journal = {
      version: 2, id: builtin<typeof import('node:crypto')>('node:crypto').randomUUID(), bootId: sd.boot, netnsInode: sd.inode, netns: opts.netns ?? null, file: opts.file ?? null,
      startedAt: new Date().toISOString(), pid: process.pid, state: 'applying', steps, pre: preState, ownedBefore,
    };
    if (opts.confirmSeconds !== undefined) {
      journal.confirmDeadline = Date.now() + opts.confirmSeconds * 1000;
      journal.configHash = configHash(cfg);
      journal.config = cfg;
    }
    // Written before step 1, and refused cleanly when it cannot be (a full or read-only state
    // directory): nothing has changed yet.
    try {
      sd.clearJournal();
      // a reboot inside the confirm window brings back the last confirmed configuration: it must be on disk
      if (opts.confirmSeconds !== undefined) sd.syncConfirmed();
      sd.writeJournal(journal, opts.confirmSeconds !== undefined);
    } catch (err) {
      sd.clearJournalQuietly();
      throw new StateError(`cannot write the apply journal in ${sd.dir}: ${(err as Error).message}; nothing was changed`, { cause: err });
    }
    let progress: Progress;
    try {
      progress = sd.openProgress();
    } catch (err) {
      sd.clearJournalQuietly();
      throw new StateError(`cannot record progress in ${sd.dir}: ${(err as Error).message}; nothing was changed`, { cause: err });
    }
    // --confirm: the deadline holds from before step 1, whatever happens to this process
    if (opts.confirmSeconds !== undefined) {
      try {
        (opts.startWatchdog ?? startWatchdog)(journal, root);
      } catch (err) {
        progress.close();
        sd.clearJournalQuietly();
        throw err;
      }
    }
    const signals = trapSignals();
    const tx: Tx = { h, names: new Names(h, pre.links), reused: createdNames(p) };
    const done = new Set<number>();
    try {
      let owned: OwnedLink[];
      try {
        await runSteps(tx, steps, progress, {
          failAt: opts.failAtStep ?? envInt('NODECTL_FAIL_AT_STEP'), delayMs: opts.stepDelayMs ?? envInt('NODECTL_STEP_DELAY_MS') ?? 0,
          onStep: opts.onStep, interrupted: signals.interrupted,
        }, done);
        // verify: the kernel, read again, must now need nothing
        const post = await readPatiently(opts.netns, wants(cfg));
        owned = ownedAfter(ownedBefore, p, post, cfg);
        let left: Plan;
        try {
          left = plan(cfg, actualOf(post), { owned: new Set(owned.map((o) => o.name)), prune: opts.prune ?? true });
        } catch (err) {
          throw new StepFailure(steps.length, conflictError(err));
        }
        if (left.ops.length) throw new StepFailure(steps.length, new StateError(`verification failed: after all steps the kernel still differs from the file: ${left.ops.map(describeOp).join('; ')}`));
        const sig = signals.interrupted();
        if (sig) throw new StepFailure(steps.length, new NodectlError('APPLY_FAILED', `interrupted by ${sig} after the last step, before the commit`));
        if (progress.error) throw new StepFailure(steps.length, progress.error);
      } catch (err) {
        const f = err instanceof StepFailure ? err : new StepFailure(Math.min(done.size, steps.length - 1), err);
        const r = await rollBack(tx, steps, done, done, progress, preState);
        if (!r.errors.length) {
          // links are never re-created, so the record on disk is still right when this write
          // fails (a full or read-only state directory must not hide the ApplyError)
          try { sd.writeOwned(await reownAfterRollback(h, ownedBefore)); } catch { /* see above */ }
          sd.clearJournalQuietly();
        }
        const verify = f.index >= steps.length;
        throw new ApplyError({
          step: verify ? steps.length : f.index + 1, steps: steps.length, operation: verify ? 'verify' : describeOp(steps[f.index]!.op),
          cause: f.reason, rolledBack: r.undone, rollbackErrors: r.errors, differences: r.differences, interference: r.interference,
        });
      }
      // the commit point
      if (opts.confirmSeconds !== undefined) {
        journal.state = 'pending-confirm';
        journal.confirmDeadline = Date.now() + opts.confirmSeconds * 1000;
        journal.ownedAfter = owned;
        sd.writeJournal(journal, true);
        sd.writeOwned(owned);
        result.confirmDeadline = new Date(journal.confirmDeadline).toISOString();
      } else {
        journal.configHash ??= configHash(cfg);
        journal.config = cfg;
        await commit(sd, h, journal, owned);
      }
      return result;
    } finally {
      signals.release();
      progress.close();
    }
  } finally {
    releaseRehearsal();
    lazy.close();
    unlock();
  }
}

/**
 * Delete the doomed links for good and record ownership. With doomed links the journal first
 * says 'committing': dying in the middle leaves a journal that recover finishes (forward).
 * Without, ownership first, then the journal goes: dying in between leaves a journal that
 * recover rolls back — all or nothing still holds.
 */
async function commit(sd: StateDir, h: Handle, j: Journal, owned: OwnedLink[]): Promise<void> {
  const doomed = doomedOf(j.steps);
  if (doomed.length) {
    j.state = 'committing';
    j.ownedAfter = owned;
    sd.writeJournal(j, j.confirmDeadline !== undefined);
    await commitDoomed(h, doomed);
  }
  sd.writeOwned(owned);
  if (j.config !== undefined && j.configHash) sd.writeConfirmed({ hash: j.configHash, config: j.config });
  sd.clearJournal(j.confirmDeadline !== undefined);
}

/** Undo, put back the kernel's own side effects, then compare with the state before step 1. */
async function rollBack(tx: Tx, steps: Step[], todo: Set<number>, known: Set<number>, progress: Progress | null, pre: PreState | undefined): Promise<{ undone: number; errors: string[]; interference: string[]; differences: string[] }> {
  const r = await undoSteps(tx, steps, todo, known, progress);
  if (!pre) return { ...r, differences: [] };
  const errors = [...r.errors, ...(await restorePre(tx.h, pre))];
  let differences = await settledDifferences(tx.h, pre);
  // the kernel finishes some consequences of a link going up later (linkwatch: a link without
  // carrier then loses the IPv6 routes just put back): once settled, put back again
  if (differences.length && !errors.length) {
    errors.push(...(await restorePre(tx.h, pre)));
    differences = await settledDifferences(tx.h, pre, 1000);
  }
  return { undone: r.undone, errors, interference: r.interference, differences };
}

/**
 * A Handle opened on first use: a no-op apply or plan reads with one-shot dumps and needs none.
 * Its receives are sized to each answer ('fit'): the steps' requests are answered by small ACKs,
 * and a 64 KiB block per ACK costs ~50 ms of CPU (page faults) per 1,000 created links. Its
 * dumps (name lookups, rollback) take more receives that way: ~25 ms more per 1,000-step rollback.
 */
function lazyHandle(netns: string | undefined): { get: () => Handle; close: () => void } {
  let h: Handle | null = null;
  return {
    get: () => (h ??= Handle.open({ ...(netns ? { netns } : {}), recv: 'fit' })),
    close: () => h?.close(),
  };
}

/**
 * The ownership record as it was before the apply, with the links' ifindexes as they are now
 * (a record only counts while name and ifindex both match).
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
    sd.clearJournal(j.confirmDeadline !== undefined);
    const r: RecoverResult = { action: 'discarded', journal: j.id, undone: 0, reason: j.bootId !== sd.boot ? 'journal from an earlier boot: the kernel state it describes is gone' : 'the namespace was re-created since', errors: [] };
    if (j.confirmDeadline !== undefined && j.configHash && j.state !== 'committing') r.unconfirmed = { file: j.file, hash: j.configHash };
    return r;
  }
  if (j.version !== 2) throw new StateError(`journal ${sd.path('journal.json')} was written by another version of nodectl (version ${String(j.version)}); finish it with that version, or remove it`);
  if (j.state === 'committing') {
    await commit(sd, handle(), j, j.ownedAfter ?? j.ownedBefore);
    return { action: 'committed', journal: j.id, undone: 0, reason: 'the apply had finished; its commit is now complete', errors: [] };
  }
  if (j.state === 'pending-confirm') {
    const left = (j.confirmDeadline ?? 0) - Date.now();
    if (left > 0 && why === 'apply') return { action: 'waiting', journal: j.id, undone: 0, reason: `confirm within ${Math.ceil(left / 1000)} s`, errors: [] };
    if (why === 'confirm' && left > 0) {
      await commit(sd, handle(), j, j.ownedAfter ?? j.ownedBefore);
      return { action: 'committed', journal: j.id, undone: 0, reason: 'confirmed', errors: [] };
    }
  }
  const prog = sd.readProgress();
  // begun and neither refused nor undone; outcomes known only for those marked done
  const todo = new Set([...prog.begun].filter((i) => !prog.undone.has(i) && !prog.failed.has(i) && i < j.steps.length));
  const h = handle();
  const progress = sd.openProgress();
  try {
    const tx: Tx = { h, names: new Names(h, []), reused: new Set() };
    const r = await rollBack(tx, j.steps, todo, prog.done, progress, j.pre);
    if (!r.errors.length) {
      sd.writeOwned(await reownAfterRollback(h, j.ownedBefore));
      sd.clearJournal();
    }
    const reason = j.state === 'pending-confirm'
      ? (why === 'confirm' ? 'too late: the confirmation deadline had passed, the apply was reverted' : why === 'recover' ? 'reverted on request before confirmation' : 'not confirmed in time')
      : `apply ${j.id} (pid ${j.pid}, started ${j.startedAt}) was interrupted after ${prog.begun.size} of ${count(j.steps.length, 'step')}`;
    return { action: 'rolled-back', journal: j.id, undone: r.undone, reason, errors: r.errors, differences: r.differences, interference: r.interference };
  } finally {
    progress.close();
  }
}

/**
 * The confirm watchdog: wait for the deadline (it is re-armed when the apply's steps end), and
 * for as long as the apply that armed it is still running; then roll back unless confirmed.
 */
async function watch(sd: StateDir, id: string): Promise<boolean> {
  for (;;) {
    const j = sd.readJournal<Journal>();
    if (!j || j.id !== id) return false;
    const wait = (j.confirmDeadline ?? 0) - Date.now();
    if (wait > 0) { await sleep(Math.min(wait, 1000)); continue; }
    if (j.state === 'applying' && processAlive(j.pid)) { await sleep(200); continue; }
    return true;
  }
}

export async function recoverConfig(opts: Where & { watchdog?: string } = {}): Promise<RecoverResult> {
  const root = stateDirOf(opts.stateDir);
  const sd = new StateDir(root, opts.netns);
  if (opts.watchdog !== undefined && !(await watch(sd, opts.watchdog))) {
    return { action: 'none', journal: null, undone: 0, reason: 'nothing to guard', errors: [] };
  }
  const unlock = sd.lock();
  const lazy = lazyHandle(opts.netns);
  try {
    const r = await recoverLocked(sd, lazy.get, opts.watchdog !== undefined ? 'watchdog' : 'recover', opts.watchdog);
    if (r.errors.length) throw new StateError(`recovery incomplete (${r.errors.length} undo steps failed): ${r.errors.join('; ')}; the journal is kept in ${sd.dir}`);
    // Every undo step succeeded, so the journal is done with; but "rolled back" is a promise that
    // the node is as before, and the comparison says it is not: that is a failure to report (exit 1).
    if (r.action === 'rolled-back' && r.differences?.length) {
      throw new StateError(`${r.reason}: ${count(r.undone, 'step')} undone, but the node differs from before the apply: ${r.differences.join('; ')}`);
    }
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
