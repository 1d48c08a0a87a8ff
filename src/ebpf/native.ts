// The one import of the addon in src/ebpf, so the rest of the package sees a typed NativeBpf.
import addon from '../../native/index.js';
import type { NativeBpf } from '../../native/bpf.js';

export const native: NativeBpf = addon;

// A library does not write to the user's terminal; EBPF_TS_DEBUG=1 prints libbpf's messages.
native.bpfSetPrint(process.env.EBPF_TS_DEBUG ? 2 : 0, Boolean(process.env.EBPF_TS_DEBUG));
