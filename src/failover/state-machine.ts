// The management-IP failover decision core. Pure: no I/O, no timers, no Date.now(). The daemon
// feeds it observations (link state, probe results, where the addresses and default routes
// are) stamped with its clock, and asks `decide(now)` what to do; it answers with actions for the
// daemon to carry out and the earliest time at which its answer could change (`nextWakeAt`).
//
// Invariants it keeps (checked by test/unit/failover-state-machine.test.ts at every step):
//   I1  an address is never planned onto two interfaces: for each address a plan deletes it from
//       every other interface before it adds it on the target;
//   I2  when any candidate is healthy, the addresses end up on exactly one interface, a healthy one;
//   I3  moves are bounded under a flap storm: a move needs a candidate that has been up for a whole
//       hold-down (a "trust episode" starts), or a holder whose episode ended, so at most
//       2 x candidates x (T / holdDown + 2) moves happen in T ms.

export type Family = 4 | 6;

export interface MgmtAddress {
  address: string;
  prefixlen: number;
  family: Family;
}

export interface MachineConfig {
  /** Candidate interface names, most preferred first. */
  candidates: string[];
  addresses: MgmtAddress[];
  /** Families for which a default route via the gateway must follow the addresses. */
  routeFamilies: Family[];
  /** A recovered interface must stay up this long before it is trusted again. */
  holdDownMs: number;
  /** A trusted interface preferred over the holder must stay trusted this long before we move back. */
  preemptDelayMs: number;
  /**
   * false: never move to a preferred candidate while the holder is healthy (keepalived's
   * nopreempt); only the holder's failure or an operator moves the addresses. Default true.
   */
  preempt?: boolean;
  /** With an ARP probe configured: consecutive misses tolerated; one more marks the path down. */
  probe: { allowedMisses: number } | null;
  /** With an NDP probe (IPv6 gateway) configured: the same, counted apart from the ARP misses. */
  ndpProbe?: { allowedMisses: number } | null;
  announce: { count: number; intervalMs: number; refreshMs: number };
}

/** Link state as rtnetlink reports it (RTM_NEWLINK). */
export interface LinkObservation {
  exists: boolean;
  admin: boolean;
  carrier: boolean;
  /** operstate is UP (IF_OPER_UP) */
  operUp: boolean;
}

export interface Placement {
  ifname: string;
  prefixlen: number;
}

export type Action =
  | { kind: 'del-addr'; ifname: string; address: string; prefixlen: number; family: Family }
  | { kind: 'add-addr'; ifname: string; address: string; prefixlen: number; family: Family }
  | { kind: 'route'; ifname: string; family: Family }
  | { kind: 'announce'; ifname: string; addresses: MgmtAddress[]; count: number; intervalMs: number; why: 'burst' | 'refresh' };

export type DecisionKind = 'place' | 'move' | 'restore' | 'dedupe' | 'route' | 'refresh' | 'pin-released';

/** Why a move happened, as a fixed word (metrics label), beside the sentence in `reason`. */
export type MoveCause = 'failure' | 'preempt' | 'operator' | 'not-candidate';

export interface Decision {
  at: number;
  kind: DecisionKind;
  from: string | null;
  to: string | null;
  reason: string;
  /** Moves only. */
  cause?: MoveCause;
  actions: Action[];
}

export interface CandidateStatus {
  name: string;
  priority: number;
  exists: boolean;
  admin: boolean;
  carrier: boolean;
  operUp: boolean;
  probe: { misses: number; lastOkAt: number | null } | null;
  /** Absent in state files written before the NDP probe existed. */
  ndpProbe?: { misses: number; lastOkAt: number | null } | null;
  /** link and probe fine right now (hold-down may still be running) */
  up: boolean;
  /** up and trusted: past its hold-down */
  healthy: boolean;
  /** One line: why it is (not) healthy. */
  why: string;
  upSince: number | null;
  healthySince: number | null;
}

export interface Counters {
  moves: number;
  restores: number;
  dedupes: number;
  routeFixes: number;
  announcements: number;
  probeMisses: number;
}

interface Cand {
  name: string;
  priority: number;
  link: LinkObservation;
  misses: number;
  lastProbeOkAt: number | null;
  ndpMisses: number;
  lastNdpOkAt: number | null;
  upSince: number | null;
  healthySince: number | null;
}

const ABSENT: LinkObservation = { exists: false, admin: false, carrier: false, operUp: false };

export function addressKey(a: { address: string; family: Family }): string {
  return `${a.family}/${a.address}`;
}

