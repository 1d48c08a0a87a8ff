// The health probe loop: one probe chain per candidate, each probe started `intervalMs` after
// the previous one started (not ended), so a slow gateway does not stretch the period. A link
// that is down is not probed (its result would say nothing new and the machine already treats
// it as down); its chain keeps ticking so the probing resumes the moment it comes back.
import type { HealthProbe } from './io.js';

export interface ProbeLoopDeps {
  probe: HealthProbe;
  target: string;
  intervalMs: number;
  timeoutMs: number;
  now: () => number;
  /** Whether the link is up enough to be worth probing right now. */
  linkUp: (ifname: string) => boolean;
  /** A probe's verdict (true: the gateway answered) and how long it took, seconds. */
  onResult: (ifname: string, ok: boolean, seconds: number) => void;
  onError: (ifname: string, err: Error) => void;
}

export class ProbeLoop {
  private readonly d: ProbeLoopDeps;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(deps: ProbeLoopDeps) {
    this.d = deps;
  }

  start(ifnames: string[]): void {
    for (const n of ifnames) this.schedule(n, 0);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.d.probe.close?.();
  }

  private schedule(ifname: string, delay: number): void {
    if (this.stopped) return;
    const t = setTimeout(async () => {
      this.timers.delete(ifname);
      const started = this.d.now();
      if (this.d.linkUp(ifname)) {
        let ok = false;
        try {
          ok = await this.d.probe.probe(ifname, this.d.target, this.d.timeoutMs);
        } catch (err) {
          this.d.onError(ifname, err as Error);
        }
        if (this.stopped) return;
        this.d.onResult(ifname, ok, (this.d.now() - started) / 1000);
      }
      this.schedule(ifname, Math.max(0, this.d.intervalMs - (this.d.now() - started)));
    }, delay);
    this.timers.set(ifname, t);
  }
}
