// One refresh of `sctp top` over the association rows (rows.ts): a screen that orders and
// flags every association but shows one terminal's worth. Building an Association object
// (~1.5 KB, two DirStats) for each of 100,000 associations takes seconds, most of it garbage
// collection; here the few fields the order and the flags need are read straight from the
// words of the records (in place, in the tracer's mapped slot table), kept in typed arrays,
// and objects are built only for the rows drawn. The flags follow the rules of detect.ts
// exactly (the unit test compares them with assess() on the same records). The records go on
// changing after the refresh: what the next look compares with (the conditions, per row, for
// the event watcher) is kept here, and freeze() copies the records for a screen that must stop
// moving.
import { assess, DEFAULT_DETECT, withExpiry, type DetectOptions } from './detect.js';
import { decodeGroup, ms, u64, words, type Association } from './model.js';
import type { AssocView } from './render.js';
import { frozen, groupRows, recordRef, rowBuffer, SLOT_ASSOC, SLOT_KEY, type AssocRows } from './rows.js';
import { SwAssoc, SwDir, SwKey } from './generated/sctp-wire.js';
import { SW_F, SW_L } from './wire-consts.js';

export type TopSort = 'activity' | 'data' | 'retrans' | 'rwnd' | 'name';

const D = (name: keyof typeof SwDir.offsets): number => SwDir.offsets[name];
const DIR0 = SwAssoc.offsets.dir;
const STATE = SwAssoc.offsets.state;
const LAST = SwAssoc.offsets.last_ns;
const RESTARTS = SwAssoc.offsets.restarts;
const ST_ABORTED = 6;
const ST_CLOSED = 5;
const KFAMILY = SwKey.offsets.family;
const KPORT = SwKey.offsets.port;
const KIFINDEX = SwKey.offsets.ifindex;
const LINK = SwAssoc.offsets.link;
const FLIP = SwAssoc.offsets.home_flip;

const [PACKETS, DATA_BYTES, DATA_CHUNKS, RETRANS, FLAGS, RWND_LAST, PROGRESS, MALFORMED, HIGHEST, CUM_ACK] =
  (['packets', 'data_bytes', 'data_chunks', 'retrans_chunks', 'flags', 'a_rwnd_last', 'progress_ns', 'malformed', 'highest_tsn', 'cum_tsn_ack'] as const).map(D) as
  [number, number, number, number, number, number, number, number, number, number];

/** AssocTable.bits: the conditions of one row, per endpoint (the sender whose DATA they concern). */
export const ROW = { STALLED0: 1, STALLED1: 2, LOSSY0: 4, LOSSY1: 8, GONE: 16, IMPAIRED: 32 } as const;


/** Bit 0: this endpoint's DATA is stalled; bit 1: lossy (over the association's lifetime). */
function dirFlags(w: Uint32Array, me: number, flags: number, live: boolean, now: number, o: DetectOptions, sent: number, rtx: number): number {
  let bits = 0;
  if (flags & SW_F.OUTSTANDING && live) {
    const p = u64(w, me + PROGRESS);
    if (p && Math.max(0, ms(now - p)) >= o.stallAfterMs) bits |= 1;
  }
  if (sent >= o.lossyMinChunks && rtx / sent >= o.lossyRatio) bits |= 2;
  return bits;
}

/** TSNs me sent that peer has not cumulatively acknowledged, as model.ts computes them (-1: unknown). */
function outstandingTsns(w: Uint32Array, me: number, peer: number, fm: number, fp: number): number {
  if (!(fm & SW_F.OUTSTANDING) || !(fm & SW_F.HAVE_TSN) || !(fp & SW_F.HAVE_SACK)) return -1;
  return (w[(me + HIGHEST) >>> 2]! - w[(peer + CUM_ACK) >>> 2]!) >>> 0;
}

