// Netlink attribute (TLV) reading and writing, and the address formats rtnetlink carries.
// The `netlink` package parses every attribute of every message into objects (64-bit counters
// as BigInt, nested blocks as Buffers); nodectl's decoders walk the received bytes in place
// instead, which is what keeps a 4,000-link dump as fast as iproute2's (see bench/link-dump).

export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = 0x3fff;
export const NLA_HDRLEN = 4;

export function align4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * Walk the attributes in buf[off, end): calls fn(type, valueStart, valueEnd) for each. Types
 * come without the NESTED/BYTEORDER bits. Stops at the first malformed header (as the kernel's
 * nla_for_each_attr does) rather than throwing: a truncated tail must not hide what came before.
 */
export function forEachAttr(buf: Buffer, off: number, end: number, fn: (type: number, start: number, stop: number) => void): void {
  while (off + NLA_HDRLEN <= end) {
    const len = buf[off]! | (buf[off + 1]! << 8);
    if (len < NLA_HDRLEN || off + len > end) return;
    fn((buf[off + 2]! | (buf[off + 3]! << 8)) & NLA_TYPE_MASK, off + NLA_HDRLEN, off + len);
    off += align4(len);
  }
}

/** The attributes of buf[off, end) as a sparse table by type (last one wins), for small messages. */
export function attrTable(buf: Buffer, off = 0, end = buf.length): (Buffer | undefined)[] {
  const t: (Buffer | undefined)[] = [];
  forEachAttr(buf, off, end, (type, s, e) => {
    t[type] = buf.subarray(s, e);
  });
  return t;
}

/** A NUL-terminated (or not) string attribute value. */
export function readString(buf: Buffer, s: number, e: number): string {
  let z = s;
  while (z < e && buf[z] !== 0) z++;
  return buf.toString('utf8', s, z);
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const HEXCHAR = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const COLON = 0x3a;
// The last 6-byte address formatted: every Ethernet link of a dump has the same broadcast address.
let lastHi = -1;
let lastLo = -1;
let lastText = '';

/** Link-layer address bytes as aa:bb:cc:…, the way iproute2 prints them. */
export function formatLladdr(buf: Uint8Array, s = 0, e = buf.length): string {
  if (e - s === 6) {
    // Ethernet: one flat string in one call. Appending piece by piece made a rope of 11 cons
    // strings per address, most of the garbage a 4,000-link dump made before it was printed.
    const b0 = buf[s]!, b1 = buf[s + 1]!, b2 = buf[s + 2]!, b3 = buf[s + 3]!, b4 = buf[s + 4]!, b5 = buf[s + 5]!;
    const hi = (b0 << 16) | (b1 << 8) | b2;
    const lo = (b3 << 16) | (b4 << 8) | b5;
    if (hi === lastHi && lo === lastLo) return lastText;
    const h = HEXCHAR;
    lastHi = hi;
    lastLo = lo;
    lastText = String.fromCharCode(
      h[b0 >> 4]!, h[b0 & 15]!, COLON, h[b1 >> 4]!, h[b1 & 15]!, COLON, h[b2 >> 4]!, h[b2 & 15]!, COLON,
      h[b3 >> 4]!, h[b3 & 15]!, COLON, h[b4 >> 4]!, h[b4 & 15]!, COLON, h[b5 >> 4]!, h[b5 & 15]!,
    );
    return lastText;
  }
  if (e <= s) return '';
  let out = HEX[buf[s]!]!;
  for (let i = s + 1; i < e; i++) out += ':' + HEX[buf[i]!]!;
  return out;
}

/** Parse aa:bb:cc:dd:ee:ff (or aa-bb-…) into bytes; throws on anything else. */
export function parseLladdr(text: string): Buffer {
  const parts = text.split(/[:-]/);
  if (parts.length < 1 || parts.length > 32 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new TypeError(`"${text}" is not a link-layer address (expected aa:bb:cc:dd:ee:ff)`);
  }
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

export function formatIPv4(buf: Uint8Array, s = 0): string {
  return `${buf[s]}.${buf[s + 1]}.${buf[s + 2]}.${buf[s + 3]}`;
}

/** IPv6 in RFC 5952 form (longest run of zero groups compressed, lowercase), like inet_ntop. */
export function formatIPv6(buf: Uint8Array, s = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((buf[s + 2 * i]! << 8) | buf[s + 2 * i + 1]!);
  // IPv4-mapped addresses keep their dotted tail, as inet_ntop prints them.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${formatIPv4(buf, s + 12)}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Address bytes of family AF_INET/AF_INET6 (by length) as text. */
export function formatIP(buf: Uint8Array, s: number, e: number): string {
  if (e - s === 4) return formatIPv4(buf, s);
  if (e - s === 16) return formatIPv6(buf, s);
  return formatLladdr(buf, s, e);
}

export function parseIPv4(text: string): Buffer | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const b = m.slice(1, 5).map(Number);
  if (b.some((x) => x > 255)) return null;
  return Buffer.from(b);
}

export function parseIPv6(text: string): Buffer | null {
  let head = text;
  let v4: Buffer | null = null;
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.slice(lastColon + 1).includes('.')) {
    v4 = parseIPv4(text.slice(lastColon + 1));
    if (!v4) return null;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const p of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
      out.push(parseInt(p, 16));
    }
    return out;
  };
  const a = groups(halves[0]!);
  const b = halves.length === 2 ? groups(halves[1]!) : [];
  if (!a || !b) return null;
  let all: number[];
  if (halves.length === 2) {
    if (a.length + b.length > 7) return null;
    all = [...a, ...new Array<number>(8 - a.length - b.length).fill(0), ...b];
  } else {
    if (a.length !== 8) return null;
    all = a;
  }
  const out = Buffer.alloc(16);
  all.forEach((x, i) => out.writeUInt16BE(x, 2 * i));
  if (v4) v4.copy(out, 12);
  return out;
}

