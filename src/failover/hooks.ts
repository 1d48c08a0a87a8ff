// Operators' hooks (`mgmt.hooks.on_move`, `on_health`): a program run for each event, strictly in
// event order and one at a time. keepalived's notify scripts run concurrently and can finish out
// of order (keepalived#569, #996), so a script that sets "master" state can lose to the one
// that set "backup" before it; here the queue is a FIFO and the next hook starts only when the
// previous one has exited (or was killed at its timeout).
//
// The queue is never awaited by the daemon: a slow hook delays other hooks, never a move. It is
// bounded, so a hung hook under a flap storm costs a counted, logged drop of the oldest waiting
// events rather than memory without end.
//
// Each run gets the event as environment variables (NODECTL_EVENT, NODECTL_DECISION, ...) and as
// one JSON object on stdin; no shell is involved (the program is exec'd directly), and its
// environment is only PATH, LANG and these, not the daemon's.
import { spawn } from 'node:child_process';

export type HookKind = 'on_move' | 'on_health';

export interface HookEvent {
  /** The timeline line the hook is for (event, seq, decision, from, to, iface, state, ...). */
  [key: string]: unknown;
}

export interface HookResult {
  hook: HookKind;
  program: string;
  seq: unknown;
  exit: number | null;
  signal: string | null;
  timedOut: boolean;
  ms: number;
  /** The end of what it wrote on stderr (for the log line). */
  stderr: string;
  /** spawn failed (ENOENT, EACCES...). */
  error?: string;
}

export interface HookOptions {
  programs: Partial<Record<HookKind, string>>;
  timeoutMs: number;
  /** Waiting events beyond this are dropped, oldest first. */
  maxQueue?: number;
  onDone: (r: HookResult) => void;
  onDropped: (hook: HookKind, ev: HookEvent, waiting: number) => void;
}

const STDERR_KEEP = 512;

/** NODECTL_FROM etc.: the scalar fields of the event, upper-cased. */
export function hookEnv(ev: HookEvent): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(ev)) {
    if (v === null || v === undefined || typeof v === 'object') continue;
    env[`NODECTL_${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`] = String(v);
  }
  return env;
}

export class HookRunner {
  private readonly o: HookOptions;
  private readonly queue: { hook: HookKind; ev: HookEvent }[] = [];
  private running = false;
  private closed = false;
  private child: ReturnType<typeof spawn> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Resolves when the queue is empty and nothing runs (tests, stop). */
  private idleWaiters: (() => void)[] = [];

  constructor(o: HookOptions) {
    this.o = o;
  }

  has(hook: HookKind): boolean {
    return this.o.programs[hook] !== undefined;
  }

  push(hook: HookKind, ev: HookEvent): void {
    if (this.closed || !this.has(hook)) return;
    this.queue.push({ hook, ev });
    const max = this.o.maxQueue ?? 1000;
    while (this.queue.length > max) {
      const old = this.queue.shift()!;
      this.o.onDropped(old.hook, old.ev, this.queue.length);
    }
    if (!this.running) this.next();
  }

  /**
   * Stop taking events and drop the waiting ones. A hook already running is left to finish on
   * its own (it may be recording the last move), but the daemon does not wait for it to exit.
   */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.child?.unref();
    if (this.timer) this.timer.unref();
  }

  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private next(): void {
    const item = this.queue.shift();
    if (!item) {
      this.running = false;
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    this.running = true;
    this.run(item.hook, item.ev).then((r) => {
      this.o.onDone(r);
      this.next();
    }, () => this.next());
  }

  private run(hook: HookKind, ev: HookEvent): Promise<HookResult> {
    const program = this.o.programs[hook]!;
    const t0 = performance.now();
    return new Promise((resolve) => {
      const base = { hook, program, seq: ev.seq };
      let stderr = '';
      let timedOut = false;
      let settled = false;
      const done = (r: Omit<HookResult, 'hook' | 'program' | 'seq' | 'ms' | 'stderr'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.child = null;
        this.timer = null;
        resolve({ ...base, ...r, ms: Math.round((performance.now() - t0) * 1000) / 1000, stderr: stderr.slice(-STDERR_KEEP) });
      };
      const child = spawn(program, [hook], {
        stdio: ['pipe', 'ignore', 'pipe'],
        env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LANG: process.env.LANG ?? 'C.UTF-8', NODECTL_HOOK: hook, ...hookEnv(ev) },
      });
      this.child = child;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, this.o.timeoutMs);
      this.timer = timer;
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        stderr = (stderr + d).slice(-STDERR_KEEP);
      });
      // A hook that does not read its stdin must not break the daemon (EPIPE).
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(`${JSON.stringify(ev)}\n`);
      child.on('error', (err: NodeJS.ErrnoException) => done({ exit: null, signal: null, timedOut: false, error: err.code ?? err.message }));
      child.on('close', (code, signal) => done({ exit: code, signal, timedOut }));
    });
  }
}
