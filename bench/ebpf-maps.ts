// bench/ebpf-maps: a hash map of ENTRIES entries (u32 -> {packets u64, bytes u64}), pinned so
// bpftool reads the very same kernel map. Prints, in one run, entries/s of ebpf-ts's batch dump
// (raw buffers, and decoded to JS objects), of the get_next_key path, and of
// `bpftool map dump pinned … -j`, with the ratios. Nothing is asserted: these are measurements.
// The pin and the map are removed on exit, even on failure or Ctrl-C.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { BpfMap, MapType, layout as L, pinMap } from 'ebpf-ts';

const ENTRIES = Number(process.env.ENTRIES ?? 100_000);
const RUNS = Number(process.env.RUNS ?? 7);
const dir = `/sys/fs/bpf/nctl-bench-${randomBytes(3).toString('hex')}`;

process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

if (process.geteuid?.() !== 0) {
  console.error('bench/ebpf-maps: needs root (bpf(2))');
  process.exit(1);
}

const Val = L.struct({ packets: L.u64, bytes: L.u64 });
const raw = BpfMap.create({ type: MapType.HASH, name: 'nctl_bench', keySize: 4, valueSize: Val.size, maxEntries: ENTRIES });
const map = raw.typed(L.u32, Val);
const mapNum = raw.typed(L.u32, L.struct({ packets: L.u64n, bytes: L.u64n }));
const CHUNK = 10_000;
for (let i = 0; i < ENTRIES; i += CHUNK) {
  map.updateBatch(Array.from({ length: Math.min(CHUNK, ENTRIES - i) }, (_, j) => [i + j, { packets: BigInt(i + j), bytes: BigInt((i + j) * 1500) }]));
}
const path = `${dir}/map`;
pinMap(map, path);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// The variants take turns within each round, so a busy machine slows them alike and the ratios
// stay meaningful even when the absolute times do not.
const variants: Array<[string, () => number]> = [
  ['batch raw', () => raw.dumpRaw().count],
  ['batch typed', () => map.entries().length],
  ['batch typed u64n', () => mapNum.entries().length],
  ['next_key', () => raw.dumpRaw({ batch: false }).count],
  ['bpftool', () => {
    const r = spawnSync('bpftool', ['map', 'dump', 'pinned', path, '-j'], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`bpftool failed: ${r.stderr}`);
    return r.stdout.toString('latin1').split('"key":').length - 1; // one "key" per entry
  }],
];
const samples = new Map<string, number[]>(variants.map(([n]) => [n, []]));
for (let round = -1; round < RUNS; round++) {
  for (const [name, fn] of variants) {
    const t0 = process.hrtime.bigint();
    const n = fn();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (n !== ENTRIES) throw new Error(`${name}: read ${n} of ${ENTRIES} entries`);
    if (round >= 0) samples.get(name)!.push(ms); // round -1 warms up
  }
}
const [batchRaw, batchTyped, batchNum, nextKey, bpftool] = variants.map(([n]) => median(samples.get(n)!)) as [number, number, number, number, number];

const rate = (ms: number) => `${Math.round(ENTRIES / (ms / 1000)).toLocaleString('en-US')} entries/s`;
const row = (name: string, ms: number) => console.log(`${name.padEnd(44)} ${ms.toFixed(1).padStart(8)} ms  ${rate(ms).padStart(22)}  ${(bpftool / ms).toFixed(1).padStart(6)}× bpftool`);
console.log(`hash map, ${ENTRIES.toLocaleString('en-US')} entries (u32 -> 16-byte value), median of ${RUNS} runs`);
row('ebpf-ts batch dump, raw buffers', batchRaw);
row('ebpf-ts entries(), decoded to JS objects', batchTyped);
row('ebpf-ts entries(), u64 as number (u64n)', batchNum);
row('ebpf-ts get_next_key + lookup (no batch)', nextKey);
row('bpftool map dump pinned … -j', bpftool);
console.log(`target: entries() ≥ 5× bpftool → ${(bpftool / batchTyped).toFixed(1)}× ${bpftool / batchTyped >= 5 ? 'met' : 'NOT met'}`);
map.close();
