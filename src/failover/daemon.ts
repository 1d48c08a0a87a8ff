// The management-IP failover daemon: rtnetlink notifications in, FailoverMachine decisions out.
//
// Event-driven: link, address and route changes arrive as rtnetlink multicast; the only timers
// are the machine's own deadlines (hold-down, preempt, refresh) and the optional ARP probe.
// After ENOBUFS (the kernel dropped notifications) the picture is rebuilt from a full dump.
//
// A move is sent as one pipelined batch on one netlink socket, in this order:
//   RTM_DELADDR on the old holder, RTM_NEWADDR (nodad) on the new one, RTM_NEWROUTE replace,
// without waiting for each acknowledgement. The kernel handles a socket's requests strictly in
// order, so the delete has taken effect before the add (never two holders), and the gap with no
// holder is the kernel's own processing time between two messages rather than a round trip
// through this process per step. Deleting first is required anyway for IPv4: the last address
// leaving the old device flushes its routes, so the route can only be replaced after the add.
// Gratuitous ARP / unsolicited NA go out as soon as the batch is acknowledged.
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NetlinkError, NotFoundError, PermissionError, StateError } from '../errors.js';
import { canonicalIp } from '../config/cidr.js';
import { addAddr, delAddr, listAddrs, type Addr } from '../netlink/addr.js';
import { Handle } from '../netlink/handle.js';
import { listLinks, type Link } from '../netlink/link.js';
import { Monitor, type MonitorEvent } from '../netlink/monitor.js';
import { DropCounter } from '../netlink/overrun.js';
import { listRoutes, replaceRoute, RT_TABLE_MAIN, type Route } from '../netlink/route.js';
import { routeFamilies, type MgmtConfig } from './config.js';
import type { Announcer, HealthProbe } from './io.js';
import { groupGid, refusal } from './access.js';
import { Coalescer } from './coalesce.js';
import { priorityOf, stderrIsJournal } from './journal.js';
import { peerCred } from '../netlink/peercred.js';
import {
  FailoverMachine, addressKey, type Action, type CandidateStatus, type Counters, type Decision, type Family,
  type LinkObservation, type Placement,
} from './state-machine.js';

export const DEFAULT_STATE_FILE = '/run/nodectl/mgmt.json';
export const DEFAULT_CONTROL_SOCKET = '/run/nodectl/mgmt.sock';
/** How often the address placement is checked against a dump (see MgmtDaemon.audit). */
const AUDIT_MS = 2000;

export interface DaemonOptions {
  config: MgmtConfig;
  netns?: string;
  stateFile?: string;
  controlSocket?: string;
  /** Receive buffer of the notification socket (tests shrink it to provoke ENOBUFS). */
  rcvbuf?: number;
  probe?: HealthProbe;
  announcer?: Announcer;
  /** One JSON object per timeline entry; default: a line on stderr. */
  log?: (entry: Record<string, unknown>) => void;
}

export interface DaemonCounters extends Counters {
  events: number;
  overruns: number;
  resyncs: number;
  actionErrors: number;
  auditMismatches: number;
}

export interface MgmtState {
  version: 1;
  pid: number;
  netns: string | null;
  startedAt: string;
  updatedAt: string;
  addresses: string[];
  gateway: { ipv4: string | null; ipv6: string | null };
  holder: string | null;
  pinned: string | null;
  candidates: (Omit<CandidateStatus, 'upSince' | 'healthySince'> & { upSince: string | null; healthySince: string | null })[];
  lastMoves: { at: string; kind: string; from: string | null; to: string | null; reason: string }[];
  counters: DaemonCounters;
  /** Where this daemon listens: `mgmt move --state-file` finds it from here. */
  controlSocket?: string;
  /** The daemon's own memory, bytes (process.memoryUsage): a soak reads it, operators graph it. */
  memory?: { rss: number; heapUsed: number; external: number; arrayBuffers: number };
}

export function hasNetAdmin(): boolean {
  if (process.geteuid?.() === 0) return true;
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? (BigInt(`0x${m[1]}`) & (1n << 12n)) !== 0n : false;
  } catch {
    return false;
  }
}

function linkObs(l: Link | undefined): LinkObservation {
  if (!l) return { exists: false, admin: false, carrier: false, operUp: false };
  return { exists: true, admin: l.admin === 'up', carrier: l.carrier, operUp: l.oper === 'up' };
}