export class AssocTable {
  readonly count: number;
  /** Per row: packets, DATA payload bytes, retransmitted DATA of both directions. */
  readonly activity: Float64Array;
  readonly data: Float64Array;
  readonly retrans: Float64Array;
  /** Lowest a_rwnd last advertised by either endpoint (Infinity: no SACK seen). */
  readonly rwnd: Float64Array;
  /** How many of stalled / throttled / lossy hold: flagged rows go first. */
  readonly flagged: Uint8Array;
  /**
   * Per row, ROW bits judged over the association's lifetime (lossy as `stats` judges it):
   * what the event watcher (watch.ts) compares from one check to the next.
   */
  readonly bits: Uint8Array;
  /** Per row and endpoint (2 per row): malformed chunks, progress_ns, TSNs outstanding (-1: unknown). */
  readonly malformed: Float64Array;
  readonly progressNs: Float64Array;
  readonly outstanding: Float64Array;
  /** Per row: new incarnations seen on the key (a restart resets the record). */
  readonly restarts: Uint32Array;
  #rows: AssocRows;
  /** Table row -> record row: an association's home (its further paths are folded into it). */
  readonly #homes: Uint32Array;
  /** Per record row of a home: the record rows linked to it. */
  readonly #linked: Map<number, number[]>;
  #ws: Uint32Array;
  #wf: Uint32Array;
  readonly #now: number;
  readonly #ifname?: (ifindex: number) => string | null;
  #previous?: AssocTable;
  #index: Map<string, number> | null = null;

