// `ebpf-ts gen types`: the generated layouts against two readers that are not ours — bpftool's
// dump of the object's BTF (struct sizes and member offsets) and libbpf's own parse of the
// object's maps (type, max_entries, key and value sizes) — for the package's example object and
// nodectl's SCTP tracers. No privileges needed: nothing is loaded.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BpfError, BpfObject, generateTypes, readObjectBtf, type Layout } from '../src/index.js';

const PKG = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = join(PKG, 'test/fixtures/udpcount.bpf.o');
const BPF = join(PKG, '../../bpf');
const CASES: Array<{ obj: string; records: Record<string, string> }> = [
  { obj: FIXTURE, records: { datagrams: 'datagram' } },
  { obj: join(BPF, 'sctp_wire.bpf.o'), records: { sctp_events: 'sw_event' } },
  { obj: join(BPF, 'sctp_kern.bpf.o'), records: {} },
];

interface BpftoolType { id: number; kind: string; name: string; size?: number; members?: Array<{ name: string; bits_offset: number }> }

type Generated = Record<string, unknown> & { maps: Record<string, { type: number; maxEntries: number; key?: Layout<unknown>; value?: Layout<unknown>; record?: Layout<unknown> }> };

// Decided at load, so ava counts these as skipped where bpftool is absent. The package cannot
// import nodectl's test/helpers/require.ts (it is published on its own, and its tests run from
// its own directory), so this is that helper's one case, with the line skip-summary.mjs reads.
const bpftool = spawnSync('bpftool', ['version'], { encoding: 'utf8' });
const BPFTOOL_MISSING = bpftool.error ? `bpftool is not installed (${bpftool.error.message})` : null;
let noted = 0;
const withBpftool: typeof test = BPFTOOL_MISSING ? Object.assign((title: string) => { noted++; test.skip(title, () => {}); }, test) as unknown as typeof test : test;
if (BPFTOOL_MISSING) setImmediate(() => console.log(`SKIP gen: ${noted} test${noted === 1 ? '' : 's'}: ${BPFTOOL_MISSING}`));

