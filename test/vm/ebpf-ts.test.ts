// ebpf-ts's privileged tests on the guest's stock Debian kernel: the attach types the host cannot
// show (kprobe/kretprobe, fentry/fexit, where this host's kernel refuses them), the clsact
// fallback where the kernel has no tcx (before 6.6), ring and perf buffers, uprobes, maps. On the
// host these files run in test/netns and skip what the kernel lacks; here a Debian kernel has all
// of the tracing kinds, so a skip of one of them is a failure (the probe or the attach is broken
// on this kernel), not a reason.
import { spawn } from 'node:child_process';
import { release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { testIf } from '../helpers/require.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FILES = ['features', 'tc', 'trace', 'ringbuf', 'uprobe', 'maps', 'errors'].map((f) => `test/netns/ebpf-${f}.test.ts`);
/** Every Debian kernel the runner boots (5.10 on) has these: CONFIG_KPROBES, BTF, trampolines, uprobes. */
const REQUIRED = ['kprobe', 'fentry', 'fexit', 'tp_btf', 'raw_tracepoint', 'tracepoint', 'uprobe'];

testIf('vm')('ebpf-ts: its privileged tests pass on this kernel, skipping none of the tracing kinds', async (t) => {
  const child = spawn('npx', ['ava', '--serial', '--verbose', '--timeout=10m', ...FILES], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const summary = out.trim().split('\n').slice(-4).join(' | ');
  t.log(`Linux ${release()}: ${summary}`);
  // what failed, wherever ava printed it (an uncaught exception's text comes before the last 4 kB)
  const failed = out.split('\n').flatMap((l, i, all) => (/Uncaught exception|✘|×|\[fail\]|Error:/.test(l) ? all.slice(i, i + 12) : [])).slice(0, 80).join('\n');
  t.is(code, 0, `ava on ${FILES.length} ebpf files exited ${code}:\n${failed}\n…\n${out.slice(-4000)}`);
  const skips = [...new Set([...out.matchAll(/SKIP(?: [\w-]+: \d+ tests?)?: kernel lacks (\S+?):/g)].map((m) => m[1]!))];
  for (const s of skips) t.log(`skipped on this kernel: ${s}`);
  const wrong = skips.filter((s) => REQUIRED.includes(s));
  t.deepEqual(wrong, [], `a Debian kernel has ${wrong.join(', ')}: the skip means the probe or the attach is broken here`);
});
