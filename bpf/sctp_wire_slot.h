/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The slot table's map, key comparison and hash, shared by bpf/sctp_wire.bpf.c and the reference
 * programs of bpf/sctp_wire_floor.bpf.c (bench/sctp's floor rows time exactly this lookup).
 * BPF side only.
 */
#ifndef NODECTL_SCTP_WIRE_SLOT_H
#define NODECTL_SCTP_WIRE_SLOT_H

#include "sctp_wire.h"

/* The slot table: user space sizes it before load and reads it in place (mmap). */
#define SW_SLOTS_MAP(name)                                \
	struct {                                          \
		__uint(type, BPF_MAP_TYPE_ARRAY);         \
		__uint(max_entries, 16384);               \
		__uint(map_flags, BPF_F_MMAPABLE);        \
		__type(key, __u32);                       \
		__type(value, struct sw_slot);            \
	} name SEC(".maps")

static __always_inline int key_eq(const struct sw_key *x, const struct sw_key *y)
{
	const __u64 *a = (const __u64 *)x, *b = (const __u64 *)y;

	return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) | (a[4] ^ b[4]) |
		(((const __u32 *)x)[10] ^ ((const __u32 *)y)[10])) == 0;
}

/* Independent multiplies (they overlap in the pipeline); the high half mixes every key bit. */
static __always_inline __u32 slot_hash(const struct sw_key *k)
{
	const __u64 *w = (const __u64 *)k;
	__u64 h = (w[0] * 0x9E3779B97F4A7C15ULL) ^ (w[1] * 0xC2B2AE3D27D4EB4FULL) ^
		  (w[2] * 0x165667B19E3779F9ULL) ^ (w[3] * 0xD6E8FEB86659FD93ULL) ^
		  (w[4] * 0xFF51AFD7ED558CCDULL) ^ ((__u64)((const __u32 *)k)[10] * 0xC4CEB9FE1A85EC53ULL);

	return (__u32)(h >> 32) ^ (__u32)(h >> 17);
}

#endif
