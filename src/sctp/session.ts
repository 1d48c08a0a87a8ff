// What the sctp commands do, as functions: parse targets, run a tracer for a while or until
// a signal, read published sessions, serve metrics. Commands stay thin; everything here is
// reachable from tests without oclif.
import { createServer, type Server } from 'node:http';
import { isIP } from 'node:net';
import { UnsupportedError, UsageError } from '../errors.js';
import { assess, DEFAULT_DETECT, type DetectOptions, type Health } from './detect.js';
import type { Association, WireEvent } from './model.js';
import { renderPrometheus, renderTable, skippedLine, viewsOf, type AssocView } from './render.js';
import { monotonicNs, readPublishedSessions, targetText, WireTracer, type AttachedTarget, type PublishedSession, type TraceTarget, type WireTracerOptions } from './tracer.js';
import { withNetns } from '../netlink/netns.js';
import type { AssocTable, TopSort } from './table.js';
import type { GlobalCounter } from './wire-consts.js';
import { KernTracer, kernelSides, type KernAssociation, type TracerStatus } from './kern.js';
import { EventWatcher, WATCH_EVENTS, watchInterval } from './watch.js';
import { SW_EVENT_TYPE } from './wire-consts.js';

const WIRE_EVENTS = Object.values(SW_EVENT_TYPE);

/**
 * Every event of a tracer as it happens: the wire program's (ring buffer) and the watcher's
 * (stall, loss, malformed, gone: watch.ts), checked every watchInterval. An association's end
 * (down, abort, restart) is preceded by a check, so that a stall it ends is reported before
 * it. Returns the stop function; stop() makes a last check first.
 */
export function streamEvents(tracer: WireTracer, detect: Partial<DetectOptions>, onEvent: (e: WireEvent) => void): () => void {
  const watcher = new EventWatcher(detect);
  const check = () => {
    const now = monotonicNs();
    for (const e of watcher.check(tracer.table({ detect, previous: watcher.previous }, now), now)) onEvent(e);
  };
  tracer.on('event', (e) => {
    if (e.type === 'down' || e.type === 'abort' || e.type === 'restart') check();
    onEvent(e);
  });
  tracer.startEvents();
  // A look reads every association (~0.5 µs each): with very many, the looks space out so
  // that they take at most a fifth of one core.
  const every = watchInterval(detect.stallAfterMs ?? DEFAULT_DETECT.stallAfterMs);
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const tick = () => {
    const t0 = performance.now();
    check();
    if (!stopped) timer = setTimeout(tick, Math.max(every, 5 * (performance.now() - t0)));
  };
  tick();
  return () => {
    if (stopped) return;
    stopped = true;
    if (timer) clearTimeout(timer);
    check();
  };
}

/** `--dev IFACE` or `--dev IFACE@NETNS`; -n NETNS is the default namespace of bare names. */
export function parseTargets(devs: string[], netns?: string): TraceTarget[] {
  const out: TraceTarget[] = [];
  for (const d of devs.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean)) {
    const at = d.lastIndexOf('@');
    const dev = at > 0 ? d.slice(0, at) : d;
    const ns = at > 0 ? d.slice(at + 1) : netns;
    if (!/^[^\s/]{1,15}$/.test(dev)) throw new UsageError(`"${dev}" is not an interface name (at most 15 characters, no "/" or spaces)`);
    if (out.some((t) => t.dev === dev && t.netns === ns)) continue;
    out.push(ns ? { dev, netns: ns } : { dev });
  }
  if (out.length === 0) throw new UsageError('give at least one interface: --dev IFACE (or IFACE@NETNS)');
  return out;
}

/** "2s", "500ms", "1m", or plain seconds → ms. */
export function parseDuration(s: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new UsageError(`${flag} takes a duration like 500ms, 2s, 1m; got "${s}"`);
  const n = Number(m[1]);
  const ms = n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return ms;
}

export type AssociationReport = Association & { health: Health };

export interface StatsResult {
  /** 'sample': this command attached for --duration; 'sessions': read from running trace/top/serve sessions. */
  source: 'sample' | 'sessions';
  tracers: Array<AttachedTarget & { pid: number }>;
  associations: AssociationReport[];
  globals: Record<GlobalCounter, number>;
  /** The kernel-side tracer (sample mode only): which probes ran, and what the SCTP stack reported. */
  kernel: KernelReport | null;
}

