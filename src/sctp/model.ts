// The association model: what the wire tracer's records mean, in the vocabulary of SCTP
// (RFC 9260) rather than of the BPF structs. Pure: decoding takes the raw bytes and a
// monotonic "now" (same clock as bpf_ktime_get_ns), so it is unit tested on recorded bytes.
import { SwAddr, SwAddrs, SwAssoc, SwDir, SwEvent, SwKey } from './generated/sctp-wire.js';
import { SW_ADDR_OP, SW_EVENT_TYPE, SW_F, SW_L, SW_MAX_ADDRS, SW_STATE, type AssocState } from './wire-consts.js';

export interface Endpoint { address: string; port: number }

export interface DirStats {
  packets: number;
  bytes: number;
  dataChunks: number;
  idataChunks: number;
  dataBytes: number;
  retransChunks: number;
  spuriousRetrans: number;
  sackChunks: number;
  gapBlocks: number;
  dupTsns: number;
  zeroWindowSacks: number;
  heartbeats: number;
  heartbeatAcks: number;
  /** HEARTBEATs this endpoint sent since the last HEARTBEAT ACK (per path; the association's: the most on any path). */
  hbUnanswered: number;
  /** RTT of this endpoint's heartbeats, measured at the tap (null: no answered heartbeat). */
  rtt: { lastMs: number; minMs: number; avgMs: number; samples: number } | null;
  chunks: { init: number; initAck: number; cookieEcho: number; cookieAck: number; shutdown: number; shutdownAck: number; shutdownComplete: number; abort: number; error: number; forwardTsn: number; other: number };
  malformed: number;
  truncated: number;
  badVtag: number;
  /** Highest TSN this endpoint sent (null until seen). */
  highestTsn: number | null;
  /** Cumulative TSN ack of this endpoint's last SACK: acknowledges the other endpoint's DATA. */
  cumTsnAck: number | null;
  /** Receiver window this endpoint advertised in its SACKs. */
  aRwnd: { last: number; min: number } | null;
  vtag: number | null;
  zeroWindow: boolean;
  /** Since when (ms ago) this endpoint advertises a_rwnd 0. */
  zeroWindowForMs: number | null;
  /** DATA this endpoint sent that the peer has not cumulatively acknowledged. */
  outstanding: boolean;
  /** TSNs outstanding (highest sent - peer's cum ack), when both are known. */
  outstandingTsns: number | null;
  /** Time since this endpoint's DATA last made progress (became outstanding or got acked further). */
  sinceProgressMs: number | null;
  lastSeenAgoMs: number | null;
  lastDataAgoMs: number | null;
}

/** A path's state as the tap sees it (detect.ts: pathState). */
export type PathState = 'active' | 'standby' | 'unconfirmed' | 'failed';

/** What one endpoint sent on one path. */
export interface PathDir {
  packets: number;
  bytes: number;
  dataChunks: number;
  dataBytes: number;
  retransChunks: number;
  sackChunks: number;
  heartbeats: number;
  heartbeatAcks: number;
  /** HEARTBEATs sent on this path since the last HEARTBEAT ACK came back on it. */
  hbUnanswered: number;
  rtt: DirStats['rtt'];
  lastSeenAgoMs: number | null;
  lastDataAgoMs: number | null;
}

/**
 * One path of an association: an address pair (on one interface) the tracer has a record
 * for. endpoints and dir are in the association's endpoint order: endpoints[i] is endpoint
 * i's address on this path, dir[i] what it sent here.
 */
export interface Path {
  /** The record's id: "A:port-B:port@ifindex" (its own address order). */
  id: string;
  ifindex: number;
  ifname: string | null;
  family: 4 | 6;
  endpoints: [Endpoint, Endpoint];
  /** The association's home record: where its state and TSNs are kept (the first path seen). */
  home: boolean;
  /** The address pair of another path, seen on another interface (a router traced on both sides): not added to the association's counters. */
  mirror: boolean;
  state: PathState;
  dir: [PathDir, PathDir];
  lastSeenAgoMs: number | null;
}

