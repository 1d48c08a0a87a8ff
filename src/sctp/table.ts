// A snapshot of the association map kept as the dump's own bytes, for a screen that orders and
// flags every association but shows one terminal's worth: `sctp top`. Building an Association
// object (~1.5 KB, two DirStats) for each of 100,000 associations takes seconds, most of it
// garbage collection; here the few fields the order and the flags need are read straight from
// the words of the dump, and objects are built only for the rows drawn. The flags follow the
// rules of detect.ts exactly (the unit test compares them with assess() on the same records).
import { assess, DEFAULT_DETECT, type DetectOptions } from './detect.js';
import { decodeAssociation, ms, u64, words, type Association } from './model.js';
import type { AssocView } from './render.js';
import { SW_ASSOC, SW_DIR, SW_F, SW_KEY } from './wire-layout.js';

export type TopSort = 'activity' | 'data' | 'retrans' | 'rwnd' | 'name';

const off = (layout: { fields: Array<{ name: string; offset: number }> }, name: string): number => layout.fields.find((f) => f.name === name)!.offset;
const D = (name: string) => off(SW_DIR, name);
const DIR0 = off(SW_ASSOC, 'dir');
const STATE = off(SW_ASSOC, 'state');
const ST_ABORTED = 6;
const ST_CLOSED = 5;
const KFAMILY = off(SW_KEY, 'family');
const KPORT = off(SW_KEY, 'port');
const KIFINDEX = off(SW_KEY, 'ifindex');

const [PACKETS, DATA_BYTES, DATA_CHUNKS, RETRANS, FLAGS, RWND_LAST, PROGRESS] =
  ['packets', 'data_bytes', 'data_chunks', 'retrans_chunks', 'flags', 'a_rwnd_last', 'progress_ns'].map(D) as [number, number, number, number, number, number, number];