/** The kernel tracer's part of `stats`: probes, associations, and errors on sockets no single association claims. */
export interface KernelReport { tracers: TracerStatus[]; associations: KernAssociation[]; socketErrors: KernTracer['socketErrors'] }

function kernelReport(k: { tracer: KernTracer | null; status: TracerStatus[] }): KernelReport {
  const associations = k.tracer?.snapshot() ?? [];
  return { tracers: k.tracer?.statusNow() ?? k.status, associations, socketErrors: k.tracer?.socketErrors ?? [] };
}

function report(views: AssocView[]): AssociationReport[] {
  return views.map((v) => ({ ...v.assoc, health: v.health }));
}

function sumGlobals(list: Array<Record<GlobalCounter, number>>): Record<GlobalCounter, number> {
  const out = {} as Record<GlobalCounter, number>;
  for (const g of list) for (const [k, v] of Object.entries(g) as Array<[GlobalCounter, number]>) out[k] = (out[k] ?? 0) + v;
  return out;
}

function bySort(a: Association, b: Association): number {
  const act = (x: Association) => x.dir[0].packets + x.dir[1].packets;
  return act(b) - act(a) || a.id.localeCompare(b.id);
}

/** Resolves after ms, or early on SIGINT/SIGTERM or abort; tells which. */
export function waitOrSignal(ms: number | undefined, signal?: AbortSignal): Promise<'timeout' | 'signal'> {
  return new Promise((resolve) => {
    // Every listener goes with the wait: top and serve wait once per refresh on one long-lived
    // signal, and a listener left per wait piled up (Node printed a MaxListenersExceeded
    // warning across top's screen after ten refreshes).
    const done = (why: 'timeout' | 'signal') => {
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
      signal?.removeEventListener('abort', onSig);
      if (timer) clearTimeout(timer);
      resolve(why);
    };
    const onSig = () => done('signal');
    process.once('SIGINT', onSig);
    process.once('SIGTERM', onSig);
    signal?.addEventListener('abort', onSig, { once: true });
    const timer = ms !== undefined && Number.isFinite(ms) ? setTimeout(() => done('timeout'), ms) : null;
  });
}

/**
 * What several live sessions publish, as one table. Two sessions tracing the same interface
 * (`trace` and `serve` side by side) both see every packet of its associations: adding their
 * records would double every counter, so an association (its namespace, interface and
 * endpoints) is one row, the record of the session that has seen the most of it (the one
 * attached longest; counters of one record stay consistent with each other, which a
 * field-by-field maximum would not). Global counters: sessions tracing the same set of
 * interfaces count the same packets (their maximum is taken), different sets are added (a
 * partial overlap is still counted twice). netns: only interfaces in that namespace (a name
 * under /run/netns, as -n takes it; sessions' interfaces in the initial namespace have none).
 */
export function mergeSessions(sessions: PublishedSession[], netns?: string): { tracers: StatsResult['tracers']; associations: Association[]; globals: Record<GlobalCounter, number> } {
  const best = new Map<string, Association>();
  const groups = new Map<string, Array<Record<GlobalCounter, number>>>();
  const tracers: StatsResult['tracers'] = [];
  const total = (a: Association) => a.dir[0].packets + a.dir[1].packets;
  for (const s of sessions) {
    const targets = s.targets.filter((t) => netns === undefined || t.netns === netns);
    if (targets.length === 0) continue;
    tracers.push(...targets.map((t) => ({ ...t, pid: s.pid })));
    const sig = s.targets.map((t) => `${t.netns ?? ''}/${t.ifindex}`).sort().join(',');
    groups.set(sig, [...(groups.get(sig) ?? []), s.snapshot.globals]);
    for (const a of s.snapshot.associations) {
      // the session's interfaces with this ifindex (two namespaces may share one: see Limits)
      const ns = s.targets.filter((t) => t.ifindex === a.ifindex).map((t) => t.netns ?? '');
      if (netns !== undefined && !ns.includes(netns)) continue;
      const id = `${ns[0] ?? ''}|${a.id}`;
      const had = best.get(id);
      if (!had || total(a) > total(had) || (total(a) === total(had) && a.lastSeenAgoMs < had.lastSeenAgoMs)) best.set(id, a);
    }
  }
  const globals = sumGlobals([...groups.values()].map((list) => {
    const out = {} as Record<GlobalCounter, number>;
    for (const g of list) for (const [k, v] of Object.entries(g) as Array<[GlobalCounter, number]>) out[k] = Math.max(out[k] ?? 0, v);
    return out;
  }));
  return { tracers, associations: [...best.values()], globals };
}