/**
 * Where the tap learnt an endpoint's address: a path's packets used it, or the endpoint
 * announced it (INIT / INIT ACK address parameters, an ASCONF's own Address Parameter or Add
 * IP Address).
 */
export type AddressSource = 'path' | 'init' | 'init-ack' | 'asconf';

/**
 * One transport address of an endpoint (RFC 9260's "destination transport address", as its
 * peer sends to it). state: as RFC 9260 §5.4 says, unconfirmed until a path to it is
 * confirmed (packets both ways or a HEARTBEAT ACK); else the best state of the paths using it
 * (active, standby, failed).
 */
export interface AddressInfo { address: string; from: AddressSource; state: PathState }

export interface Association {
  /** Stable id: "A:port-B:port@ifindex" of its home path. */
  id: string;
  ifindex: number;
  ifname: string | null;
  family: 4 | 6;
  /** [0] = lower (address, port), [1] = higher: dir[i] is what endpoints[i] sent. */
  endpoints: [Endpoint, Endpoint];
  /** As the tracer recorded it, or "gone" (detect.ts: withExpiry) when no packet came for --expire-after. */
  state: AssocState | 'gone';
  /** Which endpoint sent the INIT (null: handshake not seen). */
  initiator: 0 | 1 | null;
  setupMs: number | null;
  restarts: number;
  abort: { by: 0 | 1; cause: number; causeName: string } | null;
  firstSeenAgoMs: number;
  lastSeenAgoMs: number;
  /** Counters summed over the association's paths (mirrors excepted); TSNs, window and state from its home. */
  dir: [DirStats, DirStats];
  /** Its paths, the home first (one for a single-homed association). */
  paths: Path[];
  /** Every address of each endpoint the tap knows of (addresses[i]: endpoint i's): those its paths use, then those announced and not (yet) used. */
  addresses: [AddressInfo[], AddressInfo[]];
}

/** Error cause codes (RFC 9260 §3.3.10, RFC 4895, RFC 5061). */
export const CAUSE_NAMES: Record<number, string> = {
  1: 'invalid stream identifier', 2: 'missing mandatory parameter', 3: 'stale cookie', 4: 'out of resource',
  5: 'unresolvable address', 6: 'unrecognized chunk type', 7: 'invalid mandatory parameter',
  8: 'unrecognized parameters', 9: 'no user data', 10: 'cookie received while shutting down',
  11: 'restart with new addresses', 12: 'user-initiated abort', 13: 'protocol violation',
  0xa0: 'delete last remaining IP address', 0xa1: 'operation refused due to resource shortage',
  0xa2: 'delete source IP address', 0xa3: 'association aborted due to illegal ASCONF-ACK',
  0xa4: 'request refused - no authorization', 0x105: 'unsupported HMAC identifier',
};

