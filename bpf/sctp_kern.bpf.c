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
 *
 * What limits the sender (struct sk_assoc's lim_ns): each SACK sample charges the time since
 * the previous one to one class (see sctp_kern.h). Send-buffer waits and errors come from
 * sctp_sendmsg, sctp_sendmsg_to_asoc and sctp_recvmsg, followed by fentry/fexit where the
 * kernel takes them, else by kprobes: those read no SCTP struct (only pointers and return
 * values), so they need no module BTF and load on 5.10 too.
 * sctp_wait_for_sndbuf itself is inlined in Debian's kernels, hence "a thread inside
 * sctp_sendmsg_to_asoc when a SACK is processed": that thread holds the socket lock except
 * while it waits for buffer space (or, before the first DATA, for the handshake), and a
 * SACK is only processed without the lock.
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

/* Errors returned to the application, by association (or socket), call and errno. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct sk_err_key);
	__type(value, __u64);
} sctp_kerrs SEC(".maps");

/* A thread inside sctp_sendmsg/sctp_recvmsg: its socket, and the association once chosen. */
struct sk_call {
	__u64 sk;
	__u64 asoc;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct sk_call);
} sctp_kcalls SEC(".maps");

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

/*
 * Charge the time since the previous SACK to what the sender ran into, judged from the state
 * this SACK finds. LIM_CWND is decided by the path samples that follow (cwnd_sample).
 */
static __always_inline void limited_sample(struct sk_assoc *a, __u64 now, __u32 rwnd, __u32 pmtu, int sndbuf_full)
{
	__u64 last = a->lim_last_ns;
	a->lim_last_ns = now;
	a->lim_pending = 0;
	if (!last || now <= last)
		return;
	__u64 dt = now - last;
	__u32 cls = LIM_APP;
	if (rwnd < pmtu)
		cls = LIM_RWND;
	else if (sndbuf_full || a->senders || a->refused)
		cls = LIM_SNDBUF;
	a->refused = 0;
	if (cls >= 4)
		return;
	a->lim_ns[cls] += dt;
	/* the path samples of this SACK may still say "cwnd"; rwnd stays rwnd (it bounds first) */
	if (cls != LIM_RWND) {
		a->lim_pending = dt;
		a->lim_pending_class = cls;
	}
}