/** `sctp stats --dev …`: attach, watch for durationMs, report. Without targets: read running sessions. */
export async function sctpStats(p: { targets?: TraceTarget[]; netns?: string; kernel?: boolean; durationMs?: number; detect?: Partial<DetectOptions>; tracer?: Partial<WireTracerOptions> }): Promise<StatsResult> {
  if (!p.targets?.length && p.kernel) {
    const k = KernTracer.open();
    // asked for the kernel tracer alone and the kernel can run none of it: that is the answer
    if (!k.tracer) throw new UnsupportedError('SCTP kernel tracing', k.status[0]?.why ?? 'no probe could be loaded');
    try {
      await waitOrSignal(p.durationMs ?? 2000);
      return { source: 'sample', tracers: [], associations: [], globals: sumGlobals([]), kernel: kernelReport(k) };
    } finally {
      k.tracer?.close();
    }
  }
  if (!p.targets?.length) {
    // a namespace that does not exist is an error, not an empty list
    if (p.netns) withNetns(p.netns, () => undefined);
    const m = mergeSessions(readPublishedSessions(), p.netns);
    return { source: 'sessions', tracers: m.tracers, associations: report(viewsOf(m.associations.sort(bySort), p.detect)), globals: m.globals, kernel: null };
  }
  const tracer = await WireTracer.open({ ...p.tracer, targets: p.targets });
  // the kernel tracer runs alongside when the kernel has SCTP; its status says why not otherwise
  const k = p.kernel === false ? null : KernTracer.open();
  try {
    await waitOrSignal(p.durationMs ?? 2000);
    const snap = tracer.snapshot();
    return {
      source: 'sample',
      tracers: tracer.targets.map((t) => ({ ...t, pid: process.pid })),
      associations: report(viewsOf(snap.associations.sort(bySort), p.detect)),
      globals: snap.globals,
      kernel: k ? kernelReport(k) : null,
    };
  } finally {
    k?.tracer?.close();
    tracer.close();
  }
}

export interface TraceSummary { events: number; tracers: AttachedTarget[]; associations: AssociationReport[] }

/** `sctp trace`: events as they happen until durationMs, a signal or abort; the last snapshot at the end. */
export async function sctpTrace(p: { targets: TraceTarget[]; durationMs?: number; onEvent: (e: WireEvent, ifname: (ifindex: number) => string | null) => void; onAttached?: (t: AttachedTarget[], engine: string) => void; detect?: Partial<DetectOptions>; tracer?: Partial<WireTracerOptions>; signal?: AbortSignal }): Promise<TraceSummary> {
  const tracer = await WireTracer.open({ ...p.tracer, targets: p.targets, publish: true });
  let events = 0;
  let stop: (() => void) | null = null;
  try {
    p.onAttached?.(tracer.targets, tracer.engine);
    stop = streamEvents(tracer, p.detect ?? {}, (e) => {
      events++;
      p.onEvent(e, tracer.ifname);
    });
    await waitOrSignal(p.durationMs, p.signal);
    stop();
    const snap = tracer.snapshot();
    return { events, tracers: tracer.targets, associations: report(viewsOf(snap.associations.sort(bySort), p.detect)) };
  } finally {
    stop?.();
    tracer.close();
  }
}