const tmp = mkdtempSync(join(tmpdir(), 'ebpf-ts-gen-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

/** Generate, write and import the module (its `ebpf-ts` import pointed at these sources). */
async function load(obj: string, records: Record<string, string>): Promise<{ mod: Generated; text: string }> {
  const text = generateTypes(obj, { records, importFrom: pathToFileURL(join(PKG, 'src/index.ts')).href });
  const file = join(tmp, `${obj.split('/').pop()!.replace(/\W/g, '_')}.ts`);
  writeFileSync(file, text);
  return { mod: (await import(pathToFileURL(file).href)) as Generated, text };
}

for (const { obj, records } of CASES) {
  const name = obj.split('/').pop()!;
  withBpftool(`${name}: every generated struct has bpftool's size and member offsets`, async (t) => {
    const dump = spawnSync('bpftool', ['-j', 'btf', 'dump', 'file', obj], { encoding: 'utf8' });
    if (dump.error) return void t.fail(`bpftool: ${dump.error.message}`);
    const structs = new Map((JSON.parse(dump.stdout) as { types: BpftoolType[] }).types.filter((x) => x.kind === 'STRUCT').map((x) => [x.name, x]));
    const { mod, text } = await load(obj, records);
    const declared = [...text.matchAll(/^\/\*\* struct (\w+): (\d+) bytes\. \*\/\nexport const (\w+) =/gm)];
    t.true(declared.length > 0);
    for (const [, cName, , tsName] of declared) {
      const b = structs.get(cName!);
      const l = mod[tsName!] as Layout<unknown> & { offsets: Record<string, number> };
      t.truthy(b, `struct ${cName} in bpftool's dump`);
      t.is(l.size, b!.size ?? -1, `${cName} size`);
      for (const m of b!.members!) t.is(l.offsets[m.name], m.bits_offset / 8, `${cName}.${m.name}`);
    }
  });

  test(`${name}: generated maps agree with libbpf's parse of the object`, async (t) => {
    const { mod } = await load(obj, records);
    const o = BpfObject.open(obj);
    t.teardown(() => o.close());
    const real = o._native().maps().filter((m) => !m.internal);
    t.deepEqual(Object.keys(mod.maps).sort(), real.map((m) => m.name).sort());
    for (const m of real) {
      const g = mod.maps[m.name]!;
      t.is(g.type, m.type, `${m.name} type`);
      t.is(g.maxEntries, m.maxEntries, `${m.name} max_entries`);
      if (g.key) t.is(g.key.size, m.keySize, `${m.name} key size`);
      if (g.value) t.is(g.value.size, m.valueSize, `${m.name} value size`);
    }
    for (const [map, struct] of Object.entries(records)) t.truthy(mod.maps[map]!.record, `${map} carries its record (${struct})`);
  });
}

test('generated decoders read the C types: __be fields in network order, arrays, padding skipped', async (t) => {
  const { mod } = await load(FIXTURE, { datagrams: 'datagram' });
  const Datagram = mod.Datagram as Layout<{ daddr: number; sport: number; dport: number; len: number }>;
  // struct datagram as the program writes it on a little-endian host.
  const rec = Buffer.from([198, 51, 100, 2, 0xc3, 0x50, 0x27, 0x0f, 49, 0, 0, 0]);
  t.deepEqual(Datagram.decode(rec), { daddr: 0xc6336402, sport: 50000, dport: 9999, len: 49 });
  t.deepEqual(Datagram.encode(Datagram.decode(rec)), rec);
  const { mod: wire } = await load(join(BPF, 'sctp_wire.bpf.o'), { sctp_events: 'sw_event' });
  const key = (wire.SwKey as Layout<Record<string, unknown>>).decode(Buffer.alloc(44, 1));
  t.deepEqual(Object.keys(key), ['addr', 'port', 'ifindex', 'family', 'pad']);
  t.deepEqual((key.addr as Buffer[]).map((b) => b.length), [16, 16], 'u8[2][16] is two Buffers');
});

test('the CLI: types to a file, one-line errors, usage on bad arguments (exit 2), bad objects (exit 1)', (t) => {
  const cli = join(PKG, 'src/cli.ts');
  const node = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8' });
  const out = join(tmp, 'cli-out.ts');
  const ok = node('gen', 'types', FIXTURE, '--record', 'datagrams=datagram', '-o', out);
  t.is(ok.status, 0, ok.stderr);
  t.is(readFileSync(out, 'utf8'), generateTypes(FIXTURE, { records: { datagrams: 'datagram' } }));
  t.regex(readFileSync(out, 'utf8'), /^\/\/ DO NOT EDIT: generated by `ebpf-ts gen types` from udpcount\.bpf\.o/);

  // --regenerate names the command that remakes the file, on the line under the generator's own
  const noted = node('gen', 'types', FIXTURE, '--record', 'datagrams=datagram', '--regenerate', 'npm run gen:types');
  t.is(noted.status, 0, noted.stderr);
  t.deepEqual(noted.stdout.split('\n').slice(1, 3), ['// Layouts of its structs at the offsets its BTF gives; regenerate after changing the C source.', '// Regenerate: npm run gen:types']);
  t.is(noted.stdout.split('\n').filter((_, i) => i !== 2).join('\n'), readFileSync(out, 'utf8'), 'nothing else changes');

  const usage = node('gen', 'typez', FIXTURE);
  t.is(usage.status, 2);
  t.regex(usage.stderr, /^ebpf-ts: unknown command: gen typez\nusage: /);
  t.is(node('gen', 'types', FIXTURE, '--record', 'nonsense').status, 2);

  for (const [args, msg] of [
    [['/etc/hostname'], /cannot read BTF of \/etc\/hostname: not an ELF file/],
    [['/nonexistent.bpf.o'], /cannot read \/nonexistent\.bpf\.o: ENOENT/],
    [[FIXTURE, '--record', 'per_dst=dst_count'], /per_dst is not a ring buffer \(HASH\)/],
    [[FIXTURE, '--record', 'datagrams=nope'], /no struct nope in its BTF/],
    [[FIXTURE, '--record', 'nomap=datagram'], /the object has no map nomap/],
  ] as const) {
    const r = node('gen', 'types', ...args);
    t.is(r.status, 1, r.stderr);
    t.regex(r.stderr, msg);
    t.is(r.stderr.trim().split('\n').length, 1, 'one line');
    t.is(r.stdout, '');
  }
});

withBpftool('BTF is read as the kernel lays it out: type ids and kinds match bpftool', (t) => {
  const dump = spawnSync('bpftool', ['-j', 'btf', 'dump', 'file', join(BPF, 'sctp_wire.bpf.o')], { encoding: 'utf8' });
  if (dump.error) return void t.fail(`bpftool: ${dump.error.message}`);
  const theirs = (JSON.parse(dump.stdout) as { types: BpftoolType[] }).types;
  const ours = readObjectBtf(join(BPF, 'sctp_wire.bpf.o'));
  t.is(ours.length - 1, theirs.length, 'same number of types (ours has void at 0)');
  const KIND = ['VOID', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE', 'CONST', 'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64'];
  for (const b of theirs) {
    const a = ours[b.id]!;
    t.is(KIND[a.kind], b.kind, `type ${b.id}`);
    t.is(a.name || '(anon)', b.name, `type ${b.id} name`);
  }
  t.throws(() => readObjectBtf(Buffer.from('not an object')), { instanceOf: BpfError, message: /not an ELF file/ });
});
