/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Records of bpf/sctp_kern.bpf.c (the kernel-side SCTP tracer), shared with user space
 * (src/sctp/generated/sctp-kern.ts, generated from this object's BTF: npm run gen:bpf-types).
 * Kernel time units are kept as the kernel has them (jiffies) together with CONFIG_HZ, so
 * user space converts exactly.
 */
#ifndef NODECTL_SCTP_KERN_H
#define NODECTL_SCTP_KERN_H

/* An association as the kernel's SCTP stack sees it, keyed by its kernel address. */
struct sk_assoc {
	__u64 asoc;          /* kernel pointer: an opaque id */
	__u64 last_ns;
	__u64 probes;        /* sctp_probe hits (one per SACK processed) */
	__u64 rtx[6];        /* sctp_retransmit calls by reason: 1 T3-rtx, 2 fast, 3 PMTU, 4 T1 (INIT/COOKIE) */
	__u32 state;         /* enum sctp_state */
	__u32 peer_rwnd;     /* peer's receive window as the kernel tracks it */
	__u32 unack_data;
	__u32 pathmtu;
	__u32 mark;
	__u32 hz;            /* reserved: user space learns CONFIG_HZ (no Kconfig extern: libbpf 1.1 fails without a config file) */
	__u16 lport;
	__u16 pport;
	__u32 source;        /* 1: tp_btf (full details), 2: classic tracepoint (its fields only) */
	/*
	 * What limited the sender, as ns between two SACKs (sctp_probe) charged to one class
	 * judged from the state the SACK found (before processing it): LIM_RWND the peer's
	 * window below one path MTU; LIM_CWND (set by the path samples of the same SACK) a path's
	 * flight size at its cwnd; LIM_SNDBUF the send buffer full (less than one MTU free; tp_btf
	 * only), or a sender waiting for buffer space in sctp_sendmsg or refused with EAGAIN in
	 * the interval; LIM_APP none of these (the windows were open and the buffer had room:
	 * the application gave no more).
	 */
	__u64 lim_ns[4];
	__u64 lim_last_ns;   /* the previous SACK sample; 0 before the first */
	__u64 lim_pending;   /* the last interval's ns, while a path sample may still move it to LIM_CWND */
	__u32 lim_pending_class;
	__u32 senders;       /* threads inside sctp_sendmsg_to_asoc for this association now */
	__u32 refused;       /* EAGAIN from sctp_sendmsg_to_asoc since the last SACK sample */
	__u32 pad2;
	__u64 sendmsgs;      /* sctp_sendmsg_to_asoc calls */
	__u64 sk;            /* the socket (struct sock *) the association belongs to: an opaque id, 0 unknown */
};

#define LIM_RWND 0
#define LIM_CWND 1
#define LIM_SNDBUF 2
#define LIM_APP 3

/* An error returned to the application by sendmsg/recvmsg. */
struct sk_err_key {
	__u64 asoc;          /* the association, 0 when the call failed before choosing one */
	__u64 sk;            /* the socket */
	__u32 op;            /* 1 sendmsg, 2 recvmsg */
	__s32 err;           /* the negative errno */
};

/* One path (transport) of an association: the peer address it leads to. */
struct sk_path_key {
	__u64 asoc;
	__u8 addr[16];
	__u16 port;
	__u8 family;         /* 4 or 6 */
	__u8 pad[5];
};

struct sk_path {
	__u64 last_ns;
	__u64 samples;
	__u32 cwnd;
	__u32 ssthresh;
	__u32 flight_size;
	__u32 partial_bytes_acked;
	__u32 pathmtu;
	__u32 state;         /* SCTP_ACTIVE 2, SCTP_INACTIVE 0, SCTP_PF 1, SCTP_UNCONFIRMED 3, SCTP_UNKNOWN 0xffff */
	__u32 srtt;          /* jiffies (tp_btf only) */
	__u32 rttvar;
	__u32 rto;
	__u32 error_count;
	__u32 primary;
	__u32 source;
};

#endif