/** `sctp serve`: Prometheus text on GET /metrics until a signal. */
export async function sctpServe(p: { targets: TraceTarget[]; listen: string; detect?: Partial<DetectOptions>; tracer?: Partial<WireTracerOptions>; onListening?: (url: string, t: AttachedTarget[]) => void; signal?: AbortSignal }): Promise<{ scrapes: number }> {
  const { host, port } = parseListen(p.listen);
  const tracer = await WireTracer.open({ ...p.tracer, targets: p.targets, publish: true });
  // the kernel tracer alongside where the kernel has SCTP (as stats does): what limits each
  // sender and the errors its calls return; its absence leaves only the wire's series
  let kern: KernTracer | null = null;
  try {
    kern = KernTracer.open().tracer;
  } catch {
    kern = null;
  }
  let scrapes = 0;
  let previous = new Map<string, Association>();
  let server: Server | null = null;
  // events by type since the start, every known type from 0 (a counter that appears late reads as a reset)
  const events = new Map<string, number>([...WIRE_EVENTS, ...WATCH_EVENTS].map((t) => [t, 0]));
  let stop: (() => void) | null = null;
  try {
    stop = streamEvents(tracer, p.detect ?? {}, (e) => events.set(e.type, (events.get(e.type) ?? 0) + 1));
    server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url !== '/metrics' && req.url !== '/')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
        return;
      }
      try {
        const snap = tracer.snapshot();
        // loss is judged over the interval between scrapes, not the association's lifetime
        const views = viewsOf(snap.associations, p.detect, previous);
        previous = new Map(snap.associations.map((a) => [a.id, a]));
        scrapes++;
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(renderPrometheus(views, snap.globals, events, kern?.snapshot(), kern?.statusNow()));
      } catch (err) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`);
      }
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', (err: NodeJS.ErrnoException) => reject(new UsageError(`cannot listen on ${p.listen}: ${err.code ?? err.message}`)));
      server!.listen(port, host, () => resolve());
    });
    p.onListening?.(`http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`, tracer.targets);
    await waitOrSignal(undefined, p.signal);
    return { scrapes };
  } finally {
    stop?.();
    server?.close();
    kern?.close();
    tracer.close();
  }
}

export function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(s) ?? /^()()(\d+)$/.exec(s);
  if (!m) throw new UsageError(`--metrics takes ADDRESS:PORT (e.g. 127.0.0.1:9464); got "${s}"`);
  const host = m[1] || m[2] || '127.0.0.1';
  const port = Number(m[3]);
  if (!isIP(host) && host !== 'localhost') throw new UsageError(`--metrics: "${host}" is not an IP address`);
  if (port < 1 || port > 65535) throw new UsageError(`--metrics: port ${port} is out of range`);
  return { host, port };
}

/** selected/expanded: rows by their key (AssocTable.keyOf), which survives re-sorting and refreshes. */
export interface TopState { sort: TopSort; frozen: boolean; selected: string | null; expanded: Set<string> }

export const TOP_SORTS: TopState['sort'][] = ['activity', 'data', 'retrans', 'rwnd', 'name'];

export interface TopOptions {
  targets: TraceTarget[];
  intervalMs: number;
  /** Stop after this many refreshes (batch mode). */
  iterations?: number;
  detect?: Partial<DetectOptions>;
  tracer?: Partial<WireTracerOptions>;
  /** Interactive terminal: redraw in place and read keys (s: sort, f: freeze, q: quit). */
  tty: boolean;
  /** Terminal height (default: stdout's). */
  rows?: () => number | undefined;
  write: (text: string) => void;
  signal?: AbortSignal;
}

/** `sctp top`: a refreshing table; batch mode (not a TTY) prints one table per interval. */
export async function sctpTop(o: TopOptions): Promise<{ refreshes: number }> {
  const tracer = await WireTracer.open({ ...o.tracer, targets: o.targets, publish: true });
  // the kernel tracer alongside where the kernel has SCTP (as stats and serve run it): what
  // limits each sender, under its row when expanded (and under the table in batch mode)
  let kern: KernTracer | null = null;
  try {
    kern = KernTracer.available().ok ? KernTracer.open().tracer : null;
  } catch {
    kern = null;
  }
  let kernel: KernAssociation[] = [];
  let skips = '';
  const state: TopState = { sort: 'activity', frozen: false, selected: null, expanded: new Set() };
  // the rows on screen, top to bottom (by key), for moving the selection
  let onScreen: string[] = [];
  const move = (by: number) => {
    if (onScreen.length === 0) return;
    const at = state.selected === null ? -1 : onScreen.indexOf(state.selected);
    state.selected = onScreen[at < 0 ? 0 : Math.max(0, Math.min(onScreen.length - 1, at + by))]!;
  };
  let refreshes = 0;
  let table: AssocTable | undefined;
  const ac = new AbortController();
  o.signal?.addEventListener('abort', () => ac.abort(), { once: true });
  const stdin = process.stdin;
  // the time the table was read, shown in the header: a frozen screen keeps its own
  let readAt = new Date();
  // column widths only grow while top runs: columns do not jump back and forth between refreshes
  const widths: number[] = [];
  const onKey = (buf: Buffer) => {
    // one read may hold several keys (typed quickly, pasted, or sent together); the arrow
    // keys are escape sequences of three characters
    // eslint-disable-next-line no-control-regex -- ESC starts the arrow keys' sequences
    for (const k of buf.toString().match(/\x1b\[[A-D]|[^]/g) ?? []) {
      if (k === 'q' || k === '\u0003') {
        ac.abort();
        return;
      }
      if (k === 's') state.sort = TOP_SORTS[(TOP_SORTS.indexOf(state.sort) + 1) % TOP_SORTS.length]!;
      else if (k === 'j' || k === '\x1b[B') move(1);
      else if (k === 'k' || k === '\x1b[A') move(-1);
      else if (k === 'p' || k === '\r' || k === '\n') {
        // expand (or fold) the selected row's paths; with nothing selected, the first row
        if (state.selected === null || !onScreen.includes(state.selected)) move(0);
        const sel = state.selected;
        if (sel !== null && !state.expanded.delete(sel)) state.expanded.add(sel);
      } else if (k === 'f' || k === ' ') {
        state.frozen = !state.frozen;
        // the table reads the tracer's live slot table: a frozen screen needs its own copy
        if (state.frozen) table?.freeze();
      }
    }
    draw(false);
  };
  const devs = tracer.targets.map(targetText).join(', ');
  const draw = (fresh: boolean) => {
    if ((fresh && !state.frozen) || !table) {
      table = tracer.table({ detect: o.detect });
      kernel = kern?.snapshot() ?? [];
      skips = kern ? skippedLine(kern.statusNow()) : '';
      readAt = new Date();
    }
    // a terminal shows what fits (header, blank, column titles, a line for the count);
    // batch mode prints every row, like top -b
    const rows = o.tty ? (o.rows?.() ?? process.stdout.rows ?? 0) : 0;
    const limit = rows > 8 ? rows - 4 : table.count;
    // expanded rows take lines of their own: fewer rows fit
    const pathLines = [...state.expanded].reduce((n, k) => n + 1 + (kern ? 2 : 0) + Math.max(1, table!.indexOf(k) >= 0 ? table!.view(table!.indexOf(k), o.detect).assoc.paths.length : 0), 0);
    const shown = table.top(state.sort, o.tty && rows > 8 ? Math.max(1, limit - pathLines) : limit);
    const t = table;
    onScreen = shown.map((i) => t.keyOf(i));
    const head = `nodectl sctp top — ${devs} — ${readAt.toISOString().slice(11, 19)} — sort: ${state.sort}${state.frozen ? ' — FROZEN' : ''}${o.tty ? ' — keys: s sort, f freeze, j/k select, p paths, q quit' : ''}`;
    const marks = o.tty ? { selected: state.selected === null ? null : onScreen.indexOf(state.selected), expanded: new Set(onScreen.flatMap((k, i) => (state.expanded.has(k) ? [i] : []))) } : undefined;
    if (marks?.selected === -1) marks.selected = null;
    const views = shown.map((i) => t.view(i, o.detect));
    if (kernel.length) for (const v of views) v.kernel = kernelSides(v.assoc, kernel);
    const body = renderTable(views, o.tty ? widths : undefined, marks) + (shown.length < table.count ? `\n… ${table.count - shown.length} more associations (of ${table.count})` : '') + (skips ? `\n${skips}` : '');
    o.write(o.tty ? `\x1b[H\x1b[2J${head}\n\n${body}\n` : `${head}\n${body}\n\n`);
  };
  try {
    if (o.tty) {
      // the alternate screen, as top(1) and less(1) use it: on exit the terminal shows what it
      // showed before, not the last frame; the cursor is hidden while frames are drawn
      o.write('\x1b[?1049h\x1b[?25l');
      if (stdin.isTTY) {
        stdin.setRawMode(true);
        stdin.resume();
        stdin.on('data', onKey);
      }
    }
    for (;;) {
      draw(true);
      refreshes++;
      if (o.iterations !== undefined && refreshes >= o.iterations) break;
      if ((await waitOrSignal(o.intervalMs, ac.signal)) === 'signal') break;
    }
    return { refreshes };
  } finally {
    if (o.tty && stdin.isTTY) {
      stdin.off('data', onKey);
      stdin.setRawMode(false);
      stdin.pause();
    }
    if (o.tty) o.write('\x1b[?25h\x1b[?1049l');
    kern?.close();
    tracer.close();
  }
}

export { DEFAULT_DETECT, assess, WireTracer, monotonicNs };
