/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Records shared between bpf/sctp_wire.bpf.c and user space. User space's layouts are generated
 * from the compiled object's BTF (src/sctp/generated/sctp-wire.ts, npm run gen:bpf-types); the
 * #defines and enum values, which BTF does not carry, are in src/sctp/wire-consts.ts.
 * test/unit/sctp-records.test.ts fails when either is stale, or when a variant object differs.
 *
 * Every field is fixed-width and explicitly padded: the layout must not depend on the
 * compiler's padding rules on either side.
 */
#ifndef NODECTL_SCTP_WIRE_H
#define NODECTL_SCTP_WIRE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * A record is keyed by one *path* of an association: its two transport addresses, ordered so
 * that both directions land on the same record (endpoint 0 is the lower (address, port) pair,
 * endpoint 1 the higher one), and the interface. Direction d counts the packets *sent by*
 * endpoint d. SCTP allows only one association between a given pair of transport addresses
 * at a time; successive incarnations (restarts, re-establishment) are told apart by the
 * initiate tags of INIT / INIT ACK, which reset the record. The interface is part of the key
 * so that a router traced on two interfaces does not count the same packet twice.
 *
 * A multi-homed association has several paths (address pairs), maybe on several interfaces.
 * Its identity is its verification tags and ports: every packet towards an endpoint carries
 * the tag that endpoint announced in INIT / INIT ACK (or, handshake not seen, the tag its
 * packets were first seen to carry). The record that learns a tag first is the association's
 * *home*: sctp_tags maps (tag, ports) to it, and a record of another address pair whose
 * packets carry a known tag links to it (sw_assoc.home). The home keeps the association's
 * state and TSN bookkeeping (highest TSN sent, cumulative acks, outstanding DATA, zero window,
 * bursts): DATA first sent on one path and acknowledged, or retransmitted, on another is one
 * stream of TSNs. Every record keeps its own path's counters (packets, bytes, DATA,
 * retransmissions, SACKs, HEARTBEAT / ACK and their RTT, last seen).
 */
struct sw_key {
	__u8 addr[2][16]; /* IPv4 in the first 4 bytes, rest zero */
	__u16 port[2];    /* host byte order */
	__u32 ifindex;
	__u8 family;      /* 4 or 6 */
	__u8 pad[3];
};

enum sw_state {
	SW_ST_UNKNOWN = 0,      /* first seen mid-association: no handshake observed */
	SW_ST_COOKIE_WAIT = 1,  /* INIT seen */
	SW_ST_COOKIE_ECHOED = 2,
	SW_ST_ESTABLISHED = 3,  /* COOKIE ACK seen */
	SW_ST_SHUTDOWN = 4,     /* SHUTDOWN or SHUTDOWN ACK seen */
	SW_ST_CLOSED = 5,       /* SHUTDOWN COMPLETE seen */
	SW_ST_ABORTED = 6,
};

/* sw_dir.flags */
#define SW_F_HAVE_TSN 0x1     /* highest_tsn is meaningful */
#define SW_F_HAVE_SACK 0x2    /* cum_tsn_ack / a_rwnd_* are meaningful */
#define SW_F_ZERO_WINDOW 0x4  /* this endpoint's last SACK advertised a_rwnd 0 */
#define SW_F_HAVE_VTAG 0x8    /* vtag is known */
#define SW_F_OUTSTANDING 0x10 /* DATA sent by this endpoint is not yet cumulatively acked */

/* Everything one endpoint sent. 8-byte fields first, then 4-byte ones.
 * Timestamps are CLOCK_MONOTONIC ns. last_seen_ns, last_data_ns, last_sack_ns, progress_ns
 * (and sw_assoc first_ns, last_ns) come from the coarse clock (a tick behind at most: they
 * only say "how long ago"), and so does burst_start_ns (a retransmission burst's window is
 * about a second: a tick does not matter, and retransmissions then need no precise clock);
 * the ones durations are computed from (hb_sent_ns, zwin_since_ns, init/up/down_ns, event
 * times) from the precise one. */
