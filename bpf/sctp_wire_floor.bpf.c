// SPDX-License-Identifier: GPL-2.0
/*
 * Reference programs for bench/sctp only, never attached: what a tc program costs under
 * BPF_PROG_TEST_RUN before it does any work, so the wire tracer's figure can be read against
 * the harness's own floor on the same machine in the same run. Each adds one piece of what
 * every traced packet needs: nothing; the coarse clock (helper, or jiffies); one lookup in a hash map keyed like
 * the tracer's (struct sw_key); both; one hit in a slot table as the tracer finds its
 * associations (hash, inlined array lookup, key comparison), alone and with the clock.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "sctp_wire.h"
#include "sctp_wire_slot.h"

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

/* The tracer's clock where the kernel's CONFIG_HZ is known: jiffies, which the verifier inlines
 * as one load, times the tick (a constant here; the tracer's comes from .rodata). */
SEC("tc")
int floor_jiffies(struct __sk_buff *skb)
{
	return bpf_jiffies64() * 4000000 == 1 ? 0 : -1;
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

SW_SLOTS_MAP(floor_slots);

/* The tracer's fast path to its record: the first probe's slot holds the key. */
static __always_inline struct sw_slot *slot_hit(struct __sk_buff *skb, struct sw_key *k)
{
	fill_key(skb, k);
	__u32 idx = slot_hash(k) & 16383;
	struct sw_slot *s = bpf_map_lookup_elem(&floor_slots, &idx);
	if (!s)
		return 0;
	if (s->state == SW_SLOT_USED && key_eq(&s->key, k))
		return s;
	/* the first run claims it: the repeats then measure a hit, as the tracer's do */
	__builtin_memcpy(&s->key, k, sizeof(*k));
	s->state = SW_SLOT_USED;
	return 0;
}

SEC("tc")
int floor_slot(struct __sk_buff *skb)
{
	struct sw_key k __attribute__((aligned(8))) = {};
	struct sw_slot *s = slot_hit(skb, &k);

	if (s)
		__sync_fetch_and_add(&s->a.dir[0].packets, 1);
	return -1;
}

SEC("tc")
int floor_slot_clock(struct __sk_buff *skb)
{
	struct sw_key k __attribute__((aligned(8))) = {};
	struct sw_slot *s = slot_hit(skb, &k);

	if (s)
		s->a.last_ns = bpf_ktime_get_coarse_ns();
	return -1;
}

char LICENSE[] SEC("license") = "GPL";
