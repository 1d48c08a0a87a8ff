// SPDX-License-Identifier: GPL-2.0
/*
 * SCTP wire tracer: a tc program for ingress and egress that follows SCTP associations from
 * the packets alone, so it works on kernels without an SCTP stack (routers, middleboxes,
 * traffic generators). Ethernet (up to two VLAN tags) -> IPv4 (options) / IPv6 (extension
 * headers) -> SCTP common header -> every chunk. Records are in sctp_wire.h.
 *
 * Only UAPI headers: the program reads packets and __sk_buff, no kernel internals, so it needs
 * neither BTF nor CO-RE and loads on any kernel with bpf_loop (5.17+). Built with
 * SW_NO_BPF_LOOP (bpf/sctp_wire_noloop.bpf.c) it needs only what 5.10 has: see there.
 *
 * It never drops or changes a packet: every path returns TC_ACT_OK... except that with tcx
 * the "next" verdict is what lets other programs on the hook run, so that is returned instead.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "sctp_wire.h"
#include "sctp_wire_slot.h"

#define ETH_P_8021AD_ 0x88A8
#define IPPROTO_SCTP_ 132

/* TCX_NEXT (-1) keeps the chain going under tcx; under clsact a negative value is
 * TC_ACT_UNSPEC, which also means "continue with the next filter / default action". */
#define VERDICT (-1)

/* Tuned by user space before load (libbpf .rodata). */
const volatile __u32 max_chunks = 16384;            /* a 64 KiB GSO packet of 4-byte chunks */
#define SW_MAX_CHUNKS 16384                         /* without bpf_loop: max_chunks' ceiling */
#ifndef INLINE_CHUNKS
#define INLINE_CHUNKS 4                             /* walked without a callback call */
#endif
const volatile __u32 burst_threshold = 8;           /* retransmissions ... */
const volatile __u64 burst_window_ns = 1000000000;  /* ... within this window raise an event */

/*
 * The coarse clock without a helper call. bpf_ktime_get_coarse_ns() is one, and on CPUs whose
 * return-stack mitigations put a thunk on every return a call costs ~20 ns (bench/sctp's
 * floor), a sixth of a packet. bpf_jiffies64() the verifier inlines as a load of jiffies_64,
 * and the kernel advances jiffies in whole ticks of the same monotonic clock: the time is
 * jiffies x the tick + an offset, taken from the coarse clock by the first packet that finds
 * none (on any CPU: all take the same value, to within a tick). The coarse clock's grid is not
 * the jiffies' (it accumulates whole clocksource intervals, which drift against the tick), so
 * that offset may come out up to a tick late, and stamps would then run ahead of the
 * monotonic clock (the 6.1 guest: 0.5 ms after the packet's BPF_PROG_TEST_RUN returned). One
 * tick less keeps every stamp at or behind it, by up to two ticks. The tick
 * (NSEC_PER_SEC / CONFIG_HZ) is set by the loader from the kernel's config; 0, unknown, keeps
 * the helper.
 */
const volatile __u64 jiffy_ns = 0;
#ifndef SW_COARSE_KTIME
#define SW_COARSE_KTIME bpf_ktime_get_coarse_ns
#endif
__u64 jiffies_base; /* CLOCK_MONOTONIC - jiffies x jiffy_ns (mod 2^64); 0: not taken yet */

static __always_inline __u64 coarse_now(void)
{
	if (!jiffy_ns)
		return SW_COARSE_KTIME();
	__u64 j = bpf_jiffies64() * jiffy_ns;
	__u64 base = *(volatile __u64 *)&jiffies_base;
	if (!base) {
		base = SW_COARSE_KTIME() - j - jiffy_ns;
		base |= !base;
		*(volatile __u64 *)&jiffies_base = base;
	}
	return j + base;
}

/* Never read: makes struct sw_event part of the object's BTF, which the layout test reads. */
const volatile struct sw_event sw_event_btf_anchor = {};

/*
 * Associations live in sctp_slots, a direct-mapped table indexed by a hash of the key (an array
 * lookup the verifier inlines: no helper call, and user space reads the whole table in place
 * through mmap instead of a batch copy), probed over SLOT_PROBES neighbours. A slot is claimed
 * by compare-and-swap and keeps its association while the tracer is loaded (no eviction:
 * associations that find no free slot, and only they, go to the LRU hash sctp_assocs, which
 * keeps least-recently-active eviction). A key is in exactly one of the two: slots are never
 * freed, so an association that once found its neighbourhood full always will.
 * sctp_slots has slot_mask + 1 entries (a power of two), both set by user space before load.
 */
const volatile __u32 slot_mask = 16383;
#define SLOT_PROBES 4
#ifndef SLOT_SPIN
#define SLOT_SPIN 256
#endif

SW_SLOTS_MAP(sctp_slots);

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct sw_key);
	__type(value, struct sw_assoc);
} sctp_assocs SEC(".maps");

/*
 * The association index (sw_key, sw_tag): (verification tag, ports) -> home record. Written
 * when a home learns a tag, read when a record of a new address pair first sees a tag, so a
 * few times per path, never per packet. Direct-mapped with two probes and tag_mask + 1
 * entries (twice the slots: two tags an association), set by user space before load.
 */
const volatile __u32 tag_mask = 32767;
#define NO_SLOT 0xffffffffU

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, struct sw_tag);
} sctp_tags SEC(".maps");

/* Addresses announced in INIT / INIT ACK / ASCONF (sw_addrs), by the association's home key;
 * sized like sctp_assocs by user space. Least recently updated first out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct sw_key);
	__type(value, struct sw_addrs);
} sctp_addrs SEC(".maps");

/* The zeroed value sctp_addrs entries are created from (kept zero). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sw_addrs);
} sctp_addrs_zero SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} sctp_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sw_globals);
} sctp_wire_stats SEC(".maps");

/* The zeroed record used to create associations; too big for the 512-byte stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sw_assoc);
} sctp_scratch SEC(".maps");

/*
 * Per-CPU memory the walk keeps two things in, for the verifier's sake (a per-CPU array
 * lookup is inlined: no call):
 * - the chunk offset passes through here at every step so that the verifier forgets its
 *   bounds: with direct packet access it tracks them precisely, they widen by a chunk at every
 *   iteration and the callback's states would never converge;
 * - the precise clock, read on a packet's first need of it. Kept in the walk's stack frame,
 *   its "not read yet" 0 decided a branch and so became a value the verifier must track
 *   exactly: every path that read the clock was a state apart from every one that did not,
 *   and the program took 30% more instructions to verify (the in-line chunks cost that much);
 * - for the same reason, which record is the association's home (see sw_key): a pointer to it
 *   kept in the walk made every state with a linked record one apart from every state
 *   without, and the verifier gave up at its 1M instructions; the handlers that need the home
 *   look it up from here (home_of: an inlined array lookup, and only for a linked record).
 */
struct sw_walk_mem {
	__u32 off;
	__u32 home;  /* the association's home slot when this record is linked to one, else NO_SLOT */
	__u64 pnow;
	__u32 flip;  /* endpoint d of this record is endpoint d ^ flip of the home's */
	__u32 reg;   /* the slot tags learnt now are registered for (NO_SLOT: none) */
	__u32 rec;   /* the record's own slot (NO_SLOT: in the fallback map), for sw_params */
	/* sw_params' parameter header, end and how: here, not in its frame (with the walk's
	 * and handle()'s it must stay within BPF's 512 bytes of stack) */
	__u32 ph, pend, how;
	__u32 poff;  /* an INIT / INIT ACK / ASCONF's parameters start here (0: none in this packet) */
	__u32 pnext; /* ... and end here; pwhat: sw_params' how */
	__u32 pwhat;
#ifdef SW_NO_BPF_LOOP
	/* the rest of struct walk, for sw_walk_batch (pointers cannot be passed to it) */
	struct sw_key key;
	__u64 now;
	__u32 end, vtag, dir, chunks, done, left, fb;
	__u16 sport, dport;
#endif
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sw_walk_mem);
} sctp_walk_mem SEC(".maps");

