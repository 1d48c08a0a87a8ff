#!/usr/bin/env node
// The feature table of docs/vm.md, made from the `FEATURES {json}` lines that
// scripts/kernel-features.mjs prints in each guest (the VM console logs in .vm-logs/ keep
// them): one row per kernel, in the order given, a column per feature.
//   node scripts/features-table.mjs .vm-logs/<time>-5.10.log .vm-logs/<time>-6.12.log …
import { readFileSync } from 'node:fs';

const rows = [];
for (const f of process.argv.slice(2)) {
  const line = readFileSync(f, 'utf8').split('\n').map((l) => l.replace(/\r$/, '')).find((l) => l.startsWith('FEATURES {'));
  if (!line) {
    console.error(`features-table: no FEATURES line in ${f} (run node scripts/kernel-features.mjs in the guest)`);
    process.exit(2);
  }
  rows.push(JSON.parse(line.slice('FEATURES '.length)));
}
if (rows.length === 0) {
  console.error('usage: node scripts/features-table.mjs LOG...');
  process.exit(2);
}
const cols = Object.keys(rows[0]).filter((k) => k !== 'release');
// what nodectl does with those answers (src/sctp/tracer.ts wireObjects, packages/ebpf-ts/src/attach.ts)
const wire = (r) => (r.bpf_loop === 'yes' ? 'sctp_wire' : r.bpf_loop === 'no' ? 'sctp_wire_noloop' : 'tries all');
const attach = (r) => (r.tcx === 'yes' ? 'tcx' : r.clsact === 'yes' ? 'clsact' : 'none');
console.log(`| kernel | ${cols.join(' | ')} | wire tracer object | tc attach |`);
console.log(`|---|${cols.map(() => '---').join('|')}|---|---|`);
for (const r of rows) console.log(`| ${r.release} | ${cols.map((c) => r[c] ?? '?').join(' | ')} | ${wire(r)} | ${attach(r)} |`);
