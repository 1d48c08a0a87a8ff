// The association model: what the wire tracer's records mean, in the vocabulary of SCTP
// (RFC 9260) rather than of the BPF structs. Pure: decoding takes the raw bytes and a
// monotonic "now" (same clock as bpf_ktime_get_ns), so it is unit tested on recorded bytes.
import { SW_ASSOC, SW_EVENT, SW_EVENT_TYPE, SW_F, SW_GLOBALS, SW_KEY, SW_STATE, decodeStruct, type AssocState, type GlobalCounter } from './wire-layout.js';

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

export interface Association {
  /** Stable id: "A:port-B:port@ifindex". */
  id: string;
  ifindex: number;
  ifname: string | null;
  family: 4 | 6;
  /** [0] = lower (address, port), [1] = higher: dir[i] is what endpoints[i] sent. */
  endpoints: [Endpoint, Endpoint];
  state: AssocState;
  /** Which endpoint sent the INIT (null: handshake not seen). */
  initiator: 0 | 1 | null;
  setupMs: number | null;
  restarts: number;
  abort: { by: 0 | 1; cause: number; causeName: string } | null;
  firstSeenAgoMs: number;
  lastSeenAgoMs: number;
  dir: [DirStats, DirStats];
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

const ms = (ns: number) => Math.round(ns / 1e4) / 100;
const ago = (now: number, t: number) => (t ? Math.max(0, ms(now - t)) : null);

type Raw = Record<string, number>;

function decodeDir(d: Raw, peer: Raw, now: number): DirStats {
  const f = d.flags!;
  const haveTsn = (f & SW_F.HAVE_TSN) !== 0;
  const peerSack = (peer.flags! & SW_F.HAVE_SACK) !== 0;
  const outstanding = (f & SW_F.OUTSTANDING) !== 0;
  return {
    packets: d.packets!, bytes: d.bytes!, dataChunks: d.data_chunks!, idataChunks: d.idata_chunks!, dataBytes: d.data_bytes!,
    retransChunks: d.retrans_chunks!, spuriousRetrans: d.spurious_retrans!, sackChunks: d.sack_chunks!, gapBlocks: d.gap_blocks!,
    dupTsns: d.dup_tsns!, zeroWindowSacks: d.zero_window_sacks!, heartbeats: d.heartbeats!, heartbeatAcks: d.heartbeat_acks!,
    rtt: d.rtt_count ? { lastMs: ms(d.rtt_last_ns!), minMs: ms(d.rtt_min_ns!), avgMs: ms(d.rtt_sum_ns! / d.rtt_count), samples: d.rtt_count } : null,
    chunks: {
      init: d.init_chunks!, initAck: d.init_ack_chunks!, cookieEcho: d.cookie_echo_chunks!, cookieAck: d.cookie_ack_chunks!,
      shutdown: d.shutdown_chunks!, shutdownAck: d.shutdown_ack_chunks!, shutdownComplete: d.shutdown_complete_chunks!,
      abort: d.abort_chunks!, error: d.error_chunks!, forwardTsn: d.forward_tsn_chunks!, other: d.other_chunks!,
    },
    malformed: d.malformed!, truncated: d.truncated!, badVtag: d.bad_vtag!,
    highestTsn: haveTsn && d.data_chunks ? d.highest_tsn! : null,
    cumTsnAck: f & SW_F.HAVE_SACK ? d.cum_tsn_ack! : null,
    aRwnd: f & SW_F.HAVE_SACK ? { last: d.a_rwnd_last!, min: d.a_rwnd_min! } : null,
    vtag: f & SW_F.HAVE_VTAG ? d.vtag! : null,
    zeroWindow: (f & SW_F.ZERO_WINDOW) !== 0,
    zeroWindowForMs: f & SW_F.ZERO_WINDOW ? ago(now, d.zwin_since_ns!) : null,
    outstanding,
    outstandingTsns: outstanding && haveTsn && peerSack ? ((d.highest_tsn! - peer.cum_tsn_ack!) >>> 0) : null,
    sinceProgressMs: outstanding ? ago(now, d.progress_ns!) : null,
    lastSeenAgoMs: ago(now, d.last_seen_ns!),
    lastDataAgoMs: ago(now, d.last_data_ns!),
  };
}

/** One map entry (key and value bytes of sctp_assocs) → Association. */
export function decodeAssociation(key: Buffer, value: Buffer, nowNs: number, ifname?: (ifindex: number) => string | null): Association {
  const k = decodeStruct(SW_KEY, key) as { addr: Buffer[]; port: number[]; ifindex: number; family: number };
  const v = decodeStruct(SW_ASSOC, value) as Raw & { dir: Raw[] };
  const family = k.family === 6 ? 6 : 4;
  const endpoints: [Endpoint, Endpoint] = [
    { address: formatAddress(k.addr[0]!, family), port: k.port[0]! },
    { address: formatAddress(k.addr[1]!, family), port: k.port[1]! },
  ];
  const state = SW_STATE[v.state!] ?? 'unknown';
  return {
    id: `${endpointText(endpoints[0])}-${endpointText(endpoints[1])}@${k.ifindex}`,
    ifindex: k.ifindex,
    ifname: ifname?.(k.ifindex) ?? null,
    family,
    endpoints,
    state,
    initiator: v.init_dir === 0 || v.init_dir === 1 ? v.init_dir : null,
    setupMs: v.setup_ns ? ms(v.setup_ns) : null,
    restarts: v.restarts!,
    abort: state === 'aborted' ? { by: (v.abort_dir! & 1) as 0 | 1, cause: v.abort_cause!, causeName: CAUSE_NAMES[v.abort_cause!] ?? (v.abort_cause ? `cause ${v.abort_cause}` : 'no cause given') } : null,
    firstSeenAgoMs: ago(nowNs, v.first_ns!) ?? 0,
    lastSeenAgoMs: ago(nowNs, v.last_ns!) ?? 0,
    dir: [decodeDir(v.dir[0]!, v.dir[1]!, nowNs), decodeDir(v.dir[1]!, v.dir[0]!, nowNs)],
  };
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
}

export function decodeEvent(buf: Buffer): WireEvent {
  const e = decodeStruct(SW_EVENT, buf) as { ts_ns: number; duration_ns: number; key: { addr: Buffer[]; port: number[]; ifindex: number; family: number }; type: number; dir: number; cause: number; value: number };
  const family = e.key.family === 6 ? 6 : 4;
  const endpoints: [Endpoint, Endpoint] = [
    { address: formatAddress(e.key.addr[0]!, family), port: e.key.port[0]! },
    { address: formatAddress(e.key.addr[1]!, family), port: e.key.port[1]! },
  ];
  const type = SW_EVENT_TYPE[e.type] ?? `type-${e.type}`;
  return {
    type,
    tsNs: e.ts_ns,
    association: `${endpointText(endpoints[0])}-${endpointText(endpoints[1])}@${e.key.ifindex}`,
    ifindex: e.key.ifindex,
    endpoints,
    by: (e.dir & 1) as 0 | 1,
    cause: type === 'abort' ? e.cause : null,
    causeName: type === 'abort' ? CAUSE_NAMES[e.cause] ?? (e.cause ? `cause ${e.cause}` : 'no cause given') : null,
    value: e.value,
    durationMs: e.duration_ns ? ms(e.duration_ns) : null,
  };
}

/** Sum the per-CPU global counters (array map values, one u64 per CPU). */
export function decodeGlobals(entries: Array<{ index: number; perCpu: number[] }>): Record<GlobalCounter, number> {
  const out = Object.fromEntries(SW_GLOBALS.map((n) => [n, 0])) as Record<GlobalCounter, number>;
  for (const e of entries) {
    const name = SW_GLOBALS[e.index];
    if (name) out[name] = e.perCpu.reduce((a, b) => a + b, 0);
  }
  return out;
}
