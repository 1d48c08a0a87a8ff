// The soak's loop, shared by bench/failover/soak.ts (long runs, prints figures) and
// test/netns/failover-soak.test.ts (a short run whose figures are asserted as invariants).
//
// Each round takes the holder's carrier away (its switch port goes down), waits for the daemon
// to log the move, gives the port back and waits out the hold-down, so every round is exactly one
// real move. The daemon's resident set and open descriptors are read from /proc after each
// round; growth is measured from the end of the warm-up, so start-up allocations and the first
// JIT tiers do not count.
import { readdirSync, readFileSync } from 'node:fs';

export interface SoakOptions {
  pid: number;
  moves: number;
  warmup: number;
  holdDownMs: number;
  /** Take interface i's carrier away (false) or give it back (true). */
  carrier(i: number, up: boolean): Promise<void>;
  /** Resolves once the daemon has logged its N-th move (1-based, counted from its start). */
  moved(n: number): Promise<void>;
  /** How many moves the daemon had logged before the first round. */
  movesBefore: number;
  /** Called after each round (progress). */
  onRound?: (r: SoakSample) => void;
}

export interface SoakSample { round: number; rssKb: number; fds: number }

export interface SoakResult {
  samples: SoakSample[];
  /** Resident set growth per move after the warm-up, kB (least squares slope). */
  kbPerMove: number;
  rssStartKb: number;
  rssEndKb: number;
  rssPeakKb: number;
  fdsAfterWarmup: number;
  fdsMax: number;
  fdsEnd: number;
}

export function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export async function soak(o: SoakOptions): Promise<SoakResult> {
  const samples: SoakSample[] = [];
  let holder = 0;
  for (let r = 1; r <= o.warmup + o.moves; r++) {
    await o.carrier(holder, false);
    await o.moved(o.movesBefore + r);
    await o.carrier(holder, true);
    holder = 1 - holder;
    // The old holder must be trusted again before it is the backup of the next round.
    await sleep(o.holdDownMs + 60);
    const s = { round: r, rssKb: rssKb(o.pid), fds: fdCount(o.pid) };
    samples.push(s);
    o.onRound?.(s);
  }
  const after = samples.filter((s) => s.round > o.warmup);
  return {
    samples,
    kbPerMove: slope(after.map((s) => s.round), after.map((s) => s.rssKb)),
    rssStartKb: after[0]!.rssKb,
    rssEndKb: after[after.length - 1]!.rssKb,
    rssPeakKb: Math.max(...samples.map((s) => s.rssKb)),
    fdsAfterWarmup: after[0]!.fds,
    fdsMax: Math.max(...after.map((s) => s.fds)),
    fdsEnd: after[after.length - 1]!.fds,
  };
}
