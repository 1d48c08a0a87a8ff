// A live wire-tracer session: load bpf/sctp_wire.bpf.o, attach it on tc ingress and egress of
// the chosen interfaces (tcx links where the kernel has them: they die with the process, so a
// crash leaves nothing behind; else clsact filters, removed on close and at exit), read the
// association map and the event ring buffer. Sessions can publish their maps in bpffs so
// `nodectl sctp stats` in another process can read them.
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BpfObject, ensureBpffs, jiffyNs, openPinnedMap, pinMap, probeFeature, unpin, type Attachment, type BpfMap, type RingBuffer } from 'ebpf-ts';
import { Handle } from '../netlink/handle.js';
import { getLink } from '../netlink/link.js';
import { withNetns } from '../netlink/netns.js';
import { BpfError, PermissionError, UsageError } from '../errors.js';
import { addressesOf, decodeAddressLogs, decodeEvent, decodeGroup, words, type AddressLog, type Association, type WireEvent } from './model.js';
import { SwEvent, SwGlobals } from './generated/sctp-wire.js';
import { SW_GLOBALS, type GlobalCounter } from './wire-consts.js';
import { assocRows, groupRows, recordRef, type AssocRows } from './rows.js';
import { AssocTable } from './table.js';
import type { DetectOptions } from './detect.js';

export const WIRE_OBJECT = fileURLToPath(new URL('../../bpf/sctp_wire.bpf.o', import.meta.url));
/** The same tracer with no chunk walked in line: for a verifier that refuses WIRE_OBJECT's size. */
export const WIRE_COMPACT_OBJECT = fileURLToPath(new URL('../../bpf/sctp_wire_compact.bpf.o', import.meta.url));
/**
 * The same tracer for kernels without bpf_loop (before 5.17): chunks walked by a bounded loop
 * of global-function calls, every association in the LRU hash (no slot table: its claim needs
 * compare-and-swap, 5.12). Counts the same; see bpf/sctp_wire_noloop.bpf.c.
 */
export const WIRE_NOLOOP_OBJECT = fileURLToPath(new URL('../../bpf/sctp_wire_noloop.bpf.o', import.meta.url));
export const SESSIONS_BPFFS = '/sys/fs/bpf/nodectl-sctp';
export const SESSIONS_RUN = '/run/nodectl/sctp';

export interface TraceTarget { dev: string; netns?: string }

/** A target as the user names it: IFACE, or IFACE@NETNS when it is in a namespace. */
export function targetText(t: { dev: string; netns?: string | null }): string {
  return t.netns ? `${t.dev}@${t.netns}` : t.dev;
}

export interface WireTracerOptions {
  targets: TraceTarget[];
  /**
   * Size of the association tables (default 16384): the slot table gets the next power of two
   * (associations keep their slot while the tracer runs), the LRU fallback this many (the
   * least recently active go first).
   */
  maxAssociations?: number;
  /** Retransmissions within burstWindowMs that raise a retrans-burst event (default 8 in 1000 ms). */
  burstThreshold?: number;
  burstWindowMs?: number;
  /** tc attach mode (default auto: tcx when available). */
  mode?: 'auto' | 'tcx' | 'clsact';
  /** Publish the maps for `sctp stats` in other processes. */
  publish?: boolean;
  objectPath?: string;
}

export interface AttachedTarget { dev: string; netns: string | null; ifindex: number; hooks: Array<{ direction: 'ingress' | 'egress'; kind: string }> }

/** An attached target and its hooks as `trace` and `stats` print them: `eth1@blue (ingress:tcx egress:tcx)`. */
export function attachedText(t: AttachedTarget): string {
  return `${targetText(t)} (${t.hooks.map((h) => `${h.direction}:${h.kind}`).join(' ')})`;
}

export interface Snapshot { associations: Association[]; globals: Record<GlobalCounter, number> }

/** Monotonic ns: the clock of bpf_ktime_get_ns (libuv's hrtime is CLOCK_MONOTONIC). */
export function monotonicNs(): number {
  return Number(process.hrtime.bigint());
}

/**
 * An ebpf-ts error said for what the tracer was doing. They are nodectl errors already (one
 * hierarchy, src/errors.ts); a plain BPF failure gets `doing` in front, keeping its errno and
 * libbpf's log, and a refused bpf(2) says which capability it needs. The verifier's log, a
 * missing feature and a missing object pass through as they are.
 */
