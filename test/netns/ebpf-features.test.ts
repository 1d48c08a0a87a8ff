// Feature probes answer from the running kernel. Like cilium/ebpf's feature tests, a feature
// reported missing on a kernel new enough to have it FAILS, so a broken probe cannot turn into
// silent skips elsewhere. Features that depend on kernel configuration or policy rather than
// version (fentry, kprobe, tracefs) are only reported.
import test from 'ava';
import { release } from 'node:os';
import { kernelAtLeast, probeAllFeatures, probeFeature, probeHelper, type FeatureName } from 'ebpf-ts';
import { isRoot } from '../helpers/netns.js';

const VERSION_BOUND: FeatureName[] = ['tcx', 'clsact', 'xdp', 'raw_tracepoint', 'ringbuf', 'bpf_loop', 'batch_ops'];
const CONFIG_BOUND: FeatureName[] = ['btf', 'module_btf', 'tp_btf', 'tracepoint', 'fentry', 'fexit', 'kprobe', 'uprobe'];

test('every probe answers with a reason; version-bound features exist on kernels new enough', (t) => {
  if (!isRoot()) return void t.fail('needs root');
  const all = probeAllFeatures();
  t.deepEqual(all.map((f) => f.feature).sort(), [...VERSION_BOUND, ...CONFIG_BOUND].sort());
  for (const f of all) {
    t.log(`${f.feature}: ${f.supported ? 'yes' : 'NO'} — ${f.reason}`);
    t.true(f.reason.length > 0);
    if (VERSION_BOUND.includes(f.feature) && f.minKernel && kernelAtLeast(f.minKernel)) {
      t.true(f.supported, `Linux ${release()} >= ${f.minKernel} must have ${f.feature}: ${f.reason}`);
    }
  }
  const btf = probeFeature('btf');
  if (btf.supported && kernelAtLeast('5.5')) t.true(probeFeature('tp_btf').supported, 'BTF kernel >= 5.5 has tp_btf');
});

test('the bpf_loop feature and the helper probe agree', (t) => {
  if (!isRoot()) return void t.fail('needs root');
  t.is(probeHelper('bpf_loop').supported, probeFeature('bpf_loop').supported);
  t.true(probeHelper('bpf_map_lookup_elem').supported, 'a helper every kernel has');
  t.throws(() => probeHelper('bpf_no_such_helper'), { instanceOf: TypeError });
});
