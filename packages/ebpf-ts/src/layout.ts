// Typed views of map keys/values and ring-buffer records: a layout describes a C type (size,
// alignment, byte order) and converts between its bytes and a JS value. Structs follow the C
// ABI of BPF (natural alignment, padded to the largest member) unless declared packed, so a
// layout written next to the C struct has the same offsets as clang's.
//
//   const CountKey = struct({ ethertype: u16, proto: u8, dir: u8 });
//   const Event = struct({ tag: u32, saddr: ipv4, seq: u16be, comm: cstring(16) });

export interface Layout<T> {
  readonly size: number;
  readonly align: number;
  /** Read a value at `off` (default 0). */
  decode(buf: Buffer, off?: number): T;
  /** Write `value` at `off` (default 0) into `buf` (a new zeroed Buffer of `size` when omitted); returns buf. */
  encode(value: T, buf?: Buffer, off?: number): Buffer;
}

/** The JS type a layout decodes to. */
export type LayoutValue<L> = L extends Layout<infer T> ? T : never;

function scalar<T>(size: number, read: (b: Buffer, o: number) => T, write: (b: Buffer, v: T, o: number) => void, align = size): Layout<T> {
  return {
    size,
    align,
    decode: (buf, off = 0) => read(buf, off),
    encode: (value, buf = Buffer.alloc(size), off = 0) => {
      write(buf, value, off);
      return buf;
    },
  };
}

const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// Host byte order is what BPF programs on this machine write (clang -target bpf = bpfel on x86).
export const u8 = scalar<number>(1, (b, o) => b.readUInt8(o), (b, v, o) => b.writeUInt8(v, o));
export const s8 = scalar<number>(1, (b, o) => b.readInt8(o), (b, v, o) => b.writeInt8(v, o));
export const u16 = LE ? scalar<number>(2, (b, o) => b.readUInt16LE(o), (b, v, o) => b.writeUInt16LE(v, o)) : scalar<number>(2, (b, o) => b.readUInt16BE(o), (b, v, o) => b.writeUInt16BE(v, o));
export const s16 = LE ? scalar<number>(2, (b, o) => b.readInt16LE(o), (b, v, o) => b.writeInt16LE(v, o)) : scalar<number>(2, (b, o) => b.readInt16BE(o), (b, v, o) => b.writeInt16BE(v, o));
export const u32 = LE ? scalar<number>(4, (b, o) => b.readUInt32LE(o), (b, v, o) => b.writeUInt32LE(v, o)) : scalar<number>(4, (b, o) => b.readUInt32BE(o), (b, v, o) => b.writeUInt32BE(v, o));
export const s32 = LE ? scalar<number>(4, (b, o) => b.readInt32LE(o), (b, v, o) => b.writeInt32LE(v, o)) : scalar<number>(4, (b, o) => b.readInt32BE(o), (b, v, o) => b.writeInt32BE(v, o));
/** 64-bit values are bigint: counters overflow 2^53 in long-running programs. */
export const u64 = LE ? scalar<bigint>(8, (b, o) => b.readBigUInt64LE(o), (b, v, o) => b.writeBigUInt64LE(BigInt(v), o)) : scalar<bigint>(8, (b, o) => b.readBigUInt64BE(o), (b, v, o) => b.writeBigUInt64BE(BigInt(v), o));
export const s64 = LE ? scalar<bigint>(8, (b, o) => b.readBigInt64LE(o), (b, v, o) => b.writeBigInt64LE(BigInt(v), o)) : scalar<bigint>(8, (b, o) => b.readBigInt64BE(o), (b, v, o) => b.writeBigInt64BE(BigInt(v), o));

/**
 * A u64 decoded as a JS number: exact below 2^53 (counters of packets and bytes for centuries),
 * and several times cheaper than bigint when decoding whole maps. Encoding rejects unsafe values.
 */
