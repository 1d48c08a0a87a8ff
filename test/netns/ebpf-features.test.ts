// Feature probes answer from the running kernel. Like cilium/ebpf's feature tests, a feature
// reported missing on a kernel new enough to have it FAILS, so a broken probe cannot turn into
// silent skips elsewhere. Features that depend on kernel configuration or policy rather than
// version (fentry, kprobe, tracefs) are only reported.
import test from 'ava';
import { release } from 'node:os';
import { kernelAtLeast, probeAllFeatures, probeFeature, probeHelper, type FeatureName } from 'ebpf-ts';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isRoot } from '../helpers/netns.js';
import { testIf } from '../helpers/require.js';

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

// The probes that load a program (or create a map) cannot tell anything without the privilege
// to do so: libbpf's own probes answer "no" to an EPERM (and its helper probe "yes"), which a
// cache would then keep. Here a child without any capability probes everything: where it can
// answer, it must agree with root's answer; the load-based probes must say they could not tell.
testIf('root', 'cmd:setpriv')('without CAP_BPF the probes say they could not tell, never the opposite of the kernel\'s answer', (t) => {
  const root = new Map(probeAllFeatures().map((f) => [f.feature, f]));
  const script = "import { probeAllFeatures } from 'ebpf-ts'; console.log(JSON.stringify(probeAllFeatures()));";
  // uid 0 keeps the files readable; an empty bounding set leaves the process no capability
  const r = spawnSync('setpriv', ['--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all', '--', process.execPath, '--import=tsx', '--conditions=ebpf-ts-source', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8',
  });
  t.is(r.status, 0, r.stderr);
  const child = JSON.parse(r.stdout) as Array<{ feature: FeatureName; supported: boolean; conclusive?: false; reason: string }>;
  for (const f of child) {
    t.log(`${f.feature}: ${f.conclusive === false ? 'could not tell' : f.supported ? 'yes' : 'no'} — ${f.reason}`);
    if (f.conclusive !== false) t.is(f.supported, root.get(f.feature)!.supported, `${f.feature} without privileges: ${f.reason}; as root: ${root.get(f.feature)!.reason}`);
  }
  for (const name of ['clsact', 'xdp', 'tracepoint', 'raw_tracepoint', 'bpf_loop', 'tcx', 'fentry'] as FeatureName[]) {
    const f = child.find((x) => x.feature === name)!;
    t.is(f.conclusive, false, `${name} without CAP_BPF is not an answer: ${f.reason}`);
  }
});