struct sw_dir {
	__u64 packets;
	__u64 bytes;            /* IP payload of the SCTP packets (SCTP header + chunks) */
	__u64 data_chunks;      /* DATA + I-DATA */
	__u64 idata_chunks;     /* of which I-DATA */
	__u64 data_bytes;       /* user payload of DATA / I-DATA, without padding */
	__u64 retrans_chunks;   /* DATA whose TSN was not above the highest TSN already sent */
	__u64 spurious_retrans; /* of which the peer had already acknowledged cumulatively */
	__u64 sack_chunks;      /* SACKs this endpoint sent (acknowledging the other's DATA) */
	__u64 gap_blocks;
	__u64 dup_tsns;
	__u64 zero_window_sacks;
	__u64 heartbeats;
	__u64 heartbeat_acks;
	__u64 rtt_last_ns;      /* RTT of this endpoint's HEARTBEATs, as seen at the tap */
	__u64 rtt_min_ns;
	__u64 rtt_sum_ns;
	__u64 rtt_count;
	__u64 hb_sent_ns;       /* time of this endpoint's last unanswered HEARTBEAT (0: none) */
	__u64 init_chunks;
	__u64 init_ack_chunks;
	__u64 cookie_echo_chunks;
	__u64 cookie_ack_chunks;
	__u64 shutdown_chunks;
	__u64 shutdown_ack_chunks;
	__u64 shutdown_complete_chunks;
	__u64 abort_chunks;
	__u64 error_chunks;
	__u64 forward_tsn_chunks;
	__u64 other_chunks;
	__u64 malformed;        /* chunks or packets that could not be parsed (see docs) */
	__u64 truncated;        /* packets with more chunks than the walk limit */
	__u64 bad_vtag;         /* packets whose verification tag is not the association's */
	__u64 last_seen_ns;
	__u64 last_data_ns;
	__u64 last_sack_ns;
	__u64 progress_ns;      /* last time this endpoint's DATA became outstanding or got cum-acked further */
	__u64 zwin_since_ns;    /* when this endpoint started advertising a_rwnd 0 */
	__u64 burst_start_ns;
	__u32 burst_count;
	__u32 highest_tsn;      /* highest TSN this endpoint sent */
	__u32 cum_tsn_ack;      /* cumulative TSN ack of this endpoint's last SACK (acks the other endpoint) */
	__u32 a_rwnd_last;      /* receiver window this endpoint advertised last */
	__u32 a_rwnd_min;
	__u32 vtag;             /* verification tag on this endpoint's packets */
	__u32 init_tag;         /* initiate tag this endpoint announced (INIT / INIT ACK) */
	__u32 flags;            /* SW_F_* */
	__u32 hb_unanswered;    /* HEARTBEATs this endpoint sent on this path since the last HEARTBEAT ACK */
	__u32 pad;
};

struct sw_assoc {
	struct sw_dir dir[2];
	__u64 first_ns;
	__u64 last_ns;
	__u64 init_ns;    /* first INIT of this incarnation */
	__u64 up_ns;      /* COOKIE ACK */
	__u64 setup_ns;   /* up_ns - init_ns */
	__u64 down_ns;    /* SHUTDOWN COMPLETE or ABORT */
	__u32 state;      /* enum sw_state */
	__u32 restarts;   /* new incarnations seen on this key (record was reset) */
	__u16 abort_cause;/* first error cause code of the last ABORT (0: none given) */
	__u8 abort_dir;   /* endpoint that sent the ABORT */
	__u8 init_dir;    /* endpoint that sent the INIT (0xff: not seen) */
	/* Paths (see sw_key). In a record linked to a home, the fields above that belong to the
	 * association (state, times, restarts, abort, and in dir[]: highest_tsn, cum_tsn_ack,
	 * a_rwnd of the association, init_tag, progress, zero window, bursts, flags but HAVE_VTAG)
	 * stay zero: the home has them. */
	__u32 home;       /* slot index + 1 of the association's home record; 0: none (this is one) */
	__u8 home_flip;   /* 1: endpoint d of this record is endpoint d ^ 1 of the home's */
	__u8 link;        /* SW_L_* */
	__u16 pad;
	__u32 n_paths;    /* home: records linked to it (the first SW_MAX_PATHS in paths[]) */
	__u32 paths[4];   /* home: slot index + 1 of the records linked to it */
};

#define SW_MAX_PATHS 4
/* sw_assoc.link */
#define SW_L_MIRROR 0x1 /* the address pair of another path of the association, seen on another
			 * interface (a router traced on both sides): listed under it, but its
			 * DATA does not count in the association's TSN bookkeeping a second time */

/* One entry of sctp_tags: the verification tag on packets from sport to dport, and the home
 * record of the association they belong to. A lossy index (direct-mapped, two probes,
 * overwritten under pressure): a lookup is checked against the record it names. */
struct sw_tag {
	__u32 vtag;
	__u16 sport;
	__u16 dport;
	__u32 home;       /* slot index + 1 */
	__u32 pad;
};