export class MgmtDaemon {
  readonly config: MgmtConfig;
  readonly counters: DaemonCounters;
  private readonly opts: DaemonOptions;
  private readonly machine: FailoverMachine;
  /** Requests that change things; dumps go on their own socket (see fullSync). */
  private readonly h: Handle;
  private readonly dumpH: Handle;
  private readonly mon: Monitor;
  private readonly drops: DropCounter;
  private dropTimer: NodeJS.Timeout | null = null;
  private auditTimer: NodeJS.Timeout | null = null;
  /** Events that arrived while a dump was running, applied on top of it. */
  private pending: MonitorEvent[] | null = null;
  private synced = false;
  private readonly names = new Map<number, string>();
  private readonly indexes = new Map<string, number>();
  private readonly ours = new Map<string, string>(); // "family/canonical address" -> key
  private readonly stateFile: string;
  private readonly socketPath: string;
  private server: Server | null = null;
  private timer: NodeJS.Timeout | null = null;
  private decideQueued = false;
  /** Decision rounds and state re-reads: one at a time, a request meanwhile means one more. */
  private readonly deciding = new Coalescer();
  private readonly resyncing = new Coalescer();
  private stopped = false;
  private readonly startedAt = new Date();
  /** stderr goes to journald: prefix each line with its priority (see journal.ts). */
  private readonly journal = stderrIsJournal();
  private readonly epoch = Date.now() - performance.now();
  private readonly history: MgmtState['lastMoves'] = [];
  private lastHealth = new Map<string, string>();
  private stateTimer: NodeJS.Timeout | null = null;
  private lastStateWrite = 0;
  private readonly probeTimers = new Map<string, NodeJS.Timeout>();
  private readonly waiters: (() => void)[] = [];
  private resolveDone!: () => void;
  readonly done: Promise<void>;

