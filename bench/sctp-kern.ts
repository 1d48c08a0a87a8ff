// bench/sctp-kern: what the kernel tracer (bpf/sctp_kern.bpf.c) adds to each sendmsg of a real
// SCTP association, next to what that sendmsg costs without it (issue 20's performance item).
// Runs where the kernel has SCTP (the VM guest: scripts/vm/run -- node --import
// tsx bench/sctp-kern.ts), as root. Two namespaces joined by a veth pair; in each run a
// receiver (test/vm/sctp-app.pl recv … read) reads everything and a sender
// (bench/sctp-kern-send.pl) times SENDS blocking sends of SIZE bytes inside itself with
// CLOCK_MONOTONIC, start-up excluded. Runs alternate without and with the tracer attached
// (every probe KernTracer.open() accepts: sctp_probe/sctp_probe_path, the retransmission
// probe, the sendmsg/recvmsg probes: fentry/fexit, else kprobes). Per mode: the best and the
// median of RUNS runs, in ns per sendmsg, with the interpreter's own loop taken off (printed);
// then the tracer's added ns and the ratio with/without.
//
// What a sendmsg costs here includes everything the kernel does in the caller's context: on a
// veth pair the receiving side's softirq and the SACK coming back (and so the tracer's
// sctp_probe work on it) often run inside the sender's call. Under emulation (TCG, the
// project's VMs: no usable KVM) every instruction is translated: the absolute ns mean nothing,
// only the ratio does; the bench says which it ran under. Printed, never asserted.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KernTracer } from '../src/sctp/kern.js';
import { onExit } from './on-exit.js';

const SENDS = Number(process.env.SENDS ?? 20_000);
const SIZE = Number(process.env.SIZE ?? 100);
const RUNS = Number(process.env.RUNS ?? 7);
const RECEIVER = fileURLToPath(new URL('../test/vm/sctp-app.pl', import.meta.url));
const SENDER = fileURLToPath(new URL('./sctp-kern-send.pl', import.meta.url));

const ns = `nctl-bench-${randomBytes(3).toString('hex')}`;
const peer = `${ns}-p`;
function cleanup(): void {
  spawnSync('ip', ['netns', 'del', ns]);
  spawnSync('ip', ['netns', 'del', peer]);
}
onExit(cleanup);

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

function emulated(): string | null {
  const patience = Number(process.env.NODECTL_TEST_PATIENCE ?? 1);
  if (patience > 1) return `NODECTL_TEST_PATIENCE=${patience}: the VM runner booted this guest under TCG`;
  const cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  return /TCG/i.test(cpu) ? `cpu "${cpu}"` : null;
}