/* SCTP chunk types (RFC 9260, 8260 I-DATA, 3758 FORWARD TSN) */
enum {
	CT_DATA = 0, CT_INIT = 1, CT_INIT_ACK = 2, CT_SACK = 3, CT_HEARTBEAT = 4,
	CT_HEARTBEAT_ACK = 5, CT_ABORT = 6, CT_SHUTDOWN = 7, CT_SHUTDOWN_ACK = 8, CT_ERROR = 9,
	CT_COOKIE_ECHO = 10, CT_COOKIE_ACK = 11, CT_SHUTDOWN_COMPLETE = 14, CT_IDATA = 64,
	CT_FORWARD_TSN = 192, CT_IFORWARD_TSN = 194, CT_ASCONF = 193,
};

/* Parameter types (RFC 9260 §3.3.2.1, RFC 5061 §4.2) */
#define PT_IPV4 5
#define PT_IPV6 6
#define PT_ADD_IP 0xC001
#define PT_DEL_IP 0xC002
/* parameters looked at in one INIT / INIT ACK / ASCONF (Linux's INIT has about ten) */
#define SW_MAX_PARAMS 24

struct sctp_common { __be16 sport; __be16 dport; __be32 vtag; __le32 csum; };
struct chunk_hdr { __u8 type; __u8 flags; __be16 len; };
struct init_body { __be32 init_tag; __be32 a_rwnd; __be16 n_out; __be16 n_in; __be32 init_tsn; };
struct sack_body { __be32 cum_tsn; __be32 a_rwnd; __be16 n_gaps; __be16 n_dups; };

/*
 * Copy len (a constant at every call site) bytes at off. Straight from the linear part of the
 * skb when they are there, else through bpf_skb_load_bytes (paged data: GRO/GSO frags, or
 * frag lists). Why not the helper always: on CPUs whose return-stack mitigations (SRSO "safe
 * RET", retbleed untrain) put a thunk on every return, a helper call costs ~25 ns, more than
 * the whole parse of a header (with the coarse clock below and the chunk walk reading the
 * same way, bench/sctp went from ~330 to ~190 ns for a 1-chunk packet, ~600 to ~300 for 4).
 * direct_limit lets tests force the helper path on frames that are linear anyway.
 */
const volatile __u32 direct_limit = 0xffff;

static __always_inline int ld_direct(struct __sk_buff *skb, __u32 off, void *dst, const __u32 len)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;

	/* The verifier marks a range on a packet pointer only if its offset + len stays <= 0xffff;
	 * the empty asm makes clang bounds-check and add the same register (else it checks a
	 * zero-extended copy and adds the original, whose bounds the verifier does not know). */
	__u64 o = off;
	asm volatile("" : "+r"(o));
	if (o < direct_limit && o <= 0xffff - 64) {
		void *p = data + o;
		if (p + len <= data_end) {
			/* clang copies from a pointer of unknown alignment a byte at a time (bench/sctp:
			 * 13 ns of a 1-chunk packet, 2 of every further chunk). Every field read here is
			 * at a 4-byte multiple from the IP header (chunks are padded to 4, options and
			 * extension headers too): said so, it copies in words. The verifier accepts
			 * packet loads off their natural alignment on CPUs that do them efficiently
			 * (x86, arm64), and elsewhere checks these offsets, which NET_IP_ALIGN aligns. */
			if (len % 4 == 0)
				__builtin_memcpy(dst, __builtin_assume_aligned(p, 4), len);
			else if (len % 2 == 0)
				__builtin_memcpy(dst, __builtin_assume_aligned(p, 2), len);
			else
				__builtin_memcpy(dst, p, len);
			return 0;
		}
	}
	return -1;
}

static __always_inline int ld(struct __sk_buff *skb, __u32 off, void *dst, const __u32 len)
{
	if (!ld_direct(skb, off, dst, len))
		return 0;
	return bpf_skb_load_bytes(skb, off, dst, len);
}

/* Rare paths; the per-packet counters go through the pointer handle() looked up once. */
static __always_inline void gcount(__u32 idx, __u64 n)
{
	__u32 zero = 0;
	struct sw_globals *g = bpf_map_lookup_elem(&sctp_wire_stats, &zero);
	if (g && idx < SW_G_MAX)
		g->c[idx] += n; /* per-CPU slot: no atomic needed */
}

/* RFC 1982 serial number arithmetic on 32-bit TSNs: a <= b */
static __always_inline int tsn_le(__u32 a, __u32 b)
{
	return (__s32)(a - b) <= 0;
}

struct walk {
	struct __sk_buff *skb;
	struct sw_assoc *a;     /* this path's record: its counters (home_of(): the association's) */
	const struct sw_key *key;
	__u64 now;      /* coarse clock (jiffies resolution): last-seen style timestamps */
	__u32 off;      /* next chunk */
	__u32 end;      /* end of the SCTP packet (from the IP length, not the frame: Ethernet pads) */
	__u32 vtag;     /* from the common header */
	__u32 dir;      /* sending endpoint: 0 or 1 */
	__u32 fb;       /* 1: the record is in the fallback map (no slot: its own association) */
	__u16 sport;    /* the packet's ports (host order) */
	__u16 dport;
	__u32 chunks;   /* chunks walked */
	__u32 done;     /* 1: end reached cleanly, 2: stopped on a malformed chunk */
	volatile struct sw_walk_mem *mem; /* this CPU's sctp_walk_mem, looked up once per packet */
};

/* Same CLOCK_MONOTONIC as the coarse one, so both compare with user space's hrtime. Most
 * packets need no precise time at all; those that do read it once (see sctp_walk_mem). */
static __always_inline __u64 precise(struct walk *w)
{
	__u64 t = w->mem->pnow;

	if (!t) {
		t = bpf_ktime_get_ns();
		w->mem->pnow = t;
	}
	return t;
}

static __always_inline void malformed(struct walk *w)
{
	__sync_fetch_and_add(&w->a->dir[w->dir & 1].malformed, 1);
	gcount(SW_G_MALFORMED, 1);
	w->done = 2;
}

/* ---- Paths: which association a record belongs to (sw_key, sw_tag) ---- */

static __always_inline __u32 tag_slot(__u32 vtag, __u16 sport, __u16 dport)
{
	__u64 h = ((__u64)vtag << 32 | (__u32)sport << 16 | dport) * 0x9E3779B97F4A7C15ULL;

	return (__u32)(h >> 32) & tag_mask;
}

static __always_inline int tag_is(const struct sw_tag *t, __u32 vtag, __u16 sport, __u16 dport)
{
	return t->vtag == vtag && t->sport == sport && t->dport == dport;
}