  private constructor(opts: DaemonOptions, h: Handle, dumpH: Handle, mon: Monitor, drops: DropCounter) {
    this.opts = opts;
    this.config = opts.config;
    this.h = h;
    this.dumpH = dumpH;
    this.drops = drops;
    this.mon = mon;
    this.stateFile = opts.stateFile ?? DEFAULT_STATE_FILE;
    this.socketPath = opts.controlSocket ?? DEFAULT_CONTROL_SOCKET;
    this.machine = new FailoverMachine({
      candidates: this.config.candidates,
      addresses: this.config.addresses,
      routeFamilies: routeFamilies(this.config),
      holdDownMs: this.config.holdDownMs,
      preemptDelayMs: this.config.preemptDelayMs,
      probe: this.config.probe ? { allowedMisses: this.config.probe.allowedMisses } : null,
      announce: this.config.announce,
    });
    this.counters = Object.assign(this.machine.counters, { events: 0, overruns: 0, resyncs: 0, actionErrors: 0, auditMismatches: 0 });
    for (const a of this.config.addresses) this.ours.set(addressKey(a), addressKey(a));
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  /**
   * Validate against the kernel, take over its current state and start reacting. Throws (having
   * changed nothing) when a candidate is absent, the control socket is held by a live daemon, or
   * the process lacks CAP_NET_ADMIN.
   */
  static async start(opts: DaemonOptions): Promise<MgmtDaemon> {
    if (!hasNetAdmin()) throw new PermissionError('CAP_NET_ADMIN', 'the management-IP failover daemon (it adds and deletes addresses and routes)');
    // Subscribe before the dump: a change between the two then shows up as an event, not as a gap.
    const mon = Monitor.open({ netns: opts.netns, groups: ['link', 'addr', 'route'], rcvbuf: opts.rcvbuf });
    let h: Handle | null = null;
    let dumpH: Handle | null = null;
    try {
      // 'fit' receive buffers: this process lives for months (see HandleOptions.recv).
      h = Handle.open({ netns: opts.netns, recv: 'fit' });
      dumpH = Handle.open({ netns: opts.netns, recv: 'fit' });
      const d = new MgmtDaemon(opts, h, dumpH, mon, DropCounter.attach(mon.handle));
      d.pending = [];
      mon.on('event', (e: MonitorEvent) => d.onEvent(e));
      mon.on('overrun', () => d.onOverrun());
      mon.on('error', (err: Error) => d.log({ event: 'monitor-error', level: 'err', message: err.message }));
      const links = await listLinks(dumpH);
      const missing = opts.config.candidates.filter((c) => !links.some((l) => l.name === c));
      if (missing.length) {
        throw new NotFoundError('candidate interface', missing.join('", "'), opts.netns ? `in network namespace ${opts.netns}` : '(ip link shows no such interface)');
      }
      await d.claimSocket();
      d.resyncing.enter();
      let again = false;
      try {
        await d.fullSync('start', links);
      } finally {
        again = d.resyncing.more();
        d.resyncing.leave();
      }
      if (again) d.scheduleResync('events lost during start');
      for (const c of opts.config.candidates) d.scheduleProbe(c, 0);
      // Open the announcement sockets now: the first gratuitous ARP after a move must not wait.
      opts.announcer?.prepare?.(opts.config.candidates).catch((err: Error) => d.log({ event: 'announce-prepare-failed', level: 'warning', message: err.message }));
      // Losses are checked at every event, and on this slow tick for a loss with nothing after it.
      d.dropTimer = setInterval(() => d.checkDrops(), 250);
      d.auditTimer = setInterval(() => void d.audit(), AUDIT_MS);
      return d;
    } catch (err) {
      mon.close();
      h?.close();
      dumpH?.close();
      throw err;
    }
  }

  private now(): number {
    return performance.now();
  }

  private wall(t: number): string {
    return new Date(this.epoch + t).toISOString();
  }

  log(entry: Record<string, unknown>): void {
    const line = { ts: new Date().toISOString(), level: 'info', ...entry };
    if (this.opts.log) this.opts.log(line);
    else process.stderr.write(`${this.journal ? `<${priorityOf(line.level)}>` : ''}${JSON.stringify(line)}\n`);
  }

  // --- kernel state ---

  /**
   * Rebuild the machine's picture from dumps. The dumps run on their own socket, one at a time:
   * the `netlink` package cannot tell a multipart reply from an ACK of a pipelined move arriving
   * in between. Events that arrive meanwhile are applied after the dump (newer wins; an older
   * one can only cause a no-op fix-up).
   */
  private async fullSync(why: string, links?: Link[]): Promise<void> {
    this.pending ??= [];
    const ls = links ?? await listLinks(this.dumpH);
    const addrs = await listAddrs(this.dumpH);
    const routes = routeFamilies(this.config).length ? await listRoutes(this.dumpH) : [];
    this.names.clear();
    this.indexes.clear();
    for (const l of ls) {
      this.names.set(l.index, l.name);
      this.indexes.set(l.name, l.index);
    }
    const byName = new Map(ls.map((l) => [l.name, l]));
    for (const c of this.config.candidates) {
      const l = byName.get(c);
      const ident = l ? `${l.index}/${l.mac ?? ''}` : '';
      const prev = this.linkIdent.get(c);
      if (prev !== undefined && prev !== ident) this.opts.announcer?.forget?.(c);
      this.linkIdent.set(c, ident);
    }
    const placements = new Map<string, Placement[]>();
    for (const a of addrs) {
      const key = this.keyOf(a);
      const ifname = this.names.get(a.ifindex);
      if (!key || !ifname) continue;
      placements.set(key, [...(placements.get(key) ?? []), { ifname, prefixlen: a.prefixlen }]);
    }
    const rmap = new Map<Family, string | null>();
    for (const r of routes) {
      const f = this.ourRoute(r);
      if (f !== null && r.oif !== null) rmap.set(f, this.names.get(r.oif) ?? null);
    }
    this.machine.sync(this.now(), {
      links: new Map(this.config.candidates.map((c) => [c, linkObs(byName.get(c))])),
      placements, routes: rmap,
    });
    this.synced = true;
    const replay = this.pending;
    this.pending = null;
    for (const e of replay) this.onEvent(e);
    const where = [...placements].map(([k, v]) => `${k.slice(2)} on ${v.map((p) => p.ifname).join('+') || 'none'}`);
    this.log({ event: why === 'start' ? 'start' : 'resync', reason: why, pid: process.pid, netns: this.opts.netns ?? null, found: where, candidates: this.config.candidates });
    this.scheduleDecide();
  }

  private keyOf(a: Addr): string | undefined {
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

  /** ifindex/MAC of each candidate as last seen, to notice a recreated interface or a new MAC. */
  private readonly linkIdent = new Map<string, string>();
  /** When the last notification was read: a decision's reaction time is measured from it. */
  private lastEventAt = 0;

  /**
   * The safety net under the event stream: compare where the kernel has the addresses with what
   * the machine believes (one address dump), and resync on any difference. Notifications are the
   * mechanism; this only bounds the damage of one lost without a trace (logged as a warning).
   */
  private async audit(): Promise<void> {
    if (this.stopped || this.deciding.active || this.resyncing.active || this.decideQueued || !this.synced) return;
    let addrs: Addr[];
    try {
      addrs = await listAddrs(this.dumpH);
    } catch {
      return;
    }
    if (this.stopped || this.deciding.active || this.resyncing.active || this.decideQueued) return;
    const kernel = new Map<string, string[]>();
    for (const a of addrs) {
      const key = this.keyOf(a);
      const ifname = this.names.get(a.ifindex);
      if (key) kernel.set(key, [...(kernel.get(key) ?? []), `${ifname ?? a.ifindex}/${a.prefixlen}`].sort());
    }
    const believed = new Map([...this.machine.where()].map(([k, v]) => [k, v.map((p) => `${p.ifname}/${p.prefixlen}`).sort()]));
    const differs = [...believed.keys()].some((k) => (kernel.get(k) ?? []).join() !== (believed.get(k) ?? []).join());
    if (differs) {
      this.counters.auditMismatches++;
      this.log({ event: 'audit-mismatch', level: 'warning', kernel: Object.fromEntries(kernel), believed: Object.fromEntries(believed), message: 'the kernel state differs from what the notifications said; re-reading it' });
      this.scheduleResync('audit');
    }
  }

  private checkDrops(): void {
    const lost = this.drops.newDrops();
    if (lost > 0) this.onOverrun(lost);
  }

  private onEvent(e: MonitorEvent): void {
    if (this.stopped) return;
    this.checkDrops();
    if (this.pending) {
      this.pending.push(e);
      return;
    }
    this.counters.events++;
    const now = this.now();
    this.lastEventAt = now;
    if (e.type === 'link' && e.link) {
      const l = e.link;
      const old = this.names.get(l.index);
      if (e.action === 'del') {
        this.names.delete(l.index);
        if (old) {
          this.indexes.delete(old);
          this.machine.forgetInterface(old);
          this.machine.observeLink(now, old, linkObs(undefined));
        }
      } else {
        if (old && old !== l.name) {
          // Renamed: the old name is gone (and with it a candidate, if it was one).
          this.indexes.delete(old);
          this.machine.forgetInterface(old);
          this.machine.observeLink(now, old, linkObs(undefined));
          this.scheduleResync('interface renamed');
        }
        if (this.config.candidates.includes(l.name)) {
          // A new index or MAC makes the prepared announcement socket and frames stale.
          const ident = `${l.index}/${l.mac ?? ''}`;
          const prev = this.linkIdent.get(l.name);
          if (prev !== undefined && prev !== ident) this.opts.announcer?.forget?.(l.name);
          this.linkIdent.set(l.name, ident);
        }
        this.names.set(l.index, l.name);
        this.indexes.set(l.name, l.index);
        this.machine.observeLink(now, l.name, linkObs(l));
      }
    } else if (e.type === 'addr' && e.addr) {
      const key = this.keyOf(e.addr);
      const ifname = this.names.get(e.addr.ifindex);
      if (!key) return;
      if (!ifname) {
        this.scheduleResync(`address event on unknown ifindex ${e.addr.ifindex}`);
        return;
      }
      this.machine.observeAddr(e.action, key, { ifname, prefixlen: e.addr.prefixlen });
    } else if (e.type === 'route' && e.route) {
      const f = this.ourRoute(e.route);
      if (f === null || e.route.oif === null) return;
      const ifname = this.names.get(e.route.oif);
      if (ifname) this.machine.observeRoute(e.action, f, ifname);
    } else {
      return;
    }
    this.scheduleDecide();
  }

  private onOverrun(lost?: number): void {
    this.counters.overruns++;
    this.log({ event: 'overrun', level: 'warning', lost: lost ?? null, message: `rtnetlink notifications were lost (ENOBUFS${lost ? `: ${lost} dropped` : ''}); re-reading the kernel state` });
    this.scheduleResync('ENOBUFS');
  }

  private scheduleResync(why: string): void {
    if (this.stopped || !this.resyncing.enter()) return;
    setImmediate(async () => {
      try {
        do {
          this.counters.resyncs++;
          await this.fullSync(why);
        } while (this.resyncing.more() && !this.stopped);
      } catch (err) {
        this.log({ event: 'resync-failed', level: 'err', message: (err as Error).message });
        setTimeout(() => this.scheduleResync(why), 500).unref();
      } finally {
        this.resyncing.leave();
      }
    });
  }

  // --- decisions ---

  private scheduleDecide(): void {
    if (this.decideQueued || this.stopped) return;
    this.decideQueued = true;
    // Everything already read from the socket is applied first, then one decision on the sum.
    setImmediate(() => {
      this.decideQueued = false;
      void this.decideNow();
    });
  }

  private async decideNow(): Promise<void> {
    if (this.stopped || !this.synced) return;
    if (!this.deciding.enter()) return;
    try {
      do {
        const now = this.now();
        const eventAt = this.lastEventAt;
        const { decisions, nextWakeAt } = this.machine.decide(now);
        this.armTimer(nextWakeAt);
        this.logHealth(now);
        for (const d of decisions) await this.execute(d, eventAt);
        if (decisions.some((d) => d.kind !== 'refresh')) this.writeState(true);
        else this.writeState(false);
      } while (this.deciding.more() && !this.stopped);
    } finally {
      this.deciding.leave();
      for (const w of this.waiters.splice(0)) w();
    }
  }

  private armTimer(at: number | null): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (at === null || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.scheduleDecide();
    }, Math.max(0, Math.ceil(at - this.now())));
  }

