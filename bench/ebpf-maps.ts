// bench/ebpf-maps: a hash map of ENTRIES entries (u32 -> {packets u64, bytes u64}), pinned so
// bpftool reads the very same kernel map. Prints, in one run, entries/s of ebpf-ts's batch dump
// (raw buffers, and decoded to JS objects), of the get_next_key path, and of
// `bpftool map dump pinned … -j`, with the ratios.
// Then a ring buffer: the package's example object (udpcount.bpf.o) run with BPF_PROG_TEST_RUN
// on a UDP frame writes one record per run. Its cost per record to a JavaScript callback is
// printed beside libbpf's own C consumer reading the same pinned ring (bench/ebpf-ringbuf-ref.c,
// compiled here): draining records already in the ring, and a stream of RB_RATE records/s from
// a separate producer process, where the cost is the consumer's CPU time per record.
// Nothing is asserted: these are measurements. Pins and maps are removed on exit, even on
// failure or Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfMap, BpfObject, MapType, layout as L, pinFd, pinMap } from 'ebpf-ts';
import { onExit } from './on-exit.js';

const ENTRIES = Number(process.env.ENTRIES ?? 100_000);
const RUNS = Number(process.env.RUNS ?? 7);
const RB_RATE = Number(process.env.RB_RATE ?? 100_000);
const RB_SECONDS = Number(process.env.RB_SECONDS ?? 3);
const dir = `/sys/fs/bpf/nctl-bench-${randomBytes(3).toString('hex')}`;
const work = mkdtempSync(join(tmpdir(), 'nctl-bench-'));

