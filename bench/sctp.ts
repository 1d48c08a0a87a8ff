// bench/sctp: what the wire tracer costs per packet, next to the reference an operator would
// otherwise use (tshark decoding a capture), in one run:
//   - BPF_PROG_TEST_RUN with repeat on a 1-chunk, a 4-chunk and a 64-chunk packet: ns/packet
//     as the kernel measures the program, loaded as nodectl loads it (loadWireObject: the
//     same object, sizes and clock), best of RUNS runs and their median;
//   - tshark's CPU time (user+sys) per packet on a capture of the same packets, as the
//     difference between N and 2N copies so its start-up cost cancels out, best of 2;
//   - the floor of the same harness: an empty tc program, the coarse clock, one hash-map hit,
//     one slot-table hit (printed for reference, never subtracted);
//   - every wire object the kernel accepts (the default, the compact walk, the bounded walk of
//     kernels without bpf_loop), each as a multiple of the same run's empty program: the ratio
//     is what compares between kernels, and between a VM guest under emulation and a real CPU;
//   - reading ASSOCS associations from the map: as `sctp top` does per refresh (dump, compact
//     table ordered and flagged, objects for one screen), and as `sctp stats --json` does
//     (an object per association);
//   - decoding sctp_events records (struct sw_event → WireEvent, what the ring-buffer callback
//     does per event), on records built in memory.
// Targets from the issue: ≤ 150 ns for typical packets, ≥ 50× cheaper than tshark, 100,000
// associations ≤ 100 ms. Printed, never asserted.
//
// Why the best run: on a shared VM (this project's machines) other guests' load and steal time
// are added to a run, never taken off, and moved the median of three runs by ±50 ns from one
// minute to the next while the best of many short runs stayed within a few ns. The best is
// the program's own cost; the median, printed next to it, what a busy machine made of it.
// tshark's figure is a best too (of two runs), so the ratio compares like with like.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfObject, jiffyNs, type BpfProgram } from 'ebpf-ts';
import { chunk, sctpFrame, type Endpoint } from '../src/sctp/packet.js';
import { decodeRows, loadWireObject, WIRE_COMPACT_OBJECT, WIRE_NOLOOP_OBJECT, WIRE_OBJECT } from '../src/sctp/tracer.js';
import { assocRows } from '../src/sctp/rows.js';
import { AssocTable } from '../src/sctp/table.js';
import { formatTable } from '../src/text.js';
import { SwEvent, SwSlot } from '../src/sctp/generated/sctp-wire.js';
import { decodeEvent } from '../src/sctp/model.js';

const REPEAT = Number(process.env.REPEAT ?? 20_000);
const RUNS = Number(process.env.RUNS ?? 41);
const PACKETS = Number(process.env.PACKETS ?? 20_000);
const ASSOCS = Number(process.env.ASSOCS ?? 100_000);

const A: Endpoint = { mac: '02:00:00:00:00:0a', ip: '10.9.0.1', port: 3868 };
const B: Endpoint = { mac: '02:00:00:00:00:0b', ip: '10.9.0.2', port: 3868 };
const dataChunks = (n: number, size: number) => Array.from({ length: n }, (_, i) => chunk.data({ tsn: 1000 + i, size }));
const PKTS: Array<{ name: string; frame: Buffer }> = [
  { name: '1 chunk (DATA, 1200 B)', frame: sctpFrame(A, B, 7, dataChunks(1, 1200)) },
  { name: '4 chunks (SACK+3 DATA)', frame: sctpFrame(A, B, 7, [chunk.sack({ cumTsn: 5, aRwnd: 65536, gaps: [[2, 3]] }), ...dataChunks(3, 300)]) },
  { name: '64 chunks (DATA, 16 B)', frame: sctpFrame(A, B, 7, dataChunks(64, 16)) },
];

function pcap(frames: Buffer[]): Buffer {
  const gh: Buffer = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0);
  gh.writeUInt16LE(2, 4);
  gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(65535, 16);
  gh.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  const parts: Buffer[] = [gh];
  frames.forEach((f, i) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1_700_000_000 + Math.floor(i / 1000), 0);
    h.writeUInt32LE((i % 1000) * 1000, 4);
    h.writeUInt32LE(f.length, 8);
    h.writeUInt32LE(f.length, 12);
    parts.push(h, f);
  });
  return Buffer.concat(parts);
}

