// Tracing attach types on forks made by this process: each program counts into hits[kind].
// A kind the running kernel lacks must fail with UnsupportedFeatureError (decided by trying, not
// by version) and is reported as a skip with the kernel's reason.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { release } from 'node:os';
import { BpfObject, BpfProgram, UnsupportedFeatureError, kernelAtLeast, layout as L, probeFeature, type Attachment, type FeatureName } from 'ebpf-ts';
import { isRoot } from '../helpers/netns.js';
import { linkedProgIds, liveProgIds, obj } from '../helpers/ebpf.js';
import { skipInside } from '../helpers/require.js';

const KINDS: Array<{ prog: string; feature: FeatureName; hit: number; attach: (p: BpfProgram) => Attachment }> = [
  { prog: 'tp_fork', feature: 'tracepoint', hit: 0, attach: (p) => p.attachTracepoint({ mountTracefs: true }) },
  { prog: 'raw_tp_fork', feature: 'raw_tracepoint', hit: 1, attach: (p) => p.attachRawTracepoint() },
  { prog: 'tp_btf_fork', feature: 'tp_btf', hit: 2, attach: (p) => p.attachTpBtf() },
  { prog: 'fentry_clone', feature: 'fentry', hit: 3, attach: (p) => p.attachFentry() },
  { prog: 'fexit_clone', feature: 'fexit', hit: 4, attach: (p) => p.attachFentry() },
  { prog: 'kprobe_clone', feature: 'kprobe', hit: 5, attach: (p) => p.attachKprobe() },
  { prog: 'kretprobe_clone', feature: 'kprobe', hit: 6, attach: (p) => p.attachKprobe() },
];

// tp_fork mounts tracefs (mountTracefs: true) when the machine has not: leave it as we found it.
const tracefsBefore = probeFeature('tracepoint').supported;
test.after.always(() => {
  if (!tracefsBefore && probeFeature('tracepoint').supported) spawnSync('umount', ['/sys/kernel/tracing']);
});

test.serial('tracepoint without tracefs mounted (and not asked to mount it) says so', (t) => {
  if (!isRoot()) return void t.fail('needs root');
  if (tracefsBefore) {
    t.log('tracefs is mounted on this machine: the refusal path is exercised only where it is not');
    return void t.pass();
  }
  const o = BpfObject.load(obj('test_trace'), { programs: ['tp_fork'] });
  t.teardown(() => o.close());
  t.throws(() => o.program('tp_fork').attachTracepoint(), { instanceOf: UnsupportedFeatureError, message: /tracefs is not mounted/ });
});

/** Whether the kernel makes a BPF link of a perf-event attachment (tracepoint, kprobe, uprobe): 5.15+. */
function perfLinks(feature: FeatureName): boolean {
  return !['tracepoint', 'kprobe', 'uprobe'].includes(feature) || kernelAtLeast('5.15');
}

function forks(n: number): void {
  for (let i = 0; i < n; i++) spawnSync('true');
}

for (const k of KINDS) {
  test.serial(`${k.prog}: ${k.feature} attach counts this process's forks, detach stops it, close leaves nothing`, async (t) => {
    if (!isRoot()) return void t.fail('needs root');
    const hits = () => o!.map('hits', { key: L.u32, value: L.u64 }).lookup(k.hit)!;
    let o: BpfObject | undefined;
    let att: Attachment;
    try {
      o = BpfObject.load(obj('test_trace'), { programs: [k.prog], globals: { target_tgid: process.pid } });
      att = k.attach(o.program(k.prog));
    } catch (err) {
      o?.close();
      const f = probeFeature(k.feature);
      if (!f.supported && err instanceof UnsupportedFeatureError) {
        t.is(err.feature, k.feature);
        // known only once the attach was tried: logged, or a failure under the strict switch
        return void skipInside(t, k.feature, `kernel lacks ${k.feature}: ${err.reason}`);
      }
      throw err;
    }
    t.teardown(() => o!.close());
    const f = probeFeature(k.feature); // after the attach: tp_fork may just have mounted tracefs
    t.true(f.supported, `the probe agrees that ${k.feature} works (${f.reason})`);
    const info = o.program(k.prog).info();
    const id = info.id;
    // the kernel's count of skipped runs, as bpftool reads it (it prints the field only when non-zero)
    const shown = JSON.parse(spawnSync('bpftool', ['-j', 'prog', 'show', 'id', String(id)], { encoding: 'utf8' }).stdout) as { recursion_misses?: number };
    if (kernelAtLeast('5.12')) t.is(info.recursionMisses, shown.recursion_misses ?? 0, 'recursion_misses as bpftool shows it');
    else t.is(info.recursionMisses, null, `Linux ${release()} has no recursion_misses (5.12+): null, not 0`);
    // tracepoints and kprobes are perf-event attachments; the kernel makes them BPF links (listed
    // by bpftool) only from 5.15 (BPF_LINK_TYPE_PERF_EVENT); before, libbpf attaches by ioctl
    if (perfLinks(k.feature)) t.true(linkedProgIds().has(id), 'bpftool link show lists the link');
    else t.log(`Linux ${release()} attaches ${k.feature} programs without a BPF link (5.15+): bpftool link show not checked`);
    forks(3);
    t.true(hits() >= 3n, `hits[${k.hit}] = ${hits()} after 3 forks`);
    att.detach();
    const after = hits();
    forks(2);
    t.is(hits(), after, 'no counting after detach');
    o.close();
    t.false(linkedProgIds().has(id), 'no link left');
    for (let i = 0; i < 100 && liveProgIds().has(id); i++) await sleep(20); // freed after an RCU grace period
    t.false(liveProgIds().has(id), 'program unloaded');
  });
}

