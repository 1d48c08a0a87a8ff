// ebpf-ts: load CO-RE BPF objects with the system libbpf, attach them, read their maps and ring
// buffers from TypeScript. This file is the package's whole public API (its `exports` map has no
// other entry); see README.md.
export { BpfObject, type OpenOptions, type GlobalValue } from './object.js';
export { BpfProgram } from './program.js';
export { BpfMap, possibleCpus, type MapMeta } from './map.js';
export {
  Attachment, attachTc, attachXdp, attachTracepoint, attachRawTracepoint, attachTpBtf, attachFentry, attachKprobe, attachUprobe, attachAuto,
  type AttachKind, type Direction, type TcAttachOptions, type XdpAttachOptions, type UprobeAttachOptions,
} from './attach.js';
export { EventBuffer, RingBuffer, PerfBuffer, type RingBufferOptions, type PerfBufferOptions } from './ringbuf.js';
export { pinFd, pinMap, unpin, openPinnedMap } from './pin.js';
export { ensureBpffs, ensureTracefs, isBpffs, BPFFS, TRACEFS } from './mounts.js';
export { kernelConfig, jiffyNs, parseKernelConfig, tickNs } from './kconfig.js';
export { probeFeature, probeAllFeatures, probeHelper, kernelAtLeast, FEATURE_MIN_KERNEL, HELPERS, type FeatureName, type FeatureStatus } from './features.js';
export { CodedError, BpfError, VerifierError, UnsupportedFeatureError, BpfNotFoundError, failingInstruction, type BpfErrorCode, type VerifierInstruction } from './errors.js';
export { describeErrno, errnoName } from './errno.js';
export type { NetnsOption } from './netns.js';
export * as layout from './layout.js';
export type { Layout, LayoutValue, StructValue } from './layout.js';
export { ProgType, MapType, MapFlag, AttachType, UpdateFlag, type UpdateMode } from './consts.js';
export { generateTypes, type GenOptions } from './gen.js';
export { readObjectBtf, parseBtf, elfBtfSection, BtfKind, type BtfType, type BtfMember } from './btf.js';
export { native as _native } from './native.js';
// How an addon failure's errno is named (tests compare it with the netlink side's naming).
export { errnoName as _nativeErrnoName, type NativeFailure } from './errors.js';
export type * from './native-types.js';

import { native } from './native.js';
/** Version of the system libbpf the addon is linked against ("1.1"). */
export function libbpfVersion(): string {
  return native.libbpfVersion();
}
