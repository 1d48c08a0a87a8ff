// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel-side SCTP tracer: what the kernel's own SCTP stack thinks of each association and
 * path (congestion window, slow-start threshold, flight size, smoothed RTT, RTO, path state,
 * peer receive window, unacknowledged data) and why it retransmits.
 *
 * The sctp_probe / sctp_probe_path tracepoints fire when a SACK is processed. Two flavours
 * of each program: tp_btf (typed access to the association and transport, CO-RE against the
 * sctp module's BTF: srtt/rto/error count) and the classic tracepoint (only the fields the
 * trace event records) for kernels without module BTF. sctp_retransmit is followed by fentry,
 * or a kprobe where fentry is refused. User space loads the subset the kernel accepts.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "sctp_kern.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct sk_assoc);
} sctp_kassocs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct sk_path_key);
	__type(value, struct sk_path);
} sctp_kpaths SEC(".maps");

static __always_inline struct sk_assoc *assoc_rec(__u64 id)
{
	struct sk_assoc *a = bpf_map_lookup_elem(&sctp_kassocs, &id);
	if (a)
		return a;
	struct sk_assoc z = { .asoc = id };
	bpf_map_update_elem(&sctp_kassocs, &id, &z, BPF_NOEXIST);
	return bpf_map_lookup_elem(&sctp_kassocs, &id);
}

static __always_inline void path_key_from(struct sk_path_key *k, __u64 asoc, const union sctp_addr *ua)
{
	__u16 fam = BPF_CORE_READ(ua, sa.sa_family);
	k->asoc = asoc;
	if (fam == 10 /* AF_INET6 */) {
		k->family = 6;
		BPF_CORE_READ_INTO(&k->addr, ua, v6.sin6_addr);
		k->port = bpf_ntohs(BPF_CORE_READ(ua, v6.sin6_port));
	} else {
		__u32 a4 = 0;
		k->family = 4;
		/* into a u32, then copied: reading "into &k->addr[0]" would copy one byte */
		BPF_CORE_READ_INTO(&a4, ua, v4.sin_addr.s_addr);
		__builtin_memcpy(k->addr, &a4, 4);
		k->port = bpf_ntohs(BPF_CORE_READ(ua, v4.sin_port));
	}
}

/* The path's record, created zeroed on its first sample, with this sample counted. */
static __always_inline struct sk_path *path_rec(const struct sk_path_key *k)
{
	struct sk_path *p = bpf_map_lookup_elem(&sctp_kpaths, k);
	if (!p) {
		struct sk_path z = {};
		bpf_map_update_elem(&sctp_kpaths, k, &z, BPF_NOEXIST);
		p = bpf_map_lookup_elem(&sctp_kpaths, k);
		if (!p)
			return NULL;
	}
	p->last_ns = bpf_ktime_get_ns();
	__sync_fetch_and_add(&p->samples, 1);
	return p;
}

SEC("tp_btf/sctp_probe")
int BPF_PROG(kern_probe_btf, const struct sctp_endpoint *ep, const struct sctp_association *asoc, struct sctp_chunk *chunk)
{
	/* 6.12's verifier types tracepoint arguments as maybe-NULL: check before any field offset */
	if (!asoc)
		return 0;
	struct sk_assoc *a = assoc_rec((__u64)asoc);
	if (!a)
		return 0;
	a->last_ns = bpf_ktime_get_ns();
	__sync_fetch_and_add(&a->probes, 1);
	a->state = BPF_CORE_READ(asoc, state);
	a->peer_rwnd = BPF_CORE_READ(asoc, peer.rwnd);
	a->unack_data = BPF_CORE_READ(asoc, unack_data);
	a->pathmtu = BPF_CORE_READ(asoc, pathmtu);
	a->lport = BPF_CORE_READ(asoc, base.bind_addr.port);
	a->pport = BPF_CORE_READ(asoc, peer.port);
	a->source = 1;
	return 0;
}