// bash's own `time` (children's user and system CPU, to the millisecond): bash is on every
// machine this runs on, the `time` package is not (the VM guests' image has none).
function tsharkCpuSeconds(file: string): number {
  const script = 'TIMEFORMAT="%3U %3S"; time tshark -r "$1" -T fields -e sctp.chunk_type -e sctp.data_tsn -e sctp.sack_a_rwnd >/dev/null';
  const r = spawnSync('bash', ['-c', script, 'bash', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  const last = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return last[0]! + last[1]!;
}

const FLOOR_OBJECT = fileURLToPath(new URL('../bpf/sctp_wire_floor.bpf.o', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'nctl-bench-sctp-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// RUNS runs of REPEAT each, the frames interleaved run by run: best and median ns/packet.
type Measured = Array<{ best: number; median: number }>;
const measure = (prog: BpfProgram, frames: Buffer[]): Measured => {
  const runs = frames.map(() => [] as number[]);
  for (let r = 0; r < RUNS; r++) frames.forEach((f, i) => runs[i]!.push(prog.testRun(f, REPEAT).durationNs));
  return runs.map((x) => {
    x.sort((a, b) => a - b);
    return { best: x[0]!, median: x[x.length >> 1]! };
  });
};
const jiffy = jiffyNs();
console.log(`SCTP wire tracer: BPF_PROG_TEST_RUN × ${REPEAT} per packet, best and median of ${RUNS} runs, vs tshark CPU per packet (${PACKETS} vs ${2 * PACKETS} packets, best of 2)`);
const base = (path: string) => path.replace(/.*\//, '');
// one line: a verifier's refusal runs to thousands
const refusal = (err: unknown) => `${(err as { code?: string }).code ?? 'error'}: ${String((err as Error).message).split('\n')[0]!.slice(0, 160)}`;

// Every wire object, not only the one nodectl takes: where the kernel's verifier accepts a
// variant (the bounded walk for kernels without bpf_loop, the compact walk), its cost is
// measured in the same run, so what a variant costs is known on each kernel. Under emulation
// (the VM guests) the nanoseconds are not a real machine's; the ratios to the same run's
// floor are what to compare between kernels.
const measureWire = (obj: BpfObject): Measured => {
  try {
    return measure(obj.program('sctp_wire_ingress'), PKTS.map((p) => p.frame));
  } finally {
    obj.close();
  }
};
const tracerObj = loadWireObject();
const chosen = tracerObj.source;
console.log(`tracer as nodectl loads it: ${base(chosen)}, coarse clock ${jiffy ? `jiffies × ${jiffy} ns (CONFIG_HZ from the kernel's config)` : 'bpf_ktime_get_coarse_ns() (CONFIG_HZ unknown)'}\n`);
const tracer = measureWire(tracerObj);
const variants = new Map<string, Measured | string>([[chosen, tracer]]);
for (const path of [WIRE_OBJECT, WIRE_COMPACT_OBJECT, WIRE_NOLOOP_OBJECT].filter((p) => p !== chosen)) {
  let obj: BpfObject;
  try {
    obj = loadWireObject({ objectPath: path });
  } catch (err) {
    variants.set(path, `refused by this kernel (${refusal(err)})`);
    continue;
  }
  variants.set(path, measureWire(obj));
}
const rows: string[][] = [];
PKTS.forEach((p, i) => {
  const f1 = join(dir, `a${i}.pcap`);
  const f2 = join(dir, `b${i}.pcap`);
  writeFileSync(f1, pcap(Array.from({ length: PACKETS }, () => p.frame)));
  writeFileSync(f2, pcap(Array.from({ length: 2 * PACKETS }, () => p.frame)));
  const best = (f: string) => Math.min(tsharkCpuSeconds(f), tsharkCpuSeconds(f));
  const shark = ((best(f2) - best(f1)) / PACKETS) * 1e9;
  const ns = tracer[i]!.best;
  const ok = (i < 2 ? ns <= 150 : true) && shark / ns >= 50;
  rows.push([p.name, String(p.frame.length), ns.toFixed(0), `(${tracer[i]!.median.toFixed(0)})`, shark.toFixed(0), `${(shark / ns).toFixed(0)}×`, `${i < 2 ? '≤150 ns, ' : ''}≥50× ${ok ? 'met' : 'MISSED'}`]);
});
console.log(formatTable(['packet', 'bytes', 'tracer ns/pkt', '(median)', 'tshark ns/pkt', 'ratio', 'target'], rows));

// The harness's own floor on this machine in this run, for reading the figures above (the
// target is on the tracer's figure as it is: nothing is subtracted from it). Same frame
// (1 chunk), same repeat count; programs in bpf/sctp_wire_floor.bpf.c, each loaded alone
// because a kernel may lack a helper one of them calls (5.10: the coarse clock, 5.11).
const FLOORS: Array<[string, string]> = [
  ['floor_empty', 'empty tc program (call + test-run loop)'],
  ['floor_clock', 'empty + coarse clock helper (bpf_ktime_get_coarse_ns): the tracer\'s clock where CONFIG_HZ is unknown'],
  ['floor_jiffies', 'empty + jiffies (bpf_jiffies64, inlined by the verifier): the tracer\'s clock where CONFIG_HZ is known'],
  ['floor_lookup', 'empty + one hash-map hit on the 44-byte association key'],
  ['floor_lookup_clock', 'empty + hash-map hit + coarse clock helper: what the tracer paid before parsing until the slot table'],
  ['floor_slot', 'empty + one slot-table hit (hash, inlined array lookup, key compare)'],
  ['floor_slot_clock', 'empty + slot-table hit + coarse clock helper: what every traced packet paid before parsing until the jiffies clock'],
];
console.log(`\nfloor under the same harness (for reference only; 1-chunk frame, best and median of ${RUNS}):`);
let empty = 0;
for (const [prog, what] of FLOORS) {
  let floorObj: BpfObject;
  try {
    floorObj = BpfObject.load(FLOOR_OBJECT, { programs: [prog] });
  } catch (err) {
    console.log(`      -        -   ${what.replace(/:.*/, '')}: refused by this kernel (${refusal(err)})`);
    continue;
  }
  try {
    const m = measure(floorObj.program(prog), [PKTS[0]!.frame])[0]!;
    if (prog === 'floor_empty') empty = m.best;
    console.log(`  ${String(m.best).padStart(5)} ns ${`(${m.median})`.padStart(6)}  ${what}`);
  } finally {
    floorObj.close();
  }
}
console.log('  (repeats of one frame: after the first run every DATA chunk is a retransmission, so the\n   tracer figures above include its retransmission bookkeeping)');

// Each object against the empty program of the same run: "× empty" is what to compare between
// kernels and machines (a TCG guest's nanoseconds are not a real CPU's).
console.log(`\nevery wire object on this kernel (best ns/packet of ${RUNS} runs, and × the empty program's ${empty || '?'} ns):`);
const vrows: string[][] = [];
const times = (ns: number) => (empty ? `${ns} (${(ns / empty).toFixed(1)}×)` : String(ns));
for (const [path, m] of variants) {
  if (typeof m === 'string') continue;
  const vsChosen = `${m.map((x, i) => (x.best / tracer[i]!.best).toFixed(2)).join(' / ')} × the loaded one`;
  vrows.push([base(path), ...m.map((x) => times(x.best)), path === chosen ? '← nodectl loads this one here' : vsChosen]);
}
console.log(formatTable(['object', ...PKTS.map((p) => p.name.replace(/ \(.*/, '')), ''], vrows));
for (const [path, m] of variants) if (typeof m === 'string') console.log(`${base(path)}: ${m}`);

// Reading associations: ASSOCS distinct associations created by the program itself (one
// BPF_PROG_TEST_RUN per association's first packet, so each lands where the tracer puts it:
// its slot, or the fallback map on a collision), then what `sctp top` and `sctp stats` do.
const obj = loadWireObject({ maxAssociations: Math.ceil(ASSOCS * 1.25) });
try {
  const prog = obj.program('sctp_wire_ingress');
  const peer: Endpoint = { mac: '02:00:00:00:00:0b', ip: '10.255.0.1', port: 3868 };
  for (let i = 0; i < ASSOCS; i++) {
    const me: Endpoint = { mac: '02:00:00:00:00:0a', ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 3868 };
    prog.testRun(sctpFrame(me, peer, 7, [chunk.data({ tsn: 1, size: 16 }), chunk.sack({ cumTsn: 5, aRwnd: 1000 })]));
  }
  const slots = obj.map('sctp_slots').mmap();
  const fallback = obj.map('sctp_assocs');
  // one untimed run first: a refreshing `sctp top` runs warm (compiled, buffers sized)
  const median = (f: () => number) => {
    f();
    const t: number[] = [];
    for (let r = 0; r < 5; r++) t.push(f());
    return t.sort((a, b) => a - b)[2]!;
  };
  const since = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
  let count = 0;
  let readOnly = 0;
  let inFallback = 0;
  let previous: AssocTable | undefined;
  // what `sctp top` does per refresh: read the rows (copy of the mapped slot table + batch dump
  // of the fallback), the compact table (every row ordered and flagged, against the previous
  // refresh), Association objects for one screen (50 rows)
  const top = median(() => {
    const t0 = process.hrtime.bigint();
    const d = fallback.dumpRaw();
    const rows = assocRows(slots, d);
    readOnly = since(t0);
    inFallback = d.count;
    const table = new AssocTable(rows, Number(process.hrtime.bigint()), { previous });
    const views = table.top('activity', 50).map((i) => table.view(i));
    previous = table;
    count = table.count;
    if (views.length !== 50) throw new Error('top: expected 50 rows');
    return since(t0);
  });
  console.log(`\nreading ${count} associations for sctp top (read + ordered, flagged table + one 50-row screen): median ${top.toFixed(1)} ms of 5 runs after a warm-up run, of which the last read ${readOnly.toFixed(1)} ms: ${count - inFallback} associations read in place from the mapped slot table (${slots.length / 2 ** 20 | 0} MiB, ${slots.length / SwSlot.size} slots), ${inFallback} from a batch dump of the fallback map (target ≤ 100 ms: ${top <= 100 ? 'met' : 'MISSED'})`);
  if (count !== ASSOCS) console.log(`  (!) ${ASSOCS - count} associations not recorded`);
  const full = median(() => {
    const t0 = process.hrtime.bigint();
    const assocs = decodeRows(assocRows(slots, fallback.dumpRaw()), Number(process.hrtime.bigint()));
    count = assocs.length;
    return since(t0);
  });
  console.log(`reading ${count} associations as objects for sctp stats --json (read + full decode): median ${full.toFixed(1)} ms of 5 runs after a warm-up run`);
} finally {
  obj.close();
}

// The ring-buffer consumer's own share: decodeEvent per record, at the generated layout's
// offsets (the kernel → callback path itself is bench/ebpf-maps').
{
  const recs = Array.from({ length: 1000 }, (_, i) => SwEvent.encode({
    ts_ns: 5e12 + i, duration_ns: 1_500_000, type: 1 + (i % 8), dir: i & 1, cause: 12, value: i,
    key: { addr: [Buffer.from([10, 0, i >> 8, i & 255]), Buffer.from([10, 255, 0, 1])], port: [3868, 3868], ifindex: 2, family: 4, pad: Buffer.alloc(3) },
  }));
  const runs: number[] = [];
  let sink = 0;
  for (let r = 0; r < 6; r++) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < 100; k++) for (const rec of recs) sink += decodeEvent(rec).value;
    runs.push(Number(process.hrtime.bigint() - t0) / 100_000);
  }
  if (sink <= 0) throw new Error('decodeEvent: no values read');
  const med = runs.slice(1).sort((a, b) => a - b)[2]!;
  console.log(`decoding sctp_events records (struct sw_event → WireEvent): median ${med.toFixed(0)} ns/event of 5 runs × 100,000 after a warm-up run`);
}
