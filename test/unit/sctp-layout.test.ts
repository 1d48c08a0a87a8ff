// The TypeScript description of bpf/sctp_wire.h (hand-written; sctp_kern's records are generated,
// see the end) must match the compiled object byte for byte:
// compare every struct's size and every member's name and offset with the object's BTF, as
// bpftool (an independent reader) dumps it.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateTypes } from 'ebpf-ts';
import { SW_ASSOC, SW_DIR, SW_EVENT, SW_KEY, SW_SLOT, SW_TAG, SW_ADDR, SW_ADDRS, type StructLayout } from '../../src/sctp/wire-layout.js';
import { testIf } from '../helpers/require.js';

const OBJ = fileURLToPath(new URL('../../bpf/sctp_wire.bpf.o', import.meta.url));
const KOBJ = fileURLToPath(new URL('../../bpf/sctp_kern.bpf.o', import.meta.url));

interface BtfType { id: number; kind: string; name: string; size?: number; members?: Array<{ name: string; bits_offset: number }> }

function btfStructs(obj: string): Map<string, BtfType> | { why: string } {
  const r = spawnSync('bpftool', ['-j', 'btf', 'dump', 'file', obj], { encoding: 'utf8' });
  if (r.error) return { why: `bpftool is not installed (${r.error.message})` };
  if (r.status !== 0) throw new Error(`bpftool btf dump failed: ${r.stderr}`);
  const types = (JSON.parse(r.stdout) as { types: BtfType[] }).types;
  return new Map(types.filter((t) => t.kind === 'STRUCT').map((t) => [t.name, t]));
}

for (const [obj, layout] of [SW_KEY, SW_DIR, SW_ASSOC, SW_SLOT, SW_EVENT, SW_TAG, SW_ADDR, SW_ADDRS].map((l) => [OBJ, l]) as Array<[string, StructLayout]>) {
  testIf('cmd:bpftool')(`${layout.name}: size and member offsets match the object's BTF`, (t) => {
    const btf = btfStructs(obj);
    if ('why' in btf) return void t.fail(btf.why);
    const s = btf.get(layout.name);
    t.truthy(s, `struct ${layout.name} is not in the BTF of ${obj}`);
    t.is(layout.size, s!.size ?? -1, 'struct size');
    t.deepEqual(
      layout.fields.map((f) => [f.name, f.offset]),
      s!.members!.map((m) => [m.name, m.bits_offset / 8]),
    );
  });
}

// The kernel tracer's records are not written by hand: src/sctp/generated/sctp-kern.ts is what
// `ebpf-ts gen types` makes of the object's BTF (scripts/gen-bpf-types). A rebuilt object with
// other records and no regenerated file fails here.
test('src/sctp/generated/sctp-kern.ts is what the generator makes of bpf/sctp_kern.bpf.o', (t) => {
  const committed = readFileSync(new URL('../../src/sctp/generated/sctp-kern.ts', import.meta.url), 'utf8');
  t.is(committed, generateTypes(KOBJ, { u64: 'number' }), 'run scripts/gen-bpf-types');
});
