// Which log lines belong to which decision (issue 19: "follow one move"). Decisions that change
// something get a number; the lines about what caused them (probe results, operator requests,
// health changes) are held back until the decision round and then written just before the
// decision, with its number. Kept apart from the daemon because it is bookkeeping about lines,
// not about the kernel: it decides nothing and only needs the machine's status to read from.
import type { CandidateStatus, Decision } from './state-machine.js';
import type { LogEntry } from './timeline.js';

export type HealthState = 'healthy' | 'hold-down' | 'down';

export interface DecisionLogDeps {
  log: (entry: LogEntry) => LogEntry;
  /** Wall-clock ISO time of a monotonic instant. */
  wall: (t: number) => string;
  /** A health line was written (hooks run on it). */
  onHealth: (line: LogEntry, prev: HealthState | undefined, state: HealthState) => void;
}

export class DecisionLog {
  private readonly d: DecisionLogDeps;
  private seq = 0;
  private readonly ids = new WeakMap<Decision, number>();
  private causes: LogEntry[] = [];
  private readonly lastHealth = new Map<string, HealthState>();
  /** Last probe verdict per interface: only changes and the misses up to "down" are logged. */
  private readonly lastProbe = new Map<string, boolean>();

  constructor(deps: DecisionLogDeps) {
    this.d = deps;
  }

  /** Number a round's decisions (all but refreshes); the tag its causes get. */
  number(decisions: Decision[]): { decision?: number } {
    for (const x of decisions) if (x.kind !== 'refresh') this.ids.set(x, ++this.seq);
    const first = decisions.find((x) => this.ids.has(x));
    return first ? this.tag(first) : {};
  }

  /** `{decision: N}` for a numbered decision, else nothing. */
  tag(x: Decision): { decision?: number } {
    const id = this.ids.get(x);
    return id === undefined ? {} : { decision: id };
  }

  /** A cause line, written at the next round. */
  cause(entry: LogEntry): void {
    this.causes.push(entry);
  }

  /**
   * A probe result as a cause line: every miss until the path counts as down, and the first
   * answer after misses. Not every probe: at 10 a second that would drown the journal.
   */
  probe(ifname: string, ok: boolean, misses: number, allowed: number, kind: 'arp' | 'ndp' = 'arp'): void {
    // ARP and NDP verdicts are two histories: one's answer says nothing about the other's misses
    const key = `${kind} ${ifname}`;
    const prev = this.lastProbe.get(key);
    this.lastProbe.set(key, ok);
    // `probe` only on NDP lines, so the ARP lines read as they always did
    const k = kind === 'ndp' ? { probe: kind } : {};
    if (ok && prev === false) this.causes.push({ event: 'probe', ...k, iface: ifname, ok: true });
    else if (!ok && misses <= allowed + 1) this.causes.push({ event: 'probe', ...k, level: misses > allowed ? 'warning' : 'info', iface: ifname, ok: false, misses, allowedMisses: allowed });
  }

  /** Buffered causes, then each candidate whose health changed since the last round. */
  flush(candidates: CandidateStatus[], tag: { decision?: number }): void {
    for (const c of this.causes.splice(0)) this.d.log({ ...c, ...tag });
    for (const c of candidates) {
      const state: HealthState = c.healthy ? 'healthy' : c.up ? 'hold-down' : 'down';
      const prev = this.lastHealth.get(c.name);
      if (prev === state) continue;
      this.lastHealth.set(c.name, state);
      const line = this.d.log({ event: 'health', ...tag, iface: c.name, state, why: c.why, ...(c.upSince !== null ? { upSince: this.d.wall(c.upSince) } : {}) });
      this.d.onHealth(line, prev, state);
    }
  }
}
