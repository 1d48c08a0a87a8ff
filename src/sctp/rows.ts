// Association records as the readers see them, in the layout of struct sw_slot (key, claim
// word, record). The wire tracer keeps associations in two maps (bpf/sctp_wire.bpf.c): the
// slot table, BPF_F_MMAPABLE, read in place through its mapping (no syscall, no copy), and
// the LRU fallback for collisions, read with a batch dump whose few entries are laid out as
// slots in a private buffer. Rows [0, inSlots) are in the slot table, the rest in that buffer.
//
// Reading in place while programs update the slots: every counter is an aligned u64 that the
// program changes with one atomic add or store; model.ts reads it so that a carry into the
// high half between the two 32-bit loads is never seen (u64()). A record as a whole is not one
// instant (a packet may be counted a microsecond before its chunks), exactly as when the
// kernel's batch dump memcpy'd live hash values. A slot is listed only once its claim word
// says USED, which the program sets after the key (atomic exchange), and a used slot keeps its
// key while the tracer is loaded: a row's key, and so its identity, never changes under a
// reader. What does change is the counters: whoever needs a fixed picture (a frozen screen)
// takes a copy (frozen()); whoever compares refreshes keeps the numbers it compares (table.ts).
import { words, type RecordRef } from './model.js';
import { SwAssoc, SwKey, SwSlot } from './generated/sctp-wire.js';
import { SW_SLOT_STATE } from './wire-consts.js';

export interface AssocRows {
  count: number;
  /** The slot table: its live mapping, or a copy. */
  slots: Buffer;
  /** Fallback-map entries laid out as slots (a private buffer). */
  fallback: Buffer;
  /** Rows below inSlots are in `slots`, the others in `fallback`. */
  inSlots: number;
  /** Byte offset of each row's struct sw_slot in its buffer. */
  at: Uint32Array;
}

/** Offsets inside a struct sw_slot. */
export const SLOT_KEY = SwSlot.offsets.key;
export const SLOT_STATE = SwSlot.offsets.state;
export const SLOT_ASSOC = SwSlot.offsets.a;
const S = SwSlot.size;
const EMPTY = Buffer.alloc(0);

/**
 * slots: the slot table (its mapping, or null), fallback: a raw dump of sctp_assocs (keys and
 * values contiguous, as BpfMap.dumpRaw returns them).
 */
export function assocRows(slots: Buffer | null, fallback: { count: number; keys: Buffer; values: Buffer } | null): AssocRows {
  const table = slots ?? EMPTY;
  const extra = fallback?.count ?? 0;
  // Buffer.alloc: never a slice of the shared pool, so 8-byte aligned like the mapping
  const fb = extra ? Buffer.alloc(extra * S) : EMPTY;
  if (extra) {
    // word by word in JS: a Buffer.copy per record is a native call each, slower for records
    // this size than the copy itself
    const fw = words(fb), kw = words(fallback!.keys), vw = words(fallback!.values);
    const K = SwKey.size >>> 2, V = SwAssoc.size >>> 2, SW = S >>> 2, KO = SLOT_KEY >>> 2, AO = SLOT_ASSOC >>> 2;
    for (let i = 0; i < extra; i++) {
      const o = i * SW;
      for (let k = 0; k < K; k++) fw[o + KO + k] = kw[i * K + k]!;
      fw[o + (SLOT_STATE >>> 2)] = SW_SLOT_STATE.USED;
      for (let k = 0; k < V; k++) fw[o + AO + k] = vw[i * V + k]!;
    }
  }
  const n = Math.floor(table.length / S);
  const at = new Uint32Array(n + extra);
  let count = 0;
  if (n) {
    const w = words(table);
    // the claim word's high half is always 0: its low half says it all
    for (let o = 0; o < n * S; o += S) if (w[(o + SLOT_STATE) >>> 2] === SW_SLOT_STATE.USED) at[count++] = o;
  }
  const inSlots = count;
  for (let i = 0; i < extra; i++) at[count++] = i * S;
  return { count, slots: table, fallback: fb, inSlots, at: at.subarray(0, count) };
}

/** The buffer holding row i. */
export function rowBuffer(r: AssocRows, i: number): Buffer {
  return i < r.inSlots ? r.slots : r.fallback;
}

/** The same rows copied out of the mapping: a picture that no longer changes. */
export function frozen(r: AssocRows): AssocRows {
  const slots = Buffer.alloc(r.inSlots * S);
  for (let i = 0; i < r.inSlots; i++) r.slots.copy(slots, i * S, r.at[i]!, r.at[i]! + S);
  const at = new Uint32Array(r.count);
  for (let i = 0; i < r.count; i++) at[i] = i < r.inSlots ? i * S : r.at[i]!;
  return { count: r.count, slots, fallback: r.fallback, inSlots: r.inSlots, at };
}

const HOME = SLOT_ASSOC + SwAssoc.offsets.home;

/**
 * Which rows are associations and which are further paths of one (sw_assoc.home: the slot
 * index + 1 of the home record). homes: the rows that are associations, in row order;
 * linked: per home row, the rows linked to it. A record whose home is not (or no longer) a
 * home stands alone. Rows of the fallback map are never linked (they have no slot index).
 * One pass over the home words; the map is built only when some record is linked.
 */
export function groupRows(r: AssocRows): { homes: Uint32Array; linked: Map<number, number[]> } {
  const linked = new Map<number, number[]>();
  const w = r.inSlots ? words(r.slots) : null;
  let any = -1;
  for (let i = 0; i < r.inSlots; i++) if (w![(r.at[i]! + HOME) >>> 2]) { any = i; break; }
  if (any < 0) {
    const homes = new Uint32Array(r.count);
    for (let i = 0; i < homes.length; i++) homes[i] = i;
    return { homes, linked };
  }
  // slot index -> row (rows of the live table are at slot index x its size)
  const rowOf = new Map<number, number>();
  for (let i = 0; i < r.inSlots; i++) rowOf.set(r.at[i]! / S, i);
  const isLinked = new Uint8Array(r.count);
  for (let i = any; i < r.inSlots; i++) {
    const h = w![(r.at[i]! + HOME) >>> 2]!;
    if (!h) continue;
    const j = rowOf.get(h - 1);
    if (j === undefined || j === i || w![(r.at[j]! + HOME) >>> 2]) continue;
    isLinked[i] = 1;
    const l = linked.get(j);
    if (l) l.push(i);
    else linked.set(j, [i]);
  }
  const homes: number[] = [];
  for (let i = 0; i < r.count; i++) if (!isLinked[i]) homes.push(i);
  return { homes: Uint32Array.from(homes), linked };
}

/** Row i as a RecordRef (model.ts). ws / wf: words of the slots and the fallback buffers. */
export function recordRef(r: AssocRows, i: number, ws: Uint32Array, wf: Uint32Array): RecordRef {
  const b = i < r.inSlots;
  const buf = b ? r.slots : r.fallback;
  return { key: buf, value: buf, ko: r.at[i]! + SLOT_KEY, vo: r.at[i]! + SLOT_ASSOC, vw: b ? ws : wf };
}
