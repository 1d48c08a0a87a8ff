// The numbers of bpf/sctp_wire.h that BTF does not carry: its #defines (flag bits, limits) and
// the values of its enums (no member of a record is typed with one, so the compiled object's
// BTF holds none of them). The records' layouts are not here: they are generated from the
// object's BTF (generated/sctp-wire.ts). test/unit/sctp-records.test.ts reads these values
// out of the header's text, so a new flag or enum value there that is not mirrored here fails.

/** sw_dir.flags (SW_F_*) */
export const SW_F = { HAVE_TSN: 0x1, HAVE_SACK: 0x2, ZERO_WINDOW: 0x4, HAVE_VTAG: 0x8, OUTSTANDING: 0x10 } as const;

/** sw_assoc.link (SW_L_*) */
export const SW_L = { MIRROR: 0x1 } as const;

/** Entries of an endpoint's address log (sw_addrs.a[2][SW_MAX_ADDRS]). */
export const SW_MAX_ADDRS = 8;

/** sw_assoc.state (enum sw_state), by value. */
export const SW_STATE = ['unknown', 'cookie-wait', 'cookie-echoed', 'established', 'shutdown', 'closed', 'aborted'] as const;
export type AssocState = (typeof SW_STATE)[number];

/** sw_slot.state (enum sw_slot_state) */
export const SW_SLOT_STATE = { FREE: 0, CLAIMING: 1, USED: 2 } as const;

/** sw_addr.op (enum sw_addr_op) */
export const SW_ADDR_OP = { 1: 'init', 2: 'init-ack', 3: 'asconf', 4: 'add', 5: 'delete' } as const;

/** sw_event.type (enum sw_event_type) */
export const SW_EVENT_TYPE: Record<number, string> = {
  1: 'init', 2: 'up', 3: 'down', 4: 'abort', 5: 'zero-window-start', 6: 'zero-window-end', 7: 'retrans-burst', 8: 'restart',
};

/** Indexes of sw_globals.c, the per-CPU global counters (enum sw_global). */
export const SW_GLOBALS = ['skbs', 'sctpPackets', 'fragments', 'headerTruncated', 'malformedChunks', 'chunks', 'walkLimit', 'eventsLost', 'mapFull', 'slotWait', 'pathsLinked'] as const;
export type GlobalCounter = (typeof SW_GLOBALS)[number];