onExit(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

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

// ---- ring buffer: ebpf-ts vs libbpf's C consumer on the same ring -------------------------

const ref = join(work, 'ebpf-ringbuf-ref');
const cc = spawnSync('cc', ['-O2', '-o', ref, fileURLToPath(new URL('ebpf-ringbuf-ref.c', import.meta.url)), '-lbpf'], { encoding: 'utf8' });
if (cc.status !== 0) throw new Error(`cannot build the C reference (cc, libbpf-dev): ${cc.error?.message ?? cc.stderr}`);

const obj = BpfObject.load(fileURLToPath(new URL('../packages/ebpf-ts/test/fixtures/udpcount.bpf.o', import.meta.url)), { maxEntries: { datagrams: 1 << 24 } });
const prog = obj.program('udp_egress');
const progPin = `${dir}/prog`;
const ringPin = `${dir}/ring`;
pinFd(prog.fd, progPin, 'program udp_egress');
pinMap(obj.map('datagrams'), ringPin);
// Ethernet + IPv4 (ihl 5, UDP) + UDP + 8 bytes: what the program counts (checksums do not matter to it).
const frame = Buffer.alloc(14 + 20 + 8 + 8);
frame.writeUInt16BE(0x0800, 12);
frame[14] = 0x45;
frame.writeUInt16BE(20 + 8 + 8, 16);
frame[14 + 8] = 64;
frame[14 + 9] = 17;
frame.set([10, 0, 0, 1], 14 + 12);
frame.set([10, 0, 0, 2], 14 + 16);
frame.writeUInt16BE(4000, 34);
frame.writeUInt16BE(5000, 36);
frame.writeUInt16BE(16, 38);

let jsSeen = 0;
const rb = obj.ringBuffer('datagrams');
rb.on('data', (rec) => {
  jsSeen += rec[0]! >= 0 ? 1 : 0; // touch the record, as the C reference does
});
rb.pause(); // the drain rows consume by hand; the stream rows resume polling
const produce = (n: number) => {
  for (let left = n; left > 0; left -= 50_000) prog.testRun(frame, Math.min(left, 50_000));
};
const cRun = (args: string[]) => {
  const r = spawnSync(ref, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ebpf-ringbuf-ref ${args[0]}: ${r.stderr}`);
  return r.stdout.trim().split(/\s+/).map(Number);
};
cRun(['drain', ringPin]); // start empty

const DRAIN = 100_000;
const drainJs: number[] = [];
const drainC: number[] = [];
for (let round = -1; round < RUNS; round++) {
  produce(DRAIN);
  jsSeen = 0;
  const t0 = process.hrtime.bigint();
  rb.consume();
  const ns = Number(process.hrtime.bigint() - t0);
  if (jsSeen !== DRAIN) throw new Error(`ebpf-ts drained ${jsSeen} of ${DRAIN} records`);
  produce(DRAIN);
  const [n, cns] = cRun(['drain', ringPin]) as [number, number];
  if (n !== DRAIN) throw new Error(`C drained ${n} of ${DRAIN} records`);
  if (round >= 0) {
    drainJs.push(ns / DRAIN);
    drainC.push(cns / DRAIN);
  }
}

/** The producer: a separate process paced at RB_RATE records/s (batches every millisecond). */
function producer(): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(ref, ['produce', progPin, frame.toString('hex'), String(RB_RATE), String(RB_SECONDS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`producer exited ${code}`))));
  });
}

async function streamJs(): Promise<{ n: number; cpuNs: number }> {
  jsSeen = 0;
  const c0 = process.cpuUsage();
  rb.resume();
  const asked = await producer();
  const deadline = Date.now() + 5000;
  while (jsSeen < asked && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  rb.pause();
  const c = process.cpuUsage(c0);
  if (jsSeen !== asked) throw new Error(`ebpf-ts streamed ${jsSeen} of ${asked} records`);
  // The producer is another process: this process's CPU time is the consumer's (and its timers').
  return { n: jsSeen, cpuNs: (c.user + c.system) * 1000 };
}

async function streamC(): Promise<{ n: number; cpuNs: number }> {
  const want = Math.round(RB_RATE * RB_SECONDS);
  const c = spawn(ref, ['stream', ringPin, String(want)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const done = new Promise<void>((resolve, reject) => c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`C consumer exited ${code}`)))));
  await new Promise<void>((resolve) => c.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('ready')) resolve();
  }));
  const asked = await producer();
  await done;
  const [n, cpuNs] = out.replace('ready', '').trim().split(/\s+/).map(Number) as [number, number];
  if (n !== asked) throw new Error(`C streamed ${n} of ${asked} records`);
  return { n, cpuNs };
}

const streamJsNs: number[] = [];
const streamCNs: number[] = [];
const STREAM_RUNS = Math.max(1, Math.min(RUNS, 3));
for (let round = 0; round < STREAM_RUNS; round++) {
  const j = await streamJs();
  streamJsNs.push(j.cpuNs / j.n);
  const c = await streamC();
  streamCNs.push(c.cpuNs / c.n);
}
const us = (ns: number) => `${(ns / 1000).toFixed(2).padStart(6)} µs/record`;
console.log(`\nring buffer (udpcount.bpf.o, 12-byte records), ebpf-ts 'data' callback vs libbpf's C consumer`);
console.log(`${'drain 100,000 ready records: ebpf-ts'.padEnd(52)} ${us(median(drainJs))}  (median of ${RUNS})`);
console.log(`${'drain 100,000 ready records: libbpf C'.padEnd(52)} ${us(median(drainC))}  ${(median(drainJs) / median(drainC)).toFixed(1)}× C`);
const streamLabel = `stream ${RB_RATE.toLocaleString('en-US')}/s for ${RB_SECONDS} s, consumer CPU`;
console.log(`${`${streamLabel}: ebpf-ts`.padEnd(52)} ${us(median(streamJsNs))}  (median of ${STREAM_RUNS})`);
console.log(`${`${streamLabel}: libbpf C`.padEnd(52)} ${us(median(streamCNs))}  ${(median(streamJsNs) / median(streamCNs)).toFixed(1)}× C`);
console.log(`target: ≤ 2 µs per record at ${RB_RATE.toLocaleString('en-US')}/s → ${(median(streamJsNs) / 1000).toFixed(2)} µs ${median(streamJsNs) <= 2000 ? 'met' : 'NOT met'}`);
rb.close();
obj.close();
