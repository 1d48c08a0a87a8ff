// Crafting SCTP packets byte by byte (RFC 9260): chunks, the common header with its CRC32c,
// IPv4/IPv6 (with options / extension headers) and Ethernet with VLAN tags. Used by the
// traffic generator, the parser tests and the bench; it deliberately allows malformed chunks.
import { isIPv4, isIPv6 } from 'node:net';
import { crc32c } from './crc32c.js';

export const CHUNK = {
  DATA: 0, INIT: 1, INIT_ACK: 2, SACK: 3, HEARTBEAT: 4, HEARTBEAT_ACK: 5, ABORT: 6, SHUTDOWN: 7,
  SHUTDOWN_ACK: 8, ERROR: 9, COOKIE_ECHO: 10, COOKIE_ACK: 11, SHUTDOWN_COMPLETE: 14, IDATA: 64,
  FORWARD_TSN: 192, ASCONF: 0xc1,
} as const;

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** A chunk with the given type, flags and body, padded to 4 bytes (RFC 9260 §3.2). */
export function rawChunk(type: number, flags: number, body: Uint8Array, opts: { length?: number; pad?: boolean } = {}): Buffer {
  const len = 4 + body.length;
  const out = Buffer.alloc(opts.pad === false ? len : pad4(len));
  out[0] = type;
  out[1] = flags;
  out.writeUInt16BE(opts.length ?? len, 2);
  Buffer.from(body).copy(out, 4);
  return out;
}

function u32s(...v: number[]): Buffer {
  const b = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => b.writeUInt32BE(x >>> 0, i * 4));
  return b;
}

export interface InitParams {
  tag: number; aRwnd: number; nOut?: number; nIn?: number; initialTsn: number; cookie?: Uint8Array;
  /** IPv4 / IPv6 Address parameters (types 5 and 6): the sender's further addresses (multi-homing). */
  addresses?: string[];
}

function addressParams(addrs: string[]): Buffer[] {
  return addrs.map((a) => {
    const v4 = isIPv4(a);
    if (!v4 && !isIPv6(a)) throw new Error(`not an IP address: ${a}`);
    const p = Buffer.alloc(v4 ? 8 : 20);
    p.writeUInt16BE(v4 ? 5 : 6, 0);
    p.writeUInt16BE(p.length, 2);
    (v4 ? ipv4Bytes(a) : ipv6Bytes(a)).copy(p, 4);
    return p;
  });
}

function initBody(p: InitParams, withCookie: boolean): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(p.tag >>> 0, 0);
  b.writeUInt32BE(p.aRwnd >>> 0, 4);
  b.writeUInt16BE(p.nOut ?? 10, 8);
  b.writeUInt16BE(p.nIn ?? 10, 10);
  b.writeUInt32BE(p.initialTsn >>> 0, 12);
  const addrs = addressParams(p.addresses ?? []);
  if (!withCookie) return Buffer.concat([b, ...addrs]);
  // State Cookie parameter (type 7), required in INIT ACK
  const cookie = Buffer.from(p.cookie ?? Buffer.alloc(8, 0xc0));
  const param = Buffer.alloc(pad4(4 + cookie.length));
  param.writeUInt16BE(7, 0);
  param.writeUInt16BE(4 + cookie.length, 2);
  cookie.copy(param, 4);
  return Buffer.concat([b, ...addrs, param]);
}

