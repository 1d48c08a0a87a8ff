// SPDX-License-Identifier: GPL-2.0
/* Test program for src/ebpf: counts packets per ethertype/IP protocol/direction at tc, keeps a
 * per-CPU total per direction, and sends one ring-buffer record per UDP datagram or ICMP echo so tests can see
 * events arrive on the event loop. `tag` and `events_enabled` are set from user space before load.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "test_counter.h"

#define TC_ACT_OK 0
#define ETH_P_IP 0x0800
#define IPPROTO_ICMP_ 1
#define IPPROTO_UDP_ 17

const volatile __u32 tag = 0;
const volatile __u8 events_enabled = 1;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct count_key);
	__type(value, struct count_val);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} dir_packets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline void count(struct __sk_buff *skb, __u8 dir)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct count_key key = { .ethertype = bpf_ntohs(skb->protocol), .dir = dir };
	struct ethhdr *eth = data;
	struct iphdr *ip = NULL;

	if ((void *)(eth + 1) <= end && eth->h_proto == bpf_htons(ETH_P_IP)) {
		ip = (void *)(eth + 1);
		if ((void *)(ip + 1) <= end)
			key.ip_proto = ip->protocol;
		else
			ip = NULL;
	}

	struct count_val *v = bpf_map_lookup_elem(&counts, &key);
	if (v) {
		__sync_fetch_and_add(&v->packets, 1);
		__sync_fetch_and_add(&v->bytes, skb->len);
	} else {
		struct count_val init = { .packets = 1, .bytes = skb->len };
		/* BPF_NOEXIST: another CPU may have inserted it meanwhile; then add to that one */
		if (bpf_map_update_elem(&counts, &key, &init, BPF_NOEXIST)) {
			v = bpf_map_lookup_elem(&counts, &key);
			if (v) {
				__sync_fetch_and_add(&v->packets, 1);
				__sync_fetch_and_add(&v->bytes, skb->len);
			}
		}
	}

	__u32 d = dir;
	__u64 *total = bpf_map_lookup_elem(&dir_packets, &d);
	if (total)
		*total += 1; /* per-CPU slot: no atomics needed */

	if (!events_enabled || !ip || ip->ihl != 5)
		return;
	__u16 sport, dport;
	if (ip->protocol == IPPROTO_UDP_) {
		struct udphdr *udp = (void *)(ip + 1);
		if ((void *)(udp + 1) > end)
			return;
		sport = udp->source;
		dport = udp->dest;
	} else if (ip->protocol == IPPROTO_ICMP_) {
		struct icmphdr *icmp = (void *)(ip + 1);
		if ((void *)(icmp + 1) > end || (icmp->type != 0 && icmp->type != 8))
			return;
		sport = icmp->un.echo.id;
		dport = icmp->un.echo.sequence;
	} else {
		return;
	}
	struct pkt_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return;
	e->tag = tag;
	e->ifindex = skb->ifindex;
	e->len = skb->len;
	e->saddr = ip->saddr;
	e->daddr = ip->daddr;
	e->sport = sport;
	e->dport = dport;
	e->dir = dir;
	e->ip_proto = ip->protocol;
	e->_pad = 0;
	bpf_ringbuf_submit(e, 0);
}

SEC("tc")
int count_ingress(struct __sk_buff *skb)
{
	count(skb, 0);
	return TC_ACT_OK;
}

SEC("tc")
int count_egress(struct __sk_buff *skb)
{
	count(skb, 1);
	return TC_ACT_OK;
}

/* XDP sees only ingress, before the stack: counts there go under dir 0, ethertype from the frame */
SEC("xdp")
int count_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	__u32 d = 0;
	__u64 *total = bpf_map_lookup_elem(&dir_packets, &d);
	if (total)
		*total += 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
