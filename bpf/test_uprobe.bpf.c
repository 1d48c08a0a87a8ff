// SPDX-License-Identifier: GPL-2.0
/* ebpf-ts's uprobe and perf-buffer test: on entry to and return from a user-space function,
 * counts the calls made by one process (`target_tgid`, set before load; 0 counts every process)
 * in `calls`, and sends one record per entry and per return through a perf event array — the
 * event stream of kernels without ring buffers (before 5.8).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

const volatile __u32 target_tgid = 0;

enum call_kind { CALL_ENTRY, CALL_RETURN, CALL_MAX };

/* one per entry (value = the first argument) and per return (value = the return value) */
struct call_event {
	__u32 tgid;
	__u32 kind;
	__s64 value;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CALL_MAX);
	__type(key, __u32);
	__type(value, __u64);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} call_events SEC(".maps");

static __always_inline int record(void *ctx, __u32 kind, __s64 value)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (target_tgid && tgid != target_tgid)
		return 0;
	__u64 *n = bpf_map_lookup_elem(&calls, &kind);
	if (n)
		__sync_fetch_and_add(n, 1);
	struct call_event e = { .tgid = tgid, .kind = kind, .value = value };
	bpf_perf_event_output(ctx, &call_events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(on_entry, long arg)
{
	return record(ctx, CALL_ENTRY, arg);
}

SEC("uretprobe")
int BPF_KRETPROBE(on_return, long ret)
{
	return record(ctx, CALL_RETURN, ret);
}

char LICENSE[] SEC("license") = "GPL";
