// ebpf-ts: load CO-RE BPF objects with the system libbpf, attach them, read their maps and ring
// buffers from TypeScript. Self-contained (nothing from the host application). See docs/ebpf.md.
export { BpfObject, type OpenOptions, type GlobalValue } from './object.js';
export { BpfProgram } from './program.js';
export { BpfMap, possibleCpus, type MapMeta } from './map.js';
export {
  Attachment, attachTc, attachXdp, attachTracepoint, attachRawTracepoint, attachTpBtf, attachFentry, attachKprobe, attachAuto,
  type AttachKind, type Direction, type TcAttachOptions, type XdpAttachOptions,
} from './attach.js';
export { RingBuffer, type RingBufferOptions } from './ringbuf.js';
export { pinFd, pinMap, unpin, openPinnedMap } from './pin.js';
export { ensureBpffs, ensureTracefs, isBpffs, BPFFS, TRACEFS } from './mounts.js';
export { kernelConfig, jiffyNs, parseKernelConfig, tickNs } from './kconfig.js';
export { probeFeature, probeAllFeatures, probeHelper, FEATURE_MIN_KERNEL, HELPERS, type FeatureName, type FeatureStatus } from './features.js';
export { CodedError, BpfError, VerifierError, UnsupportedFeatureError, BpfNotFoundError, type BpfErrorCode } from './errors.js';
export type { NetnsOption } from './netns.js';
export * as layout from './layout.js';
export type { Layout, LayoutValue, StructValue } from './layout.js';
export { ProgType, MapType, MapFlag, AttachType, UpdateFlag, type UpdateMode } from './consts.js';
export { native as _native } from './native.js';

import { native } from './native.js';
/** Version of the system libbpf the addon is linked against ("1.1"). */
export function libbpfVersion(): string {
  return native.libbpfVersion();
}
