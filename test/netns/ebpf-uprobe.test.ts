// uprobes and the perf buffer: a tiny C program (compiled here) calls one function N times; a
// uprobe and a uretprobe on it count the calls of that one process and send a record per entry
// and return through a perf event array, read on the event loop. No network is involved, so
// nothing here runs in a namespace; the probes are limited to the child's pid.
import test, { type ExecutionContext } from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfObject, BpfError, PerfBuffer, UnsupportedFeatureError, kernelAtLeast, layout as L, type LayoutValue } from 'ebpf-ts';
import { isRoot } from '../helpers/netns.js';
import { linkedProgIds, obj } from '../helpers/ebpf.js';
import { testIf } from '../helpers/require.js';

const CallEvent = L.struct({ tgid: L.u32, kind: L.u32, value: L.s64 });
type CallEvent = LayoutValue<typeof CallEvent>;
const ENTRY = 0;
const RETURN = 1;

const TARGET_C = `
#include <stdio.h>
#include <stdlib.h>
/* noinline and an empty asm: the call must stay a call for the probe to see it */
__attribute__((noinline)) long nctl_probe_target(long x) { __asm__ volatile(""); return 2 * x + 1; }
int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 0, sum = 0;
  char line[8];
  if (!fgets(line, sizeof line, stdin)) return 1; /* wait until the test has attached */
  for (long i = 0; i < n; i++) sum += nctl_probe_target(i);
  printf("%ld\\n", sum);
  return 0;
}
`;

/** The target program, built once per test file (cc comes with build-essential, which scripts/setup installs). */
function buildTarget(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-uprobe-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'target.c'), TARGET_C);
  const bin = join(dir, 'target');
  const cc = spawnSync('cc', ['-O1', '-o', bin, join(dir, 'target.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc failed: ${cc.error?.message ?? cc.stderr}`);
  return bin;
}

/** Start the target (it waits on stdin), let `attach` run with its pid, then let it make n calls. */
async function runTarget(bin: string, n: number, attach: (pid: number) => void): Promise<string> {
  const child = spawn(bin, [String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    attach(child.pid!);
  } catch (err) {
    child.kill();
    await done;
    throw err;
  }
  child.stdin.end('go\n');
  const code = await done;
  if (code !== 0) throw new Error(`target exited ${code}`);
  return out.trim();
}

testIf('uprobe').serial('uprobe + uretprobe on one pid: exact call counts, every argument and return value through the perf buffer', async (t) => {
  if (!isRoot()) return void t.fail('needs root');
  const bin = buildTarget(t);
  const o = BpfObject.load(obj('test_uprobe'));
  t.teardown(() => o.close());
  const pb = o.perfBuffer('call_events', { decode: CallEvent });
  t.true(pb instanceof PerfBuffer);
  const events: CallEvent[] = [];
  pb.on('data', (e) => events.push(e));
  const N = 25;
  let ids: number[] = [];
  const out = await runTarget(bin, N, (pid) => {
    const a = o.program('on_entry').attachUprobe({ binary: bin, func: 'nctl_probe_target', pid });
    const r = o.program('on_return').attachUprobe({ binary: bin, func: 'nctl_probe_target', pid });
    t.is(a.kind, 'uprobe');
    t.is(r.kind, 'uretprobe');
    t.regex(a.target, /:nctl_probe_target pid \d+$/);
    ids = [o.program('on_entry').info().id, o.program('on_return').info().id];
  });
  t.is(out, String(N * N), 'the target ran its N calls');
  // a uprobe is a perf-event attachment: a BPF link bpftool lists only from 5.15
  if (kernelAtLeast('5.15')) for (const id of ids) t.true(linkedProgIds().has(id), `bpftool link show lists program ${id}`);
  else t.log('this kernel attaches uprobes without a BPF link (5.15+): bpftool link show not checked');
  const calls = o.map('calls', { key: L.u32, value: L.u64 });
  t.is(calls.lookup(ENTRY), BigInt(N), 'one entry per call');
  t.is(calls.lookup(RETURN), BigInt(N), 'one return per call');
  // Records are in the per-CPU rings by now (the program wrote them before the call returned);
  // consume() delivers what the loop has not yet.
  pb.consume();
  const entries = events.filter((e) => e.kind === ENTRY).map((e) => Number(e.value)).sort((x, y) => x - y);
  const returns = events.filter((e) => e.kind === RETURN).map((e) => Number(e.value)).sort((x, y) => x - y);
  t.deepEqual(entries, Array.from({ length: N }, (_, i) => i), 'every argument, once');
  t.deepEqual(returns, Array.from({ length: N }, (_, i) => 2 * i + 1), 'every return value, once');
  t.true(events.every((e) => e.tgid === events[0]!.tgid), 'all from the one process');
  t.is(pb.lost, 0, 'no sample lost');
  o.close();
  for (const id of ids) t.false(linkedProgIds().has(id), 'no link left after close');
});

testIf('uprobe').serial('a uprobe limited to one pid does not count another process running the same binary', async (t) => {
  if (!isRoot()) return void t.fail('needs root');
  const bin = buildTarget(t);
  const o = BpfObject.load(obj('test_uprobe'));
  t.teardown(() => o.close());
  const calls = o.map('calls', { key: L.u32, value: L.u64 });
  let firstPid = 0;
  await runTarget(bin, 3, (pid) => {
    firstPid = pid;
    o.program('on_entry').attachUprobe({ binary: bin, func: 'nctl_probe_target', pid });
  });
  await runTarget(bin, 7, () => undefined); // another process: same binary, not probed
  t.true(firstPid > 0);
  t.is(calls.lookup(ENTRY), 3n, 'only the probed process counted');
});

testIf('uprobe').serial('a function the binary does not have: one clear error, nothing attached', (t) => {
  if (!isRoot()) return void t.fail('needs root');
  const bin = buildTarget(t);
  const o = BpfObject.load(obj('test_uprobe'));
  t.teardown(() => o.close());
  const err = t.throws(() => o.program('on_entry').attachUprobe({ binary: bin, func: 'no_such_function' }), { instanceOf: BpfError });
  t.regex(err!.message, /uprobe.*no_such_function.*ENOENT/);
  t.false(err instanceof UnsupportedFeatureError, 'the kernel has uprobes: not an unsupported-feature error');
  t.deepEqual(o.attachments(), []);
  t.throws(() => o.program('on_entry').attachUprobe({ binary: bin }), { instanceOf: TypeError, message: /give func or offset/ });
});

test.serial('perf buffer: the map type is checked, and pagesPerCpu must be a power of two', (t) => {
  if (!isRoot()) return void t.fail('needs root');
  const o = BpfObject.load(obj('test_uprobe'));
  t.teardown(() => o.close());
  t.throws(() => o.perfBuffer('calls'), { instanceOf: TypeError, message: /not a perf event array/ });
  t.throws(() => o.perfBuffer('call_events', { pagesPerCpu: 3 }), { instanceOf: TypeError, message: /power of two/ });
  const pb = o.perfBuffer('call_events', { pagesPerCpu: 2 });
  t.is(pb.consume(), 0, 'nothing yet');
  o.close();
  t.true(pb.closed, 'closed with its object');
});
