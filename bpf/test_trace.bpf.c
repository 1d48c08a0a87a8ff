// SPDX-License-Identifier: GPL-2.0
/* One program per tracing attach type, all counting forks made by one process (`target_tgid`,
 * set before load) in `hits[kind]`. Tests pick the programs the kernel supports with autoload.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

enum hit_kind { HIT_TP, HIT_RAW_TP, HIT_TP_BTF, HIT_FENTRY, HIT_FEXIT, HIT_KPROBE, HIT_KRETPROBE, HIT_MAX };

const volatile __u32 target_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HIT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline void hit(__u32 kind)
{
	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return;
	__u64 *v = bpf_map_lookup_elem(&hits, &kind);
	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("tracepoint/sched/sched_process_fork")
int tp_fork(void *ctx)
{
	hit(HIT_TP);
	return 0;
}

SEC("raw_tracepoint/sched_process_fork")
int raw_tp_fork(void *ctx)
{
	hit(HIT_RAW_TP);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(tp_btf_fork, struct task_struct *parent, struct task_struct *child)
{
	hit(HIT_TP_BTF);
	return 0;
}

SEC("fentry/kernel_clone")
int BPF_PROG(fentry_clone)
{
	hit(HIT_FENTRY);
	return 0;
}

SEC("fexit/kernel_clone")
int BPF_PROG(fexit_clone)
{
	hit(HIT_FEXIT);
	return 0;
}

SEC("kprobe/kernel_clone")
int kprobe_clone(void *ctx)
{
	hit(HIT_KPROBE);
	return 0;
}

SEC("kretprobe/kernel_clone")
int kretprobe_clone(void *ctx)
{
	hit(HIT_KRETPROBE);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