export const u64n = LE
  ? scalar<number>(8, (b, o) => b.readUInt32LE(o) + b.readUInt32LE(o + 4) * 4294967296, (b, v, o) => {
      if (!Number.isSafeInteger(v) || v < 0) throw new TypeError(`u64n: ${v} is not a safe non-negative integer`);
      b.writeUInt32LE(v % 4294967296, o);
      b.writeUInt32LE(Math.floor(v / 4294967296), o + 4);
    })
  : scalar<number>(8, (b, o) => b.readUInt32BE(o) * 4294967296 + b.readUInt32BE(o + 4), (b, v, o) => {
      if (!Number.isSafeInteger(v) || v < 0) throw new TypeError(`u64n: ${v} is not a safe non-negative integer`);
      b.writeUInt32BE(Math.floor(v / 4294967296), o);
      b.writeUInt32BE(v % 4294967296, o + 4);
    });

// Network byte order (__be16/__be32/__be64 fields copied from packet headers).
export const u16be = scalar<number>(2, (b, o) => b.readUInt16BE(o), (b, v, o) => b.writeUInt16BE(v, o));
export const u32be = scalar<number>(4, (b, o) => b.readUInt32BE(o), (b, v, o) => b.writeUInt32BE(v, o));
export const u64be = scalar<bigint>(8, (b, o) => b.readBigUInt64BE(o), (b, v, o) => b.writeBigUInt64BE(BigInt(v), o));
// Explicit little-endian, for data with a fixed byte order regardless of host.
export const u16le = scalar<number>(2, (b, o) => b.readUInt16LE(o), (b, v, o) => b.writeUInt16LE(v, o));
export const u32le = scalar<number>(4, (b, o) => b.readUInt32LE(o), (b, v, o) => b.writeUInt32LE(v, o));
export const u64le = scalar<bigint>(8, (b, o) => b.readBigUInt64LE(o), (b, v, o) => b.writeBigUInt64LE(BigInt(v), o));

export const bool = scalar<boolean>(1, (b, o) => b[o] !== 0, (b, v, o) => b.writeUInt8(v ? 1 : 0, o));