  private logHealth(now: number): void {
    for (const c of this.machine.status(now).candidates) {
      const state = c.healthy ? 'healthy' : c.up ? 'hold-down' : 'down';
      const prev = this.lastHealth.get(c.name);
      if (prev !== state) {
        this.lastHealth.set(c.name, state);
        this.log({ event: 'health', iface: c.name, state, why: c.why, ...(c.upSince !== null ? { upSince: this.wall(c.upSince) } : {}) });
      }
    }
  }

  private async execute(d: Decision, eventAt: number): Promise<void> {
    const t0 = this.now();
    if (d.kind !== 'refresh') {
      this.history.push({ at: this.wall(d.at), kind: d.kind, from: d.from, to: d.to, reason: d.reason });
      if (this.history.length > 20) this.history.shift();
    }
    const kernelOps: Promise<string | null>[] = [];
    const added = new Map<string, Promise<string | null>>();
    const announces: Extract<Action, { kind: 'announce' }>[] = [];
    // Issued back to back, not awaited one by one: see the comment at the top of this file.
    for (const a of d.actions) {
      if (a.kind === 'announce') {
        announces.push(a);
        continue;
      }
      const op = this.kernelOp(a);
      kernelOps.push(op);
      if (a.kind === 'add-addr') added.set(a.address, op);
    }
    // Each address is announced as soon as its own add is acknowledged: the gratuitous ARP does
    // not wait for the IPv6 part or the route.
    let firstAnnounceAt: number | null = null;
    const announced = announces.flatMap((a) => a.addresses.map(async (addr) => {
      const op = added.get(addr.address);
      if (op && (await op) !== null) return; // the add failed: nothing to announce
      if (!op) await Promise.all(kernelOps);
      if (!this.opts.announcer) return;
      firstAnnounceAt ??= this.now();
      await this.opts.announcer.announce(a.ifname, [addr], a.count, a.intervalMs).catch((err: Error) => {
        this.log({ event: 'announce-failed', level: 'warning', iface: a.ifname, address: addr.address, message: err.message });
      });
    }));
    const failures = (await Promise.all(kernelOps)).filter((x): x is string => x !== null);
    const netlinkMs = this.now() - t0;
    void Promise.all(announced);
    const ms = (x: number) => Math.round(x * 1000) / 1000;
    const timing = {
      reactMs: eventAt ? ms(t0 - eventAt) : null,
      // Wall-clock instant (epoch ms, µs resolution) the triggering notification was read.
      eventReadAt: eventAt ? ms(performance.timeOrigin + eventAt) : null,
      netlinkMs: ms(netlinkMs),
      firstAnnounceMs: firstAnnounceAt === null ? null : ms((firstAnnounceAt as number) - t0),
    };
    if (d.kind !== 'refresh' || failures.length) {
      this.log({
        event: d.kind, level: d.kind === 'move' || d.kind === 'restore' ? 'notice' : 'info', from: d.from, to: d.to, reason: d.reason,
        actions: d.actions.map((a) => describeAction(a, this.config.gateway)), ...timing,
        ...(failures.length ? { failures } : {}),
      });
    }
    if (failures.length) {
      this.counters.actionErrors++;
      // The kernel did not do what was planned: trust a fresh dump, not the plan.
      setTimeout(() => this.scheduleResync('an action failed'), 200).unref();
    }
  }