export function formatAddress(b: Uint8Array, family: number): string {
  if (family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  // compress the longest run of zero groups (RFC 5952)
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

export function endpointText(e: Endpoint): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/** ns → ms with two decimals: the one rounding every duration shown goes through. */
export const ms = (ns: number) => Math.round(ns / 1e4) / 100;
const ago = (now: number, t: number) => (t ? Math.max(0, ms(now - t)) : null);

// Hot path: `sctp stats` decodes every association of a table of up to millions, so fields
// are read at offsets taken from the generated layouts (the object's BTF: one source of truth)
// without building the generic decoded object, and u64 as two u32 halves (exact below 2^53, no
// BigInt). No closures per record: tsx/esbuild wraps each in a __name() call that dominated the
// profile.
const DO = SwDir.offsets;
const AO = SwAssoc.offsets;
const KO = SwKey.offsets;

// Records are read through a Uint32Array over the dump (little-endian hosts, 4-byte aligned
// records: the dump's own buffers are), which is several times cheaper than Buffer reads;
// anything else is copied to an aligned buffer first.
const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function words(b: Buffer): Uint32Array {
  if (LE && b.byteOffset % 4 === 0) return new Uint32Array(b.buffer, b.byteOffset, b.length >>> 2);
  const c = new Uint32Array(b.length >>> 2);
  for (let i = 0; i < c.length; i++) c[i] = b.readUInt32LE(i * 4);
  return c;
}

// u64 fields are read with one 8-byte load (through a Float64Array view of the same words):
// the records may be the tracer's live slot table (rows.ts), where a program adds to a counter
// while it is read, and two 32-bit loads could straddle a carry into the high half (one load
// of an aligned word cannot). The bits go through a scratch double unchanged: a double is a
// NaN (whose payload an engine may rewrite) only from 0x7ff0… up, far beyond any counter or
// timestamp (< 2^53).
const SCRATCH_F = new Float64Array(1);
const SCRATCH_W = new Uint32Array(SCRATCH_F.buffer);
let viewOf: Uint32Array | null = null;
let view: Float64Array | null = null;

/** o: byte offset, 8-byte aligned for an atomic read (else two 32-bit loads). */
export function u64(w: Uint32Array, o: number): number {
  if (w !== viewOf) {
    viewOf = w;
    view = w.byteOffset % 8 === 0 ? new Float64Array(w.buffer, w.byteOffset, w.length >>> 1) : null;
  }
  if (view === null || o & 7) return w[o >>> 2]! + w[(o >>> 2) + 1]! * 4294967296;
  SCRATCH_F[0] = view[o >>> 3]!;
  return SCRATCH_W[0]! + SCRATCH_W[1]! * 4294967296;
}

function u32(w: Uint32Array, o: number): number {
  return w[o >>> 2]!;
}

function decodeDir(b: Uint32Array, o: number, peer: number, now: number): DirStats {
  const f = u32(b, o + DO.flags);
  const haveTsn = (f & SW_F.HAVE_TSN) !== 0;
  const peerFlags = u32(b, peer + DO.flags);
  const outstanding = (f & SW_F.OUTSTANDING) !== 0;
  const dataChunks = u64(b, o + DO.data_chunks);
  const rttCount = u64(b, o + DO.rtt_count);
  const highest = u32(b, o + DO.highest_tsn);
  return {
    packets: u64(b, o + DO.packets), bytes: u64(b, o + DO.bytes), dataChunks, idataChunks: u64(b, o + DO.idata_chunks), dataBytes: u64(b, o + DO.data_bytes),
    retransChunks: u64(b, o + DO.retrans_chunks), spuriousRetrans: u64(b, o + DO.spurious_retrans), sackChunks: u64(b, o + DO.sack_chunks), gapBlocks: u64(b, o + DO.gap_blocks),
    dupTsns: u64(b, o + DO.dup_tsns), zeroWindowSacks: u64(b, o + DO.zero_window_sacks), heartbeats: u64(b, o + DO.heartbeats), heartbeatAcks: u64(b, o + DO.heartbeat_acks),
    hbUnanswered: u32(b, o + DO.hb_unanswered),
    rtt: rttCount ? { lastMs: ms(u64(b, o + DO.rtt_last_ns)), minMs: ms(u64(b, o + DO.rtt_min_ns)), avgMs: ms(u64(b, o + DO.rtt_sum_ns) / rttCount), samples: rttCount } : null,
    chunks: {
      init: u64(b, o + DO.init_chunks), initAck: u64(b, o + DO.init_ack_chunks), cookieEcho: u64(b, o + DO.cookie_echo_chunks), cookieAck: u64(b, o + DO.cookie_ack_chunks),
      shutdown: u64(b, o + DO.shutdown_chunks), shutdownAck: u64(b, o + DO.shutdown_ack_chunks), shutdownComplete: u64(b, o + DO.shutdown_complete_chunks),
      abort: u64(b, o + DO.abort_chunks), error: u64(b, o + DO.error_chunks), forwardTsn: u64(b, o + DO.forward_tsn_chunks), other: u64(b, o + DO.other_chunks),
    },
    malformed: u64(b, o + DO.malformed), truncated: u64(b, o + DO.truncated), badVtag: u64(b, o + DO.bad_vtag),
    highestTsn: haveTsn && dataChunks ? highest : null,
    cumTsnAck: f & SW_F.HAVE_SACK ? u32(b, o + DO.cum_tsn_ack) : null,
    aRwnd: f & SW_F.HAVE_SACK ? { last: u32(b, o + DO.a_rwnd_last), min: u32(b, o + DO.a_rwnd_min) } : null,
    vtag: f & SW_F.HAVE_VTAG ? u32(b, o + DO.vtag) : null,
    zeroWindow: (f & SW_F.ZERO_WINDOW) !== 0,
    zeroWindowForMs: f & SW_F.ZERO_WINDOW ? ago(now, u64(b, o + DO.zwin_since_ns)) : null,
    outstanding,
    outstandingTsns: outstanding && haveTsn && (peerFlags & SW_F.HAVE_SACK) ? ((highest - u32(b, peer + DO.cum_tsn_ack)) >>> 0) : null,
    sinceProgressMs: outstanding ? ago(now, u64(b, o + DO.progress_ns)) : null,
    lastSeenAgoMs: ago(now, u64(b, o + DO.last_seen_ns)),
    lastDataAgoMs: ago(now, u64(b, o + DO.last_data_ns)),
  };
}

function decodeKey(key: Buffer, ko = 0): { endpoints: [Endpoint, Endpoint]; ifindex: number; family: 4 | 6 } {
  const family = key[ko + KO.family] === 6 ? 6 : 4;
  const a0 = ko + KO.addr;
  return {
    family,
    ifindex: key.readUInt32LE(ko + KO.ifindex),
    endpoints: [
      { address: formatAddress(key.subarray(a0, a0 + 16), family), port: key.readUInt16LE(ko + KO.port) },
      { address: formatAddress(key.subarray(a0 + 16, a0 + 32), family), port: key.readUInt16LE(ko + KO.port + 2) },
    ],
  };
}

/**
 * One map entry (key and value bytes of sctp_assocs, at offsets ko / vo) → Association.
 * vw: words(value), when the caller decodes many entries of one buffer.
 */
export function decodeAssociation(key: Buffer, value: Buffer, nowNs: number, ifname?: (ifindex: number) => string | null, ko = 0, vo = 0, vw: Uint32Array = words(value)): Association {
  const k = decodeKey(key, ko);
  const d0 = vo + AO.dir;
  const d1 = d0 + SwDir.size;
  const state = SW_STATE[u32(vw, vo + AO.state)] ?? 'unknown';
  const initDir = value[vo + AO.init_dir];
  const cause = value.readUInt16LE(vo + AO.abort_cause);
  const setup = u64(vw, vo + AO.setup_ns);
  return {
    id: `${endpointText(k.endpoints[0])}-${endpointText(k.endpoints[1])}@${k.ifindex}`,
    ifindex: k.ifindex,
    ifname: ifname?.(k.ifindex) ?? null,
    family: k.family,
    endpoints: k.endpoints,
    state,
    initiator: initDir === 0 || initDir === 1 ? initDir : null,
    setupMs: setup ? ms(setup) : null,
    restarts: u32(vw, vo + AO.restarts),
    abort: state === 'aborted' ? { by: (value[vo + AO.abort_dir]! & 1) as 0 | 1, cause, causeName: CAUSE_NAMES[cause] ?? (cause ? `cause ${cause}` : 'no cause given') } : null,
    firstSeenAgoMs: ago(nowNs, u64(vw, vo + AO.first_ns)) ?? 0,
    lastSeenAgoMs: ago(nowNs, u64(vw, vo + AO.last_ns)) ?? 0,
    dir: [decodeDir(vw, d0, d1, nowNs), decodeDir(vw, d1, d0, nowNs)],
    paths: [],
    addresses: [[], []],
  };
}

/** How a record relates to its association (sw_assoc.home, home_flip, link). */
export function linkOf(vw: Uint32Array, vo: number, value: Buffer): { home: number; flip: 0 | 1; mirror: boolean } {
  return { home: u32(vw, vo + AO.home), flip: (value[vo + AO.home_flip]! & 1) as 0 | 1, mirror: (value[vo + AO.link]! & SW_L.MIRROR) !== 0 };
}

/** Where one record is: key and value buffers (the same for a slot), offsets, and the value's words. */
export interface RecordRef { key: Buffer; value: Buffer; ko: number; vo: number; vw: Uint32Array }

function pathDir(b: Uint32Array, o: number, now: number): PathDir {
  const rttCount = u64(b, o + DO.rtt_count);
  return {
    packets: u64(b, o + DO.packets), bytes: u64(b, o + DO.bytes), dataChunks: u64(b, o + DO.data_chunks), dataBytes: u64(b, o + DO.data_bytes),
    retransChunks: u64(b, o + DO.retrans_chunks), sackChunks: u64(b, o + DO.sack_chunks), heartbeats: u64(b, o + DO.heartbeats),
    heartbeatAcks: u64(b, o + DO.heartbeat_acks), hbUnanswered: u32(b, o + DO.hb_unanswered),
    rtt: rttCount ? { lastMs: ms(u64(b, o + DO.rtt_last_ns)), minMs: ms(u64(b, o + DO.rtt_min_ns)), avgMs: ms(u64(b, o + DO.rtt_sum_ns) / rttCount), samples: rttCount } : null,
    lastSeenAgoMs: ago(now, u64(b, o + DO.last_seen_ns)),
    lastDataAgoMs: ago(now, u64(b, o + DO.last_data_ns)),
  };
}

/** One record as a path of its association (flip: its endpoint d is the association's d ^ flip). */
function decodePath(r: RecordRef, flip: 0 | 1, home: boolean, mirror: boolean, nowNs: number, ifname?: (ifindex: number) => string | null): Path {
  const k = decodeKey(r.key, r.ko);
  const d0 = r.vo + AO.dir;
  const dirs = [pathDir(r.vw, d0, nowNs), pathDir(r.vw, d0 + SwDir.size, nowNs)];
  const seen = [dirs[0]!.lastSeenAgoMs, dirs[1]!.lastSeenAgoMs].filter((x): x is number => x !== null);
  return {
    id: `${endpointText(k.endpoints[0])}-${endpointText(k.endpoints[1])}@${k.ifindex}`,
    ifindex: k.ifindex,
    ifname: ifname?.(k.ifindex) ?? null,
    family: k.family,
    endpoints: [k.endpoints[flip]!, k.endpoints[flip ^ 1]!],
    home,
    mirror,
    state: 'standby',
    dir: [dirs[flip]!, dirs[flip ^ 1]!],
    lastSeenAgoMs: seen.length ? Math.min(...seen) : null,
  };
}

function pathDirOf(d: DirStats): PathDir {
  return {
    packets: d.packets, bytes: d.bytes, dataChunks: d.dataChunks, dataBytes: d.dataBytes, retransChunks: d.retransChunks, sackChunks: d.sackChunks,
    heartbeats: d.heartbeats, heartbeatAcks: d.heartbeatAcks, hbUnanswered: d.hbUnanswered, rtt: d.rtt, lastSeenAgoMs: d.lastSeenAgoMs, lastDataAgoMs: d.lastDataAgoMs,
  };
}

/** A tap sees heartbeats, not the sender's error counter: this many unanswered in a row mark a path failed. */
export const PATH_FAIL_AFTER = 3;

/**
 * Path states from what the tap saw. failed: an endpoint's HEARTBEATs on it went unanswered
 * failAfter times in a row; unconfirmed: packets in one direction only and no HEARTBEAT ACK
 * (RFC 9260 §5.4: an address is confirmed by a HEARTBEAT ACK or by the handshake's packets,
 * which go both ways); active: of the others, the one that carried the association's latest
 * DATA (the home when none has); standby: the rest.
 */
export function pathStates(paths: Path[], failAfter = PATH_FAIL_AFTER): void {
  // plain loops, no closures: stats --json runs this for every association
  let active: Path | null = null;
  let home: Path | null = null;
  let best = Infinity;
  for (let i = 0; i < paths.length; i++) {
    const p = paths[i]!;
    const d0 = p.dir[0], d1 = p.dir[1];
    if (Math.max(d0.hbUnanswered, d1.hbUnanswered) >= failAfter) p.state = 'failed';
    else if ((d0.packets === 0 || d1.packets === 0) && d0.heartbeatAcks + d1.heartbeatAcks === 0) p.state = 'unconfirmed';
    else p.state = 'standby';
    if (p.home && p.state === 'standby') home = p;
    if (p.state === 'failed' || p.mirror) continue;
    if (d0.lastDataAgoMs !== null && d0.dataChunks && d0.lastDataAgoMs < best) { best = d0.lastDataAgoMs; active = p; }
    if (d1.lastDataAgoMs !== null && d1.dataChunks && d1.lastDataAgoMs < best) { best = d1.lastDataAgoMs; active = p; }
  }
  active ??= home;
  if (active && active.state !== 'unconfirmed') active.state = 'active';
}

const SUM = ['packets', 'bytes', 'dataChunks', 'idataChunks', 'dataBytes', 'retransChunks', 'spuriousRetrans', 'sackChunks', 'gapBlocks', 'dupTsns', 'zeroWindowSacks', 'heartbeats', 'heartbeatAcks', 'malformed', 'truncated', 'badVtag'] as const;

/**
 * An association from its home record and the records linked to it (rows.ts: groupRows):
 * counters summed over its paths (mirrors excepted: they count the same packets again),
 * state, TSNs and window from the home.
 */
export function decodeGroup(home: RecordRef, linked: RecordRef[], nowNs: number, ifname?: (ifindex: number) => string | null, failAfter = PATH_FAIL_AFTER): Association {
  const a = decodeAssociation(home.key, home.value, nowNs, ifname, home.ko, home.vo, home.vw);
  // the home path from what is decoded already (stats --json decodes every association: no
  // second formatting of its addresses, no second read of its counters)
  const s0 = a.dir[0].lastSeenAgoMs, s1 = a.dir[1].lastSeenAgoMs;
  a.paths.push({
    id: a.id, ifindex: a.ifindex, ifname: a.ifname, family: a.family, endpoints: a.endpoints, home: true, mirror: false, state: 'standby',
    dir: [pathDirOf(a.dir[0]), pathDirOf(a.dir[1])], lastSeenAgoMs: s0 === null ? s1 : s1 === null ? s0 : Math.min(s0, s1),
  });
  if (linked.length === 0) {
    pathStates(a.paths, failAfter);
    a.addresses = addressesOf(a.paths);
    return a;
  }
  for (const r of linked) {
    const l = linkOf(r.vw, r.vo, r.value);
    const p = decodePath(r, l.flip, false, l.mirror, nowNs, ifname);
    a.paths.push(p);
    if (p.mirror) continue;
    const d0 = r.vo + AO.dir;
    for (const e of [0, 1] as const) {
      const src = decodeDir(r.vw, d0 + SwDir.size * (e ^ l.flip), d0 + SwDir.size * (e ^ l.flip ^ 1), nowNs);
      const dst = a.dir[e];
      for (const f of SUM) dst[f] += src[f];
      for (const c of Object.keys(dst.chunks) as Array<keyof DirStats['chunks']>) dst.chunks[c] += src.chunks[c];
      dst.hbUnanswered = Math.max(dst.hbUnanswered, src.hbUnanswered);
      dst.rtt ??= src.rtt;
      for (const t of ['lastSeenAgoMs', 'lastDataAgoMs'] as const) if (src[t] !== null && (dst[t] === null || src[t] < dst[t])) dst[t] = src[t];
    }
  }
  pathStates(a.paths, failAfter);
  a.addresses = addressesOf(a.paths);
  return a;
}

/** What the endpoints of one association announced, in the order seen (sctp_addrs: sw_addrs). */
export interface AddressLog {
  ops: [Array<{ address: string; op: (typeof SW_ADDR_OP)[keyof typeof SW_ADDR_OP] }>, Array<{ address: string; op: (typeof SW_ADDR_OP)[keyof typeof SW_ADDR_OP] }>];
  /** Entries beyond what the record keeps (SW_MAX_ADDRS an endpoint): not seen here. */
  dropped: [number, number];
}

const ADDRS_A = SwAddrs.offsets.a;
const ADDRS_N = SwAddrs.offsets.n;
const ADDRS_DROPPED = SwAddrs.offsets.dropped;
const ADDR_ADDR = SwAddr.offsets.addr;
const ADDR_FAMILY = SwAddr.offsets.family;
const ADDR_OP = SwAddr.offsets.op;

/** A raw dump of sctp_addrs (keys and values contiguous) → the log of each association, by its id (its home key's). */
export function decodeAddressLogs(dump: { count: number; keys: Buffer; values: Buffer } | null): Map<string, AddressLog> {
  const out = new Map<string, AddressLog>();
  for (let i = 0; i < (dump?.count ?? 0); i++) {
    const k = decodeKey(dump!.keys, i * SwKey.size);
    const vo = i * SwAddrs.size;
    const v = dump!.values;
    const log: AddressLog = { ops: [[], []], dropped: [v.readUInt32LE(vo + ADDRS_DROPPED), v.readUInt32LE(vo + ADDRS_DROPPED + 4)] };
    for (const e of [0, 1] as const) {
      const n = Math.min(SW_MAX_ADDRS, v.readUInt32LE(vo + ADDRS_N + 4 * e));
      for (let j = 0; j < n; j++) {
        const o = vo + ADDRS_A + (e * SW_MAX_ADDRS + j) * SwAddr.size;
        const op = SW_ADDR_OP[v[o + ADDR_OP] as keyof typeof SW_ADDR_OP];
        if (!op) continue;
        log.ops[e].push({ address: formatAddress(v.subarray(o + ADDR_ADDR, o + ADDR_ADDR + 16), v[o + ADDR_FAMILY] === 6 ? 6 : 4), op });
      }
    }
    out.set(`${endpointText(k.endpoints[0])}-${endpointText(k.endpoints[1])}@${k.ifindex}`, log);
  }
  return out;
}

const RANK: Record<PathState, number> = { active: 3, standby: 2, failed: 1, unconfirmed: 0 };

/**
 * Each endpoint's addresses: those its paths use (mirrors aside), then those the log says it
 * announced and did not delete since (ASCONF Delete IP Address); a state per address from the
 * paths using it (unconfirmed when none is confirmed).
 */
export function addressesOf(paths: Path[], log?: AddressLog): [AddressInfo[], AddressInfo[]] {
  // the common case (stats --json decodes every association): one path, nothing announced
  if (!log && paths.length === 1 && !paths[0]!.mirror) {
    const p = paths[0]!;
    return [[{ address: p.endpoints[0].address, from: 'path', state: p.state }], [{ address: p.endpoints[1].address, from: 'path', state: p.state }]];
  }
  const out: [AddressInfo[], AddressInfo[]] = [[], []];
  for (let e: 0 | 1 = 0; e < 2; e = (e + 1) as 0 | 1) {
    const list = out[e];
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i]!;
      if (p.mirror) continue;
      const x = p.endpoints[e].address;
      let have: AddressInfo | undefined;
      for (const a of list) if (a.address === x) have = a;
      if (!have) list.push({ address: x, from: 'path', state: p.state });
      else if (RANK[p.state] > RANK[have.state]) have.state = p.state;
    }
    if (!log) continue;
    // replay the log: what is announced now (in order), deletions taken out
    const announced: Array<{ address: string; from: AddressSource }> = [];
    for (const o of log.ops[e]) {
      const at = announced.findIndex((a) => a.address === o.address);
      if (o.op === 'delete') {
        if (at >= 0) announced.splice(at, 1);
      } else if (at < 0) {
        announced.push({ address: o.address, from: o.op === 'add' ? 'asconf' : o.op });
      }
    }
    for (const a of announced) {
      const have = list.find((x) => x.address === a.address);
      // an ASCONF's own Address Parameter names its sender, usually by an address in use
      if (have) have.from = a.from === 'asconf' && onlyAsSender(log, e, a.address) ? have.from : a.from;
      else list.push({ address: a.address, from: a.from, state: 'unconfirmed' });
    }
  }
  return out;
}

