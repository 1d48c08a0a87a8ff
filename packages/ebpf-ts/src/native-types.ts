// Types of ebpf-ts's addon (native/bpf.cc). Raw mechanism only: the modules beside this one
// wrap it. Errors are NativeErrno-like: `errno`, `code`, `syscall`, and on a failed load also
// `program`, `verifierLog` and `libbpfLog`.

export interface NativeProgramInfo {
  name: string;
  section: string;
  type: number;
  expectedAttachType: number;
  autoload: boolean;
  /** -1 until loaded */
  fd: number;
}

export interface NativeMapInfo {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  internal: boolean;
  fd: number;
}

export interface NativeGlobalVar {
  name: string;
  section: string;
  offset: number;
  size: number;
  kind: 'int' | 'bool' | 'array' | 'struct' | 'other';
  signed: boolean;
}

export interface NativeBpfObject {
  name(): string;
  programs(): NativeProgramInfo[];
  maps(): NativeMapInfo[];
  globals(): NativeGlobalVar[];
  mapInitialValue(map: string): Buffer | null;
  setMapInitialValue(map: string, value: Buffer): void;
  setMapMaxEntries(map: string, n: number): void;
  setAutoload(program: string, on: boolean): void;
  load(): void;
  attach(program: string, kind: 'auto' | 'trace'): NativeBpfLink;
  attach(program: string, kind: 'xdp', ifindex: number, netnsFd: number): NativeBpfLink;
  attach(program: string, kind: 'tracepoint', category: string, name: string): NativeBpfLink;
  attach(program: string, kind: 'raw_tracepoint', name: string): NativeBpfLink;
  attach(program: string, kind: 'kprobe', func: string, retprobe: boolean): NativeBpfLink;
  attach(program: string, kind: 'uprobe', binary: string, func: string, offset: number, pid: number, retprobe: boolean): NativeBpfLink;
  close(): void;
}

export interface NativeBpfLink {
  fd(): number;
  pin(path: string): void;
  destroy(): void;
}

export interface NativeTcFilter {
  info(): { ifindex: number; direction: 'ingress' | 'egress'; handle: number; priority: number; progId: number; hookCreated: boolean; attached: boolean };
  /** Remove the filter (in the namespace it was attached in); with destroyHookIfEmpty, also the clsact qdisc if we created it and it is now empty. */
  detach(destroyHookIfEmpty: boolean): { detached: boolean; hookDestroyed: boolean };
}

export type OnRecords = (records: Buffer, ends: Uint32Array) => void;

/**
 * The addon's ring-buffer and perf-buffer readers (one shape, native/bpf.cc PolledReaderWrap).
 * `onRecords` gets a pass's records back to back in one Buffer and where each ends.
 */
export interface NativeEventReader {
  start(): void;
  stop(): void;
  consume(): number;
  ref(): void;
  unref(): void;
  /** Samples the kernel dropped (perf buffers). */
  lost(): number;
  close(): void;
}

export interface NativeBpf {
  BpfObject: new (src: string | Buffer, name: string | undefined, logSize: number) => NativeBpfObject;
  RingBuffer: new (mapFd: number, onRecords: OnRecords) => NativeEventReader;
  PerfBuffer: new (mapFd: number, onRecords: OnRecords, pagesPerCpu: number) => NativeEventReader;
  bpfTcAttach(progFd: number, ifindex: number, direction: 'ingress' | 'egress', priority: number, handle: number, netnsFd: number): NativeTcFilter;
  bpfLinkCreate(progFd: number, target: number, attachType: number, netnsFd: number): NativeBpfLink;
  bpfMapLookup(fd: number, key: Buffer, valueSize: number): Buffer | null;
  bpfMapUpdate(fd: number, key: Buffer, value: Buffer, flags: number): void;
  bpfMapDelete(fd: number, key: Buffer): boolean;
  bpfMapNextKey(fd: number, key: Buffer | null, keySize: number): Buffer | null;
  bpfMapDump(fd: number, keySize: number, valueSize: number, chunk: number, useBatch: boolean): { count: number; keys: Buffer; values: Buffer; batched: boolean };
  bpfMapUpdateBatch(fd: number, keys: Buffer, values: Buffer, count: number, flags: number): number;
  /** Read-only shared mapping of a BPF_F_MMAPABLE array's values (unmapped when the Buffer is collected). */
  bpfMapMmap(fd: number, length: number): Buffer;
  /** BPF_PROG_TEST_RUN on one frame, repeat times (duration: mean ns per run as the kernel timed it). */
  bpfProgTestRun(progFd: number, data: Buffer, repeat: number): { retval: number; durationNs: number };
  bpfMapCreate(type: number, name: string, keySize: number, valueSize: number, maxEntries: number, flags: number): number;
  bpfMapInfo(fd: number): { id: number; type: number; name: string; keySize: number; valueSize: number; maxEntries: number; flags: number };
  bpfProgInfo(fd: number): { id: number; type: number; name: string; tag: string; recursionMisses: number | null };
  bpfObjPin(fd: number, path: string): void;
  bpfObjGet(path: string): number;
  bpfCloseFd(fd: number): void;
  bpfStatfsType(path: string): number;
  bpfMount(source: string, target: string, fstype: string, data: string): void;
  /** 1 supported, 0 not, <0 -errno */
  bpfProbeProgType(type: number): number;
  bpfProbeMapType(type: number): number;
  bpfProbeHelper(progType: number, helperId: number): number;
  bpfProbeLoad(progType: number, expectedAttachType: number, attachBtfFunc?: string): { fd?: number; errno?: number; log?: string };
  /** BTF id of a kernel function in vmlinux BTF (>0), or -errno. */
  bpfBtfFuncId(name: string): number;
  /** 0 when a kprobe on func can be created, else the errno */
  bpfProbeKprobe(func: string): number;
  /** Which libbpf messages to keep (0 warn, 1 info, 2 debug) and whether to also print them to stderr. */
  bpfSetPrint(level: number, echo: boolean): void;
  bpfTypeName(kind: 'prog' | 'map' | 'attach', value: number): string | null;
  libbpfVersion(): string;
  bpfNumPossibleCpus(): number;
}