/** Parse an IPv4 or IPv6 address: its family and bytes; throws TypeError when it is neither. */
export function parseIP(text: string): { family: 4 | 6; bytes: Buffer } {
  const v4 = parseIPv4(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIPv6(text);
  if (v6) return { family: 6, bytes: v6 };
  throw new TypeError(`"${text}" is not an IPv4 or IPv6 address`);
}

/**
 * Builds a netlink payload: a fixed header struct followed by attributes, nests closed by
 * patching their length. One growing buffer, no per-attribute allocations.
 */
export class AttrWriter {
  private buf: Buffer;
  private len = 0;

  constructor(initial = 256) {
    this.buf = Buffer.alloc(initial);
  }

  private reserve(n: number): number {
    const need = this.len + align4(n);
    if (need > this.buf.length) {
      const next = Buffer.alloc(Math.max(need, this.buf.length * 2));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    const at = this.len;
    this.len = need;
    return at;
  }

  /** Raw bytes (a struct header such as ifinfomsg), padded to 4. */
  raw(bytes: Uint8Array): this {
    const at = this.reserve(bytes.length);
    this.buf.set(bytes, at);
    return this;
  }

  bytes(type: number, value: Uint8Array): this {
    const at = this.reserve(NLA_HDRLEN + value.length);
    this.buf.writeUInt16LE(NLA_HDRLEN + value.length, at);
    this.buf.writeUInt16LE(type, at + 2);
    this.buf.set(value, at + NLA_HDRLEN);
    return this;
  }

  flag(type: number): this {
    return this.bytes(type, new Uint8Array(0));
  }

  u8(type: number, v: number): this {
    return this.bytes(type, Uint8Array.of(v & 0xff));
  }

  u16(type: number, v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    return this.bytes(type, b);
  }

  be16(type: number, v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    return this.bytes(type, b);
  }

  u32(type: number, v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return this.bytes(type, b);
  }

  s32(type: number, v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    return this.bytes(type, b);
  }

  /** A NUL-terminated string, as the kernel's NLA_STRING / NLA_NUL_STRING policies expect. */
  str(type: number, v: string): this {
    return this.bytes(type, Buffer.from(`${v}\0`, 'utf8'));
  }

  /** A nested attribute: fn writes its content (with NLA_F_NESTED set, as strict policies want). */
  nest(type: number, fn: (w: this) => void, flags = NLA_F_NESTED): this {
    const at = this.reserve(NLA_HDRLEN);
    fn(this);
    this.buf.writeUInt16LE(this.len - at, at);
    this.buf.writeUInt16LE(type | flags, at + 2);
    return this;
  }

  /** The bytes written so far (a copy-free view). */
  finish(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}