/* Packets from sport to dport carrying vtag belong to the association whose home is slot hidx. */
static __always_inline void tag_put(__u32 vtag, __u16 sport, __u16 dport, __u32 hidx)
{
	if (!vtag || hidx == NO_SLOT)
		return;
	__u32 i0 = tag_slot(vtag, sport, dport), i1 = i0 ^ 1;
	struct sw_tag *t0 = bpf_map_lookup_elem(&sctp_tags, &i0);
	struct sw_tag *t1 = bpf_map_lookup_elem(&sctp_tags, &i1);
	if (!t0 || !t1)
		return;
	/* its own entry, else a free one, else the second probe's is overwritten */
	struct sw_tag *t = tag_is(t0, vtag, sport, dport) ? t0 : tag_is(t1, vtag, sport, dport) ? t1 : !t0->home ? t0 : t1;
	t->vtag = vtag;
	t->sport = sport;
	t->dport = dport;
	t->home = hidx + 1;
}

/* The home of packets from sport to dport carrying vtag, checked against the record itself
 * (the index is lossy); *e: the home's endpoint that sends them. */
static __always_inline struct sw_slot *tag_home(__u32 vtag, __u16 sport, __u16 dport, __u32 *hidx, __u32 *e)
{
	__u32 i = tag_slot(vtag, sport, dport);
	struct sw_tag *t = bpf_map_lookup_elem(&sctp_tags, &i);
	if (!t)
		return 0;
	if (!tag_is(t, vtag, sport, dport)) {
		i ^= 1;
		t = bpf_map_lookup_elem(&sctp_tags, &i);
		if (!t || !tag_is(t, vtag, sport, dport))
			return 0;
	}
	__u32 k = t->home - 1;
	struct sw_slot *s = bpf_map_lookup_elem(&sctp_slots, &k);
	/* a record that has since linked to another is no home (its successor registers anew) */
	if (!s || *(volatile __u64 *)&s->state != SW_SLOT_USED || s->a.home)
		return 0;
	if ((s->a.dir[0].flags & SW_F_HAVE_VTAG) && s->a.dir[0].vtag == vtag && s->key.port[0] == sport && s->key.port[1] == dport)
		*e = 0;
	else if ((s->a.dir[1].flags & SW_F_HAVE_VTAG) && s->a.dir[1].vtag == vtag && s->key.port[1] == sport && s->key.port[0] == dport)
		*e = 1;
	else
		return 0;
	*hidx = k;
	return s;
}

/* Same addresses and ports (another interface): the same path seen at a second tap. */
static __always_inline int path_twin(const struct sw_key *x, const struct sw_key *y)
{
	const __u64 *a = (const __u64 *)x, *b = (const __u64 *)y;

	return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) |
		(((const __u32 *)x)[8] ^ ((const __u32 *)y)[8]) | (x->family ^ y->family)) == 0;
}

/* A record's first packet in this direction that carries a tag: if the tag is a known
 * association's, this record is another of its paths (or a mirror of one). A few times per
 * record, never per packet. */
static __always_inline void path_link(struct walk *w, const struct sw_key *key, __u32 ridx, struct sw_globals *g)
{
	struct sw_assoc *a = w->a;
	__u32 hidx = NO_SLOT, e = 0, dir = w->dir & 1;

	if (a->home || a->n_paths || ridx == NO_SLOT)
		return;
	struct sw_slot *hs = tag_home(w->vtag, w->sport, w->dport, &hidx, &e);
	if (!hs || hidx == ridx)
		return;
	__u8 link = path_twin(&hs->key, key) ? SW_L_MIRROR : 0;
#pragma unroll
	for (int i = 0; i < SW_MAX_PATHS; i++) {
		__u32 p = hs->a.paths[i] - 1;
		struct sw_slot *ps = bpf_map_lookup_elem(&sctp_slots, &p);
		if (ps && path_twin(&ps->key, key))
			link = SW_L_MIRROR;
	}
	/* Not atomic (an atomic add's result needs BPF ISA v3): two records of one association
	 * linking at the same instant on two CPUs may share an entry. Readers group records by
	 * their home field; paths[] only serves the mirror check above. */
	__u32 n = hs->a.n_paths;
	hs->a.n_paths = n + 1;
	if (n < SW_MAX_PATHS)
		hs->a.paths[n] = ridx + 1;
	a->home_flip = (dir ^ e) & 1;
	a->link = link;
	a->home = hidx + 1;
	g->c[SW_G_PATHS_LINKED]++;
}

/* Before the walk: link the record if this is its first tag in this direction, then say in
 * the walk's memory where the association's home is (the record itself, unless linked). */
static __always_inline void path_enter(struct walk *w, __u32 ridx, struct sw_globals *g)
{
	struct sw_assoc *a = w->a;
	__u32 d = w->dir & 1;

	w->mem->home = ridx;
	w->mem->rec = ridx;
	w->mem->flip = 0;
	w->mem->reg = ridx;
	if (w->vtag && !(a->dir[d].flags & SW_F_HAVE_VTAG))
		path_link(w, w->key, ridx, g);
	__u32 home = a->home;
	if (!home)
		return;
	/* a linked record never registers tags: the index names homes only */
	w->mem->reg = NO_SLOT;
	if (a->link & SW_L_MIRROR)
		return;
	__u32 k = home - 1;
	struct sw_slot *hs = bpf_map_lookup_elem(&sctp_slots, &k);
	if (!hs)
		return;
	w->mem->home = k;
	w->mem->reg = k;
	w->mem->flip = a->home_flip & 1;
	hs->a.last_ns = w->now; /* the association's last packet, on whichever path */
}

/* The association's record (state, tags, TSNs) and the sender's endpoint in its order: the
 * walk's own record unless it is linked to a home. Always a fresh lookup of a slot (the
 * record's own, or its home's), never the walk's pointer: see sctp_walk_mem. NULL only if
 * the slot index were out of range, which it never is. */
static __always_inline struct sw_assoc *home_of(struct walk *w, __u32 *hd)
{
	__u32 k = w->mem->home;

	*hd = (w->dir ^ w->mem->flip) & 1;
	if (w->fb)
		return w->a; /* a record of the fallback map is its own association */
	struct sw_slot *s = bpf_map_lookup_elem(&sctp_slots, &k);
	if (!s)
		return 0;
	/* else clang offsets the pointer before the NULL check, which the verifier refuses */
	asm volatile("" : "+r"(s));
	return &s->a;
}

/* An event about the association: named by its home's key. */
static __always_inline void emit_assoc(struct walk *w, __u8 type, __u8 dir, __u16 cause, __u32 value,
				       __u64 duration, __u64 now)
{
	struct sw_event *e = bpf_ringbuf_reserve(&sctp_events, sizeof(*e), 0);
	if (!e) {
		gcount(SW_G_RB_DROPS, 1);
		return;
	}
	e->ts_ns = now;
	e->duration_ns = duration;
	__u32 k = w->mem->home;
	struct sw_slot *s = w->fb ? 0 : bpf_map_lookup_elem(&sctp_slots, &k);
	if (s)
		__builtin_memcpy(&e->key, &s->key, sizeof(e->key));
	else
		__builtin_memcpy(&e->key, w->key, sizeof(e->key));
	e->type = type;
	e->dir = dir;
	e->cause = cause;
	e->value = value;
	bpf_ringbuf_submit(e, 0);
}

/* ---- Addresses announced in INIT / INIT ACK / ASCONF (sw_addrs) ---- */

/* One address entry from the Address parameter (type t, length plen) at off, if it is one.
 * Read through the helper, never directly: rare chunks, and the direct path's packet-pointer
 * bounds would multiply the states the verifier walks in the parameter loop. */
