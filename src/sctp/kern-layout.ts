// The records of bpf/sctp_kern.h for user space; checked against the object's BTF by
// test/unit/sctp-layout.test.ts like the wire tracer's.
import { struct } from './wire-layout.js';

export const SK_ASSOC = struct('sk_assoc', [
  ['asoc', 'u64'], ['last_ns', 'u64'], ['probes', 'u64'], ['rtx', { array: 'u64', n: 6 }],
  ['state', 'u32'], ['peer_rwnd', 'u32'], ['unack_data', 'u32'], ['pathmtu', 'u32'], ['mark', 'u32'], ['hz', 'u32'],
  ['lport', 'u16'], ['pport', 'u16'], ['source', 'u32'],
]);

export const SK_PATH_KEY = struct('sk_path_key', [
  ['asoc', 'u64'], ['addr', { array: 'u8', n: 16 }], ['port', 'u16'], ['family', 'u8'], ['pad', { array: 'u8', n: 5 }],
]);

export const SK_PATH = struct('sk_path', [
  ['last_ns', 'u64'], ['samples', 'u64'],
  ...(['cwnd', 'ssthresh', 'flight_size', 'partial_bytes_acked', 'pathmtu', 'state', 'srtt', 'rttvar', 'rto', 'error_count', 'primary', 'source'] as const).map((n) => [n, 'u32'] as [string, 'u32']),
]);