SEC("tp_btf/sctp_probe_path")
int BPF_PROG(kern_path_btf, struct sctp_transport *sp, const struct sctp_association *asoc)
{
	struct sk_path_key k = {};
	if (!sp || !asoc)
		return 0;
	path_key_from(&k, (__u64)asoc, &sp->ipaddr);
	struct sk_path *p = path_rec(&k);
	if (!p)
		return 0;
	p->cwnd = BPF_CORE_READ(sp, cwnd);
	p->ssthresh = BPF_CORE_READ(sp, ssthresh);
	p->flight_size = BPF_CORE_READ(sp, flight_size);
	p->partial_bytes_acked = BPF_CORE_READ(sp, partial_bytes_acked);
	p->pathmtu = BPF_CORE_READ(sp, pathmtu);
	p->state = BPF_CORE_READ(sp, state);
	p->srtt = BPF_CORE_READ(sp, srtt);
	p->rttvar = BPF_CORE_READ(sp, rttvar);
	p->rto = BPF_CORE_READ(sp, rto);
	p->error_count = BPF_CORE_READ(sp, error_count);
	p->primary = BPF_CORE_READ(asoc, peer.primary_path) == sp;
	p->source = 1;
	return 0;
}

/* Classic tracepoints: the records of include/trace/events/sctp.h, after the 8-byte common header. */
struct tp_sctp_probe {
	__u64 common;
	__u64 asoc;
	__u32 mark;
	__u16 bind_port;
	__u16 peer_port;
	__u32 pathmtu;
	__u32 rwnd;
	__u16 unack_data;
};

struct tp_sctp_probe_path {
	__u64 common;
	__u64 asoc;
	__u32 primary;
	__u8 ipaddr[28]; /* union sctp_addr */
	__u32 state;
	__u32 cwnd;
	__u32 ssthresh;
	__u32 flight_size;
	__u32 partial_bytes_acked;
	__u32 pathmtu;
};

SEC("tracepoint/sctp/sctp_probe")
int kern_probe_tp(struct tp_sctp_probe *ctx)
{
	struct sk_assoc *a = assoc_rec(ctx->asoc);
	if (!a)
		return 0;
	a->last_ns = bpf_ktime_get_ns();
	__sync_fetch_and_add(&a->probes, 1);
	a->peer_rwnd = ctx->rwnd;
	a->unack_data = ctx->unack_data;
	a->pathmtu = ctx->pathmtu;
	a->mark = ctx->mark;
	a->lport = ctx->bind_port;
	a->pport = ctx->peer_port;
	a->source = 2;
	return 0;
}

SEC("tracepoint/sctp/sctp_probe_path")
int kern_path_tp(struct tp_sctp_probe_path *ctx)
{
	struct sk_path_key k = { .asoc = ctx->asoc };
	__u16 fam = ctx->ipaddr[0] | (ctx->ipaddr[1] << 8);
	if (fam == 10) {
		k.family = 6;
		__builtin_memcpy(k.addr, &ctx->ipaddr[8], 16);
	} else {
		k.family = 4;
		__builtin_memcpy(k.addr, &ctx->ipaddr[4], 4);
	}
	k.port = (ctx->ipaddr[2] << 8) | ctx->ipaddr[3];
	struct sk_path *p = path_rec(&k);
	if (!p)
		return 0;
	p->cwnd = ctx->cwnd;
	p->ssthresh = ctx->ssthresh;
	p->flight_size = ctx->flight_size;
	p->partial_bytes_acked = ctx->partial_bytes_acked;
	p->pathmtu = ctx->pathmtu;
	p->state = ctx->state;
	p->primary = ctx->primary;
	p->source = 2;
	return 0;
}

static __always_inline void count_rtx(struct sctp_transport *t, __u8 reason)
{
	__u64 asoc = (__u64)BPF_CORE_READ(t, asoc);
	struct sk_assoc *a = assoc_rec(asoc);
	if (!a)
		return;
	__sync_fetch_and_add(&a->rtx[reason < 6 ? reason : 0], 1);
}

/* void sctp_retransmit(struct sctp_outq *q, struct sctp_transport *transport, int reason) */
SEC("fentry/sctp_retransmit")
int BPF_PROG(kern_rtx_fentry, struct sctp_outq *q, struct sctp_transport *transport, int reason)
{
	count_rtx(transport, reason);
	return 0;
}

SEC("kprobe/sctp_retransmit")
int BPF_KPROBE(kern_rtx_kprobe, struct sctp_outq *q, struct sctp_transport *transport, int reason)
{
	count_rtx(transport, reason);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