static __always_inline void addr_put(struct __sk_buff *skb, struct sw_addrs *v, struct sw_walk_mem *m,
				     __u32 op, __u32 t, __u32 plen, __u32 off)
{
	if (!((t == PT_IPV4 && plen == 8) || (t == PT_IPV6 && plen == 20)))
		return;
	__u32 how = m->how, ep = (how >> 4) & 1;
	__u32 n = v->n[ep & 1];
	if (n >= SW_MAX_ADDRS) {
		v->dropped[ep & 1]++;
		return;
	}
	struct sw_addr *e = &v->a[ep & 1][n & (SW_MAX_ADDRS - 1)];
	__builtin_memset(e->addr, 0, 16);
	long bad = t == PT_IPV4 ? bpf_skb_load_bytes(skb, off + 4, e->addr, 4) : bpf_skb_load_bytes(skb, off + 4, e->addr, 16);
	if (bad)
		return;
	e->family = t == PT_IPV4 ? 4 : 6;
	e->op = op;
	/* 0.0.0.0 / :: in ASCONF: the packet's source address (RFC 5061 §4.2.1) */
	const __u32 *w = (const __u32 *)e->addr; /* entries are 4-byte aligned */
	if ((w[0] | w[1] | w[2] | w[3]) == 0 && (op == SW_A_ADD || op == SW_A_DEL)) {
		const struct sw_key *rkey;
#ifdef SW_NO_BPF_LOOP
		rkey = &m->key;
#else
		__u32 r = m->rec;
		struct sw_slot *rs = bpf_map_lookup_elem(&sctp_slots, &r);
		if (!rs)
			return;
		rkey = &rs->key;
#endif
		__builtin_memcpy(e->addr, rkey->addr[(m->how >> 5) & 1], 16);
		e->family = rkey->family;
	}
	v->n[ep & 1] = n + 1;
}

/*
 * The parameters of an INIT / INIT ACK (from the first one after the fixed part) or of an
 * ASCONF (from its Address Parameter, after the serial number): off..end. how: the SW_A_* op
 * (bits 0-3), the sender's endpoint in the home's order (bit 4) and in the record's (bit 5),
 * the record is in the fallback map (bit 6). A global function: the verifier checks it once,
 * whatever calls it, and the walk's call site is one call with scalars (every instruction
 * there is walked again for each of the walk's states). Returns the parameters looked at.
 */
__attribute__((noinline)) int sw_params(struct __sk_buff *skb, __u32 off, __u32 end, __u32 how)
{
	__u32 zero = 0, i;
	struct sw_walk_mem *m = bpf_map_lookup_elem(&sctp_walk_mem, &zero);
	if (!m)
		return 0;
	m->how = how;
	m->pend = end;
	const struct sw_key *hkey; /* the association's home key */
#ifdef SW_NO_BPF_LOOP
	/* every record is in the fallback map, its own association: its key is here */
	hkey = &m->key;
#else
	/* a fallback record's key is only on handle()'s stack: no addresses for it (a slot
	 * collision, rare) */
	if (how & 0x40)
		return 0;
	__u32 k = m->home;
	struct sw_slot *hs = bpf_map_lookup_elem(&sctp_slots, &k);
	if (!hs)
		return 0;
	hkey = &hs->key;
#endif
	struct sw_addrs *v = bpf_map_lookup_elem(&sctp_addrs, hkey);
	if (!v) {
		struct sw_addrs *z = bpf_map_lookup_elem(&sctp_addrs_zero, &zero);
		if (!z)
			return 0;
		bpf_map_update_elem(&sctp_addrs, hkey, z, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&sctp_addrs, hkey);
		if (!v)
			return 0;
	}
	__u32 ep = (how >> 4) & 1, op = how & 0xf;
	if (op == SW_A_INIT) {
		/* a new incarnation (or the INIT again): both lists start again */
		v->n[0] = 0;
		v->n[1] = 0;
		v->dropped[0] = 0;
		v->dropped[1] = 0;
	} else if (op == SW_A_INIT_ACK) {
		v->n[ep] = 0;
		v->dropped[ep] = 0;
	}
#pragma clang loop unroll(disable)
	for (i = 0; i < SW_MAX_PARAMS; i++) {
		__be16 *ph = (__be16 *)&m->ph;
		if (off + 4 > m->pend || bpf_skb_load_bytes(skb, off, ph, 4))
			break;
		__u32 t = bpf_ntohs(ph[0]), plen = bpf_ntohs(ph[1]);
		if (plen < 4 || off + plen > m->pend)
			break; /* the walk has checked the chunk; a bad parameter ends this look only */
		/* the Address parameter to record, if any: the parameter itself, or in ASCONF the one
		 * inside an Add / Delete IP Address (after its correlation id) */
		__u32 at = t, alen = plen, aoff = off, aop = m->how & 0xf;
		if (aop == SW_A_ASCONF) {
			aop = SW_A_ASCONF;
			if (t == PT_ADD_IP || t == PT_DEL_IP) {
				aop = t == PT_ADD_IP ? SW_A_ADD : SW_A_DEL;
				at = 0;
				if (plen >= 16 && !bpf_skb_load_bytes(skb, off + 8, ph, 4) && 8 + bpf_ntohs(ph[1]) <= plen) {
					at = bpf_ntohs(ph[0]);
					alen = bpf_ntohs(ph[1]);
					aoff = off + 8;
				}
			}
		}
		addr_put(skb, v, m, aop, at, alen, aoff);
		off += (plen + 3) & ~3U;
	}
	return i;
}

/* sw_params' how: op, the sender in the home's order (hd) and the record's, fallback or not */
#define PARAMS_HOW(w, op, hd) ((op) | ((hd) & 1) << 4 | ((w)->dir & 1) << 5 | ((w)->fb & 1) << 6)

/* The walk only notes where the parameters are; handle() calls sw_params after it. A call in
 * the walk (its scratch registers clobbered, its arguments checked) is verified again for
 * every state of the walk, and took a test build (direct_limit 60) past the verifier's 1M
 * instructions; three stores are not. RFC 9260 bundles INIT / INIT ACK with nothing, and
 * RFC 5061 allows one ASCONF a packet: one note per packet is enough. */
static __always_inline void params_later(struct walk *w, __u32 off, __u32 end, __u32 how)
{
	w->mem->poff = off;
	w->mem->pnext = end;
	w->mem->pwhat = how;
}


/* After the walk: verification tags, learnt from INIT / INIT ACK or from the first packet
 * when the handshake was not seen; a home registers the tags it learns. INIT itself carries
 * tag 0, and ABORT / SHUTDOWN COMPLETE may reflect the peer's tag (T bit), so only count
 * mismatches of other packets. Tags are the association's: a path compares with its home's. */
static __always_inline void path_learn_vtag(struct walk *w)
{
	__u32 hd;
	struct sw_assoc *h = home_of(w, &hd);
	struct sw_dir *me = &w->a->dir[w->dir & 1];

	if (w->vtag == 0 || !h)
		return;
	struct sw_dir *hme = &h->dir[hd & 1];
	if (!(me->flags & SW_F_HAVE_VTAG)) {
		me->vtag = w->vtag;
		me->flags |= SW_F_HAVE_VTAG;
	}
	if (!(hme->flags & SW_F_HAVE_VTAG)) {
		hme->vtag = w->vtag;
		hme->flags |= SW_F_HAVE_VTAG;
		tag_put(w->vtag, w->sport, w->dport, w->mem->reg);
	} else if (hme->vtag != w->vtag && hme->vtag != 0 && h->state != SW_ST_ABORTED &&
		   h->state != SW_ST_CLOSED) {
		__sync_fetch_and_add(&me->bad_vtag, 1);
	}
}

/* A new INIT from endpoint `dir` with an initiate tag we have not seen: a new incarnation of
 * the association (its home is reset; its paths stay linked to it). */
