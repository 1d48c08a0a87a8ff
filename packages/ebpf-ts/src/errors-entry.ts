// The `ebpf-ts/errors` entry: the error classes and the errno table, without loading the addon
// (the main entry loads it, and with it libbpf). For an application that shares this error
// hierarchy on paths that never touch BPF: nodectl's fast commands start without dlopen-ing
// libbpf, and its esbuild bundles can inline these few modules.
export { CodedError, BpfError, VerifierError, UnsupportedFeatureError, BpfNotFoundError, failingInstruction, type BpfErrorCode, type VerifierInstruction } from './errors.js';
export { describeErrno, errnoName } from './errno.js';
