// SPDX-License-Identifier: GPL-2.0
/*
 * The wire tracer with every chunk walked through bpf_loop (none in line): a third fewer
 * instructions for the verifier to walk (bench/sctp: ~15 ns more per DATA/SACK chunk).
 * src/sctp/tracer.ts loads it only when a kernel's verifier refuses bpf/sctp_wire.bpf.o.
 */
#define INLINE_CHUNKS 0
/* Debian 12's 6.1 verifier walks every turn of the wait for a half-claimed slot and ran out of
 * its 1M instructions on 256 turns (bpftool in the 6.1 guest); 8 turns load there. A claim
 * that outlasts them sends the packet to the fallback map and counts slotWait. */
#define SLOT_SPIN 8
#include "sctp_wire.bpf.c"