static __always_inline void reset_assoc(struct walk *w, struct sw_assoc *a, __u32 d)
{
	__u32 zero = 0;
	struct sw_assoc *z = bpf_map_lookup_elem(&sctp_scratch, &zero);
	__u32 restarts = a->restarts + 1;
	__u32 home = a->home, n_paths = a->n_paths;
	__u32 p0 = a->paths[0], p1 = a->paths[1], p2 = a->paths[2], p3 = a->paths[3];
	__u8 flip = a->home_flip, link = a->link;

	if (!z)
		return;
	__builtin_memcpy(a, z, sizeof(*a));
	a->restarts = restarts;
	a->home = home;
	a->home_flip = flip;
	a->link = link;
	a->n_paths = n_paths;
	a->paths[0] = p0;
	a->paths[1] = p1;
	a->paths[2] = p2;
	a->paths[3] = p3;
	a->first_ns = w->now;
	a->last_ns = w->now;
	a->init_dir = 0xff;
	a->dir[0].a_rwnd_min = 0xffffffff;
	a->dir[1].a_rwnd_min = 0xffffffff;
	/* the packet carrying this INIT belongs to the new incarnation (counted on its path) */
	if (!w->a->home || (w->a->link & SW_L_MIRROR)) {
		a->dir[d].packets = 1;
		a->dir[d].bytes = w->end - (w->off - 12);
		a->dir[d].last_seen_ns = w->now;
	}
}

static __always_inline void on_init(struct walk *w, __u8 type, __u32 clen)
{
	__u32 d;
	struct sw_assoc *a = home_of(w, &d); /* the association's: its state, tags and TSNs */
	struct sw_dir *path = &w->a->dir[w->dir & 1]; /* this path's counters */
	struct init_body ib;

	if (!a)
		return;
	struct sw_dir *me = &a->dir[d & 1];
	struct sw_dir *peer = &a->dir[(d ^ 1) & 1];

	if (clen < 4 + sizeof(ib) || ld(w->skb, w->off + 4, &ib, sizeof(ib))) {
		malformed(w);
		return;
	}
	__u32 itag = bpf_ntohl(ib.init_tag);
	__u32 itsn = bpf_ntohl(ib.init_tsn);

	if (type == CT_INIT) {
		/* A retransmitted INIT repeats its tag; anything else starts a new incarnation. */
		if (!(a->init_dir == d && me->init_tag == itag && a->state == SW_ST_COOKIE_WAIT)) {
			int live = a->state != SW_ST_UNKNOWN || a->dir[0].packets + a->dir[1].packets > 1;
			if (live) {
				if (a->state == SW_ST_ESTABLISHED)
					emit_assoc(w, SW_EV_RESTART, d, 0, itag, 0, precise(w));
				reset_assoc(w, a, d);
				me = &a->dir[d & 1];
				peer = &a->dir[(d ^ 1) & 1];
			}
			a->init_ns = precise(w);
			a->init_dir = d;
			a->state = SW_ST_COOKIE_WAIT;
			emit_assoc(w, SW_EV_INIT, d, 0, itag, 0, precise(w));
		}
		__sync_fetch_and_add(&path->init_chunks, 1);
	} else {
		__sync_fetch_and_add(&path->init_ack_chunks, 1);
	}
	me->init_tag = itag;
	/* its further addresses (a multi-homed endpoint) */
	params_later(w, w->off + 4 + sizeof(ib), w->off + clen, PARAMS_HOW(w, type == CT_INIT ? SW_A_INIT : SW_A_INIT_ACK, d));
	/* packets towards the announcer carry its initiate tag: they name the association */
	peer->vtag = itag;
	peer->flags |= SW_F_HAVE_VTAG;
	tag_put(itag, w->dport, w->sport, w->mem->reg);
	/* the first DATA will carry init_tsn: start "highest sent" just below it */
	me->highest_tsn = itsn - 1;
	me->flags |= SW_F_HAVE_TSN;
	me->flags &= ~SW_F_OUTSTANDING;
}

static __always_inline void on_data(struct walk *w, __u8 type, __u32 clen)
{
	struct sw_dir *path = &w->a->dir[w->dir & 1]; /* this path's counters */
	__u32 hl = type == CT_DATA ? 16 : 20;
	__be32 tsn_be;

	/* RFC 9260 requires user data; a DATA chunk of header only is still a DATA chunk */
	if (clen < hl || ld(w->skb, w->off + 4, &tsn_be, 4)) {
		malformed(w);
		return;
	}
	__u32 tsn = bpf_ntohl(tsn_be);
	__sync_fetch_and_add(&path->data_chunks, 1);
	if (type == CT_IDATA)
		__sync_fetch_and_add(&path->idata_chunks, 1);
	__sync_fetch_and_add(&path->data_bytes, clen - hl);
	path->last_data_ns = w->now;

	__u32 d;
	struct sw_assoc *h = home_of(w, &d);
	if (!h)
		return;
	struct sw_dir *me = &h->dir[d & 1];           /* the association's TSNs */
	struct sw_dir *peer = &h->dir[(d ^ 1) & 1];

	/* a TSN sent before on any path of the association: retransmitted on this one */
	if ((me->flags & SW_F_HAVE_TSN) && tsn_le(tsn, me->highest_tsn)) {
		__sync_fetch_and_add(&path->retrans_chunks, 1);
		if ((peer->flags & SW_F_HAVE_SACK) && tsn_le(tsn, peer->cum_tsn_ack))
			__sync_fetch_and_add(&path->spurious_retrans, 1);
		/* The window runs on the coarse clock: a tick is nothing against a window of about a
		 * second, and the precise clock would be a helper call on every retransmission
		 * (bench/sctp's repeated packets are all retransmissions after the first). */
		if (w->now - me->burst_start_ns > burst_window_ns) {
			me->burst_start_ns = w->now;
			me->burst_count = 0;
		}
		if (++me->burst_count == burst_threshold)
			emit_assoc(w, SW_EV_RETRANS_BURST, d, 0, me->burst_count, w->now - me->burst_start_ns, precise(w));
	} else {
		me->highest_tsn = tsn;
		me->flags |= SW_F_HAVE_TSN;
	}
	/* a retransmission of what the peer already acknowledged leaves nothing outstanding */
	int acked = (peer->flags & SW_F_HAVE_SACK) && tsn_le(tsn, peer->cum_tsn_ack);
	if (!acked && !(me->flags & SW_F_OUTSTANDING)) {
		me->flags |= SW_F_OUTSTANDING;
		me->progress_ns = w->now;
	}
}