export function fromBpf(err: unknown, doing: string): unknown {
  if (!(err instanceof BpfError)) return err;
  if (err.errno === 'EPERM' || err.errno === 'EACCES') return new PermissionError('CAP_BPF', doing, { errno: err.errno, cause: err });
  if (err.code !== 'BPF') return err;
  return new BpfError(`${doing}: ${err.message}`, { op: err.op, errno: err.errno, errnoValue: err.errnoValue, libbpfLog: err.libbpfLog, cause: err });
}

/**
 * Decode association rows (see rows.ts) into the model: one Association per association, its
 * paths under it; logs (decodeAddressLogs of sctp_addrs): the addresses its endpoints announced.
 */
export function decodeRows(r: AssocRows, nowNs: number, ifname?: (i: number) => string | null, logs?: Map<string, AddressLog>): Association[] {
  const ws = words(r.slots);
  const wf = words(r.fallback);
  const { homes, linked } = groupRows(r);
  const out = new Array<Association>(homes.length);
  const none: ReturnType<typeof recordRef>[] = [];
  for (let n = 0; n < homes.length; n++) {
    const i = homes[n]!;
    const l = linked.size ? linked.get(i) : undefined;
    const refs = l ? l.map((j) => recordRef(r, j, ws, wf)) : none;
    const a = decodeGroup(recordRef(r, i, ws, wf), refs, nowNs, ifname);
    const log = logs?.size ? logs.get(a.id) : undefined;
    if (log) a.addresses = addressesOf(a.paths, log);
    out[n] = a;
  }
  return out;
}

/** Slots in a table for n associations: a power of two (the program masks the hash). */
export function slotCount(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(64, n)));
}

/** The per-CPU struct sw_globals (one slot per possible CPU, 8-byte aligned), summed. */
export function sumGlobals(values: Buffer): Record<GlobalCounter, number> {
  const slot = SwGlobals.size;
  const c = SwGlobals.offsets.c;
  const out = Object.fromEntries(SW_GLOBALS.map((n) => [n, 0])) as Record<GlobalCounter, number>;
  for (let o = 0; o + slot <= values.length; o += slot) {
    SW_GLOBALS.forEach((n, i) => { out[n] += Number(values.readBigUInt64LE(o + c + i * 8)); });
  }
  return out;
}

function readGlobals(m: BpfMap): Record<GlobalCounter, number> {
  const d = m.dumpRaw();
  return sumGlobals(d.count ? d.values : Buffer.alloc(0));
}

interface TracerEvents { event: [WireEvent]; error: [Error] }

export class WireTracer extends EventEmitter<TracerEvents> {
  readonly targets: AttachedTarget[];
  /** Which build of the tracer the kernel took, and its clock: what `sctp trace` says on start. */
  readonly engine: string;
  readonly #obj: BpfObject;
  readonly #names: Map<number, string>;
  readonly #slots: Buffer;
  #ring: RingBuffer<WireEvent> | null = null;
  #published: string | null = null;
  #closed = false;

  private constructor(obj: BpfObject, targets: AttachedTarget[]) {
    super();
    this.#obj = obj;
    this.targets = targets;
    this.engine = wireEngine(obj.source, jiffyNs());
    this.#names = new Map(targets.map((t) => [t.ifindex, targetText(t)]));
    this.#slots = obj.map('sctp_slots').mmap();
  }

  static async open(opts: WireTracerOptions): Promise<WireTracer> {
    if (opts.targets.length === 0) throw new UsageError('no interface to trace: give at least one --dev');
    // Resolve every interface first: a typo fails before anything is loaded or attached.
    const resolved: Array<TraceTarget & { ifindex: number }> = [];
    for (const t of opts.targets) {
      const h = await Handle.open(t.netns ? { netns: t.netns } : {});
      try {
        const link = await getLink(h, t.dev);
        resolved.push({ ...t, ifindex: link.index });
      } finally {
        h.close();
      }
    }
    let obj: BpfObject;
    try {
      obj = loadWireObject(opts);
    } catch (err) {
      throw fromBpf(err, 'loading the SCTP wire tracer');
    }
    const attached: AttachedTarget[] = [];
    try {
      for (const t of resolved) {
        const hooks: AttachedTarget['hooks'] = [];
        for (const direction of ['ingress', 'egress'] as const) {
          let a: Attachment;
          try {
            a = obj.program(`sctp_wire_${direction}`).attachTc({
              ifindex: t.ifindex, direction, mode: opts.mode ?? 'auto',
              ...(t.netns ? { inNetns: <T>(fn: () => T) => withNetns(t.netns, fn) } : {}),
            });
          } catch (err) {
            throw fromBpf(err, `attaching the SCTP wire tracer to ${t.dev} ${direction}`);
          }
          hooks.push({ direction, kind: a.kind });
        }
        attached.push({ dev: t.dev, netns: t.netns ?? null, ifindex: t.ifindex, hooks });
      }
    } catch (err) {
      obj.close();
      throw err;
    }
    let tracer: WireTracer;
    try {
      tracer = new WireTracer(obj, attached);
    } catch (err) {
      obj.close();
      throw fromBpf(err, 'mapping the SCTP association slots');
    }
    if (opts.publish) tracer.#publish();
    return tracer;
  }