/** One run: a fresh receiver on its own port, the sender's timing. */
async function once(port: number): Promise<{ send: number; loop: number }> {
  const recv = spawn('ip', ['netns', 'exec', peer, 'perl', RECEIVER, 'recv', String(port), 'read'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let rOut = '';
  recv.stdout.on('data', (d: Buffer) => (rOut += d.toString()));
  recv.stderr.on('data', (d: Buffer) => (rOut += d.toString()));
  const rDone = new Promise((r) => recv.once('exit', r));
  try {
    for (let i = 0; !rOut.includes('listening'); i++) {
      if (i > 600 || recv.exitCode !== null) throw new Error(`the receiver does not listen: ${rOut}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const s = spawnSync('ip', ['netns', 'exec', ns, 'perl', SENDER, '10.89.0.2', String(port), String(SENDS), String(SIZE)], { encoding: 'utf8' });
    if (s.status !== 0) throw new Error(`the sender failed (${s.status}): ${s.stderr}`);
    const r = JSON.parse(s.stdout.trim()) as { n: number; send_ns: number; loop_ns: number };
    await rDone;
    return { send: r.send_ns / r.n, loop: r.loop_ns / r.n };
  } finally {
    recv.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  // modules are loaded only in the VM guest (NODECTL_IN_VM, set by its runner), never on a host
  if (process.env.NODECTL_IN_VM === '1') spawnSync('modprobe', ['sctp']);
  if (!existsSync('/sys/module/sctp')) {
    console.log('bench/sctp-kern: the kernel has no SCTP (run it in the VM guest: scripts/vm/run --kernel 7.2 --no-build -- node --import tsx bench/sctp-kern.ts)');
    return;
  }
  run('ip', ['netns', 'add', ns]);
  run('ip', ['netns', 'add', peer]);
  run('ip', ['-n', ns, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', peer]);
  run('ip', ['-n', ns, 'addr', 'add', '10.89.0.1/24', 'dev', 'va']);
  run('ip', ['-n', peer, 'addr', 'add', '10.89.0.2/24', 'dev', 'vb']);
  for (const [n, d] of [[ns, 'va'], [peer, 'vb']] as const) {
    run('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
    run('ip', ['-n', n, 'link', 'set', d, 'up']);
  }
  const emu = emulated();
  console.log(`bench/sctp-kern: ${SENDS} blocking sendmsg of ${SIZE} bytes per run over a veth pair, ${RUNS} runs per mode, alternating; ${emu ? `EMULATED (${emu}): compare the ratio only, the ns are the emulator's` : 'hardware-assisted or bare metal'}`);
  const { tracer: probe, status } = KernTracer.open();
  console.log(`kernel tracer: ${status.map((s) => (s.active ? `${s.name} (${s.how})` : `${s.name} inactive`)).join(', ')}`);
  probe?.close();
  if (!probe) {
    console.log('the kernel tracer loads nothing here: no figure to compare');
    return;
  }
  const res: Record<'without' | 'with', Array<{ send: number; loop: number }>> = { without: [], with: [] };
  let port = 6100;
  // one warm-up run (page cache, the module's first association), not counted
  await once(port++);
  for (let i = 0; i < RUNS; i++) {
    // alternate the order: a drift of the machine's load does not favour one mode
    for (const mode of i % 2 ? (['with', 'without'] as const) : (['without', 'with'] as const)) {
      const k = mode === 'with' ? KernTracer.open().tracer : null;
      try {
        res[mode].push(await once(port++));
        if (k) {
          const mine = k.snapshot().find((a) => a.peerPort === port - 1 && (a.sendCalls ?? 0) > 0);
          if (mine?.sendCalls !== SENDS) console.log(`  note: the tracer counted ${mine?.sendCalls ?? 'no'} sends of ${SENDS} in run ${i + 1}`);
        }
      } finally {
        k?.close();
      }
    }
  }
  const best = (xs: number[]) => Math.min(...xs);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const net = (m: 'without' | 'with') => res[m].map((r) => r.send - r.loop);
  const f = (x: number) => x.toFixed(0).padStart(7);
  console.log('\nns per sendmsg (perl loop taken off)   best   median   (perl loop alone, best)');
  for (const m of ['without', 'with'] as const) console.log(`  ${m === 'with' ? 'with the kernel tracer   ' : 'without the kernel tracer'}          ${f(best(net(m)))}  ${f(median(net(m)))}   ${f(best(res[m].map((r) => r.loop)))}`);
  // every run, in the order run: the spread is the machine's (other guests, the emulator), not the tracer's
  for (const m of ['without', 'with'] as const) console.log(`  runs ${m.padEnd(7)}: ${net(m).map((x) => x.toFixed(0)).join(' ')}`);
  const added = best(net('with')) - best(net('without'));
  const addedMedian = median(net('with')) - median(net('without'));
  console.log(`\nadded by the tracer: ${emu ? '(emulated ns) ' : ''}${added.toFixed(0)} ns per sendmsg best (${addedMedian.toFixed(0)} median); ratio with/without ${(best(net('with')) / best(net('without'))).toFixed(3)} best, ${(median(net('with')) / median(net('without'))).toFixed(3)} median`);
}

await main();
