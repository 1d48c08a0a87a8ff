// Records of bpf/sctp_wire.h built byte for byte for unit tests, through the layouts generated
// from the object's BTF (src/sctp/generated/sctp-wire.ts): a test names the members it cares
// about and the others are zero, like a C designated initializer (what the layouts' encode does
// with a missing member). The loose value type is for that: partial records.
import type { Layout } from 'ebpf-ts';

export function encodeStruct(layout: Layout<unknown>, value: Record<string, unknown>, buf?: Buffer, off = 0): Buffer {
  return layout.encode(value, buf ?? Buffer.alloc(layout.size), off);
}
