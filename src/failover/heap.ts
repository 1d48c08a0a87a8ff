// Keeps the daemon's V8 heap near what it really holds (issue 19: RSS <= 60 MB steady).
//
// What each move leaves behind dies in V8's old generation, and V8 collects that generation when
// its memory reducer decides to, not by a rule the daemon can count on: in bench/failover/soak.ts
// (the unit's flags, 2026-12-05) the heap went from 5.4 MB live to 9-12 MB before a full
// collection, every ~300-600 moves of a flap storm, and the resident set with it (+5 MB at the
// peak, ~60 MB). No V8 flag bounded it in those runs (--optimize-for-size peaked at 54.9 and
// 60.1 MB, --max-old-space-size=16 at 55.0).
//
// So when the unit exposes the collector (`--expose-gc`), the daemon collects itself: every
// CHECK_MS, once the heap has grown GROWTH_BYTES past what the last collection left. A full
// collection of this ~6 MB heap is one pause of the event loop (5.6-33 ms, median ~8.5, on the
// loaded development host; V8's own paused ~3 ms plus incremental steps, every ~300-600 moves
// rather than ~100): the price of a flat resident set. Timers run between events, so it never
// interrupts a decision; an event arriving during it waits. Without the flag nothing changes.
const CHECK_MS = 5000;
const GROWTH_BYTES = 2 * 1024 * 1024;

export interface HeapKeeper {
  /** One check (the timer's): true when it collected. */
  check(): boolean;
  stop(): void;
}

/**
 * Starts the periodic check when a collector is exposed (`--expose-gc`); null otherwise. `gc`
 * and `used` are V8's collector and heap size unless given (tests).
 */
export function keepHeap(o: { checkMs?: number; growthBytes?: number; gc?: () => void; used?: () => number } = {}): HeapKeeper | null {
  const gc = o.gc ?? (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') return null;
  const growth = o.growthBytes ?? GROWTH_BYTES;
  const used = o.used ?? (() => process.memoryUsage().heapUsed);
  let floor = used();
  const check = (): boolean => {
    if (used() - floor < growth) return false;
    gc();
    floor = used();
    return true;
  };
  const timer = setInterval(check, o.checkMs ?? CHECK_MS);
  // never what keeps the process alive
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