  /** A request the kernel has not answered in this long is treated as failed (then: resync). */
  static readonly OP_TIMEOUT_MS = 2000;
  /** `move --auto` waits for a move back due within this long; a later one is only reported. */
  static readonly AUTO_WAIT_MS = 20_000;

  private kernelOp(a: Exclude<Action, { kind: 'announce' }>): Promise<string | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`${describeAction(a, this.config.gateway)}: no answer from the kernel within ${MgmtDaemon.OP_TIMEOUT_MS} ms`), MgmtDaemon.OP_TIMEOUT_MS);
    });
    return Promise.race([this.kernelOpNow(a), timeout]).finally(() => clearTimeout(timer));
  }

  private async kernelOpNow(a: Exclude<Action, { kind: 'announce' }>): Promise<string | null> {
    const ifindex = this.indexes.get(a.ifname);
    if (ifindex === undefined) return `${describeAction(a, this.config.gateway)}: interface ${a.ifname} is gone`;
    try {
      if (a.kind === 'del-addr') await delAddr(this.h, { ifindex, address: a.address, prefixlen: a.prefixlen });
      else if (a.kind === 'add-addr') await addAddr(this.h, { ifindex, address: a.address, prefixlen: a.prefixlen, nodad: a.family === 6 });
      else {
        const gateway = a.family === 4 ? this.config.gateway.ipv4 : this.config.gateway.ipv6;
        if (!gateway) return null;
        await replaceRoute(this.h, { family: a.family, dst: 'default', gateway, ifindex, metric: this.config.gateway.metric });
      }
      return null;
    } catch (err) {
      if (err instanceof NetlinkError) {
        // Already in the wanted state (someone, or the kernel, got there first).
        if (a.kind === 'del-addr' && (err.errno === 'EADDRNOTAVAIL' || err.errno === 'ENODEV')) return null;
        if (a.kind === 'add-addr' && err.errno === 'EEXIST') return null;
        if (a.kind === 'route' && err.errno === 'ENETDOWN') return null; // parked on an admin-down holder
      }
      return `${describeAction(a, this.config.gateway)}: ${(err as Error).message}`;
    }
  }

  // --- probes ---

  private scheduleProbe(ifname: string, delay: number): void {
    const p = this.config.probe;
    if (!p || !this.opts.probe || this.stopped) return;
    const t = setTimeout(async () => {
      this.probeTimers.delete(ifname);
      const st = this.machine.status(this.now()).candidates.find((c) => c.name === ifname);
      const started = this.now();
      if (st && st.exists && st.admin && st.carrier && st.operUp) {
        let ok = false;
        try {
          ok = await this.opts.probe!.probe(ifname, p.target, p.timeoutMs);
        } catch (err) {
          this.log({ event: 'probe-error', level: 'warning', iface: ifname, message: (err as Error).message });
        }
        if (this.stopped) return;
        this.machine.observeProbe(this.now(), ifname, ok);
        this.scheduleDecide();
      }
      this.scheduleProbe(ifname, Math.max(0, p.intervalMs - (this.now() - started)));
    }, delay);
    this.probeTimers.set(ifname, t);
  }

  // --- state file and control socket ---

  state(): MgmtState {
    const now = this.now();
    const st = this.machine.status(now);
    return {
      version: 1,
      pid: process.pid,
      netns: this.opts.netns ?? null,
      startedAt: this.startedAt.toISOString(),
      updatedAt: new Date().toISOString(),
      addresses: this.config.addresses.map((a) => `${a.address}/${a.prefixlen}`),
      gateway: { ipv4: this.config.gateway.ipv4, ipv6: this.config.gateway.ipv6 },
      holder: st.holder,
      pinned: st.pinned,
      candidates: st.candidates.map((c) => ({ ...c, upSince: c.upSince === null ? null : this.wall(c.upSince), healthySince: c.healthySince === null ? null : this.wall(c.healthySince) })),
      lastMoves: [...this.history],
      controlSocket: this.socketPath,
      counters: { ...this.counters },
      memory: (({ rss, heapUsed, external, arrayBuffers }) => ({ rss, heapUsed, external, arrayBuffers }))(process.memoryUsage()),
    };
  }

  /** Write now when something decided changed; otherwise at most every 100 ms. */
  private writeState(important: boolean): void {
    if (this.stopped) return;
    const since = Date.now() - this.lastStateWrite;
    if (!important && since < 100) {
      this.stateTimer ??= setTimeout(() => {
        this.stateTimer = null;
        this.writeState(true);
      }, 100 - since);
      return;
    }
    this.lastStateWrite = Date.now();
    try {
      mkdirSync(dirname(this.stateFile), { recursive: true, mode: 0o750 });
      const tmp = `${this.stateFile}.${randomBytes(3).toString('hex')}.tmp`;
      // 0640 at most (the umask can only narrow it): the state names interfaces and addresses.
      writeFileSync(tmp, `${JSON.stringify(this.state(), null, 2)}\n`, { mode: 0o640 });
      if (this.controlGid !== null) chownSync(tmp, process.getuid?.() ?? 0, this.controlGid);
      renameSync(tmp, this.stateFile);
    } catch (err) {
      this.log({ event: 'state-write-failed', level: 'warning', file: this.stateFile, message: (err as Error).message });
    }
  }

  /** The configured control group's gid (null: root and the daemon's own user only). */
  private controlGid: number | null = null;

  private async claimSocket(): Promise<void> {
    const group = this.config.control.group;
    if (group !== null) {
      this.controlGid = groupGid(group);
      if (this.controlGid === null) throw new NotFoundError('group', group, '(control.group: /etc/group has no such group)');
    }
    // Modes set explicitly, whatever the umask: rwx for the owner, x for the group (to reach the
    // socket), nothing for others. A directory that already exists (systemd's RuntimeDirectory,
    // a test's temporary one) is left as its owner made it.
    mkdirSync(dirname(this.socketPath), { recursive: true, mode: 0o750 });
    const alive = await new Promise<boolean>((resolve) => {
      const c = createConnection(this.socketPath);
      c.once('connect', () => { c.destroy(); resolve(true); });
      c.once('error', () => resolve(false));
    });
    if (alive) throw new StateError(`another failover daemon is already listening on ${this.socketPath}; stop it first or pass a different --socket`);
    try {
      unlinkSync(this.socketPath);
    } catch {
      // nothing left over from a killed daemon
    }
    const server = createServer((sock) => this.onClient(sock));
    // bind() makes the socket file with the umask's modes; a tight umask for that instant means
    // it never exists wider than 0600, then it gets its group.
    const umask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.socketPath, () => resolve());
      });
    } finally {
      process.umask(umask);
    }
    if (this.controlGid !== null) {
      chownSync(this.socketPath, process.getuid?.() ?? 0, this.controlGid);
      chmodSync(this.socketPath, 0o660);
    }
    server.on('error', (err) => this.log({ event: 'control-error', level: 'warning', message: err.message }));
    this.server = server;
  }

  private onClient(sock: Socket): void {
    // The kernel's word on who connected, not the socket file's modes (issue 19).
    const peer = peerCred(sock);
    const denied = refusal(peer, this.controlGid);
    if (denied) {
      this.log({ event: 'control-refused', level: 'warning', peer, message: denied });
      sock.on('error', () => sock.destroy());
      sock.end(`${JSON.stringify({ ok: false, denied: true, error: `not allowed: ${denied}` })}\n`);
      return;
    }
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) {
        if (buf.length > 4096) sock.destroy();
        return;
      }
      const line = buf.slice(0, nl);
      void this.handleCommand(line).then((reply) => sock.end(`${JSON.stringify(reply)}\n`));
    });
  }

  private async handleCommand(line: string): Promise<Record<string, unknown>> {
    let req: { cmd?: unknown; iface?: unknown };
    try {
      req = JSON.parse(line) as typeof req;
    } catch {
      return { ok: false, error: 'not a JSON request' };
    }
    if (req.cmd === 'status') return { ok: true, state: this.state() };
    if (req.cmd === 'move') {
      const iface = req.iface === null || req.iface === undefined ? null : String(req.iface);
      const err = this.machine.pin(this.now(), iface);
      if (err) return { ok: false, error: err };
      this.log({ event: 'operator', action: iface ? `move to ${iface}` : 'automatic placement', pinned: iface });
      const from = this.machine.currentHolder;
      await this.settle();
      // --auto: the move back by priority comes after the preempt delay; answer after it (so the
      // operator's next command sees it done), or say that none is due, or when it is due.
      let due = iface === null ? this.machine.dueMove(this.now()) : null;
      if (due && due.at - this.now() <= MgmtDaemon.AUTO_WAIT_MS) {
        const until = due.at + MgmtDaemon.OP_TIMEOUT_MS;
        while (!this.stopped && this.machine.currentHolder !== due.to && this.now() < until) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            new Promise<void>((r) => this.waiters.push(r)),
            new Promise<void>((r) => (timer = setTimeout(r, Math.max(1, until - this.now())))),
          ]);
          clearTimeout(timer);
        }
        due = this.machine.dueMove(this.now());
      }
      const st = this.state();
      return {
        ok: true, holder: st.holder, pinned: st.pinned, from,
        due: due ? { to: due.to, inMs: Math.max(0, Math.round(due.at - this.now())) } : null,
      };
    }
    return { ok: false, error: `unknown command ${JSON.stringify(req.cmd)}` };
  }

  /** Run a decision round now and resolve when it (and anything it triggered) is done. */
  settle(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.scheduleDecide();
    });
  }

  get holder(): string | null {
    return this.machine.currentHolder;
  }

  /**
   * Stop reacting. The addresses stay where they are: a restarted daemon continues from them
   * with no gap (and so does an admin who stopped it on purpose).
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.writeState(true);
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.dropTimer) clearInterval(this.dropTimer);
    if (this.auditTimer) clearInterval(this.auditTimer);
    if (this.stateTimer) clearTimeout(this.stateTimer);
    for (const t of this.probeTimers.values()) clearTimeout(t);
    this.mon.close();
    this.opts.probe?.close?.();
    this.opts.announcer?.close?.();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    try {
      unlinkSync(this.socketPath);
    } catch {
      // already gone
    }
    this.h.close();
    this.dumpH.close();
    this.log({ event: 'stop', pid: process.pid, holder: this.machine.currentHolder });
    this.resolveDone();
  }
}

/** The action as the iproute2 command that would do the same. */
export function describeAction(a: Action, gw: { ipv4: string | null; ipv6: string | null } = { ipv4: null, ipv6: null }): string {
  switch (a.kind) {
    case 'del-addr': return `ip addr del ${a.address}/${a.prefixlen} dev ${a.ifname}`;
    case 'add-addr': return `ip addr add ${a.address}/${a.prefixlen} dev ${a.ifname}${a.family === 6 ? ' nodad' : ''}`;
    case 'route': {
      const via = a.family === 4 ? gw.ipv4 : gw.ipv6;
      return `ip -${a.family} route replace default${via ? ` via ${via}` : ''} dev ${a.ifname}`;
    }
    case 'announce': return `announce ${a.addresses.map((x) => x.address).join(' ')} on ${a.ifname} x${a.count}${a.why === 'refresh' ? ' (refresh)' : ''}`;
  }
}