/** An IPv4 address stored in network byte order (like iphdr.saddr), as dotted quad. */
export const ipv4 = scalar<string>(4, (b, o) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`, (b, v, o) => {
  const parts = v.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new TypeError(`not an IPv4 address: ${v}`);
  parts.forEach((p, i) => (b[o + i] = p));
});

/** An Ethernet address (6 bytes) as aa:bb:cc:dd:ee:ff. */
export const mac = scalar<string>(6, (b, o) => [...b.subarray(o, o + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':'), (b, v, o) => {
  const parts = v.split(':').map((x) => parseInt(x, 16));
  if (parts.length !== 6 || parts.some((p) => !(p >= 0 && p <= 255))) throw new TypeError(`not a MAC address: ${v}`);
  parts.forEach((p, i) => (b[o + i] = p));
}, 1);

/** Raw bytes (e.g. a 16-byte address that holds v4 or v6): a copy, not a view. */
export function bytes(n: number): Layout<Buffer> {
  return scalar<Buffer>(n, (b, o) => Buffer.from(b.subarray(o, o + n)), (b, v, o) => {
    b.fill(0, o, o + n);
    Buffer.from(v).copy(b, o, 0, Math.min(n, v.length));
  }, 1);
}

/** char name[n]: NUL-terminated (or full) text. */
export function cstring(n: number): Layout<string> {
  return scalar<string>(n, (b, o) => {
    const s = b.subarray(o, o + n);
    const z = s.indexOf(0);
    return s.subarray(0, z < 0 ? n : z).toString('utf8');
  }, (b, v, o) => {
    b.fill(0, o, o + n);
    b.write(v, o, Math.min(n - 1, Buffer.byteLength(v)), 'utf8');
  }, 1);
}

/** T name[n] */
export function array<T>(elem: Layout<T>, n: number): Layout<T[]> {
  return {
    size: elem.size * n,
    align: elem.align,
    decode: (buf, off = 0) => Array.from({ length: n }, (_, i) => elem.decode(buf, off + i * elem.size)),
    encode: (value, buf = Buffer.alloc(elem.size * n), off = 0) => {
      if (value.length > n) throw new TypeError(`array of ${n} given ${value.length} elements`);
      value.forEach((v, i) => elem.encode(v, buf, off + i * elem.size));
      return buf;
    },
  };
}

/** Explicit padding (decodes to undefined, encodes zeros). */
export function pad(n: number): Layout<undefined> {
  return { ...scalar<undefined>(n, () => undefined, (b, _v, o) => void b.fill(0, o, o + n), 1), pad: true } as Layout<undefined>;
}

/**
 * A struct's value: its members' values. Padding members (`pad(n)`, whose value is undefined)
 * are optional: decode leaves them out and encode writes zeros, so a value never spells them.
 */
export type StructValue<F extends Record<string, Layout<unknown>>> =
  { [K in keyof F as undefined extends LayoutValue<F[K]> ? never : K]: LayoutValue<F[K]> } &
  { [K in keyof F as undefined extends LayoutValue<F[K]> ? K : never]?: undefined };

/** struct { … }: members in the order given; C alignment and tail padding unless `packed`. */
export function struct<F extends Record<string, Layout<unknown>>>(fields: F, opts: { packed?: boolean } = {}): Layout<StructValue<F>> & { offsets: Record<keyof F, number> } {
  const entries = Object.entries(fields);
  const offsets = {} as Record<keyof F, number>;
  let off = 0;
  let align = 1;
  for (const [name, l] of entries) {
    const a = opts.packed ? 1 : l.align;
    off = Math.ceil(off / a) * a;
    offsets[name as keyof F] = off;
    off += l.size;
    align = Math.max(align, a);
  }
  const size = Math.ceil(off / align) * align;
  // Decoding is the hot path of map dumps: a generated function builds every record with one
  // object literal (one hidden class) instead of adding members one by one.
  const kept = entries.map(([name, l], i) => ({ name, l, i })).filter((x) => !(x.l as { pad?: boolean }).pad);
  const body = `return function decode(buf, base) { base = base || 0; return { ${kept.map((x) => `${JSON.stringify(x.name)}: L[${x.i}].decode(buf, base + ${offsets[x.name as keyof F]})`).join(', ')} }; }`;
  const decode = new Function('L', body)(entries.map(([, l]) => l)) as (buf: Buffer, base?: number) => StructValue<F>;
  return {
    size,
    align,
    offsets,
    decode,
    encode: (value, buf = Buffer.alloc(size), base = 0) => {
      for (const [name, l] of entries) {
        const v = (value as Record<string, unknown>)[name];
        if (v === undefined) {
          // Missing members are zero, like a C designated initializer.
          buf.fill(0, base + offsets[name as keyof F], base + offsets[name as keyof F] + l.size);
          continue;
        }
        l.encode(v, buf, base + offsets[name as keyof F]);
      }
      return buf;
    },
  };
}

/** Add per-CPU values together: numbers and bigints are summed member by member. */
export function sumValues<T>(values: T[]): T {
  if (values.length === 0) throw new TypeError('nothing to sum');
  const add = (a: unknown, b: unknown): unknown => {
    if (typeof a === 'bigint' && typeof b === 'bigint') return a + b;
    if (typeof a === 'number' && typeof b === 'number') return a + b;
    if (typeof a === 'boolean' && typeof b === 'boolean') return a || b;
    if (Array.isArray(a) && Array.isArray(b)) return a.map((x, i) => add(x, b[i]));
    if (a && b && typeof a === 'object' && typeof b === 'object' && !Buffer.isBuffer(a)) {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(a)) o[k] = add((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]);
      return o;
    }
    throw new TypeError(`cannot sum per-CPU values of type ${Buffer.isBuffer(a) ? 'Buffer' : typeof a}: give the map a numeric value layout, or use lookupPerCpu()`);
  };
  return values.reduce((acc, v) => add(acc, v) as T);
}
