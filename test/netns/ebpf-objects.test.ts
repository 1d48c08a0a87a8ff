// The shipped BPF objects are what their sources build to: rebuilt with scripts/build-bpf, they
// are byte-identical when the compiler and vmlinux.h are the ones recorded in BUILD-INFO.json;
// with another compiler or kernel they must at least open with the same programs and maps and
// load the same way (the invalid one refused at the same program).
import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BpfObject, VerifierError } from 'ebpf-ts';
import { testIf } from '../helpers/require.js';
import { BPF_DIR } from '../helpers/ebpf.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const info = JSON.parse(readFileSync(join(BPF_DIR, 'BUILD-INFO.json'), 'utf8')) as { clang: string; vmlinuxSha256: string; objects: Record<string, string> };
const shipped = readdirSync(BPF_DIR).filter((f) => f.endsWith('.bpf.o')).sort();

test('BUILD-INFO.json lists exactly the shipped objects with their hashes', (t) => {
  t.deepEqual(Object.keys(info.objects).sort(), shipped, 'run scripts/build-bpf and commit bpf/BUILD-INFO.json with the objects');
  for (const f of shipped) t.is(sha(readFileSync(join(BPF_DIR, f))), info.objects[f], `${f} changed without scripts/build-bpf (rebuild, and commit bpf/BUILD-INFO.json with the objects)`);
  const sources = readdirSync(BPF_DIR).filter((f) => f.endsWith('.bpf.c')).map((f) => f.replace(/\.c$/, '.o')).sort();
  t.deepEqual(shipped, sources, 'one shipped object per source');
});

function shape(o: BpfObject) {
  return {
    programs: o.programs().map((p) => `${p.name} ${p.section} ${p.typeName}`).sort(),
    maps: o._native().maps().filter((m) => !m.internal).map((m) => `${m.name} ${m.type} ${m.keySize} ${m.valueSize} ${m.maxEntries}`).sort(),
  };
}

function loadOutcome(src: string | Buffer, name: string): string {
  try {
    BpfObject.load(src, { name }).close();
    return 'loaded';
  } catch (err) {
    if (err instanceof VerifierError) return `refused ${err.program}`;
    return `failed ${(err as Error).message}`;
  }
}

// scripts/setup installs clang, llvm (llvm-strip) and bpftool; without them no rebuild to compare
testIf('root', 'cmd:clang', 'cmd:llvm-strip', 'cmd:bpftool')('rebuilding the sources gives the shipped objects', (t) => {
  const out = mkdtempSync(join(tmpdir(), 'nctl-bpf-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const r = spawnSync(join(BPF_DIR, '../scripts/build-bpf'), ['--out', out], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const clang = spawnSync('clang', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  const vm = readFileSync(join(BPF_DIR, 'generated/vmlinux.h'), 'utf8');
  const sameInputs = clang === info.clang && sha(vm.slice(vm.indexOf('\n') + 1)) === info.vmlinuxSha256;
  if (!sameInputs) t.log(`built with ${info.clang} against another vmlinux.h than this machine's (${clang}): comparing behaviour, not bytes`);
  for (const f of shipped) {
    const rebuilt = readFileSync(join(out, f));
    const ours = readFileSync(join(BPF_DIR, f));
    if (sameInputs) t.is(sha(rebuilt), sha(ours), `${f}: rebuilt bytes differ from the shipped object (run scripts/build-bpf and commit)`);
    const a = BpfObject.open(ours);
    const b = BpfObject.open(rebuilt);
    t.deepEqual(shape(b), shape(a), `${f}: same programs and maps`);
    a.close();
    b.close();
    const name = f.replace(/\.bpf\.o$/, '');
    t.is(loadOutcome(rebuilt, name), loadOutcome(ours, name), `${f}: loads the same way`);
  }
  t.is(loadOutcome(join(BPF_DIR, 'test_invalid.bpf.o'), 'test_invalid'), 'refused unchecked_read');
});
