#!/usr/bin/env node
// Ask the running kernel for the features the test suite and the tracers need, with the
// probes nodectl itself uses (the ebpf-ts package's features.ts, from its dist/: run `npm run build:ts` first),
// and print one line per feature plus a `FEATURES {json}` line that docs/vm.md's table is made
// from (scripts/vm/features-table). Needs root: the probes load programs.
//   node scripts/kernel-features.mjs
import { release } from 'node:os';

const { probeFeature } = await import('ebpf-ts');

// What the suite needs, in the table's order: the kernel tracer (tp_btf, fentry, kprobe,
// module_btf), the wire tracer (bpf_loop, ringbuf) and its attach mode (tcx, else clsact).
export const TABLE_FEATURES = ['tp_btf', 'fentry', 'kprobe', 'module_btf', 'bpf_loop', 'ringbuf', 'tcx', 'clsact', 'btf'];

const rows = TABLE_FEATURES.map((f) => probeFeature(f));
for (const r of rows) {
  console.log(`${r.feature.padEnd(11)} ${r.supported ? 'yes' : r.conclusive === false ? '???' : 'no '}  ${r.reason}`);
}
const answers = Object.fromEntries(rows.map((r) => [r.feature, r.supported ? 'yes' : r.conclusive === false ? 'unknown' : 'no']));
console.log(`FEATURES ${JSON.stringify({ release: release(), ...answers })}`);
