// `nodectl lab demo`: a guided tour of nodectl in a lab of its own. A list of steps, each
// saying which feature it needs; the lab is removed at the end whatever happens (failure,
// Ctrl-C, SIGTERM), and `lab down --prefix` cleans up even after a SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { labNames, type LabNames } from './plan.js';
import type { DemoOutput } from './demo-output.js';
import { labDown, labUp, type LabUpResult } from './topology.js';
import { DEMO_STEPS } from './demo-steps.js';
import { DemoAborted } from './demo-abort.js';

export const DEMO_PREFIX = 'nctl-demo-';

export interface DemoOptions {
  prefix: string;
  /** Pause after each step, for humans following along (0 in CI). */
  stepDelayMs: number;
  /** Leave the lab up at the end (for poking around). */
  keep: boolean;
  out: DemoOutput;
  /** argv that runs this nodectl (node + bin/run.js), for the daemons and the commands shown. */
  cli: string[];
  /** Is this CLI command (oclif id, e.g. "mgmt:run") part of this build? */
  hasCommand: (id: string) => boolean;
  signal: AbortSignal;
}

export interface DemoContext extends DemoOptions {
  names: LabNames;
  lab: LabUpResult;
  /** Start a nodectl subprocess the demo owns (stopped at cleanup, recorded for `lab down`). */
  spawnNodectl(args: string[]): ChildProcess;
  /** Run a nodectl command to completion, showing it as an operator would type it. */
  nodectl(args: string[], opts?: { show?: boolean; allowFail?: boolean }): Promise<{ status: number | null; stdout: string; stderr: string }>;
  sleep(ms: number): Promise<void>;
}

export interface DemoStep {
  id: string;
  title: string;
  /** The feature(s) this step needs, checked before it runs: null when present, else what is missing. */
  missing(ctx: DemoContext): string | null;
  run(ctx: DemoContext): Promise<void>;
}

export interface DemoStepResult {
  id: string;
  title: string;
  status: 'ok' | 'unavailable' | 'failed' | 'aborted';
  detail: string | null;
  ms: number;
}

export interface DemoResult {
  prefix: string;
  steps: DemoStepResult[];
  cleanedUp: boolean;
  ok: boolean;
}

export { DemoAborted };

function sleeper(signal: AbortSignal): (ms: number) => Promise<void> {
  return (ms) => new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new DemoAborted());
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new DemoAborted());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const { out } = opts;
  const names = labNames(opts.prefix);
  const children = new Set<ChildProcess>();
  const sleep = sleeper(opts.signal);
  const total = DEMO_STEPS.length + 2;
  const steps: DemoStepResult[] = [];
  let cleanedUp = false;

  const record = (r: DemoStepResult) => steps.push(r);
  const timed = async (id: string, title: string, fn: () => Promise<void>): Promise<boolean> => {
    const t0 = Date.now();
    try {
      await fn();
      record({ id, title, status: 'ok', detail: null, ms: Date.now() - t0 });
      return true;
    } catch (err) {
      const aborted = err instanceof DemoAborted || opts.signal.aborted;
      record({ id, title, status: aborted ? 'aborted' : 'failed', detail: (err as Error).message, ms: Date.now() - t0 });
      out.say(aborted ? 'interrupted' : `step failed: ${(err as Error).message}`);
      return false;
    }
  };

  try {
    out.step(1, total, `Build the lab: a node, a switch and an SCTP peer as network namespaces (prefix ${opts.prefix})`);
    out.command(`nodectl lab up --prefix ${opts.prefix} --recreate`);
    let lab: LabUpResult | null = null;
    const upOk = await timed('lab-up', 'lab up', async () => {
      lab = await labUp({ prefix: opts.prefix, recreate: true, progress: (l) => out.block(l) });
    });
    if (!upOk || !lab) return { prefix: opts.prefix, steps, cleanedUp, ok: false };

    const ctx: DemoContext = {
      ...opts,
      names,
      lab,
      sleep,
      spawnNodectl(args) {
        const child = spawn(opts.cli[0]!, [...opts.cli.slice(1), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        children.add(child);
        child.once('exit', () => children.delete(child));
        return child;
      },
      async nodectl(args, o = {}) {
        if (o.show !== false) out.command(`nodectl ${args.map(shellQuote).join(' ')}`);
        const child = ctx.spawnNodectl(args);
        let stdout = '';
        let stderr = '';
        child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        const status = await new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
        if (opts.signal.aborted) throw new DemoAborted();
        if (status !== 0 && !o.allowFail) throw new Error(`nodectl ${args.join(' ')} exited ${status}: ${(stderr || stdout).trim().split('\n').slice(-1)[0]}`);
        return { status, stdout, stderr };
      },
    };
    if (opts.stepDelayMs) await sleep(opts.stepDelayMs);

    let i = 2;
    for (const step of DEMO_STEPS) {
      if (opts.signal.aborted) break;
      out.step(i++, total, step.title);
      const missing = step.missing(ctx);
      if (missing) {
        out.say(`step ${step.id}: not available yet (feature ${missing})`);
        record({ id: step.id, title: step.title, status: 'unavailable', detail: missing, ms: 0 });
        continue;
      }
      const ok = await timed(step.id, step.title, () => step.run(ctx));
      if (!ok && opts.signal.aborted) break;
      if (opts.stepDelayMs && !opts.signal.aborted) await sleep(opts.stepDelayMs).catch(() => {});
    }
  } finally {
    for (const c of children) c.kill('SIGTERM');
    if (opts.keep && !opts.signal.aborted) {
      out.step(total, total, 'Leaving the lab up (--keep)');
      out.say(`remove it with: nodectl lab down --prefix ${opts.prefix}`);
    } else {
      out.step(total, total, 'Clean up: remove every namespace of the lab');
      out.command(`nodectl lab down --prefix ${opts.prefix}`);
      await timed('lab-down', 'lab down', async () => {
        const r = await labDown({ prefix: opts.prefix, progress: (l) => out.block(l) });
        cleanedUp = r.lingering.length === 0;
      });
    }
  }
  const ok = steps.every((s) => s.status === 'ok');
  out.say('');
  out.say(`demo ${ok ? 'complete' : 'finished with problems'}: ${steps.map((s) => `${s.id} ${s.status}`).join(', ')}`);
  return { prefix: opts.prefix, steps, cleanedUp, ok };
}
