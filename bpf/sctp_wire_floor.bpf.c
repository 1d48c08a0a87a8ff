// SPDX-License-Identifier: GPL-2.0
/*
 * Reference programs for bench/sctp only, never attached: what a tc program costs under
 * BPF_PROG_TEST_RUN before it does any work, so the wire tracer's figure can be read against
 * the harness's own floor on the same machine in the same run. Each adds one piece of what
 * every traced packet needs: nothing; the coarse clock; one lookup in a hash map keyed like
 * the tracer's (struct sw_key); both.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "sctp_wire.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct sw_key);
	__type(value, __u64); /* the value's size does not change the lookup */
} floor_assocs SEC(".maps");

static __always_inline void fill_key(struct __sk_buff *skb, struct sw_key *k)
{
	/* from the skb so that clang cannot fold the key into a constant */
	k->ifindex = skb->ifindex;
	k->port[0] = skb->len & 0xffff;
	k->family = 4;
}

static const __u64 zero;

SEC("tc")
int floor_empty(struct __sk_buff *skb)
{
	return -1;
}

SEC("tc")
int floor_clock(struct __sk_buff *skb)
{
	return bpf_ktime_get_coarse_ns() == 1 ? 0 : -1;
}

SEC("tc")
int floor_lookup(struct __sk_buff *skb)
{
	struct sw_key k __attribute__((aligned(8))) = {};

	fill_key(skb, &k);
	__u64 *a = bpf_map_lookup_elem(&floor_assocs, &k);
	if (a)
		__sync_fetch_and_add(a, 1);
	else /* the first run inserts: the repeats then measure a hit, as the tracer's do */
		bpf_map_update_elem(&floor_assocs, &k, &zero, BPF_NOEXIST);
	return -1;
}

SEC("tc")
int floor_lookup_clock(struct __sk_buff *skb)
{
	struct sw_key k __attribute__((aligned(8))) = {};

	fill_key(skb, &k);
	__u64 *a = bpf_map_lookup_elem(&floor_assocs, &k);
	if (a)
		*a = bpf_ktime_get_coarse_ns();
	else
		bpf_map_update_elem(&floor_assocs, &k, &zero, BPF_NOEXIST);
	return -1;
}

char LICENSE[] SEC("license") = "GPL";