  ifname = (ifindex: number): string | null => this.#names.get(ifindex) ?? null;

  /** Every association's record: the slot table copied from the mapping, then the fallback's. */
  rows(): AssocRows {
    return assocRows(this.#slots, this.#obj.map('sctp_assocs').dumpRaw());
  }

  snapshot(nowNs = monotonicNs()): Snapshot {
    return { associations: decodeRows(this.rows(), nowNs, this.ifname, this.addressLogs()), globals: readGlobals(this.#obj.map('sctp_wire_stats')) };
  }

  /** The addresses announced in INIT / INIT ACK / ASCONF, per association id (sctp_addrs: a handful of entries, one per handshake seen). */
  addressLogs(): Map<string, AddressLog> {
    return decodeAddressLogs(this.#obj.map('sctp_addrs').dumpRaw());
  }

  /** The associations as a compact table (what `sctp top` orders and flags; objects only for shown rows). */
  table(opts: { detect?: Partial<DetectOptions>; previous?: AssocTable } = {}, nowNs = monotonicNs()): AssocTable {
    return new AssocTable(this.rows(), nowNs, { ifname: this.ifname, ...opts });
  }

  /** Start delivering ring-buffer events as 'event'. */
  startEvents(): void {
    if (this.#ring) return;
    this.#ring = this.#obj.ringBuffer<WireEvent>('sctp_events', {
      decode: (rec) => {
        if (rec.length < SwEvent.size) throw new BpfError(`sctp_events: record of ${rec.length} bytes, expected ${SwEvent.size}`, { op: 'decode', errno: 'EMSGSIZE', errnoValue: 90 });
        return decodeEvent(rec);
      },
    });
    this.#ring.on('data', (e) => this.emit('event', e));
    this.#ring.on('error', (e) => this.emit('error', e));
  }

  /** Pin the maps where `nodectl sctp stats` finds them; removed by close() (stale ones by stats). */
  #publish(): void {
    ensureBpffs();
    const dir = `${SESSIONS_BPFFS}/${process.pid}`;
    mkdirSync(dir, { recursive: true });
    pinMap(this.#obj.map('sctp_assocs'), `${dir}/assocs`);
    pinMap(this.#obj.map('sctp_slots'), `${dir}/slots`);
    pinMap(this.#obj.map('sctp_wire_stats'), `${dir}/stats`);
    pinMap(this.#obj.map('sctp_addrs'), `${dir}/addrs`);
    mkdirSync(SESSIONS_RUN, { recursive: true });
    writeFileSync(`${SESSIONS_RUN}/${process.pid}.json`, JSON.stringify({ pid: process.pid, targets: this.targets }));
    this.#published = dir;
    process.once('exit', () => this.#unpublish());
  }

  #unpublish(): void {
    if (!this.#published) return;
    removeSession(process.pid);
    this.#published = null;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unpublish();
    this.#ring?.close();
    this.#obj.close();
  }
}

/**
 * The wire tracer objects to try on this kernel, in order. Chosen by what the kernel answers,
 * not by its version: without bpf_loop only the no-bpf_loop object can load (the others are
 * refused before verification starts); with it, the default, then the compact one for a
 * verifier that refuses the default's size (kernels' verifiers differ in how far they prune).
 * A probe that could not tell (no permission, say) tries them all.
 */
export function wireObjects(): string[] {
  const loop = probeFeature('bpf_loop');
  if (loop.supported) return [WIRE_OBJECT, WIRE_COMPACT_OBJECT];
  return loop.conclusive === false ? [WIRE_OBJECT, WIRE_COMPACT_OBJECT, WIRE_NOLOOP_OBJECT] : [WIRE_NOLOOP_OBJECT];
}

/**
 * Load (not attach) the wire tracer with the sizes and tunables of opts: the first of
 * wireObjects() the verifier accepts (all count the same). The error of the first is the one
 * reported. `jiffyNs` overrides the tick the kernel's config gives (0: the helper clock), for
 * the clock's own test.
 */
export function loadWireObject(opts: Pick<WireTracerOptions, 'maxAssociations' | 'burstThreshold' | 'burstWindowMs' | 'objectPath'> & { jiffyNs?: number } = {}): BpfObject {
  const n = opts.maxAssociations ?? 16384;
  const slots = slotCount(n);
  const load = (path: string) => BpfObject.load(path, {
    globals: {
      burst_threshold: opts.burstThreshold ?? 8,
      burst_window_ns: BigInt(Math.round((opts.burstWindowMs ?? 1000) * 1e6)),
      slot_mask: slots - 1,
      tag_mask: 2 * slots - 1,
      jiffy_ns: BigInt(opts.jiffyNs ?? jiffyNs()),
    },
    // two tags an association: the tag index has twice the slots
    maxEntries: { sctp_assocs: n, sctp_slots: slots, sctp_tags: 2 * slots, sctp_addrs: n },
  });
  if (opts.objectPath) return load(opts.objectPath);
  const [first, ...rest] = wireObjects();
  try {
    return load(first!);
  } catch (err) {
    if ((err as { code?: string }).code !== 'VERIFIER') throw err;
    for (const path of rest) {
      try {
        return load(path);
      } catch {
        // the first refusal is the one to report
      }
    }
    throw err;
  }
}

/** "in-line walk, jiffies clock (4 ms)": the object loadWireObject chose and the clock it set. */
export function wireEngine(source: string, jiffy: number): string {
  const walk = source === WIRE_COMPACT_OBJECT ? 'compact walk (this kernel\'s verifier refused the in-line one)'
    : source === WIRE_NOLOOP_OBJECT ? 'bounded walk (this kernel has no bpf_loop), associations in the hash map only'
      : source === WIRE_OBJECT ? 'in-line walk' : source;
  return `${walk}, ${jiffy ? `jiffies clock (${jiffy / 1e6} ms)` : 'coarse-clock helper (CONFIG_HZ unknown)'}`;
}

function removeSession(pid: number): void {
  for (const f of ['assocs', 'slots', 'stats', 'addrs']) {
    try {
      unpin(`${SESSIONS_BPFFS}/${pid}/${f}`);
    } catch { /* already gone */ }
  }
  rmSync(`${SESSIONS_BPFFS}/${pid}`, { recursive: true, force: true });
  rmSync(`${SESSIONS_RUN}/${pid}.json`, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface PublishedSession { pid: number; targets: AttachedTarget[]; snapshot: Snapshot }

/** Read the sessions other nodectl processes published; sessions of dead processes are removed. */
export function readPublishedSessions(nowNs = monotonicNs()): PublishedSession[] {
  if (!existsSync(SESSIONS_RUN)) return [];
  const out: PublishedSession[] = [];
  for (const f of readdirSync(SESSIONS_RUN).filter((x) => /^\d+\.json$/.test(x))) {
    const pid = Number(f.slice(0, -5));
    if (!alive(pid)) {
      removeSession(pid);
      continue;
    }
    let targets: AttachedTarget[];
    try {
      targets = (JSON.parse(readFileSync(`${SESSIONS_RUN}/${f}`, 'utf8')) as { targets: AttachedTarget[] }).targets;
    } catch {
      continue;
    }
    const names = new Map(targets.map((t) => [t.ifindex, targetText(t)]));
    try {
      const am = openPinnedMap(`${SESSIONS_BPFFS}/${pid}/assocs`);
      const sm = openPinnedMap(`${SESSIONS_BPFFS}/${pid}/stats`);
      // a session of a nodectl from before the slot table publishes no slots
      const slots = existsSync(`${SESSIONS_BPFFS}/${pid}/slots`) ? openPinnedMap(`${SESSIONS_BPFFS}/${pid}/slots`) : null;
      // nor addresses, before they were learnt
      const addrs = existsSync(`${SESSIONS_BPFFS}/${pid}/addrs`) ? openPinnedMap(`${SESSIONS_BPFFS}/${pid}/addrs`) : null;
      try {
        const rows = assocRows(slots?.mmap() ?? null, am.dumpRaw());
        const logs = addrs ? decodeAddressLogs(addrs.dumpRaw()) : undefined;
        out.push({ pid, targets, snapshot: { associations: decodeRows(rows, nowNs, (i) => names.get(i) ?? null, logs), globals: readGlobals(sm) } });
      } finally {
        am.close();
        sm.close();
        slots?.close();
        addrs?.close();
      }
    } catch (err) {
      throw fromBpf(err, `reading the SCTP tracer session of pid ${pid}`);
    }
  }
  return out;
}