export const chunk = {
  init: (p: InitParams) => rawChunk(CHUNK.INIT, 0, initBody(p, false)),
  initAck: (p: InitParams) => rawChunk(CHUNK.INIT_ACK, 0, initBody(p, true)),
  cookieEcho: (cookie: Uint8Array = Buffer.alloc(8, 0xc0)) => rawChunk(CHUNK.COOKIE_ECHO, 0, cookie),
  cookieAck: () => rawChunk(CHUNK.COOKIE_ACK, 0, Buffer.alloc(0)),
  /** DATA; flags default to an unfragmented message (B|E). */
  data: (p: { tsn: number; sid?: number; ssn?: number; ppid?: number; payload?: Uint8Array; size?: number; flags?: number }) => {
    const payload = Buffer.from(p.payload ?? Buffer.alloc(p.size ?? 100, 0x61));
    const head = Buffer.alloc(12);
    head.writeUInt32BE(p.tsn >>> 0, 0);
    head.writeUInt16BE(p.sid ?? 0, 4);
    head.writeUInt16BE(p.ssn ?? 0, 6);
    head.writeUInt32BE(p.ppid ?? 0, 8);
    return rawChunk(CHUNK.DATA, p.flags ?? 0x03, Buffer.concat([head, payload]));
  },
  /** I-DATA (RFC 8260). */
  idata: (p: { tsn: number; sid?: number; mid?: number; ppidOrFsn?: number; payload?: Uint8Array; size?: number; flags?: number }) => {
    const payload = Buffer.from(p.payload ?? Buffer.alloc(p.size ?? 100, 0x62));
    const head = Buffer.alloc(16);
    head.writeUInt32BE(p.tsn >>> 0, 0);
    head.writeUInt16BE(p.sid ?? 0, 4);
    head.writeUInt32BE(p.mid ?? 0, 8);
    head.writeUInt32BE(p.ppidOrFsn ?? 0, 12);
    return rawChunk(CHUNK.IDATA, p.flags ?? 0x03, Buffer.concat([head, payload]));
  },
  /** SACK; gap blocks are offsets from the cumulative TSN ack, as on the wire. */
  sack: (p: { cumTsn: number; aRwnd: number; gaps?: Array<[number, number]>; dups?: number[] }) => {
    const gaps = p.gaps ?? [];
    const dups = p.dups ?? [];
    const b = Buffer.alloc(12 + 4 * gaps.length + 4 * dups.length);
    b.writeUInt32BE(p.cumTsn >>> 0, 0);
    b.writeUInt32BE(p.aRwnd >>> 0, 4);
    b.writeUInt16BE(gaps.length, 8);
    b.writeUInt16BE(dups.length, 10);
    gaps.forEach(([s, e], i) => {
      b.writeUInt16BE(s, 12 + 4 * i);
      b.writeUInt16BE(e, 14 + 4 * i);
    });
    dups.forEach((d, i) => b.writeUInt32BE(d >>> 0, 12 + 4 * gaps.length + 4 * i));
    return rawChunk(CHUNK.SACK, 0, b);
  },
  /** HEARTBEAT with a Heartbeat Info parameter (type 1) carrying `info`. */
  heartbeat: (info: Uint8Array = Buffer.alloc(8, 0x48)) => rawChunk(CHUNK.HEARTBEAT, 0, hbInfo(info)),
  heartbeatAck: (info: Uint8Array = Buffer.alloc(8, 0x48)) => rawChunk(CHUNK.HEARTBEAT_ACK, 0, hbInfo(info)),
  /** ABORT with one error cause (code, e.g. 12 = User-Initiated Abort), or none. */
  abort: (p: { cause?: number; tBit?: boolean } = {}) => {
    const body = p.cause === undefined ? Buffer.alloc(0) : Buffer.from([p.cause >> 8, p.cause & 0xff, 0, 4]);
    return rawChunk(CHUNK.ABORT, p.tBit ? 1 : 0, body);
  },
  shutdown: (cumTsn: number) => rawChunk(CHUNK.SHUTDOWN, 0, u32s(cumTsn)),
  shutdownAck: () => rawChunk(CHUNK.SHUTDOWN_ACK, 0, Buffer.alloc(0)),
  shutdownComplete: (tBit = false) => rawChunk(CHUNK.SHUTDOWN_COMPLETE, tBit ? 1 : 0, Buffer.alloc(0)),
  error: (cause: number) => rawChunk(CHUNK.ERROR, 0, Buffer.from([cause >> 8, cause & 0xff, 0, 4])),
  forwardTsn: (newCumTsn: number) => rawChunk(CHUNK.FORWARD_TSN, 0, u32s(newCumTsn)),
  /**
   * ASCONF (RFC 5061 §4.1.1): serial number, the sender's Address Parameter, then Add IP /
   * Delete IP Address parameters (0.0.0.0 or :: stands for the packet's source address).
   */
  asconf: (p: { serial: number; address: string; add?: string[]; del?: string[] }) => {
    let corr = 1;
    const op = (type: number, a: string) => {
      const addr = addressParams([a])[0]!;
      const h = Buffer.alloc(8);
      h.writeUInt16BE(type, 0);
      h.writeUInt16BE(8 + addr.length, 2);
      h.writeUInt32BE(corr++, 4);
      return Buffer.concat([h, addr]);
    };
    return rawChunk(CHUNK.ASCONF, 0, Buffer.concat([u32s(p.serial), ...addressParams([p.address]), ...(p.add ?? []).map((a) => op(0xc001, a)), ...(p.del ?? []).map((a) => op(0xc002, a))]));
  },
};

function hbInfo(info: Uint8Array): Buffer {
  const p = Buffer.alloc(pad4(4 + info.length));
  p.writeUInt16BE(1, 0);
  p.writeUInt16BE(4 + info.length, 2);
  Buffer.from(info).copy(p, 4);
  return p;
}

/** The SCTP packet: common header + chunks, with its CRC32c (stored little-endian, RFC 9260 App. B). */
export function sctpPacket(p: { sport: number; dport: number; vtag: number; chunks: Uint8Array[]; badChecksum?: boolean }): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(p.sport, 0);
  head.writeUInt16BE(p.dport, 2);
  head.writeUInt32BE(p.vtag >>> 0, 4);
  const pkt = Buffer.concat([head, ...p.chunks.map((c) => Buffer.from(c))]);
  const sum = crc32c(pkt);
  pkt.writeUInt32LE(p.badChecksum ? (sum ^ 1) >>> 0 : sum, 8);
  return pkt;
}

function ipv4Bytes(a: string): Buffer {
  return Buffer.from(a.split('.').map(Number));
}

