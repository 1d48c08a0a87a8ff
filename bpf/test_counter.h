/* Records shared between test_counter.bpf.c and its TypeScript tests (layouts in test/). */
#ifndef TEST_COUNTER_H
#define TEST_COUNTER_H

/* counts: key = which traffic, value = how much */
struct count_key {
	__u16 ethertype; /* host byte order */
	__u8 ip_proto;   /* 0 when not IPv4/IPv6 */
	__u8 dir;        /* 0 ingress, 1 egress */
};

struct count_val {
	__u64 packets;
	__u64 bytes;
};

/* one ring-buffer record per IPv4 UDP datagram or ICMP echo seen */
struct pkt_event {
	__u32 tag;      /* the const volatile `tag`, set by user space before load */
	__u32 ifindex;
	__u32 len;
	__u32 saddr;    /* network byte order */
	__u32 daddr;    /* network byte order */
	__u16 sport;    /* network byte order; ICMP: echo id */
	__u16 dport;    /* network byte order; ICMP: echo sequence */
	__u8 dir;
	__u8 ip_proto;
	__u16 _pad;
};

#endif