static __always_inline void on_sack(struct walk *w, __u32 clen)
{
	struct sw_dir *path = &w->a->dir[w->dir & 1]; /* this path's counters */
	struct sack_body sb;

	if (clen < 4 + sizeof(sb) || ld(w->skb, w->off + 4, &sb, sizeof(sb))) {
		malformed(w);
		return;
	}
	__u32 gaps = bpf_ntohs(sb.n_gaps), dups = bpf_ntohs(sb.n_dups);
	if (4 + sizeof(sb) + 4 * (gaps + dups) > clen) {
		malformed(w);
		return;
	}
	__u32 cum = bpf_ntohl(sb.cum_tsn), rwnd = bpf_ntohl(sb.a_rwnd);

	__sync_fetch_and_add(&path->sack_chunks, 1);
	__sync_fetch_and_add(&path->gap_blocks, gaps);
	__sync_fetch_and_add(&path->dup_tsns, dups);
	path->last_sack_ns = w->now;
	if (rwnd == 0)
		__sync_fetch_and_add(&path->zero_window_sacks, 1);

	__u32 d;
	struct sw_assoc *h = home_of(w, &d);
	if (!h)
		return;
	struct sw_dir *me = &h->dir[d & 1];           /* the acknowledging endpoint (association) */
	struct sw_dir *peer = &h->dir[(d ^ 1) & 1];   /* whose DATA is acknowledged, on any path */

	if (!(me->flags & SW_F_HAVE_SACK) || !tsn_le(cum, me->cum_tsn_ack)) {
		if (me->flags & SW_F_HAVE_SACK)
			peer->progress_ns = w->now;
		me->cum_tsn_ack = cum;
	}
	if ((peer->flags & SW_F_HAVE_TSN) && tsn_le(peer->highest_tsn, cum))
		peer->flags &= ~SW_F_OUTSTANDING;

	me->a_rwnd_last = rwnd;
	if (!(me->flags & SW_F_HAVE_SACK) || rwnd < me->a_rwnd_min)
		me->a_rwnd_min = rwnd;
	me->flags |= SW_F_HAVE_SACK;

	if (rwnd == 0) {
		if (!(me->flags & SW_F_ZERO_WINDOW)) {
			me->flags |= SW_F_ZERO_WINDOW;
			me->zwin_since_ns = precise(w);
			emit_assoc(w, SW_EV_ZWIN_START, d, 0, 0, 0, precise(w));
		}
	} else if (me->flags & SW_F_ZERO_WINDOW) {
		me->flags &= ~SW_F_ZERO_WINDOW;
		emit_assoc(w, SW_EV_ZWIN_END, d, 0, rwnd, precise(w) - me->zwin_since_ns, precise(w));
		me->zwin_since_ns = 0;
	}
}

static __always_inline void on_abort(struct walk *w, __u32 clen)
{
	__u32 d;
	struct sw_assoc *a = home_of(w, &d);
	__be16 cause_be = 0;
	__u16 cause = 0;

	__sync_fetch_and_add(&w->a->dir[w->dir & 1].abort_chunks, 1);
	if (!a)
		return;
	if (clen >= 8 && !ld(w->skb, w->off + 4, &cause_be, 2))
		cause = bpf_ntohs(cause_be);
	a->abort_cause = cause;
	a->abort_dir = d;
	a->state = SW_ST_ABORTED;
	a->down_ns = precise(w);
	emit_assoc(w, SW_EV_ABORT, d, cause, 0, precise(w) - (a->init_ns ? a->init_ns : a->first_ns), precise(w));
}

/* The association's state machine (in its home record) on the chunks that move it. */
static __always_inline void on_state(struct walk *w, __u8 type)
{
	__u32 d;
	struct sw_assoc *a = home_of(w, &d);

	if (!a)
		return;
	switch (type) {
	case CT_SHUTDOWN:
	case CT_SHUTDOWN_ACK:
		if (a->state < SW_ST_SHUTDOWN || a->state == SW_ST_UNKNOWN)
			a->state = SW_ST_SHUTDOWN;
		break;
	case CT_SHUTDOWN_COMPLETE:
		if (a->state != SW_ST_CLOSED && a->state != SW_ST_ABORTED) {
			a->state = SW_ST_CLOSED;
			a->down_ns = precise(w);
			emit_assoc(w, SW_EV_DOWN, d, 0, 0, precise(w) - (a->init_ns ? a->init_ns : a->first_ns), precise(w));
		}
		break;
	case CT_COOKIE_ECHO:
		if (a->state == SW_ST_COOKIE_WAIT)
			a->state = SW_ST_COOKIE_ECHOED;
		break;
	case CT_COOKIE_ACK:
		if (a->state == SW_ST_COOKIE_WAIT || a->state == SW_ST_COOKIE_ECHOED || a->state == SW_ST_UNKNOWN) {
			a->state = SW_ST_ESTABLISHED;
			a->up_ns = precise(w);
			a->setup_ns = a->init_ns ? precise(w) - a->init_ns : 0;
			emit_assoc(w, SW_EV_UP, d, 0, 0, a->setup_ns, precise(w));
		}
		break;
	}
}

/* One chunk; returns 1 to stop the walk. fast (a constant): only DATA, I-DATA and SACK, the
 * chunks of a busy association; returns 2, having changed nothing, on any other chunk. */
static __always_inline long walk_one(struct walk *w, const int fast)
{
	struct chunk_hdr ch;

	if (w->off >= w->end) {
		w->done = 1;
		return 1;
	}
	if (w->off + sizeof(ch) > w->end || ld(w->skb, w->off, &ch, sizeof(ch))) {
		malformed(w); /* a chunk header cut by the end of the packet */
		return 1;
	}
	__u32 clen = bpf_ntohs(ch.len);
	if (clen < sizeof(ch) || w->off + clen > w->end) {
		malformed(w); /* length 0..3 would loop forever; beyond the end is truncation */
		return 1;
	}

	if (fast && ch.type != CT_DATA && ch.type != CT_IDATA && ch.type != CT_SACK)
		return 2;

	struct sw_dir *me = &w->a->dir[w->dir & 1]; /* this path's counters */
	w->done = 0;

	switch (ch.type) {
	case CT_DATA:
	case CT_IDATA:
		on_data(w, ch.type, clen);
		break;
	case CT_SACK:
		on_sack(w, clen);
		break;
	case CT_INIT:
	case CT_INIT_ACK:
		on_init(w, ch.type, clen);
		break;
	case CT_HEARTBEAT:
		/* per path: heartbeats probe one destination address */
		__sync_fetch_and_add(&me->heartbeats, 1);
		__sync_fetch_and_add(&me->hb_unanswered, 1);
		me->hb_sent_ns = precise(w);
		break;
	case CT_HEARTBEAT_ACK: {
		struct sw_dir *peer = &w->a->dir[(w->dir ^ 1) & 1];
		__sync_fetch_and_add(&me->heartbeat_acks, 1);
		peer->hb_unanswered = 0;
		/* the RTT belongs to the endpoint that sent the HEARTBEAT, on this path */
		if (peer->hb_sent_ns) {
			__u64 rtt = precise(w) - peer->hb_sent_ns;
			peer->hb_sent_ns = 0;
			peer->rtt_last_ns = rtt;
			if (!peer->rtt_count || rtt < peer->rtt_min_ns)
				peer->rtt_min_ns = rtt;
			__sync_fetch_and_add(&peer->rtt_sum_ns, rtt);
			__sync_fetch_and_add(&peer->rtt_count, 1);
		}
		break;
	}
	case CT_ABORT:
		on_abort(w, clen);
		break;
	case CT_SHUTDOWN:
		__sync_fetch_and_add(&me->shutdown_chunks, 1);
		on_state(w, ch.type);
		break;
	case CT_SHUTDOWN_ACK:
		__sync_fetch_and_add(&me->shutdown_ack_chunks, 1);
		on_state(w, ch.type);
		break;
	case CT_SHUTDOWN_COMPLETE:
		__sync_fetch_and_add(&me->shutdown_complete_chunks, 1);
		on_state(w, ch.type);
		break;
	case CT_COOKIE_ECHO:
		__sync_fetch_and_add(&me->cookie_echo_chunks, 1);
		on_state(w, ch.type);
		break;
	case CT_COOKIE_ACK:
		__sync_fetch_and_add(&me->cookie_ack_chunks, 1);
		on_state(w, ch.type);
		break;
	case CT_ERROR:
		__sync_fetch_and_add(&me->error_chunks, 1);
		break;
	case CT_FORWARD_TSN:
	case CT_IFORWARD_TSN:
		__sync_fetch_and_add(&me->forward_tsn_chunks, 1);
		break;
	default:
		__sync_fetch_and_add(&me->other_chunks, 1);
		/* ASCONF: read for the addresses it adds or deletes (type, flags, length, serial
		 * number, then its sender's Address Parameter). Here rather than a case of its own,
		 * and one call with scalars: every instruction of the walk is verified again per
		 * state, and a case of its own took the paged-read build past the verifier's 1M. */
		if (ch.type == CT_ASCONF && clen >= 16)
			params_later(w, w->off + 8, w->off + clen, PARAMS_HOW(w, SW_A_ASCONF, w->dir ^ w->mem->flip));
	}
	if (w->done == 2)
		return 1;
	w->chunks++;
	/* chunks are padded to 4 bytes; padding past the packet end is a sender bug */
	__u32 next = w->off + ((clen + 3) & ~3U);
	if (next > w->end) {
		malformed(w);
		return 1;
	}
	w->off = next;
	if (next == w->end) {
		w->done = 1; /* one callback call less per packet: the usual case */
		return 1;
	}
	return 0;
}