export class FailoverMachine {
  readonly config: MachineConfig;
  private readonly cands = new Map<string, Cand>();
  /** address key → interfaces holding it (any interface, not only candidates) */
  private readonly placements = new Map<string, Placement[]>();
  private readonly routes = new Map<Family, string | null>();
  private holder: string | null = null;
  private pinned: string | null = null;
  private lastAnnounceAt: number | null = null;
  private started = false;
  readonly counters: Counters = { moves: 0, restores: 0, dedupes: 0, routeFixes: 0, announcements: 0, probeMisses: 0 };

  constructor(config: MachineConfig) {
    if (config.candidates.length === 0) throw new Error('failover needs at least one candidate interface');
    if (config.addresses.length === 0) throw new Error('failover needs at least one address');
    if (new Set(config.candidates).size !== config.candidates.length) throw new Error('candidate interfaces must be distinct');
    this.config = config;
    config.candidates.forEach((name, priority) => {
      this.cands.set(name, { name, priority, link: ABSENT, misses: 0, lastProbeOkAt: null, ndpMisses: 0, lastNdpOkAt: null, upSince: null, healthySince: null });
    });
    for (const a of config.addresses) this.placements.set(addressKey(a), []);
    for (const f of config.routeFamilies) this.routes.set(f, null);
  }

  /**
   * The kernel's state at start (or after a lost-event resync). At the first call, interfaces
   * already up are trusted at once: a restarted daemon must not add a hold-down of its own.
   */
  sync(now: number, s: { links: Map<string, LinkObservation>; placements: Map<string, Placement[]>; routes: Map<Family, string | null> }): void {
    for (const c of this.cands.values()) this.observeLink(now, c.name, s.links.get(c.name) ?? ABSENT);
    for (const key of this.placements.keys()) this.placements.set(key, [...(s.placements.get(key) ?? [])]);
    for (const f of this.routes.keys()) this.routes.set(f, s.routes.get(f) ?? null);
    if (!this.started) {
      this.started = true;
      for (const c of this.cands.values()) {
        if (this.isUp(c)) {
          c.upSince = now;
          c.healthySince = now;
        }
      }
    }
  }

  observeLink(now: number, name: string, link: LinkObservation): void {
    const c = this.cands.get(name);
    if (!c) return;
    const wasUp = this.isUp(c);
    const carrierLost = c.link.exists && c.link.carrier && !link.carrier;
    c.link = { ...link };
    if (!this.linkUp(c) || carrierLost) {
      // A path that went down proves nothing about the gateway when it comes back: probe afresh.
      c.misses = 0;
      c.ndpMisses = 0;
    }
    this.onUpChange(now, c, wasUp);
  }

  /** A probe's verdict: 'arp' for the IPv4 gateway, 'ndp' for the IPv6 one; each counts its own misses. */
  observeProbe(now: number, name: string, ok: boolean, kind: 'arp' | 'ndp' = 'arp'): void {
    const c = this.cands.get(name);
    if (!c || !(kind === 'arp' ? this.config.probe : this.config.ndpProbe)) return;
    const wasUp = this.isUp(c);
    if (ok && kind === 'arp') {
      c.misses = 0;
      c.lastProbeOkAt = now;
    } else if (ok) {
      c.ndpMisses = 0;
      c.lastNdpOkAt = now;
    } else {
      if (kind === 'arp') c.misses++;
      else c.ndpMisses++;
      this.counters.probeMisses++;
    }
    this.onUpChange(now, c, wasUp);
  }

  observeAddr(action: 'new' | 'del', key: string, p: Placement): void {
    const list = this.placements.get(key);
    if (!list) return;
    const rest = list.filter((x) => x.ifname !== p.ifname);
    this.placements.set(key, action === 'new' ? [...rest, { ...p }] : rest);
  }

  /** An interface was renamed or deleted: whatever it held is gone with it. */
  forgetInterface(ifname: string): void {
    for (const [k, list] of this.placements) this.placements.set(k, list.filter((p) => p.ifname !== ifname));
    for (const [f, r] of this.routes) if (r === ifname) this.routes.set(f, null);
  }

  observeRoute(action: 'new' | 'del', family: Family, ifname: string): void {
    if (!this.routes.has(family)) return;
    if (action === 'new') this.routes.set(family, ifname);
    else if (this.routes.get(family) === ifname) this.routes.set(family, null);
  }

