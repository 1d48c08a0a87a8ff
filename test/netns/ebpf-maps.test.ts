// Maps through ebpf-ts against bpftool's view of the same map: lookup/update/delete, iteration,
// batch dump, per-CPU values, typed layouts, pinning on bpffs.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { rmSync, statSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { BpfError, BpfMap, BpfNotFoundError, MapType, layout as L, openPinnedMap, pinMap, possibleCpus, unpin } from 'ebpf-ts';
import { isRoot } from '../helpers/netns.js';

const Val = L.struct({ packets: L.u64, bytes: L.u64 });

function bpftoolDump(id: number): Array<{ key: string[]; value: string[] }> {
  return JSON.parse(execFileSync('bpftool', ['map', 'dump', 'id', String(id), '-j'], { encoding: 'utf8', maxBuffer: 256 << 20 }));
}
const hexBytes = (b: Buffer) => [...b].map((x) => `0x${x.toString(16).padStart(2, '0')}`);

test('hash map: update/lookup/delete/keys/entries agree with bpftool; update modes fail with the kernel errno', (t) => {
  if (!isRoot()) return void t.fail('needs root');
  const raw = BpfMap.create({ type: MapType.HASH, name: 'nctl_t_hash', keySize: 4, valueSize: 16, maxEntries: 64 });
  t.teardown(() => raw.close());
  const m = raw.typed(L.u32, Val);
  for (let i = 1; i <= 10; i++) m.update(i, { packets: BigInt(i), bytes: BigInt(i * 100) });
  t.deepEqual(m.lookup(3), { packets: 3n, bytes: 300n });
  t.is(m.lookup(99), undefined);
  t.true(m.delete(10));
  t.false(m.delete(10));
  t.deepEqual(m.keys().sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9]);

  const ours = m.entries();
  t.is(ours.length, 9);
  const theirs = bpftoolDump(raw.info().id);
  t.is(theirs.length, 9);
  for (const [k, v] of ours) {
    const e = theirs.find((x) => x.key.join() === hexBytes(L.u32.encode(k)).join());
    t.truthy(e, `bpftool has key ${k}`);
    t.deepEqual(e!.value, hexBytes(Val.encode(v)));
  }
  const byKey = (e: Array<[number, unknown]>) => [...e].sort(([a], [b]) => a - b);
  t.deepEqual(byKey(m.batchLookup({ chunk: 2 })), byKey(ours), 'batch lookup in small chunks reads the same');
  t.deepEqual(byKey([...m]), byKey(ours), 'iterable');

  const exists = t.throws(() => m.update(1, { packets: 0n, bytes: 0n }, 'noexist'), { instanceOf: BpfError });
  t.is(exists.errno, 'EEXIST');
  const absent = t.throws(() => m.update(1000, { packets: 0n, bytes: 0n }, 'exist'), { instanceOf: BpfError });
  t.is(absent.errno, 'ENOENT');
  t.is(m.updateBatch(Array.from({ length: 55 }, (_, i) => [100 + i, { packets: 1n, bytes: 1n }] as [number, { packets: bigint; bytes: bigint }])), 55);
  const full = t.throws(() => m.update(5000, { packets: 0n, bytes: 0n }), { instanceOf: BpfError });
  t.is(full.errno, 'E2BIG', 'the 65th entry of a 64-entry map');

  t.throws(() => raw.typed(L.u64, Val), { instanceOf: TypeError, message: /key layout is 8 bytes/ });
});

test('per-CPU maps: one slot per possible CPU, summed on lookup', (t) => {
  if (!isRoot()) return void t.fail('needs root');
  const n = possibleCpus();
  const raw = BpfMap.create({ type: MapType.PERCPU_HASH, name: 'nctl_t_pcpu', keySize: 4, valueSize: 8, maxEntries: 8 });
  t.teardown(() => raw.close());
  const m = raw.typed(L.u32, L.u64);
  m.updatePerCpu(1, Array.from({ length: n }, (_, i) => BigInt(i + 1)));
  t.deepEqual(m.lookupPerCpu(1), Array.from({ length: n }, (_, i) => BigInt(i + 1)));
  t.is(m.lookup(1), BigInt((n * (n + 1)) / 2));
  m.update(2, 5n);
  t.is(m.lookup(2), BigInt(5 * n), 'update() puts the value on every CPU');
  t.deepEqual(m.entries().sort(([a], [b]) => a - b), [[1, BigInt((n * (n + 1)) / 2)], [2, BigInt(5 * n)]]);
  t.deepEqual(m.entriesPerCpu().find(([k]) => k === 2)?.[1], Array.from({ length: n }, () => 5n));
  const theirs = bpftoolDump(raw.info().id);
  t.is(theirs.length, 2);
  t.throws(() => raw.lookup(Buffer.alloc(4)), { instanceOf: TypeError, message: /per-CPU/ });
  t.throws(() => m.updatePerCpu(1, [1n]), { instanceOf: TypeError });
});

test('array map: every index exists; iteration covers max_entries', (t) => {
  if (!isRoot()) return void t.fail('needs root');
  const m = BpfMap.create({ type: MapType.ARRAY, name: 'nctl_t_arr', keySize: 4, valueSize: 4, maxEntries: 16 }).typed(L.u32, L.u32);
  t.teardown(() => m.close());
  m.update(5, 55);
  const e = m.entries();
  t.is(e.length, 16);
  t.deepEqual(e[5], [5, 55]);
  t.is(m.lookup(15), 0);
  t.is(m.lookup(16), undefined);
});

test('pin on bpffs (mounted if absent), 0600, readable by bpftool and by openPinnedMap, then unpinned', (t) => {
  if (!isRoot()) return void t.fail('needs root');
  const dir = `/sys/fs/bpf/nctl-t-${randomBytes(4).toString('hex')}`;
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const m = BpfMap.create({ type: MapType.HASH, name: 'nctl_t_pin', keySize: 4, valueSize: 4, maxEntries: 8 }).typed(L.u32, L.u32);
  t.teardown(() => m.close());
  m.update(7, 700);
  const path = `${dir}/counts`;
  pinMap(m, path);
  t.is(statSync(path).mode & 0o777, 0o600);
  const shown = JSON.parse(execFileSync('bpftool', ['map', 'show', 'pinned', path, '-j'], { encoding: 'utf8' })) as { id: number; name: string };
  t.is(shown.id, m.info().id);
  const again = openPinnedMap(path, { key: L.u32, value: L.u32 });
  t.is(again.lookup(7), 700);
  again.update(8, 800);
  t.is(m.lookup(8), 800, 'same kernel map');
  again.close();
  t.throws(() => pinMap(m, path), { instanceOf: BpfError, message: /EEXIST/ });
  t.true(unpin(path));
  t.false(existsSync(path));
  t.false(unpin(path));
  t.throws(() => openPinnedMap(path), { instanceOf: BpfNotFoundError });
  t.throws(() => pinMap(m, `/tmp/nctl-not-bpffs-${randomBytes(2).toString('hex')}/x`), { instanceOf: BpfError, message: /not on a bpf file system/ });
});