static __always_inline long walk_step(struct walk *w, const int fast)
{
	/* see sctp_walk_mem */
	w->mem->off = w->off;
	w->off = w->mem->off;
	return walk_one(w, fast);
}

#ifndef SW_NO_BPF_LOOP
static long walk_chunk(__u32 idx, void *ctx)
{
	return walk_step(ctx, 0);
}
#else
/*
 * Without bpf_loop: up to SW_WALK_BATCH chunks in a bounded loop, in a global function. The
 * verifier checks a global function once, on its own, whatever its callers (a static one it
 * checks again at every call site, and a bounded loop once per turn): so the walk's cost to
 * verify is SW_WALK_BATCH turns of the chunk code, and handle()'s loop of calls only a few
 * instructions a turn. A global function takes only the context and scalars before 5.12, so
 * the walk's state is in this CPU's sctp_walk_mem and the record is looked up again by key.
 * Returns 1 when the walk is over (end, malformed chunk, limit), 0 to be called again.
 */
#ifndef SW_WALK_BATCH
#define SW_WALK_BATCH 8
#endif
/* A call, not in line: clang gives every in-line copy of the chunk code in the loop its own
 * stack (two copies passed BPF's 512 bytes); the verifier checks it once per turn either way. */
static __attribute__((noinline)) long walk_call(struct walk *w)
{
	return walk_step(w, 0);
}
__attribute__((noinline)) int sw_walk_batch(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct sw_walk_mem *m = bpf_map_lookup_elem(&sctp_walk_mem, &zero);
	if (!m)
		return 1;
	/* NULL only if another CPU's new association evicted this one from the LRU map since
	 * handle() found it: the rest of the packet then has no record to count in */
	struct sw_assoc *a = bpf_map_lookup_elem(&sctp_assocs, &m->key);
	if (!a)
		return 1;
	struct walk w = {
		.skb = skb, .a = a, .key = &m->key, .now = m->now, .off = m->off, .end = m->end,
		.vtag = m->vtag, .dir = m->dir, .chunks = m->chunks, .done = m->done, .mem = m,
		.fb = m->fb, .sport = m->sport, .dport = m->dport,
	};
	__u32 left = m->left, i;
	long r = 0;
#pragma clang loop unroll(disable)
	for (i = 0; i < SW_WALK_BATCH && i < left && r == 0; i++)
		r = walk_call(&w);
	m->off = w.off;
	m->chunks = w.chunks;
	m->done = w.done;
	m->left = left - i;
	return r != 0 || i >= left;
}
#endif




/* Order the endpoints: is (addr0, port0) below (addr1, port1)? Compared as big-endian words. */
static __always_inline int endpoint_less(const struct sw_key *k)
{
	const __u32 *a = (const __u32 *)k->addr[0], *b = (const __u32 *)k->addr[1];
	__u32 x, y;

	x = bpf_ntohl(a[0]); y = bpf_ntohl(b[0]);
	if (x != y)
		return x < y;
	x = bpf_ntohl(a[1]); y = bpf_ntohl(b[1]);
	if (x != y)
		return x < y;
	x = bpf_ntohl(a[2]); y = bpf_ntohl(b[2]);
	if (x != y)
		return x < y;
	x = bpf_ntohl(a[3]); y = bpf_ntohl(b[3]);
	if (x != y)
		return x < y;
	return k->port[0] < k->port[1];
}

static __always_inline void swap_endpoints(struct sw_key *k)
{
	__u64 *a = (__u64 *)k->addr[0], *b = (__u64 *)k->addr[1], t;
	__u16 p;

	t = a[0]; a[0] = b[0]; b[0] = t;
	t = a[1]; a[1] = b[1]; b[1] = t;
	p = k->port[0]; k->port[0] = k->port[1]; k->port[1] = p;
}

/* The association's record in sctp_slots, claiming a free slot for a new key; NULL: use the
 * fallback map. */
static __always_inline struct sw_assoc *slot_find(const struct sw_key *key, __u64 now, struct sw_globals *g, __u32 *at)
{
#ifdef SW_NO_SLOTS
	return 0;
#endif
	__u32 h = slot_hash(key);

#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < SLOT_PROBES; i++) {
		__u32 idx = (h + i) & slot_mask;
		struct sw_slot *s = bpf_map_lookup_elem(&sctp_slots, &idx);
		if (!s)
			return 0;
		__u64 st = *(volatile __u64 *)&s->state;
		if (st == SW_SLOT_USED && key_eq(&s->key, key)) {
			*at = idx;
			return &s->a; /* the common case: one inlined lookup, one compare */
		}
		if (st == SW_SLOT_FREE) {
			st = __sync_val_compare_and_swap(&s->state, SW_SLOT_FREE, SW_SLOT_CLAIMING);
			if (st == SW_SLOT_FREE) {
				__builtin_memcpy(&s->key, key, sizeof(*key));
				s->a.first_ns = now;
				s->a.init_dir = 0xff;
				s->a.dir[0].a_rwnd_min = 0xffffffff;
				s->a.dir[1].a_rwnd_min = 0xffffffff;
				/* an atomic exchange: key and record are visible before the slot is */
				__sync_lock_test_and_set(&s->state, SW_SLOT_USED);
				*at = idx;
				return &s->a;
			}
		}
		/* Another CPU is claiming it (for this key or another): its claim is a few stores with
		 * bottom halves off, so wait for it, boundedly. */
#pragma clang loop unroll(disable)
		for (int j = 0; j < SLOT_SPIN && st == SW_SLOT_CLAIMING; j++)
			st = *(volatile __u64 *)&s->state;
		if (st != SW_SLOT_USED) {
			g->c[SW_G_SLOT_WAIT]++;
			return 0;
		}
		/* A full barrier before comparing again: on weakly ordered CPUs the key may have been
		 * read before the state that published it. */
		__sync_fetch_and_add(&s->state, 0);
		if (key_eq(&s->key, key)) {
			*at = idx;
			return &s->a;
		}
	}
	return 0;
}