  /**
   * Operator override (`nodectl mgmt move IFACE`): move now, skipping hold-down and preemption,
   * and stay there while it is up. Returns null if allowed, else why not.
   */
  pin(now: number, name: string | null): string | null {
    if (name === null) {
      this.pinned = null;
      return null;
    }
    const c = this.cands.get(name);
    if (!c) return `${name} is not a candidate (candidates: ${this.config.candidates.join(', ')})`;
    if (!this.isUp(c)) return `${name} is not usable: ${this.why(now, c)}`;
    this.pinned = name;
    return null;
  }

  get pinnedTo(): string | null {
    return this.pinned;
  }

  get currentHolder(): string | null {
    return this.holder;
  }

  /** Where each address is, as the machine currently believes. */
  where(): Map<string, Placement[]> {
    return new Map([...this.placements].map(([k, v]) => [k, v.map((p) => ({ ...p }))]));
  }

  decide(now: number): { decisions: Decision[]; nextWakeAt: number | null } {
    const decisions: Decision[] = [];
    const current = this.observedHolder(now);
    const target = this.chooseTarget(now, current, decisions);
    const plan = target === null ? null : this.reconcile(target);
    if (plan && target !== null) {
      const { dels, adds, steps } = plan;
      let kind: DecisionKind;
      let reason: string;
      let cause: MoveCause | undefined;
      if (current === null) {
        const anyBefore = this.holder !== null;
        kind = anyBefore ? 'restore' : 'place';
        reason = anyBefore ? `addresses were gone from every interface; put back on ${target}` : `addresses placed on ${target}`;
      } else if (current !== target) {
        kind = 'move';
        ({ reason, cause } = this.moveReason(now, current, target));
      } else if (adds.length > 0 && dels.length > 0) {
        kind = 'restore';
        const others = [...new Set(dels.map((d) => d.ifname))];
        reason = `addresses split across ${[target, ...others].join(', ')} (an interrupted move?); gathered on ${target}`;
      } else if (adds.length > 0) {
        kind = 'restore';
        const missing = adds.map((a) => `${a.address}/${a.prefixlen}`).join(', ');
        reason = `${missing} missing on ${target} (deleted by hand or by the kernel); put back`;
      } else {
        kind = 'dedupe';
        reason = `also found on ${[...new Set(dels.map((d) => d.ifname))].join(', ')}; removed there to keep one holder`;
      }
      if (dels.length + adds.length > 0) {
        const actions: Action[] = [...steps];
        if (kind === 'move') this.counters.moves++;
        else if (kind === 'restore') this.counters.restores++;
        else if (kind === 'dedupe') this.counters.dedupes++;
        // What the daemon is about to do is what we now believe; its events will confirm it.
        for (const d of dels) this.observeAddr('del', addressKey(d), d);
        for (const a of adds) this.observeAddr('new', addressKey(a), a);
        if (adds.length > 0 || kind === 'move') {
          for (const f of this.config.routeFamilies) {
            actions.push({ kind: 'route', ifname: target, family: f });
            this.routes.set(f, target);
          }
          actions.push(this.announceAction(target, 'burst'));
          this.lastAnnounceAt = now;
        }
        decisions.push({ at: now, kind, from: current, to: target, reason, ...(cause ? { cause } : {}), actions });
      }
      this.holder = target;
    } else {
      this.holder = current;
    }

    if (this.holder !== null) {
      const routeFix: Action[] = [];
      for (const [f, r] of this.routes) {
        if (r !== this.holder) {
          routeFix.push({ kind: 'route', ifname: this.holder, family: f });
          this.routes.set(f, this.holder);
        }
      }
      if (routeFix.length) {
        this.counters.routeFixes++;
        decisions.push({ at: now, kind: 'route', from: null, to: this.holder, reason: `default route not via ${this.holder}; replaced`, actions: routeFix });
      }
      const { refreshMs } = this.config.announce;
      if (refreshMs > 0 && (this.lastAnnounceAt === null || now >= this.lastAnnounceAt + refreshMs) && this.holdsAll(this.holder)) {
        this.lastAnnounceAt = now;
        decisions.push({ at: now, kind: 'refresh', from: null, to: this.holder, reason: 'periodic gratuitous ARP / unsolicited NA', actions: [this.announceAction(this.holder, 'refresh')] });
      }
    }
    for (const d of decisions) for (const a of d.actions) if (a.kind === 'announce') this.counters.announcements++;
    return { decisions, nextWakeAt: this.nextWake(now) };
  }