export function ipv6Bytes(a: string): Buffer {
  const [head, tail] = a.includes('::') ? a.split('::') as [string, string] : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

function inetChecksum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export interface Ipv6Ext { type: 0 | 43 | 60 | 44; /** 8-byte units beyond the first 8 (ignored for fragment headers) */ len?: number; fragOffset?: number; more?: boolean }

/** IPv4 or IPv6 around an L4 payload; IPv4 options are NOPs, IPv6 extension headers are empty options. */
export function ipPacket(p: { src: string; dst: string; proto: number; payload: Uint8Array; ttl?: number; ipv4Options?: number; ipv6Ext?: Ipv6Ext[]; fragment?: { offset: number; more: boolean } }): Buffer {
  const payload = Buffer.from(p.payload);
  if (isIPv4(p.src) && isIPv4(p.dst)) {
    const optLen = pad4(p.ipv4Options ?? 0);
    const h = Buffer.alloc(20 + optLen, 1 /* NOP options */);
    h[0] = 0x40 | ((20 + optLen) / 4);
    h[1] = 0;
    h.writeUInt16BE(h.length + payload.length, 2);
    h.writeUInt16BE(0x1234, 4);
    const frag = p.fragment ? ((p.fragment.more ? 0x2000 : 0) | (p.fragment.offset >> 3)) : 0x4000 /* DF */;
    h.writeUInt16BE(frag, 6);
    h[8] = p.ttl ?? 64;
    h[9] = p.proto;
    h.writeUInt16BE(0, 10);
    ipv4Bytes(p.src).copy(h, 12);
    ipv4Bytes(p.dst).copy(h, 16);
    h.writeUInt16BE(inetChecksum(h), 10);
    return Buffer.concat([h, payload]);
  }
  if (isIPv6(p.src) && isIPv6(p.dst)) {
    const ext = p.ipv6Ext ?? [];
    const exts: Buffer[] = [];
    ext.forEach((e, i) => {
      const next = i + 1 < ext.length ? ext[i + 1]!.type : p.proto;
      if (e.type === 44) {
        const f = Buffer.alloc(8);
        f[0] = next;
        f.writeUInt16BE(((e.fragOffset ?? 0) & ~7) | (e.more ? 1 : 0), 2);
        f.writeUInt32BE(0xabcd, 4);
        exts.push(f);
        return;
      }
      const units = e.len ?? 0;
      const x = Buffer.alloc(8 * (units + 1));
      x[0] = next;
      x[1] = units;
      x[2] = 1; // PadN option filling the rest
      x[3] = x.length - 4;
      if (e.type === 43) { x[2] = 0; x[3] = 0; } // routing type 0 header with segments left 0
      exts.push(x);
    });
    const body = Buffer.concat([...exts, payload]);
    const h = Buffer.alloc(40);
    h.writeUInt32BE(0x60000000, 0);
    h.writeUInt16BE(body.length, 4);
    h[6] = ext.length ? ext[0]!.type : p.proto;
    h[7] = p.ttl ?? 64;
    ipv6Bytes(p.src).copy(h, 8);
    ipv6Bytes(p.dst).copy(h, 24);
    return Buffer.concat([h, body]);
  }
  throw new Error(`addresses of different or unknown families: ${p.src} -> ${p.dst}`);
}

export function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((x) => parseInt(x, 16)));
}

/** Ethernet around an IP packet, with VLAN tags outermost first (802.1ad 0x88a8 or 802.1Q 0x8100). */
export function ethFrame(p: { src: string; dst: string; ip: Uint8Array; vlans?: Array<{ tpid?: number; id: number }> }): Buffer {
  const ip = Buffer.from(p.ip);
  const v6 = (ip[0]! >> 4) === 6;
  const tags = (p.vlans ?? []).map((v) => {
    const t = Buffer.alloc(4);
    t.writeUInt16BE(v.tpid ?? 0x8100, 0);
    t.writeUInt16BE(v.id & 0xfff, 2);
    return t;
  });
  const type = Buffer.alloc(2);
  type.writeUInt16BE(v6 ? 0x86dd : 0x0800, 0);
  // each tag's TPID sits where the ethertype would be, so the inner type follows the last tag
  const head = Buffer.concat([macBytes(p.dst), macBytes(p.src)]);
  const parts: Buffer[] = [head];
  for (const t of tags) parts.push(t);
  parts.push(type, ip);
  return Buffer.concat(parts);
}

export interface Endpoint { mac: string; ip: string; port: number }

/** One whole frame from `from` to `to`. */
export function sctpFrame(from: Endpoint, to: Endpoint, vtag: number, chunks: Uint8Array[], opts: { vlans?: Array<{ tpid?: number; id: number }>; ipv4Options?: number; ipv6Ext?: Ipv6Ext[]; badChecksum?: boolean } = {}): Buffer {
  const sctp = sctpPacket({ sport: from.port, dport: to.port, vtag, chunks, badChecksum: opts.badChecksum });
  const ip = ipPacket({ src: from.ip, dst: to.ip, proto: 132, payload: sctp, ipv4Options: opts.ipv4Options, ipv6Ext: opts.ipv6Ext });
  return ethFrame({ src: from.mac, dst: to.mac, ip, vlans: opts.vlans });
}
