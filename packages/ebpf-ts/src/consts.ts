// Numbers from the kernel's UAPI (linux/bpf.h) that the TypeScript side decides with. Names for
// display come from libbpf itself (native.bpfTypeName).

export const ProgType = {
  KPROBE: 2,
  SCHED_CLS: 3,
  TRACEPOINT: 5,
  XDP: 6,
  RAW_TRACEPOINT: 17,
  TRACING: 26,
  LSM: 29,
} as const;

export const MapType = {
  HASH: 1,
  ARRAY: 2,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  PERCPU_CGROUP_STORAGE: 21,
  RINGBUF: 27,
} as const;

export const AttachType = {
  TRACE_RAW_TP: 23,
  TRACE_FENTRY: 24,
  TRACE_FEXIT: 25,
  MODIFY_RETURN: 26,
  LSM_MAC: 27,
  XDP: 37,
  /** tcx: tc as bpf_link, Linux 6.6+; libbpf 1.1 has no helper, bpf_link_create takes these. */
  TCX_INGRESS: 46,
  TCX_EGRESS: 47,
} as const;

export const PERCPU_MAP_TYPES: ReadonlySet<number> = new Set([
  MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_PERCPU_HASH, MapType.PERCPU_CGROUP_STORAGE,
]);

/** BPF_ANY / BPF_NOEXIST / BPF_EXIST for map updates. */
/** Map creation flags (map_flags) that user space acts on. */
export const MapFlag = { MMAPABLE: 1 << 10 } as const;

export const UpdateFlag = { any: 0, noexist: 1, exist: 2 } as const;
export type UpdateMode = keyof typeof UpdateFlag;

/** statfs(2) magic numbers of the pseudo file systems we mount when absent. */
export const BPF_FS_MAGIC = 0xcafe4a11;
export const TRACEFS_MAGIC = 0x74726163;