  status(now: number): { holder: string | null; pinned: string | null; candidates: CandidateStatus[] } {
    return {
      holder: this.holder,
      pinned: this.pinned,
      candidates: [...this.cands.values()].map((c) => ({
        name: c.name,
        priority: c.priority,
        exists: c.link.exists,
        admin: c.link.admin,
        carrier: c.link.carrier,
        operUp: c.link.operUp,
        probe: this.config.probe ? { misses: c.misses, lastOkAt: c.lastProbeOkAt } : null,
        ndpProbe: this.config.ndpProbe ? { misses: c.ndpMisses, lastOkAt: c.lastNdpOkAt } : null,
        up: this.isUp(c),
        healthy: this.isHealthy(now, c),
        why: this.why(now, c),
        upSince: c.upSince,
        healthySince: c.healthySince,
      })),
    };
  }

  isHealthyNow(now: number, name: string): boolean {
    const c = this.cands.get(name);
    return c ? this.isHealthy(now, c) : false;
  }

  // --- internals ---

  private get preempts(): boolean {
    return this.config.preempt !== false;
  }

  private linkUp(c: Cand): boolean {
    return c.link.exists && c.link.admin && c.link.carrier && c.link.operUp;
  }

  private isUp(c: Cand): boolean {
    if (!this.linkUp(c)) return false;
    if (this.config.probe && c.misses > this.config.probe.allowedMisses) return false;
    return !this.config.ndpProbe || c.ndpMisses <= this.config.ndpProbe.allowedMisses;
  }

  private isHealthy(now: number, c: Cand): boolean {
    return this.isUp(c) && c.healthySince !== null && c.healthySince <= now;
  }

  private onUpChange(now: number, c: Cand, wasUp: boolean): void {
    const up = this.isUp(c);
    if (up && !wasUp) {
      c.upSince = now;
      c.healthySince = now + this.config.holdDownMs;
    } else if (!up) {
      c.upSince = null;
      c.healthySince = null;
    }
  }

  private why(now: number, c: Cand): string {
    if (!c.link.exists) return 'interface absent';
    if (!c.link.admin) return 'admin down';
    if (!c.link.carrier) return 'no carrier';
    if (!c.link.operUp) return 'operstate not up';
    if (this.config.probe && c.misses > this.config.probe.allowedMisses) return `gateway not answering ARP (${c.misses} consecutive misses)`;
    if (this.config.ndpProbe && c.ndpMisses > this.config.ndpProbe.allowedMisses) return `IPv6 gateway not answering NDP (${c.ndpMisses} consecutive misses)`;
    if (c.healthySince !== null && c.healthySince > now) return `hold-down: ${Math.ceil(c.healthySince - now)} ms left`;
    const probe = this.config.probe ? (c.misses > 0 ? `, ${c.misses} probe miss(es)` : ', gateway answers ARP') : '';
    const ndp = this.config.ndpProbe ? (c.ndpMisses > 0 ? `, ${c.ndpMisses} NDP probe miss(es)` : ', IPv6 gateway answers NDP') : '';
    return `up, carrier, operstate up${probe}${ndp}`;
  }

  private observedHolder(now: number): string | null {
    const names = new Set<string>();
    for (const list of this.placements.values()) for (const p of list) names.add(p.ifname);
    if (names.size === 0) return null;
    if (names.size === 1) return [...names][0]!;
    // Two holders (a crash mid-move, or someone else's hand): the best one keeps the addresses.
    return [...names].sort((a, b) => this.rank(now, a) - this.rank(now, b))[0]!;
  }

  /** Lower is better: healthy before up before merely present, then priority; non-candidates last. */
  private rank(now: number, name: string): number {
    const c = this.cands.get(name);
    if (!c) return 1e9;
    const n = this.config.candidates.length;
    if (this.isHealthy(now, c)) return c.priority;
    if (this.isUp(c)) return n + c.priority;
    if (c.link.exists) return 2 * n + c.priority;
    return 3 * n + c.priority;
  }

  private chooseTarget(now: number, current: string | null, decisions: Decision[]): string | null {
    const cands = [...this.cands.values()];
    const healthy = cands.filter((c) => this.isHealthy(now, c));
    if (this.pinned !== null) {
      const p = this.cands.get(this.pinned)!;
      if (this.isUp(p)) return p.name;
      decisions.push({ at: now, kind: 'pin-released', from: this.pinned, to: null, reason: `operator pin on ${this.pinned} released: ${this.why(now, p)}`, actions: [] });
      this.pinned = null;
    }
    const cur = current === null ? undefined : this.cands.get(current);
    if (cur && this.isHealthy(now, cur)) {
      const best = healthy[0]!;
      if (this.preempts && best.priority < cur.priority && best.healthySince! + this.config.preemptDelayMs <= now) return best.name;
      return cur.name;
    }
    if (healthy.length > 0) return healthy[0]!.name;
    // Nobody is trustworthy: leave the addresses where they are (a dead holder keeps them parked,
    // so the first interface to come back finds them), unless they are nowhere or on a stranger.
    if (cur && cur.link.exists) return cur.name;
    const up = cands.find((c) => this.isUp(c));
    if (up) return up.name;
    const present = cands.find((c) => c.link.exists);
    return present ? present.name : null;
  }

