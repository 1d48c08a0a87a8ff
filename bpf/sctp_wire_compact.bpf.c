// SPDX-License-Identifier: GPL-2.0
/*
 * The wire tracer with every chunk walked through bpf_loop (none in line): a third fewer
 * instructions for the verifier to walk (bench/sctp: ~15 ns more per DATA/SACK chunk).
 * src/sctp/tracer.ts loads it only when a kernel's verifier refuses bpf/sctp_wire.bpf.o.
 */
#define INLINE_CHUNKS 0
#include "sctp_wire.bpf.c"
