// Layouts (ebpf-ts's typed views of map keys/values and ring-buffer records) against the C
// compiler's own answer: struct sizes and member offsets read from the BTF of a built object.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { BpfError, BpfNotFoundError, UnsupportedFeatureError, VerifierError, failingInstruction, layout as L } from 'ebpf-ts';
import { BPF_DIR } from '../helpers/ebpf.js';
import { testIf } from '../helpers/require.js';

const CountKey = L.struct({ ethertype: L.u16, ipProto: L.u8, dir: L.u8 });
const CountVal = L.struct({ packets: L.u64, bytes: L.u64 });

testIf('cmd:bpftool')('struct offsets and sizes match clang (BTF of test_counter.bpf.o)', (t) => {
  const btf = JSON.parse(execFileSync('bpftool', ['btf', 'dump', 'file', join(BPF_DIR, 'test_counter.bpf.o'), '-j'], { encoding: 'utf8' })) as {
    types: Array<{ name?: string; kind: string; size?: number; members?: Array<{ name: string; bits_offset: number }> }>;
  };
  const find = (n: string) => btf.types.find((x) => x.kind === 'STRUCT' && x.name === n)!;
  for (const [cName, layout] of [['count_key', CountKey], ['count_val', CountVal]] as const) {
    const c = find(cName);
    t.is(layout.size, c.size ?? -1, `${cName} size`);
    t.deepEqual(Object.values(layout.offsets), c.members!.map((m) => m.bits_offset / 8), `${cName} offsets`);
  }
});

test('C alignment and tail padding; packed structs', (t) => {
  const S = L.struct({ a: L.u8, b: L.u32, c: L.u16 });
  t.deepEqual(S.offsets, { a: 0, b: 4, c: 8 });
  t.is(S.size, 12);
  t.is(S.align, 4);
  const P = L.struct({ a: L.u8, b: L.u32, c: L.u16 }, { packed: true });
  t.deepEqual(P.offsets, { a: 0, b: 1, c: 5 });
  t.is(P.size, 7);
  const N = L.struct({ x: L.u8, inner: CountVal });
  t.is(N.offsets.inner, 8);
  t.is(N.size, 24);
});

test('round trips, byte orders, text and address helpers', (t) => {
  const E = L.struct({ saddr: L.ipv4, port: L.u16be, seq: L.u32le, mac: L.mac, name: L.cstring(8), arr: L.array(L.u16, 3), big: L.s64, ok: L.bool });
  const v = { saddr: '10.1.2.3', port: 8080, seq: 0x01020304, mac: '02:00:5e:10:00:01', name: 'eth0', arr: [1, 2, 65535], big: -5n, ok: true };
  const b = E.encode(v);
  t.is(b.length, E.size);
  t.deepEqual(E.decode(b), v);
  t.deepEqual([...b.subarray(0, 4)], [10, 1, 2, 3], 'ipv4 in network order');
  t.deepEqual([...b.subarray(4, 6)], [0x1f, 0x90], 'u16be');
  t.deepEqual([...b.subarray(8, 12)], [4, 3, 2, 1], 'u32le');
  t.is(L.cstring(4).decode(Buffer.from('abcd')), 'abcd', 'no NUL: the whole field');
  t.is(L.cstring(4).encode('abcdef').toString('latin1'), 'abc\0', 'truncated with room for NUL');
  t.throws(() => L.ipv4.encode('300.1.1.1'), { instanceOf: TypeError });
  t.throws(() => L.array(L.u8, 2).encode([1, 2, 3]), { instanceOf: TypeError });
  const withPad = L.struct({ a: L.u8, _pad: L.pad(3), b: L.u32 });
  // padding is no member of the value: decode leaves it out, encode does not ask for it (a
  // generated layout's tail padding, e.g. struct sw_event's _pad0, included)
  t.deepEqual(withPad.decode(withPad.encode({ a: 1, b: 2 })), { a: 1, b: 2 });
  t.deepEqual(withPad.decode(withPad.encode({ a: 1, _pad: undefined, b: 2 })), { a: 1, b: 2 });
  t.deepEqual(CountKey.decode(CountKey.encode({ ethertype: 0x0800, ipProto: 17 } as L.LayoutValue<typeof CountKey>)), { ethertype: 0x0800, ipProto: 17, dir: 0 }, 'missing members encode as zero');
});

test('u64n: a u64 as a JS number, exact up to 2^53, refusing what it cannot hold', (t) => {
  const b = L.u64n.encode(2 ** 40 + 7);
  t.is(L.u64.decode(b), 2n ** 40n + 7n, 'same bytes as u64');
  t.is(L.u64n.decode(L.u64.encode(2n ** 53n - 1n)), Number.MAX_SAFE_INTEGER);
  t.throws(() => L.u64n.encode(2 ** 53), { instanceOf: TypeError });
  t.throws(() => L.u64n.encode(-1), { instanceOf: TypeError });
});

test('per-CPU sums add numbers and bigints member by member, and refuse bytes', (t) => {
  t.deepEqual(L.sumValues([{ p: 1n, b: 2n, n: [1, 2] }, { p: 3n, b: 4n, n: [10, 20] }]), { p: 4n, b: 6n, n: [11, 22] });
  t.is(L.sumValues([5]), 5);
  t.throws(() => L.sumValues([Buffer.alloc(1), Buffer.alloc(1)]), { instanceOf: TypeError, message: /numeric value layout/ });
  t.throws(() => L.sumValues([]), { instanceOf: TypeError });
});

test('errors carry stable codes and serialize their data', (t) => {
  const v = new VerifierError('prog_x', 'EACCES', 13, ['0: (b7) r0 = 0', 'R1 invalid mem access', 'processed 2 insns (limit 1000000)']);
  t.is(v.code, 'VERIFIER');
  t.regex(v.message, /prog_x.*R1 invalid mem access/, 'the last meaningful line, not the statistics');
  t.true(v instanceof BpfError);
  t.deepEqual(v.toJSON().log, v.log);
  t.deepEqual(v.instruction, { index: 0, text: 'r0 = 0' }, 'the last instruction the log printed');
  // A log with line info: the C line before the instruction; register state after `;` is not part of it.
  t.deepEqual(failingInstruction([
    '0: R1=ctx() R10=fp0', '; __u8 *data = (void *)(long)skb->data; @ x.bpf.c:17', '0: (61) r1 = *(u32 *)(r1 +76)         ; R1=pkt(r=0)',
    '; return data[20]; @ x.bpf.c:18', '1: (71) r0 = *(u8 *)(r1 +20)', 'invalid access to packet, off=20 size=1, R1(id=0,off=20,r=0)',
  ]), { index: 1, text: 'r0 = *(u8 *)(r1 +20)', source: 'return data[20];', line: 'x.bpf.c:18' });
  t.is(failingInstruction(['libbpf: prog refused', 'processed 0 insns']), undefined);
  t.is(new VerifierError('p', 'EINVAL', 22, ['no instructions here']).instruction, undefined);
  const u = new UnsupportedFeatureError('tcx', 'bpf_link_create refused tcx_ingress: EINVAL', { minKernel: '6.6' });
  t.is(u.code, 'UNSUPPORTED');
  t.regex(u.message, /needs Linux 6\.6 or later/);
  const n = new BpfNotFoundError('interface', 'ifindex 99', 'in namespace x');
  t.like(n.toJSON(), { code: 'NOT_FOUND', kind: 'interface', object: 'ifindex 99', errno: 'ENOENT' });
});
