// The one load of the package's own addon (build/Release/ebpf_ts.node, built by node-gyp when the
// package is installed), so the rest of the package sees a typed NativeBpf. The path is relative
// to this file, which is src/native.ts or dist/native.js: both one level below the package root.
import { createRequire } from 'node:module';
import type { NativeBpf } from './native-types.js';

function loadAddon(): NativeBpf {
  const require = createRequire(import.meta.url);
  try {
    return require('../build/Release/ebpf_ts.node') as NativeBpf;
  } catch (err) {
    const first = String((err as Error).message).split('\n')[0];
    const e = new Error(`ebpf-ts's native addon is not built (${first}); in the ebpf-ts package directory run: npx node-gyp rebuild (needs libbpf-dev, pkg-config and a C++ compiler)`, { cause: err });
    (e as NodeJS.ErrnoException).code = 'NATIVE_MISSING';
    throw e;
  }
}

export const native: NativeBpf = loadAddon();

// A library does not write to the user's terminal; EBPF_TS_DEBUG=1 prints libbpf's messages.
native.bpfSetPrint(process.env.EBPF_TS_DEBUG ? 2 : 0, Boolean(process.env.EBPF_TS_DEBUG));
