// The records of bpf/sctp_wire.h, described once for user space. Offsets follow the C rules
// (natural alignment, struct size rounded to its largest member); test/unit/sctp-layout.test.ts
// compares every offset and size with the BTF of the compiled bpf/sctp_wire.bpf.o, so the C
// header stays the one source of truth and a drift fails the tests.

export type Scalar = 'u8' | 'u16' | 'u32' | 'u64';
export type FieldType = Scalar | { array: FieldType; n: number } | { struct: StructLayout };

export interface FieldLayout { name: string; type: FieldType; offset: number; size: number }
export interface StructLayout { name: string; size: number; align: number; fields: FieldLayout[] }

const SCALAR_SIZE: Record<Scalar, number> = { u8: 1, u16: 2, u32: 4, u64: 8 };

function sizeAlign(t: FieldType): { size: number; align: number } {
  if (typeof t === 'string') return { size: SCALAR_SIZE[t], align: SCALAR_SIZE[t] };
  if ('array' in t) {
    const e = sizeAlign(t.array);
    return { size: e.size * t.n, align: e.align };
  }
  return { size: t.struct.size, align: t.struct.align };
}

export function struct(name: string, fields: Array<[string, FieldType]>): StructLayout {
  let off = 0;
  let align = 1;
  const out: FieldLayout[] = [];
  for (const [fname, type] of fields) {
    const sa = sizeAlign(type);
    off = Math.ceil(off / sa.align) * sa.align;
    out.push({ name: fname, type, offset: off, size: sa.size });
    off += sa.size;
    align = Math.max(align, sa.align);
  }
  return { name, size: Math.ceil(off / align) * align, align, fields: out };
}

const arr = (array: FieldType, n: number): FieldType => ({ array, n });

export const SW_KEY = struct('sw_key', [
  ['addr', arr(arr('u8', 16), 2)],
  ['port', arr('u16', 2)],
  ['ifindex', 'u32'],
  ['family', 'u8'],
  ['pad', arr('u8', 3)],
]);

const DIR_U64 = [
  'packets', 'bytes', 'data_chunks', 'idata_chunks', 'data_bytes', 'retrans_chunks', 'spurious_retrans',
  'sack_chunks', 'gap_blocks', 'dup_tsns', 'zero_window_sacks', 'heartbeats', 'heartbeat_acks',
  'rtt_last_ns', 'rtt_min_ns', 'rtt_sum_ns', 'rtt_count', 'hb_sent_ns', 'init_chunks', 'init_ack_chunks',
  'cookie_echo_chunks', 'cookie_ack_chunks', 'shutdown_chunks', 'shutdown_ack_chunks',
  'shutdown_complete_chunks', 'abort_chunks', 'error_chunks', 'forward_tsn_chunks', 'other_chunks',
  'malformed', 'truncated', 'bad_vtag', 'last_seen_ns', 'last_data_ns', 'last_sack_ns', 'progress_ns',
  'zwin_since_ns', 'burst_start_ns',
] as const;
const DIR_U32 = ['burst_count', 'highest_tsn', 'cum_tsn_ack', 'a_rwnd_last', 'a_rwnd_min', 'vtag', 'init_tag', 'flags', 'hb_unanswered', 'pad'] as const;

export type DirField = (typeof DIR_U64)[number] | (typeof DIR_U32)[number];

export const SW_DIR = struct('sw_dir', [
  ...DIR_U64.map((n) => [n, 'u64'] as [string, FieldType]),
  ...DIR_U32.map((n) => [n, 'u32'] as [string, FieldType]),
]);

export const SW_ASSOC = struct('sw_assoc', [
  ['dir', arr({ struct: SW_DIR }, 2)],
  ['first_ns', 'u64'],
  ['last_ns', 'u64'],
  ['init_ns', 'u64'],
  ['up_ns', 'u64'],
  ['setup_ns', 'u64'],
  ['down_ns', 'u64'],
  ['state', 'u32'],
  ['restarts', 'u32'],
  ['abort_cause', 'u16'],
  ['abort_dir', 'u8'],
  ['init_dir', 'u8'],
  ['home', 'u32'],
  ['home_flip', 'u8'],
  ['link', 'u8'],
  ['pad', 'u16'],
  ['n_paths', 'u32'],
  ['paths', arr('u32', 4)],
]);

/** sw_assoc.link */
export const SW_L = { MIRROR: 0x1 } as const;

/** One entry of sctp_tags: (verification tag, ports) → the association's home slot. */
export const SW_TAG = struct('sw_tag', [
  ['vtag', 'u32'],
  ['sport', 'u16'],
  ['dport', 'u16'],
  ['home', 'u32'],
  ['pad', 'u32'],
]);

