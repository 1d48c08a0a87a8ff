// Records of bpf/sctp_wire.h built byte for byte for unit tests, through the layouts generated
// from the object's BTF (src/sctp/generated/sctp-wire.ts): a test names the members it cares
// about and the others are zero, like a C designated initializer (what the layouts' encode does
// with a missing member). The loose value type is for that: partial records. Also decoded
// paths (src/sctp/model.ts), built the same way: what a test names, defaults for the rest.
import type { Layout } from 'ebpf-ts';
import type { Path, PathDir } from '../../src/sctp/model.js';

export function encodeStruct(layout: Layout<unknown>, value: Record<string, unknown>, buf?: Buffer, off = 0): Buffer {
  return layout.encode(value, buf ?? Buffer.alloc(layout.size), off);
}

/** One direction of a decoded path: 5 packets and 500 bytes seen, nothing else unless o says so. */
export function pathDir(o: Partial<PathDir> = {}): PathDir {
  return { packets: 5, bytes: 500, dataChunks: 0, dataBytes: 0, retransChunks: 0, sackChunks: 0, heartbeats: 0, heartbeatAcks: 0, hbUnanswered: 0, rtt: null, lastSeenAgoMs: 10, lastDataAgoMs: null, ...o };
}

/** A decoded path, 10.0.0.1:1 ↔ 10.0.0.2:2 on ifindex 2 unless `extra` says otherwise; its state is pathStates' to set. */
export function testPath(id: string, home: boolean, d0: Partial<PathDir>, d1: Partial<PathDir> = {}, extra: Partial<Path> = {}): Path {
  return {
    id, ifindex: 2, ifname: null, family: 4, endpoints: [{ address: '10.0.0.1', port: 1 }, { address: '10.0.0.2', port: 2 }], home, mirror: false, state: 'standby', dir: [pathDir(d0), pathDir(d1)], lastSeenAgoMs: 10, ...extra,
  };
}