/*
 * The transport addresses each endpoint of an association announced (sctp_addrs, keyed by the
 * association's home key): the IPv4 / IPv6 Address parameters of its INIT or INIT ACK, and of
 * its ASCONF chunks (RFC 5061: the sender's Address Parameter, Add IP Address, Delete IP
 * Address), in the order seen. An operations log, not a set: the program appends and never
 * searches (a delete is an entry too), user space replays it. So paths are known before any
 * packet uses them. Parsed in the program rather than from a copy in user space: the addresses
 * then sit in a map that every reader (stats in another process, serve) reads like the rest,
 * and it costs only the rare INIT / ASCONF chunk (a global function, verified once).
 */
#define SW_MAX_ADDRS 8

enum sw_addr_op {
	SW_A_INIT = 1,     /* announced in INIT (the list of both endpoints starts again) */
	SW_A_INIT_ACK = 2, /* announced in INIT ACK (the sender's list starts again) */
	SW_A_ASCONF = 3,   /* the Address Parameter of an ASCONF: an address of its sender */
	SW_A_ADD = 4,      /* ASCONF Add IP Address */
	SW_A_DEL = 5,      /* ASCONF Delete IP Address */
};

struct sw_addr {
	__u8 addr[16];     /* IPv4 in the first 4 bytes, rest zero */
	__u8 family;       /* 4 or 6 */
	__u8 op;           /* enum sw_addr_op */
	__u16 pad;
};

struct sw_addrs {
	struct sw_addr a[2][SW_MAX_ADDRS]; /* per endpoint, in the home record's endpoint order */
	__u32 n[2];        /* entries used */
	__u32 dropped[2];  /* entries beyond SW_MAX_ADDRS, not kept */
};

/*
 * One entry of sctp_slots, the direct-mapped table in front of sctp_assocs (see
 * sctp_wire.bpf.c): the association's key, a claim word and its record. The table is
 * BPF_F_MMAPABLE: user space reads every slot in place, without a syscall per entry.
 */
enum sw_slot_state {
	SW_SLOT_FREE = 0,
	SW_SLOT_CLAIMING = 1, /* a CPU is writing the key: wait, then compare */
	SW_SLOT_USED = 2,     /* key and record are valid; a slot is never freed while loaded */
};

struct sw_slot {
	struct sw_key key;
	__u32 pad;
	__u64 state;          /* enum sw_slot_state; 64-bit: compare-and-swap on BPF ISA v1 */
	struct sw_assoc a;
};

enum sw_event_type {
	SW_EV_INIT = 1,          /* value: initiate tag */
	SW_EV_UP = 2,            /* duration: INIT -> COOKIE ACK */
	SW_EV_DOWN = 3,          /* duration: lifetime since INIT (or first seen) */
	SW_EV_ABORT = 4,         /* cause: first error cause code */
	SW_EV_ZWIN_START = 5,    /* dir: the endpoint advertising 0 */
	SW_EV_ZWIN_END = 6,      /* value: new a_rwnd; duration: time at zero */
	SW_EV_RETRANS_BURST = 7, /* value: retransmissions within the burst window */
	SW_EV_RESTART = 8,       /* a new INIT replaced a live incarnation; value: new initiate tag */
};

struct sw_event {
	__u64 ts_ns;
	__u64 duration_ns;
	struct sw_key key;
	__u8 type;    /* enum sw_event_type */
	__u8 dir;     /* endpoint the event is about */
	__u16 cause;
	__u32 value;
};

/* Per-CPU global counters: one struct sw_globals (array map sctp_wire_stats, key 0), indexes: */
enum sw_global {
	SW_G_SKBS = 0,         /* frames the program saw */
	SW_G_SCTP = 1,         /* SCTP packets parsed */
	SW_G_FRAGMENTS = 2,    /* IP fragments carrying SCTP (not parsed) */
	SW_G_HDR_TRUNC = 3,    /* IP or SCTP common header cut short */
	SW_G_MALFORMED = 4,    /* malformed chunks, all associations */
	SW_G_CHUNKS = 5,       /* well-formed chunks walked */
	SW_G_WALK_LIMIT = 6,   /* packets with more chunks than the walk limit */
	SW_G_RB_DROPS = 7,     /* events lost: ring buffer full */
	SW_G_MAP_FULL = 8,     /* associations not recorded: map full */
	SW_G_SLOT_WAIT = 9,    /* packets sent to the fallback map because a slot stayed mid-claim */
	SW_G_PATHS_LINKED = 10,/* records linked to another as a further path of its association */
	SW_G_MAX = 11,
};

/* One per-CPU slot: found with a single lookup per packet. */
struct sw_globals {
	__u64 c[SW_G_MAX];
};

#endif