/** Was address only ever in the log as the Address Parameter of an ASCONF (its sender's own)? */
function onlyAsSender(log: AddressLog, e: 0 | 1, address: string): boolean {
  for (const o of log.ops[e]) if (o.address === address && o.op !== 'asconf' && o.op !== 'delete') return false;
  return true;
}

/** The address states again from the paths' (after pathStates decided those again). */
export function refreshAddressStates(a: Association): Association['addresses'] {
  // (an association built by hand, as tests do, may have none)
  if (!Array.isArray(a.addresses)) return a.addresses;
  return a.addresses.map((list, e) => list.map((x) => {
    let state: PathState = 'unconfirmed';
    for (const p of a.paths) if (!p.mirror && p.endpoints[e]!.address === x.address && RANK[p.state] > RANK[state]) state = p.state;
    return { ...x, state };
  })) as Association['addresses'];
}

export interface WireEvent {
  type: string;
  /** Monotonic timestamp (ns, bpf_ktime_get_ns clock). */
  tsNs: number;
  association: string;
  ifindex: number;
  endpoints: [Endpoint, Endpoint];
  /** The endpoint the event is about (index into endpoints). */
  by: 0 | 1;
  cause: number | null;
  causeName: string | null;
  value: number;
  durationMs: number | null;
  /** stall-start / stall-end (watch.ts): TSNs outstanding (at the start; the last seen before the end). */
  outstandingTsns?: number | null;
  /** stall-end: what ended it (progress, closed, aborted, gone). */
  reason?: string;
  /** lossy: DATA chunks sent, against value retransmitted. */
  dataChunks?: number;
  /** malformed: the endpoint's malformed chunks so far (value: since the last look). */
  malformedTotal?: number;
  /** path-down / path-up: the path; path-switch: the path DATA moved to. */
  path?: string;
  /** path-switch: the path DATA moved from, and why it looks that way. */
  fromPath?: string;
  reasons?: string[];
}