  /**
   * What to delete and add so that every address is on `target` only. `steps` is the order to
   * apply them: per address, its deletes and then its add, so each address is on at most one
   * interface at every instant and is missing only between two adjacent requests.
   */
  private reconcile(target: string): { dels: Extract<Action, { kind: 'del-addr' }>[]; adds: Extract<Action, { kind: 'add-addr' }>[]; steps: Action[] } {
    const dels: Extract<Action, { kind: 'del-addr' }>[] = [];
    const adds: Extract<Action, { kind: 'add-addr' }>[] = [];
    const steps: Action[] = [];
    for (const a of this.config.addresses) {
      const list = this.placements.get(addressKey(a)) ?? [];
      let present = false;
      for (const p of list) {
        if (p.ifname === target && p.prefixlen === a.prefixlen) present = true;
        else {
          const d = { kind: 'del-addr' as const, ifname: p.ifname, address: a.address, prefixlen: p.prefixlen, family: a.family };
          dels.push(d);
          steps.push(d);
        }
      }
      if (!present) {
        const add = { kind: 'add-addr' as const, ifname: target, address: a.address, prefixlen: a.prefixlen, family: a.family };
        adds.push(add);
        steps.push(add);
      }
    }
    return { dels, adds, steps };
  }

  private holdsAll(ifname: string): boolean {
    return this.config.addresses.every((a) => (this.placements.get(addressKey(a)) ?? []).some((p) => p.ifname === ifname));
  }

  private moveReason(now: number, from: string, to: string): { reason: string; cause: MoveCause } {
    const f = this.cands.get(from);
    if (this.pinned === to) return { reason: `operator asked to move to ${to}`, cause: 'operator' };
    if (!f) return { reason: `${from} is not a candidate; moved to ${to}`, cause: 'not-candidate' };
    if (this.isHealthy(now, f)) return { reason: `${to} is preferred and has been healthy for the preempt delay (${this.config.preemptDelayMs} ms)`, cause: 'preempt' };
    return { reason: `${from} unhealthy (${this.why(now, f)}); ${to} is the best healthy candidate`, cause: 'failure' };
  }

  private announceAction(ifname: string, why: 'burst' | 'refresh'): Action {
    const { count, intervalMs } = this.config.announce;
    return { kind: 'announce', ifname, addresses: this.config.addresses.map((a) => ({ ...a })), count: why === 'burst' ? count : 1, intervalMs, why };
  }

  /**
   * The move that placement by priority will make by itself, and when: a candidate preferred over
   * the holder that is healthy (or in hold-down) waits out the preempt delay. null when the holder
   * is where priority wants it (or pinned, or nothing holds). For `mgmt move --auto`.
   */
  dueMove(now: number): { to: string; at: number } | null {
    if (this.pinned !== null || this.holder === null || !this.preempts) return null;
    const cur = this.cands.get(this.holder);
    if (!cur || !this.isHealthy(now, cur)) return null;
    let best: { to: string; at: number; prio: number } | null = null;
    for (const c of this.cands.values()) {
      if (c.healthySince === null || c.priority >= cur.priority) continue;
      if (!best || c.priority < best.prio) best = { to: c.name, at: Math.max(now, c.healthySince + this.config.preemptDelayMs), prio: c.priority };
    }
    return best && { to: best.to, at: best.at };
  }

  private nextWake(now: number): number | null {
    let t = Infinity;
    const holderPrio = this.holder === null ? Infinity : this.cands.get(this.holder)?.priority ?? Infinity;
    for (const c of this.cands.values()) {
      if (c.healthySince !== null && c.healthySince > now) t = Math.min(t, c.healthySince);
      // Only a candidate preferred over the holder has a preemption deadline worth waking for.
      if (c.healthySince !== null && c.priority < holderPrio && this.pinned === null && this.preempts) {
        const pre = c.healthySince + this.config.preemptDelayMs;
        if (pre > now) t = Math.min(t, pre);
      }
    }
    if (this.config.announce.refreshMs > 0 && this.lastAnnounceAt !== null) t = Math.min(t, Math.max(now + 1, this.lastAnnounceAt + this.config.announce.refreshMs));
    return t === Infinity ? null : t;
  }
}
