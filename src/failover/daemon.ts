// The management-IP failover daemon: rtnetlink notifications in, FailoverMachine decisions out.
// This file is the conductor; each part it drives can be read alone:
//   state-machine.ts  what to do (placement, hold-down, preemption): pure, no I/O, no clock
//   kernel-view.ts    event intake: dumps and notifications -> the machine's observations
//   mover.ts          kernel actions: a decision's address/route batch and announcements
//   local-route.ts    the daemon's own IPv6 local routes (closing the IPv6 gap of a move)
//   probes.ts         the gateway probe loops (ARP for gateway.ipv4, NDP for gateway.ipv6)
//   control.ts        the control socket (status, move) and its access check
//   state-file.ts     the state file `mgmt status` reads when the daemon does not answer
//   timeline.ts       the JSON log lines
//   decision-log.ts   which lines belong to which decision (numbers, causes held back)
//   systemd.ts        READY=1 / STATUS= / WATCHDOG=1 to systemd, when it runs the daemon
//   metrics.ts        Prometheus counters and the optional HTTP endpoint
//   hooks.ts          operators' programs, run one at a time in event order
// What stays here is the ordering between them: when a dump replaces the picture, when a
// decision round runs, and that only one of each runs at a time.
//
// Event-driven: link, address and route changes arrive as rtnetlink multicast; the only timers
// are the machine's own deadlines (hold-down, preempt, refresh), the optional probe, and a slow
// audit. After ENOBUFS (the kernel dropped notifications) the picture is rebuilt from a full dump.
import { accessSync, constants as fsc, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { NotFoundError, PermissionError } from '../errors.js';
import { listAddrs, type Addr } from '../netlink/addr.js';
import { Handle } from '../netlink/handle.js';
import { listLinks, type Link } from '../netlink/link.js';
import { Monitor, type MonitorEvent } from '../netlink/monitor.js';
import { DropCounter } from '../netlink/overrun.js';
import { delRoute, listRoutes, RT_TABLE_LOCAL } from '../netlink/route.js';
import { routeFamilies, type MgmtConfig } from './config.js';
import type { ProbeConfig } from '../config/mgmt-rules.js';
import type { Announcer, HealthProbe } from './io.js';
import { groupGid } from './access.js';
import { Coalescer } from './coalesce.js';
import { ControlServer, DEFAULT_CONTROL_SOCKET } from './control.js';
import { KernelView } from './kernel-view.js';
import { isKernelLocalRoute, isOwnLocalRoute, localRoutePlan, localRouteSpec } from './local-route.js';
import { describeAction, Mover } from './mover.js';
import { ProbeLoop } from './probes.js';
import { DEFAULT_STATE_FILE, StateFile, type DaemonCounters, type MgmtState } from './state-file.js';
import { Timeline, type LogEntry, type LogSink } from './timeline.js';
import { notifyEnv, SystemdNotifier, unsetNotifyEnv } from './systemd.js';
import { MetricsRegistry, serveMetrics, type Listen } from './metrics.js';
import type { Server } from 'node:http';
import { HookRunner } from './hooks.js';
import { DecisionLog } from './decision-log.js';
import { sendUnixDatagram } from '../netlink/unix-dgram.js';
import { addressKey, FailoverMachine, type Decision } from './state-machine.js';

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
  log?: LogSink;
  /** Serve Prometheus metrics here (off when absent). */
  metrics?: Listen;
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

export class MgmtDaemon {
  /** A request the kernel has not answered in this long is treated as failed (then: resync). */
  static readonly OP_TIMEOUT_MS = Mover.OP_TIMEOUT_MS;
  /** `move --auto` waits for a move back due within this long; a later one is only reported. */
  static readonly AUTO_WAIT_MS = 20_000;

  readonly config: MgmtConfig;
  readonly counters: DaemonCounters;
  private readonly opts: DaemonOptions;
  private readonly machine: FailoverMachine;
  private readonly view: KernelView;
  private readonly mover: Mover;
  private readonly timeline: Timeline;
  private readonly stateFile: StateFile;
  /** One loop per configured probe: ARP and NDP count their misses apart. */
  private readonly probes: ProbeLoop[];
  /** Set when systemd passed NOTIFY_SOCKET (Type=notify). */
  private readonly notifier: SystemdNotifier | null;
  /** Why the addresses are where they are: the last decision's reason (for STATUS=). */
  private lastReason = 'found there at start';
  /** Decision numbers and the cause lines held back for them. */
  private readonly dlog: DecisionLog;
  private readonly metrics: MetricsRegistry;
  private readonly hooks: HookRunner | null;
  private metricsServer: Server | null = null;
  /** Where the metrics endpoint listens (host:port), when it does. */
  private metricsBound: string | null = null;
  /** Requests that change things; dumps go on their own socket (see fullSync). */
  private readonly h: Handle;
  private readonly dumpH: Handle;
  private readonly mon: Monitor;
  private readonly drops: DropCounter;
  private readonly socketPath: string;
  private control: ControlServer | null = null;
  /** The configured control group's gid (null: root and the daemon's own user only). */
  private controlGid: number | null = null;
  private dropTimer: NodeJS.Timeout | null = null;
  private auditTimer: NodeJS.Timeout | null = null;
  /** The machine's next deadline. */
  private timer: NodeJS.Timeout | null = null;
  /** Events that arrived while a dump was running, applied on top of it. */
  private pending: MonitorEvent[] | null = null;
  private synced = false;
  private decideQueued = false;
  /** Decision rounds and state re-reads: one at a time, a request meanwhile means one more. */
  private readonly deciding = new Coalescer();
  private readonly resyncing = new Coalescer();
  private stopped = false;
  private readonly startedAt = new Date();
  private readonly epoch = Date.now() - performance.now();
  private readonly history: MgmtState['lastMoves'] = [];
  /** When the last notification was read: a decision's reaction time is measured from it. */
  private lastEventAt = 0;
  /** Local-route steps that failed, each logged once until it works again. */
  private readonly localFailures = new Set<string>();
  /** The IPv6 addresses (those with a local route of ours), with their machine keys: the config is fixed for the daemon's life. */
  private readonly v6: readonly { key: string; address: string }[];
  /** Resolved after the next decision round (settle(), move --auto). */
  private readonly waiters: (() => void)[] = [];
  private resolveDone!: () => void;
  readonly done: Promise<void>;

  private constructor(opts: DaemonOptions, h: Handle, dumpH: Handle, mon: Monitor, drops: DropCounter) {
    this.opts = opts;
    this.config = opts.config;
    this.v6 = this.config.addresses.filter((a) => a.family === 6).map((a) => ({ key: addressKey(a), address: a.address }));
    this.h = h;
    this.dumpH = dumpH;
    this.drops = drops;
    this.mon = mon;
    this.timeline = new Timeline(opts.log);
    this.socketPath = opts.controlSocket ?? DEFAULT_CONTROL_SOCKET;
    this.machine = new FailoverMachine({
      candidates: this.config.candidates,
      addresses: this.config.addresses,
      routeFamilies: routeFamilies(this.config),
      holdDownMs: this.config.holdDownMs,
      preemptDelayMs: this.config.preemptDelayMs,
      preempt: this.config.preempt,
      probe: this.config.probe ? { allowedMisses: this.config.probe.allowedMisses } : null,
      ndpProbe: this.config.ndpProbe ? { allowedMisses: this.config.ndpProbe.allowedMisses } : null,
      announce: this.config.announce,
    });
    this.metrics = new MetricsRegistry(this.config.candidates);
    this.dlog = new DecisionLog({
      log: (e) => this.log(e),
      wall: (t) => this.wall(t),
      onHealth: (line, prev, state) => {
        if (prev === 'hold-down' && state === 'down') this.metrics.flapSuppressed(String(line.iface));
        this.hooks?.push('on_health', line);
      },
    });
    const hk = this.config.hooks;
    this.hooks = hk.onMove || hk.onHealth ? new HookRunner({
      programs: { ...(hk.onMove ? { on_move: hk.onMove } : {}), ...(hk.onHealth ? { on_health: hk.onHealth } : {}) },
      timeoutMs: hk.timeoutMs,
      onDone: (r) => this.log({
        event: 'hook', level: r.exit === 0 && !r.timedOut ? 'info' : 'warning', hook: r.hook, for: r.seq, program: r.program,
        exit: r.exit, signal: r.signal, timedOut: r.timedOut, ms: r.ms, ...(r.stderr ? { stderr: r.stderr } : {}), ...(r.error ? { error: r.error } : {}),
      }),
      onDropped: (hook, ev, waiting) => this.log({ event: 'hook-dropped', level: 'warning', hook, for: ev.seq, waiting, message: `${waiting} hook runs waiting: the oldest was dropped (is the hook stuck?)` }),
    }) : null;
    this.counters = Object.assign(this.machine.counters, { events: 0, overruns: 0, resyncs: 0, actionErrors: 0, auditMismatches: 0 });
    this.view = new KernelView(this.config, this.machine, (ifname) => opts.announcer?.forget?.(ifname));
    this.mover = new Mover({
      handle: h, config: this.config, ifindex: (n) => this.view.ifindex(n), announcer: opts.announcer,
      onAnnounceError: (iface, address, err, d) => this.log({ event: 'announce-failed', level: 'warning', ...this.dlog.tag(d), iface, address, message: err.message }),
      onLocalRoute: (op, address, ifname) => this.view.noteLocal(op, address, ifname),
    });
    this.stateFile = new StateFile(opts.stateFile ?? DEFAULT_STATE_FILE, () => this.state(),
      (err) => this.log({ event: 'state-write-failed', level: 'warning', file: this.stateFile.path, message: err.message }));
    const loops: [kind: 'arp' | 'ndp', p: ProbeConfig | null][] = [['arp', this.config.probe], ['ndp', this.config.ndpProbe]];
    this.probes = opts.probe ? loops.flatMap(([kind, p]) => (p ? [this.probeLoop(opts.probe!, kind, p)] : [])) : [];
    const ne = notifyEnv();
    if (ne) unsetNotifyEnv();
    this.notifier = ne ? new SystemdNotifier(ne, sendUnixDatagram,
      (err) => this.log({ event: 'notify-failed', level: 'warning', socket: ne.socket, message: `cannot notify systemd: ${err.message}` })) : null;
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
    let d: MgmtDaemon | null = null;
    try {
      // 'fit' receive buffers: this process lives for months (see HandleOptions.recv).
      h = Handle.open({ netns: opts.netns, recv: 'fit' });
      dumpH = Handle.open({ netns: opts.netns, recv: 'fit' });
      d = new MgmtDaemon(opts, h, dumpH, mon, DropCounter.attach(mon.handle));
      const self = d;
      d.pending = [];
      mon.on('event', (e: MonitorEvent) => self.onEvent(e));
      mon.on('overrun', () => self.onOverrun());
      mon.on('error', (err: Error) => self.log({ event: 'monitor-error', level: 'err', message: err.message }));
      const links = await listLinks(dumpH);
      const missing = opts.config.candidates.filter((c) => !links.some((l) => l.name === c));
      if (missing.length) {
        throw new NotFoundError('candidate interface', missing.join('", "'), opts.netns ? `in network namespace ${opts.netns}` : '(ip link shows no such interface)');
      }
      for (const [k, p] of [['on_move', opts.config.hooks.onMove], ['on_health', opts.config.hooks.onHealth]] as const) {
        if (p === null) continue;
        try {
          accessSync(p, fsc.X_OK);
        } catch {
          throw new NotFoundError('hook program', p, `(mgmt.hooks.${k}: no executable file there)`);
        }
      }
      await d.claimSocket();
      if (opts.metrics) {
        const m = await serveMetrics(opts.metrics, () => self.renderMetrics(),
          (err) => self.log({ event: 'metrics-error', level: 'warning', message: err.message }));
        d.metricsServer = m.server;
        d.metricsBound = m.bound;
        d.log({ event: 'metrics', listen: m.bound, url: `http://${m.bound}/metrics` });
      }
      d.resyncing.enter();
      let again = false;
      try {
        await d.fullSync('start', links);
      } finally {
        again = d.resyncing.more();
        d.resyncing.leave();
      }
      if (again) d.scheduleResync('events lost during start');
      for (const l of d.probes) l.start(opts.config.candidates);
      // From here on the event loop is the daemon's: a wedged loop stops the pings.
      d.notifier?.startWatchdog();
      // Open the announcement sockets now: the first gratuitous ARP after a move must not wait.
      opts.announcer?.prepare?.(opts.config.candidates).catch((err: Error) => self.log({ event: 'announce-prepare-failed', level: 'warning', message: err.message }));
      // Losses are checked at every event, and on this slow tick for a loss with nothing after it.
      d.dropTimer = setInterval(() => self.checkDrops(), 250);
      d.auditTimer = setInterval(() => void self.audit(), AUDIT_MS);
      return d;
    } catch (err) {
      // Whatever was opened is closed again: a refused start leaves no socket behind.
      await d?.control?.close();
      d?.metricsServer?.close();
      mon.close();
      h?.close();
      dumpH?.close();
      throw err;
    }
  }

  /** The probe chain of one kind: its results feed the machine, the metrics and the log alike. */
  private probeLoop(probe: HealthProbe, kind: 'arp' | 'ndp', p: ProbeConfig): ProbeLoop {
    return new ProbeLoop({
      probe, target: p.target, intervalMs: p.intervalMs, timeoutMs: p.timeoutMs, now: () => this.now(),
      linkUp: (ifname) => {
        const st = this.machine.status(this.now()).candidates.find((c) => c.name === ifname);
        return !!st && st.exists && st.admin && st.carrier && st.operUp;
      },
      onResult: (ifname, ok, seconds) => {
        this.metrics.probe(ifname, ok, seconds);
        this.machine.observeProbe(this.now(), ifname, ok, kind);
        const st = this.machine.status(this.now()).candidates.find((c) => c.name === ifname);
        const misses = (kind === 'arp' ? st?.probe : st?.ndpProbe)?.misses ?? 0;
        this.dlog.probe(ifname, ok, misses, p.allowedMisses, kind);
        this.scheduleDecide();
      },
      onError: (iface, err) => this.log({ event: 'probe-error', level: 'warning', iface, probe: kind, message: err.message }),
    });
  }

  private now(): number {
    return performance.now();
  }

  private wall(t: number): string {
    return new Date(this.epoch + t).toISOString();
  }

  log(entry: Record<string, unknown>): LogEntry {
    return this.timeline.log(entry);
  }

  private renderMetrics(): string {
    const st = this.machine.status(this.now());
    return this.metrics.render({ holder: st.holder, candidates: st.candidates }, this.now());
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
    // every table: the default routes are in main, our IPv6 local routes in local
    const routes = routeFamilies(this.config).length || this.v6.length ? await listRoutes(this.dumpH, { table: 'all' }) : [];
    const found = this.view.load(this.now(), ls, addrs, routes);
    this.synced = true;
    const replay = this.pending;
    this.pending = null;
    for (const e of replay) this.onEvent(e);
    this.log({ event: why === 'start' ? 'start' : 'resync', reason: why, pid: process.pid, netns: this.opts.netns ?? null, found, candidates: this.config.candidates });
    this.scheduleDecide();
  }

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
    const kernel = this.view.placementsOf(addrs);
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
    const r = this.view.apply(now, e);
    if (r.resync) this.scheduleResync(r.resync);
    if (r.decide) this.scheduleDecide();
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
        // The causes are written first, numbered with the first decision they led to (if any).
        this.dlog.flush(this.machine.status(now).candidates, this.dlog.number(decisions));
        for (const d of decisions) await this.execute(d, eventAt);
        await this.reconcileLocalRoutes();
        this.metrics.holderIs(this.machine.currentHolder, this.now());
        this.stateFile.write(decisions.some((d) => d.kind !== 'refresh'));
        // The first round after start has placed the addresses (or found nowhere to): ready.
        this.notifier?.ready(this.statusLine());
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

  private async execute(d: Decision, eventAt: number): Promise<void> {
    if (d.kind !== 'refresh') {
      if (d.kind !== 'route') this.lastReason = d.reason;
      this.history.push({ at: this.wall(d.at), kind: d.kind, from: d.from, to: d.to, reason: d.reason });
      if (this.history.length > 20) this.history.shift();
    }
    const tag = this.dlog.tag(d);
    const numbered = tag.decision !== undefined;
    const actions = d.actions.map((a) => describeAction(a, this.config.gateway));
    const { failures, timing } = await this.mover.carryOut(d, eventAt, {
      // Written while the kernel works on the batch: the decision precedes its outcome.
      onSent: numbered ? () => this.log({ event: 'decide', ...tag, kind: d.kind, from: d.from, to: d.to, reason: d.reason, actions }) : undefined,
      onAnnounced: numbered ? (ms) => this.log({ event: 'announced', ...tag, iface: d.to, ms: Math.round(ms * 1000) / 1000 }) : undefined,
    });
    const bursts = d.actions.filter((a) => a.kind === 'announce').length;
    if (bursts) this.metrics.announced(bursts);
    if (d.kind !== 'refresh' || failures.length) {
      const line = this.log({
        event: d.kind, ...tag, level: d.kind === 'move' || d.kind === 'restore' ? 'notice' : 'info', from: d.from, to: d.to, reason: d.reason,
        actions, ...timing,
        ...(failures.length ? { failures } : {}),
      });
      // Counted with the line's own time, so a scrape and the timeline agree.
      if (d.kind === 'move') this.metrics.move(d.cause ?? 'failure', Date.parse(String(line.ts)));
      if (d.kind === 'restore') this.metrics.restore();
      // Queued, never awaited: a slow hook delays the next hook, not the next decision.
      if (d.kind === 'place' || d.kind === 'move' || d.kind === 'restore') this.hooks?.push('on_move', line);
    }
    if (failures.length) {
      this.counters.actionErrors++;
      // The kernel did not do what was planned: trust a fresh dump, not the plan.
      setTimeout(() => this.scheduleResync('an action failed'), 200).unref();
    }
  }

  /**
   * Our IPv6 local routes where local-route.ts's rule wants them: a move takes care of its own
   * (mover.ts); this catches everything else: a restarted daemon's leftovers, an address deleted
   * or moved by hand, a route flushed with its link. Logged only when it changed something.
   */
  private async reconcileLocalRoutes(): Promise<void> {
    if (!this.v6.length) return;
    const where = this.machine.where();
    const st = this.machine.status(this.now());
    const steps = localRoutePlan({
      addresses: this.v6,
      held: (key) => (where.get(key) ?? []).map((p) => p.ifname),
      ours: (key) => this.view.localRoutes(key),
      holder: this.machine.currentHolder,
      usable: (ifname) => st.candidates.some((c) => c.name === ifname && c.exists && c.admin),
    });
    for (const s of steps) {
      const { failure, changed } = await this.mover.localRouteStep(s.op, s.address, s.ifname);
      const key = `${s.op} ${s.address} ${s.ifname}`;
      if (failure === null) {
        this.localFailures.delete(key);
        if (changed) this.log({ event: 'local-route', op: s.op, iface: s.ifname, address: s.address, reason: s.why });
      } else if (!this.localFailures.has(key)) {
        // once per failing step, not at every round
        this.localFailures.add(key);
        this.log({ event: 'local-route-failed', level: 'warning', op: s.op, iface: s.ifname, address: s.address, message: failure });
      }
    }
  }

  /**
   * At stop: take our local routes away (nobody follows the addresses after this), each once the
   * kernel's own local route for the address is there (the address keeps being delivered), or
   * the address is not on that interface at all. Waits up to a second for the kernel's route (it
   * comes from a kworker right after a move); one still alone then is deleted, with a warning.
   */
  private async releaseLocalRoutes(): Promise<void> {
    if (!this.v6.length) return;
    const until = this.now() + 1000;
    for (;;) {
      let routes, addrs;
      try {
        routes = await listRoutes(this.dumpH, { family: 6, table: RT_TABLE_LOCAL });
        addrs = await listAddrs(this.dumpH);
      } catch (err) {
        this.log({ event: 'local-route-failed', level: 'warning', op: 'del', message: `cannot list the local routes at stop: ${(err as Error).message}` });
        return;
      }
      const mine = new Set(this.v6.map((a) => `${a.address}/128`));
      const needed: string[] = [];
      for (const r of routes) {
        if (!isOwnLocalRoute(r) || !mine.has(r.dst) || r.oif === null) continue;
        const address = r.dst.slice(0, -'/128'.length);
        const listed = addrs.some((a) => a.family === 6 && a.ifindex === r.oif && a.address === address);
        const kernels = routes.some((k) => isKernelLocalRoute(k) && k.dst === r.dst && k.oif === r.oif);
        if (listed && !kernels && this.now() < until) {
          needed.push(r.dst);
          continue;
        }
        try {
          await delRoute(this.h, localRouteSpec(address, r.oif));
          if (listed && !kernels) this.log({ event: 'local-route-failed', level: 'warning', op: 'del', address, message: `removed at stop although the kernel has no local route of its own for ${address}: it is not delivered until it has` });
        } catch (err) {
          this.log({ event: 'local-route-failed', level: 'warning', op: 'del', address, message: (err as Error).message });
        }
      }
      if (!needed.length) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** One line for systemd's STATUS=: where the addresses are and why. */
  private statusLine(): string {
    const st = this.machine.status(this.now());
    const addrs = this.config.addresses.map((a) => `${a.address}/${a.prefixlen}`).join(' ');
    const healthy = st.candidates.filter((c) => c.healthy).length;
    if (st.holder === null) {
      // Without the counts (misses, ms of hold-down left) that would change the line every round.
      const state = (c: (typeof st.candidates)[number]) => (c.up ? 'hold-down' : c.why.replace(/\s*\(.*\)$/, ''));
      return `${addrs} on no interface: no healthy candidate (${st.candidates.map((c) => `${c.name}: ${state(c)}`).join('; ')})`;
    }
    return `${addrs} on ${st.holder}${st.pinned ? ' (pinned by operator)' : ''}: ${this.lastReason}; ${healthy} of ${st.candidates.length} candidates healthy`;
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
      ...(this.metricsBound ? { metrics: this.metricsBound } : {}),
      counters: { ...this.counters },
      memory: (({ rss, heapUsed, external, arrayBuffers }) => ({ rss, heapUsed, external, arrayBuffers }))(process.memoryUsage()),
    };
  }

  private async claimSocket(): Promise<void> {
    const group = this.config.control.group;
    if (group !== null) {
      this.controlGid = groupGid(group);
      if (this.controlGid === null) throw new NotFoundError('group', group, '(control.group: /etc/group has no such group)');
    }
    this.stateFile.gid = this.controlGid;
    this.control = await ControlServer.claim({
      path: this.socketPath, gid: this.controlGid,
      handler: (line) => this.handleCommand(line),
      onRefused: (peer, why) => this.log({ event: 'control-refused', level: 'warning', peer, message: why }),
      onError: (err) => this.log({ event: 'control-error', level: 'warning', message: err.message }),
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
      this.dlog.cause({ event: 'operator', action: iface ? `move to ${iface}` : 'automatic placement', pinned: iface });
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
    this.stateFile.close();
    this.stopped = true;
    this.notifier?.stopping(`stopping; addresses left on ${this.machine.currentHolder ?? 'no interface'}`);
    if (this.timer) clearTimeout(this.timer);
    if (this.dropTimer) clearInterval(this.dropTimer);
    if (this.auditTimer) clearInterval(this.auditTimer);
    this.hooks?.close();
    // the loops share one HealthProbe: stop them all, then close it once
    for (const l of this.probes) l.stop();
    this.opts.probe?.close?.();
    this.mon.close();
    this.opts.announcer?.close?.();
    // A decision still in flight finishes first: its local route must not come after the release.
    for (let i = 0; i < MgmtDaemon.OP_TIMEOUT_MS / 10 && this.deciding.active; i++) await new Promise((r) => setTimeout(r, 10));
    await this.releaseLocalRoutes();
    await this.control?.close();
    const ms = this.metricsServer;
    if (ms) {
      const closed = new Promise<void>((r) => ms.close(() => r()));
      ms.closeAllConnections(); // a scraper's keep-alive connection must not hold the stop
      await closed;
    }
    this.h.close();
    this.dumpH.close();
    this.log({ event: 'stop', pid: process.pid, holder: this.machine.currentHolder });
    this.resolveDone();
  }
}