const EO = SwEvent.offsets;

/** One sctp_events record (struct sw_event), read at the generated layout's offsets: no generic decoded object per event. */
export function decodeEvent(buf: Buffer): WireEvent {
  const k = decodeKey(buf, EO.key);
  const t = buf[EO.type]!;
  const cause = buf.readUInt16LE(EO.cause);
  const duration = buf.readUInt32LE(EO.duration_ns) + buf.readUInt32LE(EO.duration_ns + 4) * 4294967296;
  const type = SW_EVENT_TYPE[t] ?? `type-${t}`;
  return {
    type,
    tsNs: buf.readUInt32LE(EO.ts_ns) + buf.readUInt32LE(EO.ts_ns + 4) * 4294967296,
    association: `${endpointText(k.endpoints[0])}-${endpointText(k.endpoints[1])}@${k.ifindex}`,
    ifindex: k.ifindex,
    endpoints: k.endpoints,
    by: (buf[EO.dir]! & 1) as 0 | 1,
    cause: type === 'abort' ? cause : null,
    causeName: type === 'abort' ? CAUSE_NAMES[cause] ?? (cause ? `cause ${cause}` : 'no cause given') : null,
    value: buf.readUInt32LE(EO.value),
    durationMs: duration ? ms(duration) : null,
  };
}