/** Ask a running daemon (over its control socket). */
export async function controlRequest(socketPath: string, req: Record<string, unknown>, timeoutMs = 5000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const c = createConnection(socketPath);
    let buf = '';
    const timer = setTimeout(() => {
      c.destroy();
      reject(new StateError(`the failover daemon on ${socketPath} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    c.setEncoding('utf8');
    c.on('connect', () => c.write(`${JSON.stringify(req)}\n`));
    c.on('data', (d: string) => (buf += d));
    c.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buf) as Record<string, unknown>);
      } catch {
        reject(new StateError(`garbled answer from the failover daemon on ${socketPath}`));
      }
    });
    c.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
        reject(Object.assign(new StateError(`no failover daemon is running (nothing listens on ${socketPath}); start it with: nodectl mgmt run --config FILE`), { notRunning: true }));
      }
      else if (err.code === 'EACCES') reject(new PermissionError('root', `talking to the failover daemon on ${socketPath}`));
      else reject(err);
    });
  });
}

/** The state file a daemon wrote, and whether that daemon is still alive. */
export function readState(file = DEFAULT_STATE_FILE): { state: MgmtState; running: boolean } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new StateError(`no failover state at ${file}: the daemon has not run (start it with: nodectl mgmt run --config FILE)`);
    throw err;
  }
  let state: MgmtState;
  try {
    state = JSON.parse(text) as MgmtState;
  } catch {
    throw new StateError(`${file} is not a failover state file (not JSON)`);
  }
  let running = false;
  try {
    process.kill(state.pid, 0);
    running = true;
  } catch (err) {
    running = (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return { state, running };
}