static __always_inline int handle(struct __sk_buff *skb)
{
	struct sw_key key __attribute__((aligned(8))) = {};
	__u32 off = ETH_HLEN, l3, end;
	__be16 proto;
	__u8 l4;

	__u32 zero = 0;
	struct sw_globals *g = bpf_map_lookup_elem(&sctp_wire_stats, &zero);
	volatile struct sw_walk_mem *mem = bpf_map_lookup_elem(&sctp_walk_mem, &zero);
	if (!g || !mem)
		return VERDICT;
	g->c[SW_G_SKBS]++;
	if (ld(skb, 12, &proto, 2))
		return VERDICT;
	/* up to two VLAN tags (802.1ad outer, 802.1Q inner); offloaded tags are not in the data */
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD_))
			break;
		if (ld(skb, off + 2, &proto, 2))
			return VERDICT;
		off += 4;
	}
	l3 = off;

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;
		if (ld(skb, off, &ip, sizeof(ip)))
			return VERDICT;
		if (ip.protocol != IPPROTO_SCTP_)
			return VERDICT;
		if (ip.frag_off & bpf_htons(0x3fff)) { /* MF or an offset: chunks are split */
			gcount(SW_G_FRAGMENTS, 1);
			return VERDICT;
		}
		__u32 ihl = (ip.ihl & 0xf) * 4;
		if (ihl < sizeof(ip)) {
			gcount(SW_G_HDR_TRUNC, 1);
			return VERDICT;
		}
		key.family = 4;
		__builtin_memcpy(key.addr[0], &ip.saddr, 4);
		__builtin_memcpy(key.addr[1], &ip.daddr, 4);
		end = l3 + bpf_ntohs(ip.tot_len);
		off += ihl;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;
		if (ld(skb, off, &ip6, sizeof(ip6)))
			return VERDICT;
		key.family = 6;
		__builtin_memcpy(key.addr[0], &ip6.saddr, 16);
		__builtin_memcpy(key.addr[1], &ip6.daddr, 16);
		end = l3 + sizeof(ip6) + bpf_ntohs(ip6.payload_len);
		l4 = ip6.nexthdr;
		off += sizeof(ip6);
#pragma clang loop unroll(disable)
		for (int i = 0; i < 6; i++) {
			__u8 eh[4];
			if (l4 != 0 && l4 != 43 && l4 != 60 && l4 != 44 && l4 != 51)
				break;
			if (ld(skb, off, eh, 4))
				return VERDICT;
			if (l4 == 44) {
				/* fragment header: offset in eh[2..3] bits 15..3, M flag bit 0 */
				if ((eh[2] << 8 | eh[3]) & 0xfff9) {
					if (eh[0] == IPPROTO_SCTP_)
						gcount(SW_G_FRAGMENTS, 1);
					return VERDICT;
				}
				off += 8;
			} else if (l4 == 51) {
				off += (eh[1] + 2) * 4;
			} else {
				off += (eh[1] + 1) * 8;
			}
			l4 = eh[0];
		}
		if (l4 != IPPROTO_SCTP_)
			return VERDICT;
	} else {
		return VERDICT;
	}

	struct sctp_common sh;
	if (end > skb->len || off + sizeof(sh) > end || ld(skb, off, &sh, sizeof(sh))) {
		gcount(SW_G_HDR_TRUNC, 1);
		return VERDICT;
	}
	g->c[SW_G_SCTP]++;

	key.port[0] = bpf_ntohs(sh.sport);
	key.port[1] = bpf_ntohs(sh.dport);
	__u32 dir = 0;
	if (!endpoint_less(&key)) {
		swap_endpoints(&key);
		dir = 1;
	}
	key.ifindex = skb->ifindex;

	__u64 now = coarse_now();
	__u32 ridx = NO_SLOT; /* the record's slot: a record in the fallback map has none and is never linked */
	struct sw_assoc *a = slot_find(&key, now, g, &ridx);
	__u32 fb = 0;
	if (!a) {
		fb = 1;
		a = bpf_map_lookup_elem(&sctp_assocs, &key);
	}
	if (!a) {
		struct sw_assoc *z = bpf_map_lookup_elem(&sctp_scratch, &zero);
		if (!z)
			return VERDICT;
		z->first_ns = now;
		z->init_dir = 0xff;
		z->dir[0].a_rwnd_min = 0xffffffff;
		z->dir[1].a_rwnd_min = 0xffffffff;
		/* a concurrent CPU may have created it first: BPF_NOEXIST keeps its counts */
		bpf_map_update_elem(&sctp_assocs, &key, z, BPF_NOEXIST);
		/* the scratch record must stay zero for reset_assoc() */
		z->first_ns = 0;
		z->init_dir = 0;
		z->dir[0].a_rwnd_min = 0;
		z->dir[1].a_rwnd_min = 0;
		a = bpf_map_lookup_elem(&sctp_assocs, &key);
		if (!a) {
			gcount(SW_G_MAP_FULL, 1);
			return VERDICT;
		}
	}
	struct sw_dir *me = &a->dir[dir];
	__sync_fetch_and_add(&me->packets, 1);
	__sync_fetch_and_add(&me->bytes, end - off);
	me->last_seen_ns = now;
	a->last_ns = now;

	struct walk w = {
		.skb = skb, .a = a, .key = &key, .now = now, .off = off + sizeof(sh), .end = end,
		.vtag = bpf_ntohl(sh.vtag), .dir = dir, .fb = fb, .done = 0, .mem = mem,
		.sport = bpf_ntohs(sh.sport), .dport = bpf_ntohs(sh.dport),
	};
	path_enter(&w, ridx, g);
	mem->pnow = 0;
	/* The first DATA / SACK chunks in a plain bounded loop, the rest (if any) through bpf_loop:
	 * the kernel inlines bpf_loop as a loop around a call to the callback, and on CPUs whose
	 * return-stack mitigations put a thunk on every return that call costs more than the chunk
	 * (bench/sctp: ~15 ns a chunk). Only the common chunks: the verifier walks the inline loop
	 * once per iteration, and with every chunk type it took seconds to load. */
#ifndef SW_NO_BPF_LOOP
	long r = 0;
#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < INLINE_CHUNKS && i < max_chunks && r == 0; i++)
		r = walk_step(&w, 1);
	/* the rest, or from the first chunk that is not DATA or SACK (not yet counted) */
	if (r != 1 && max_chunks > w.chunks)
		bpf_loop(max_chunks - w.chunks, walk_chunk, &w, 0);
#else
	__builtin_memcpy((void *)&mem->key, &key, sizeof(key));
	mem->now = now;
	mem->off = w.off;
	mem->end = w.end;
	mem->vtag = w.vtag;
	mem->dir = w.dir;
	mem->fb = w.fb;
	mem->sport = w.sport;
	mem->dport = w.dport;
	mem->chunks = 0;
	mem->done = 0;
	mem->left = max_chunks;
	/* Enough calls for SW_MAX_CHUNKS chunks: max_chunks above it walks no further. */
#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < (SW_MAX_CHUNKS + SW_WALK_BATCH - 1) / SW_WALK_BATCH; i++)
		if (sw_walk_batch(skb))
			break;
	w.off = mem->off;
	w.chunks = mem->chunks;
	w.done = mem->done;
#endif
	/* one per-CPU update per packet, not per chunk */
	g->c[SW_G_CHUNKS] += w.chunks;

	if (w.chunks == 0 && w.done != 2) {
		/* RFC 9260 §3: a packet carries at least one chunk */
		malformed(&w);
	} else if (w.done == 0 && w.off < w.end) {
		__sync_fetch_and_add(&a->dir[dir].truncated, 1);
		gcount(SW_G_WALK_LIMIT, 1);
	}

	path_learn_vtag(&w);
	__u32 poff = mem->poff;
	if (poff) {
		mem->poff = 0;
		sw_params(skb, poff, mem->pnext, mem->pwhat);
	}
	return VERDICT;
}

SEC("tc")
int sctp_wire_ingress(struct __sk_buff *skb)
{
	return handle(skb);
}

SEC("tc")
int sctp_wire_egress(struct __sk_buff *skb)
{
	return handle(skb);
}

char LICENSE[] SEC("license") = "GPL";