/* A path sample of the SACK just charged: a full congestion window makes that interval LIM_CWND. */
static __always_inline void cwnd_sample(__u64 asoc, __u32 flight, __u32 cwnd)
{
	if (!flight || flight < cwnd)
		return;
	struct sk_assoc *a = bpf_map_lookup_elem(&sctp_kassocs, &asoc);
	if (!a || !a->lim_pending)
		return;
	__u32 cls = a->lim_pending_class;
	if (cls >= 4)
		return;
	a->lim_ns[cls] -= a->lim_pending;
	a->lim_ns[LIM_CWND] += a->lim_pending;
	a->lim_pending = 0;
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
	__u64 now = bpf_ktime_get_ns();
	a->last_ns = now;
	__sync_fetch_and_add(&a->probes, 1);
	a->state = BPF_CORE_READ(asoc, state);
	a->peer_rwnd = BPF_CORE_READ(asoc, peer.rwnd);
	a->unack_data = BPF_CORE_READ(asoc, unack_data);
	a->pathmtu = BPF_CORE_READ(asoc, pathmtu);
	a->lport = BPF_CORE_READ(asoc, base.bind_addr.port);
	a->pport = BPF_CORE_READ(asoc, peer.port);
	struct sock *sk = BPF_CORE_READ(asoc, base.sk);
	a->sk = (__u64)sk;
	a->source = 1;
	/*
	 * The send buffer full: less than one MTU of space as sctp_wspace() counts it (the
	 * association's own use under the sndbuf_policy sysctl, else the socket's queued bytes).
	 * A non-blocking sender waiting in poll() for space is seen here, not in sendmsg.
	 */
	int sndbuf = BPF_CORE_READ(sk, sk_sndbuf);
	int used = BPF_CORE_READ(asoc, ep, sndbuf_policy) ? (int)BPF_CORE_READ(asoc, sndbuf_used) : BPF_CORE_READ(sk, sk_wmem_queued);
	limited_sample(a, now, a->peer_rwnd, a->pathmtu, sndbuf - used < (int)a->pathmtu);
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
	cwnd_sample((__u64)asoc, p->flight_size, p->cwnd);
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
	__u64 now = bpf_ktime_get_ns();
	a->last_ns = now;
	__sync_fetch_and_add(&a->probes, 1);
	a->peer_rwnd = ctx->rwnd;
	a->unack_data = ctx->unack_data;
	a->pathmtu = ctx->pathmtu;
	a->mark = ctx->mark;
	a->lport = ctx->bind_port;
	a->pport = ctx->peer_port;
	a->source = 2;
	/* no module BTF here: the buffer's fill is not readable, only the senders' waits and refusals */
	limited_sample(a, now, a->peer_rwnd, a->pathmtu, 0);
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
	cwnd_sample(ctx->asoc, p->flight_size, p->cwnd);
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

/*
 * The application's calls. Pointers and return values only: no SCTP struct is read, so these
 * need no module BTF. A kretprobe that misses (more threads blocked in the function at once
 * than its instances, at least 10) leaves a call entry behind, which the LRU map drops, and in
 * sctp_sendmsg_to_asoc's case a sender counted as waiting that never returns: user space says
 * so when the kernel reports missed kretprobes (docs/sctp.md).
 */
static __always_inline void call_enter(__u64 sk)
{
	__u64 tid = bpf_get_current_pid_tgid();
	struct sk_call c = { .sk = sk };
	bpf_map_update_elem(&sctp_kcalls, &tid, &c, BPF_ANY);
}

static __always_inline void call_return(__u32 op, int ret)
{
	__u64 tid = bpf_get_current_pid_tgid();
	struct sk_call *c = bpf_map_lookup_elem(&sctp_kcalls, &tid);
	if (!c)
		return;
	if (ret < 0) {
		struct sk_err_key k = { .asoc = c->asoc, .sk = c->sk, .op = op, .err = (__s32)ret };
		__u64 one = 1;
		__u64 *n = bpf_map_lookup_elem(&sctp_kerrs, &k);
		if (n)
			__sync_fetch_and_add(n, 1);
		else
			bpf_map_update_elem(&sctp_kerrs, &k, &one, BPF_NOEXIST);
	}
	bpf_map_delete_elem(&sctp_kcalls, &tid);
}

/*
 * int sctp_sendmsg(struct sock *sk, struct msghdr *msg, size_t msg_len). The return values
 * are read as int: the upper half of the return register is not part of an int's value (a
 * long read -11 as 4294967285).
 */
SEC("kprobe/sctp_sendmsg")
int BPF_KPROBE(kern_send_enter, void *sk)
{
	call_enter((__u64)sk);
	return 0;
}

SEC("kretprobe/sctp_sendmsg")
int BPF_KRETPROBE(kern_send_return, int ret)
{
	call_return(1, ret);
	return 0;
}

/* int sctp_recvmsg(struct sock *sk, ...): the arguments after sk changed in 5.19; only sk is read */
SEC("kprobe/sctp_recvmsg")
int BPF_KPROBE(kern_recv_enter, void *sk)
{
	call_enter((__u64)sk);
	return 0;
}

SEC("kretprobe/sctp_recvmsg")
int BPF_KRETPROBE(kern_recv_return, int ret)
{
	call_return(2, ret);
	return 0;
}

/*
 * static int sctp_sendmsg_to_asoc(struct sctp_association *asoc, ...): the association a
 * send goes to, and while the thread is inside it, possibly waiting for buffer space.
 */
static __always_inline void to_asoc_enter(__u64 id)
{
	__u64 tid = bpf_get_current_pid_tgid();
	struct sk_call *c = bpf_map_lookup_elem(&sctp_kcalls, &tid);
	if (c) {
		c->asoc = id;
	} else {
		/* entered some other way than sctp_sendmsg's kprobe: the return must still find it */
		struct sk_call n = { .asoc = id };
		bpf_map_update_elem(&sctp_kcalls, &tid, &n, BPF_ANY);
	}
	struct sk_assoc *a = assoc_rec(id);
	if (!a)
		return;
	if (c && c->sk)
		a->sk = c->sk;
	__sync_fetch_and_add(&a->sendmsgs, 1);
	__sync_fetch_and_add(&a->senders, 1);
}

static __always_inline void to_asoc_return(int ret)
{
	__u64 tid = bpf_get_current_pid_tgid();
	struct sk_call *c = bpf_map_lookup_elem(&sctp_kcalls, &tid);
	if (!c || !c->asoc)
		return;
	struct sk_assoc *a = bpf_map_lookup_elem(&sctp_kassocs, &c->asoc);
	if (!a)
		return;
	if (a->senders)
		__sync_fetch_and_add(&a->senders, -1);
	/* EAGAIN here is the send buffer's refusal (sctp_wait_for_sndbuf with no time to wait) */
	if (ret == -11)
		a->refused++;
}

SEC("kprobe/sctp_sendmsg_to_asoc")
int BPF_KPROBE(kern_to_asoc_enter, void *asoc)
{
	to_asoc_enter((__u64)asoc);
	return 0;
}

SEC("kretprobe/sctp_sendmsg_to_asoc")
int BPF_KRETPROBE(kern_to_asoc_return, int ret)
{
	to_asoc_return(ret);
	return 0;
}

/*
 * The same calls by fentry/fexit, preferred where the kernel takes them (module BTF and
 * bpf_get_func_ret: 5.17+). The kernel skips a kprobe's program whenever any kprobe or
 * classic-tracepoint program, or a map syscall (a reader of these maps, such as `sctp top`,
 * preempted in the middle of one), holds the CPU's bpf_prog_active, and so miscounts calls
 * under load; an fentry program is skipped only if it recurses into itself. fexit also has
 * no kretprobe instance limit. The return value is read with bpf_get_func_ret because
 * sctp_recvmsg's argument count changed in 5.19 (fexit finds it after the last argument).
 */
static __always_inline int func_ret(void *ctx)
{
	__u64 ret = 0;
	bpf_get_func_ret(ctx, &ret);
	return (int)ret;
}

SEC("fentry/sctp_sendmsg")
int BPF_PROG(kern_send_fentry, void *sk)
{
	call_enter((__u64)sk);
	return 0;
}

SEC("fexit/sctp_sendmsg")
int kern_send_fexit(void *ctx)
{
	call_return(1, func_ret(ctx));
	return 0;
}

SEC("fentry/sctp_recvmsg")
int BPF_PROG(kern_recv_fentry, void *sk)
{
	call_enter((__u64)sk);
	return 0;
}

SEC("fexit/sctp_recvmsg")
int kern_recv_fexit(void *ctx)
{
	call_return(2, func_ret(ctx));
	return 0;
}

SEC("fentry/sctp_sendmsg_to_asoc")
int BPF_PROG(kern_to_asoc_fentry, void *asoc)
{
	to_asoc_enter((__u64)asoc);
	return 0;
}

SEC("fexit/sctp_sendmsg_to_asoc")
int kern_to_asoc_fexit(void *ctx)
{
	to_asoc_return(func_ret(ctx));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