/** Bit 0: this endpoint's DATA is stalled; bit 1: lossy (over the interval when pw is given). */
function dirFlags(w: Uint32Array, me: number, flags: number, live: boolean, now: number, o: DetectOptions, pw: Uint32Array | null, pme: number): number {
  let bits = 0;
  if (flags & SW_F.OUTSTANDING && live) {
    const p = u64(w, me + PROGRESS);
    if (p && Math.max(0, ms(now - p)) >= o.stallAfterMs) bits |= 1;
  }
  let sent = u64(w, me + DATA_CHUNKS);
  let rtx = u64(w, me + RETRANS);
  if (pw) {
    const ps = u64(pw, pme + DATA_CHUNKS);
    const pr = u64(pw, pme + RETRANS);
    if (sent >= ps) sent -= ps;
    if (rtx >= pr) rtx -= pr;
  }
  if (sent >= o.lossyMinChunks && rtx / sent >= o.lossyRatio) bits |= 2;
  return bits;
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
  readonly #keys: Buffer;
  readonly #values: Buffer;
  readonly #vw: Uint32Array;
  readonly #now: number;
  readonly #ifname?: (ifindex: number) => string | null;
  readonly #previous?: AssocTable;
  #index: Map<string, number> | null = null;

  /**
   * d: a raw dump of sctp_assocs; previous: the table of the last refresh, so loss is judged
   * over the interval (as assess() does with a previous snapshot).
   */
  constructor(d: { count: number; keys: Buffer; values: Buffer }, nowNs: number, opts: { ifname?: (ifindex: number) => string | null; detect?: Partial<DetectOptions>; previous?: AssocTable } = {}) {
    const n = d.count;
    this.count = n;
    this.#keys = d.keys;
    this.#values = d.values;
    this.#vw = words(d.values);
    this.#now = nowNs;
    this.#ifname = opts.ifname;
    this.#previous = opts.previous;
    this.activity = new Float64Array(n);
    this.data = new Float64Array(n);
    this.retrans = new Float64Array(n);
    this.rwnd = new Float64Array(n);
    this.flagged = new Uint8Array(n);
    const o = { ...DEFAULT_DETECT, ...opts.detect };
    const w = this.#vw;
    const prev = opts.previous;
    for (let i = 0; i < n; i++) {
      const base = i * SW_ASSOC.size;
      const a = base + DIR0;
      const b = a + SW_DIR.size;
      const fa = w[(a + FLAGS) >>> 2]!;
      const fb = w[(b + FLAGS) >>> 2]!;
      this.activity[i] = u64(w, a + PACKETS) + u64(w, b + PACKETS);
      this.data[i] = u64(w, a + DATA_BYTES) + u64(w, b + DATA_BYTES);
      this.retrans[i] = u64(w, a + RETRANS) + u64(w, b + RETRANS);
      this.rwnd[i] = Math.min(fa & SW_F.HAVE_SACK ? w[(a + RWND_LAST) >>> 2]! : Infinity, fb & SW_F.HAVE_SACK ? w[(b + RWND_LAST) >>> 2]! : Infinity);
      const live = w[(base + STATE) >>> 2]! !== ST_ABORTED && w[(base + STATE) >>> 2]! !== ST_CLOSED;
      const j = prev ? this.#previousRow(i) : -1;
      const pbase = j >= 0 ? j * SW_ASSOC.size : -1;
      const bits = dirFlags(w, a, fa, live, nowNs, o, pbase < 0 ? null : prev!.#vw, pbase + DIR0) |
        dirFlags(w, b, fb, live, nowNs, o, pbase < 0 ? null : prev!.#vw, pbase + DIR0 + SW_DIR.size);
      // throttled: either endpoint advertises a zero window (the other is held back)
      this.flagged[i] = ((fa | fb) & SW_F.ZERO_WINDOW ? 1 : 0) + (bits & 1) + ((bits >> 1) & 1);
    }
  }

  /** The same association's row in the previous table (-1: none). Dumps walk the hash in
   * bucket order, so it is usually the same row: compared in place before any lookup. */
  #previousRow(i: number): number {
    const p = this.#previous;
    if (!p) return -1;
    const ks = SW_KEY.size;
    if (i < p.count && this.#keys.compare(p.#keys, i * ks, (i + 1) * ks, i * ks, (i + 1) * ks) === 0) return i;
    return p.indexOf(this.keyOf(i));
  }

  /** The row's key bytes as a string: an identity that needs no formatting. */
  keyOf(i: number): string {
    return this.#keys.toString('latin1', i * SW_KEY.size, (i + 1) * SW_KEY.size);
  }

  indexOf(key: string): number {
    if (!this.#index) {
      this.#index = new Map();
      for (let i = 0; i < this.count; i++) this.#index.set(this.keyOf(i), i);
    }
    return this.#index.get(key) ?? -1;
  }

  association(i: number): Association {
    return decodeAssociation(this.#keys, this.#values, this.#now, this.#ifname, i * SW_KEY.size, i * SW_ASSOC.size, this.#vw);
  }

  /** Row i as top shows it: the Association and its health, loss judged against the previous table. */
  view(i: number, detect: Partial<DetectOptions> = {}): AssocView {
    const assoc = this.association(i);
    const j = this.#previousRow(i);
    return { assoc, health: assess(assoc, detect, j >= 0 ? this.#previous!.association(j) : undefined) };
  }

  /**
   * Name order without formatting names: family, then the lower endpoint (address bytes,
   * port), the higher one, the interface. Addresses compare numerically (10.9.x before
   * 10.10.x), as an operator reads them.
   */
  compareNames(x: number, y: number): number {
    const k = this.#keys;
    const kx = x * SW_KEY.size, ky = y * SW_KEY.size;
    const f = k[kx + KFAMILY]! - k[ky + KFAMILY]!;
    if (f) return f;
    for (const e of [0, 1]) {
      for (let i = e * 16; i < e * 16 + 16; i++) {
        const c = k[kx + i]! - k[ky + i]!;
        if (c) return c;
      }
      const p = k.readUInt16LE(kx + KPORT + 2 * e) - k.readUInt16LE(ky + KPORT + 2 * e);
      if (p) return p;
    }
    return k.readUInt32LE(kx + KIFINDEX) - k.readUInt32LE(ky + KIFINDEX);
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
