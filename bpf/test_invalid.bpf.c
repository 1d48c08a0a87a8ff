// SPDX-License-Identifier: GPL-2.0
/* Deliberately rejected by the verifier (packet read without a bounds check), next to a valid
 * program, so tests can check that VerifierError names the right program and carries the log.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tc")
int valid_first(struct __sk_buff *skb)
{
	return 0;
}

SEC("tc")
int unchecked_read(struct __sk_buff *skb)
{
	__u8 *data = (void *)(long)skb->data;
	return data[20]; /* no `data + 21 <= data_end` check: "invalid access to packet" */
}

char LICENSE[] SEC("license") = "GPL";