/** One address an endpoint announced (INIT / INIT ACK / ASCONF): an entry of sw_addrs. */
export const SW_ADDR = struct('sw_addr', [
  ['addr', arr('u8', 16)],
  ['family', 'u8'],
  ['op', 'u8'],
  ['pad', 'u16'],
]);

export const SW_MAX_ADDRS = 8;

/** A value of sctp_addrs (keyed by the association's home key): per endpoint, the log of its announced addresses. */
export const SW_ADDRS = struct('sw_addrs', [
  ['a', arr(arr({ struct: SW_ADDR }, SW_MAX_ADDRS), 2)],
  ['n', arr('u32', 2)],
  ['dropped', arr('u32', 2)],
]);

/** sw_addr.op (enum sw_addr_op) */
export const SW_ADDR_OP = { 1: 'init', 2: 'init-ack', 3: 'asconf', 4: 'add', 5: 'delete' } as const;

/** One entry of sctp_slots (the mmap'ed direct-mapped table): key, claim word, record. */
export const SW_SLOT = struct('sw_slot', [
  ['key', { struct: SW_KEY }],
  ['pad', 'u32'],
  ['state', 'u64'],
  ['a', { struct: SW_ASSOC }],
]);

/** sw_slot.state */
export const SW_SLOT_STATE = { FREE: 0, CLAIMING: 1, USED: 2 } as const;

export const SW_EVENT = struct('sw_event', [
  ['ts_ns', 'u64'],
  ['duration_ns', 'u64'],
  ['key', { struct: SW_KEY }],
  ['type', 'u8'],
  ['dir', 'u8'],
  ['cause', 'u16'],
  ['value', 'u32'],
]);

/** sw_dir.flags */
export const SW_F = { HAVE_TSN: 0x1, HAVE_SACK: 0x2, ZERO_WINDOW: 0x4, HAVE_VTAG: 0x8, OUTSTANDING: 0x10 } as const;

export const SW_STATE = ['unknown', 'cookie-wait', 'cookie-echoed', 'established', 'shutdown', 'closed', 'aborted'] as const;
export type AssocState = (typeof SW_STATE)[number];

export const SW_EVENT_TYPE: Record<number, string> = {
  1: 'init', 2: 'up', 3: 'down', 4: 'abort', 5: 'zero-window-start', 6: 'zero-window-end', 7: 'retrans-burst', 8: 'restart',
};

/** Indexes of the per-CPU global counters (enum sw_global). */
export const SW_GLOBALS = ['skbs', 'sctpPackets', 'fragments', 'headerTruncated', 'malformedChunks', 'chunks', 'walkLimit', 'eventsLost', 'mapFull', 'slotWait', 'pathsLinked'] as const;
export type GlobalCounter = (typeof SW_GLOBALS)[number];

/** Decode a struct into a plain object (u64 as number: counters and ns timestamps stay below 2^53 for ~104 days of uptime). */
export function decodeStruct(layout: StructLayout, buf: Buffer, base = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of layout.fields) out[f.name] = decodeField(f.type, buf, base + f.offset);
  return out;
}

function decodeField(t: FieldType, buf: Buffer, off: number): unknown {
  switch (t) {
    case 'u8': return buf[off];
    case 'u16': return buf.readUInt16LE(off);
    case 'u32': return buf.readUInt32LE(off);
    case 'u64': return Number(buf.readBigUInt64LE(off));
  }
  if ('array' in t) {
    if (t.array === 'u8') return buf.subarray(off, off + t.n);
    const { size } = sizeAlign(t.array);
    return Array.from({ length: t.n }, (_, i) => decodeField(t.array, buf, off + i * size));
  }
  return decodeStruct(t.struct, buf, off);
}

/** Encode a (partial) plain object into a struct: the inverse of decodeStruct; missing fields are 0. Used by tests and the bench. */
export function encodeStruct(layout: StructLayout, v: Record<string, unknown>, buf: Buffer = Buffer.alloc(layout.size), base = 0): Buffer {
  for (const f of layout.fields) if (v[f.name] !== undefined) encodeField(f.type, v[f.name], buf, base + f.offset);
  return buf;
}

function encodeField(t: FieldType, v: unknown, buf: Buffer, off: number): void {
  switch (t) {
    case 'u8': buf[off] = Number(v); return;
    case 'u16': buf.writeUInt16LE(Number(v), off); return;
    case 'u32': buf.writeUInt32LE(Number(v) >>> 0, off); return;
    case 'u64': buf.writeBigUInt64LE(BigInt(v as number), off); return;
  }
  if ('array' in t) {
    const { size } = sizeAlign(t.array);
    if (t.array === 'u8') Buffer.from(v as Uint8Array).copy(buf, off, 0, t.n);
    else (v as unknown[]).forEach((x, i) => { if (x !== undefined) encodeField(t.array, x, buf, off + i * size); });
    return;
  }
  encodeStruct(t.struct, v as Record<string, unknown>, buf, off);
}
