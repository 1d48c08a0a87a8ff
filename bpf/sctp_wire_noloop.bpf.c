// SPDX-License-Identifier: GPL-2.0
/*
 * The wire tracer for kernels without bpf_loop (before 5.17: Debian 11's 5.10). It counts as
 * bpf/sctp_wire.bpf.o does (test/netns/sctp-wire-parse.test.ts runs both on the same frames);
 * src/sctp/tracer.ts loads it where the bpf_loop probe says no. What it does without:
 * - bpf_loop (5.17): the chunks are walked by a global function, SW_WALK_BATCH chunks a call,
 *   called from a bounded loop (bounded loops: 5.3; global functions: 5.6). 5.10's verifier
 *   refuses the bpf_loop object before it starts: it does not know the callback's
 *   BPF_PSEUDO_FUNC reference (5.13), so "number of funcs in func_info doesn't match number
 *   of subprogs".
 * - compare-and-swap (BPF atomics: 5.12): the slot table's claim needs it, so every
 *   association goes to the LRU hash sctp_assocs (sctp_slots stays empty; user space reads
 *   both, so nothing changes for it but the speed).
 * - bpf_ktime_get_coarse_ns (5.11): the jiffies clock's offset, and the clock itself where
 *   CONFIG_HZ is unknown, come from bpf_ktime_get_ns.
 */
#define SW_NO_BPF_LOOP
#define SW_NO_SLOTS
#define SW_COARSE_KTIME bpf_ktime_get_ns
#define INLINE_CHUNKS 0
#include "sctp_wire.bpf.c"
