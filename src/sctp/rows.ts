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
import { words } from './model.js';
import { SW_ASSOC, SW_KEY, SW_SLOT, SW_SLOT_STATE } from './wire-layout.js';

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

const off = (name: string) => SW_SLOT.fields.find((f) => f.name === name)!.offset;
/** Offsets inside a struct sw_slot. */
export const SLOT_KEY = off('key');
export const SLOT_STATE = off('state');
export const SLOT_ASSOC = off('a');
const S = SW_SLOT.size;
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
    const K = SW_KEY.size >>> 2, V = SW_ASSOC.size >>> 2, SW = S >>> 2, KO = SLOT_KEY >>> 2, AO = SLOT_ASSOC >>> 2;
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