  /**
   * r: the association rows of one read; previous: the table of the last look, whose rows
   * previousRow() finds (what the event watcher compares with).
   */
  constructor(r: AssocRows, nowNs: number, opts: { ifname?: (ifindex: number) => string | null; detect?: Partial<DetectOptions>; previous?: AssocTable } = {}) {
    const g = groupRows(r);
    this.#homes = g.homes;
    this.#linked = g.linked;
    const n = g.homes.length;
    this.count = n;
    this.#rows = r;
    this.#ws = words(r.slots);
    this.#wf = words(r.fallback);
    this.#now = nowNs;
    this.#ifname = opts.ifname;
    this.#previous = opts.previous;
    this.activity = new Float64Array(n);
    this.data = new Float64Array(n);
    this.retrans = new Float64Array(n);
    this.rwnd = new Float64Array(n);
    this.flagged = new Uint8Array(n);
    this.bits = new Uint8Array(n);
    this.malformed = new Float64Array(2 * n);
    this.progressNs = new Float64Array(2 * n);
    this.outstanding = new Float64Array(2 * n);
    this.restarts = new Uint32Array(n);
    const o = { ...DEFAULT_DETECT, ...opts.detect };
    const prev = opts.previous;
    for (let i = 0; i < n; i++) {
      const ri = g.homes[i]!;
      const w = ri < r.inSlots ? this.#ws : this.#wf;
      const base = r.at[ri]! + SLOT_ASSOC;
      const a = base + DIR0;
      const b = a + SwDir.size;
      const fa = w[(a + FLAGS) >>> 2]!;
      const fb = w[(b + FLAGS) >>> 2]!;
      let sa = u64(w, a + DATA_CHUNKS), ra = u64(w, a + RETRANS), sb = u64(w, b + DATA_CHUNKS), rb = u64(w, b + RETRANS);
      let act = u64(w, a + PACKETS) + u64(w, b + PACKETS);
      let dat = u64(w, a + DATA_BYTES) + u64(w, b + DATA_BYTES);
      let ma = u64(w, a + MALFORMED), mb = u64(w, b + MALFORMED);
      // further paths (slot rows, never mirrors: they count the same packets again) add their counters
      const linked = g.linked.size ? g.linked.get(ri) : undefined;
      if (linked) for (const j of linked) {
        const lb = r.at[j]! + SLOT_ASSOC;
        if (r.slots[lb + LINK]! & SW_L.MIRROR) continue;
        const flip = r.slots[lb + FLIP]! & 1;
        const la = lb + DIR0 + flip * SwDir.size, lz = lb + DIR0 + (flip ^ 1) * SwDir.size;
        const ws = this.#ws;
        sa += u64(ws, la + DATA_CHUNKS); ra += u64(ws, la + RETRANS); sb += u64(ws, lz + DATA_CHUNKS); rb += u64(ws, lz + RETRANS);
        act += u64(ws, la + PACKETS) + u64(ws, lz + PACKETS);
        dat += u64(ws, la + DATA_BYTES) + u64(ws, lz + DATA_BYTES);
        ma += u64(ws, la + MALFORMED); mb += u64(ws, lz + MALFORMED);
      }
      this.activity[i] = act;
      this.data[i] = dat;
      this.retrans[i] = ra + rb;
      this.rwnd[i] = Math.min(fa & SW_F.HAVE_SACK ? w[(a + RWND_LAST) >>> 2]! : Infinity, fb & SW_F.HAVE_SACK ? w[(b + RWND_LAST) >>> 2]! : Infinity);
      const state = w[(base + STATE) >>> 2]!;
      // gone (no packet for --expire-after) is closed too, as detect.ts's expired() says
      const last = u64(w, base + LAST);
      const ended = state === ST_ABORTED || state === ST_CLOSED;
      const gone = !ended && last !== 0 && Math.max(0, ms(nowNs - last)) >= o.expireAfterMs;
      const live = !ended && !gone;
      // loss over the association's lifetime, as `stats` judges it: over one refresh a steady
      // 20 % loss of a few chunks a second never reached the 20-chunk minimum, and was never shown
      const da = dirFlags(w, a, fa, live, nowNs, o, sa, ra);
      const db = dirFlags(w, b, fb, live, nowNs, o, sb, rb);
      const bits = da | db;
      // impaired (detect.ts): a path of a live multi-path association failed; path states need
      // the paths decoded, which only the (rare) multi-path rows pay for
      const impaired = linked !== undefined && live && decodeGroup(recordRef(r, ri, this.#ws, this.#wf), linked.map((j) => recordRef(r, j, this.#ws, this.#wf)), nowNs, undefined, o.pathFailAfter).paths.some((p) => !p.mirror && p.state === 'failed');
      // throttled: either endpoint advertises a zero window (the other is held back)
      this.flagged[i] = ((fa | fb) & SW_F.ZERO_WINDOW ? 1 : 0) + (bits & 1) + ((bits >> 1) & 1) + (impaired ? 1 : 0);
      this.bits[i] = (da & 1 ? ROW.STALLED0 : 0) | (db & 1 ? ROW.STALLED1 : 0) | (da & 2 ? ROW.LOSSY0 : 0) | (db & 2 ? ROW.LOSSY1 : 0) | (gone ? ROW.GONE : 0) | (impaired ? ROW.IMPAIRED : 0);
      this.malformed[2 * i] = ma;
      this.malformed[2 * i + 1] = mb;
      this.progressNs[2 * i] = u64(w, a + PROGRESS);
      this.progressNs[2 * i + 1] = u64(w, b + PROGRESS);
      this.outstanding[2 * i] = outstandingTsns(w, a, b, fa, fb);
      this.outstanding[2 * i + 1] = outstandingTsns(w, b, a, fb, fa);
      this.restarts[i] = w[(base + RESTARTS) >>> 2]!;
    }
    // the previous table served this one; what it compared with itself is no longer needed
    // (else every refresh would keep all earlier ones alive)
    if (prev) prev.#previous = undefined;
  }

  /** Copy the records out of the live slot table: views drawn later show this refresh's numbers. */
  freeze(): void {
    this.#rows = frozen(this.#rows);
    this.#ws = words(this.#rows.slots);
  }

  /** The same association's row in the previous table (-1: none). Slots keep their place and
   * the fallback's dump walks the hash in bucket order, so it is usually the same row: compared
   * in place before any lookup. */
  previousRow(i: number): number {
    const p = this.#previous;
    if (!p) return -1;
    const r = this.#rows;
    const pr = p.#rows;
    const ri = this.#homes[i]!;
    if (ri < r.inSlots && r.slots === pr.slots) {
      // the same mapping: a used slot keeps its key, so its offset is its identity (slot rows
      // are in ascending offset order, and so are the homes among them)
      const o = r.at[ri]!;
      const ph = p.#homes;
      const at = (x: number) => (ph[x]! < pr.inSlots ? pr.at[ph[x]!]! : Infinity);
      if (i < p.count && at(i) === o) return i;
      let lo = 0, hi = p.count;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (at(mid) < o) lo = mid + 1;
        else hi = mid;
      }
      return lo < p.count && at(lo) === o ? lo : -1;
    }
    const k = r.at[ri]! + SLOT_KEY;
    if (i < p.count) {
      const pj = p.#homes[i]!;
      const pk = pr.at[pj]! + SLOT_KEY;
      if (rowBuffer(r, ri).compare(rowBuffer(pr, pj), pk, pk + SwKey.size, k, k + SwKey.size) === 0) return i;
    }
    return p.indexOf(this.keyOf(i));
  }

  /** The row's key bytes as a string: an identity that needs no formatting. */
  keyOf(i: number): string {
    const ri = this.#homes[i]!;
    const k = this.#rows.at[ri]! + SLOT_KEY;
    return rowBuffer(this.#rows, ri).toString('latin1', k, k + SwKey.size);
  }

  indexOf(key: string): number {
    if (!this.#index) {
      this.#index = new Map();
      for (let i = 0; i < this.count; i++) this.#index.set(this.keyOf(i), i);
    }
    return this.#index.get(key) ?? -1;
  }

  association(i: number): Association {
    const r = this.#rows;
    const ri = this.#homes[i]!;
    return decodeGroup(recordRef(r, ri, this.#ws, this.#wf), (this.#linked.get(ri) ?? []).map((j) => recordRef(r, j, this.#ws, this.#wf)), this.#now, this.#ifname);
  }

  /** How many records (paths) row i has: 1 for a single-homed association. */
  paths(i: number): number {
    return 1 + (this.#linked.get(this.#homes[i]!)?.length ?? 0);
  }

  /** Row i as top shows it: the Association and its health (loss over its lifetime, as `stats`). */
  view(i: number, detect: Partial<DetectOptions> = {}): AssocView {
    const assoc = withExpiry(this.association(i), detect);
    return { assoc, health: assess(assoc, detect) };
  }

  /**
   * Name order without formatting names: family, then the lower endpoint (address bytes,
   * port), the higher one, the interface. Addresses compare numerically (10.9.x before
   * 10.10.x), as an operator reads them.
   */
  compareNames(x: number, y: number): number {
    x = this.#homes[x]!;
    y = this.#homes[y]!;
    const bx = rowBuffer(this.#rows, x), by = rowBuffer(this.#rows, y);
    const kx = this.#rows.at[x]! + SLOT_KEY, ky = this.#rows.at[y]! + SLOT_KEY;
    const f = bx[kx + KFAMILY]! - by[ky + KFAMILY]!;
    if (f) return f;
    for (const e of [0, 1]) {
      for (let i = e * 16; i < e * 16 + 16; i++) {
        const c = bx[kx + i]! - by[ky + i]!;
        if (c) return c;
      }
      const p = bx.readUInt16LE(kx + KPORT + 2 * e) - by.readUInt16LE(ky + KPORT + 2 * e);
      if (p) return p;
    }
    return bx.readUInt32LE(kx + KIFINDEX) - by.readUInt32LE(ky + KIFINDEX);
  }

  /** Is row x shown above row y: flagged rows first, then the sort key, then the name. */
  before(x: number, y: number, sort: TopSort): boolean {
    const f = this.flagged[y]! - this.flagged[x]!;
    if (f) return f < 0;
    if (sort !== 'name') {
      const col = sort === 'data' ? this.data : sort === 'retrans' ? this.retrans : sort === 'rwnd' ? this.rwnd : this.activity;
      // rwnd: the most constrained (lowest window) first; the others: the largest first
      const d = sort === 'rwnd' ? col[x]! - col[y]! : col[y]! - col[x]!;
      if (d) return d < 0;
    }
    return this.compareNames(x, y) < 0;
  }

  /** The first `limit` rows in display order (all rows without a limit). */
  top(sort: TopSort, limit = this.count): number[] {
    if (limit >= this.count / 8) {
      const all = Array.from({ length: this.count }, (_, i) => i);
      all.sort((x, y) => (x === y ? 0 : this.before(x, y, sort) ? -1 : 1));
      return all.slice(0, limit);
    }
    // a screenful out of many: keep the best `limit` in order while scanning once
    const best: number[] = [];
    for (let i = 0; i < this.count; i++) {
      if (best.length === limit && !this.before(i, best[limit - 1]!, sort)) continue;
      let lo = 0, hi = best.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.before(i, best[mid]!, sort)) hi = mid;
        else lo = mid + 1;
      }
      best.splice(lo, 0, i);
      if (best.length > limit) best.pop();
    }
    return best;
  }
}
