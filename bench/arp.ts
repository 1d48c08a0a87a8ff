// bench/arp: ARP policy over rtnetlink vs /proc/sys, in a throwaway namespace with PAIRS veth
// pairs. Prints, in one run, as ratios of the /proc/sys references:
//   - reading the 7 ARP keys of every interface: one RTM_GETLINK dump (listInetConf) vs
//     `cat` of /proc/sys/net/ipv4/conf/*/KEY (one file per key per interface);
//   - setting 7 keys on one interface: one RTM_SETLINK vs `sysctl -w` of 7 files;
//   - the ARP probe round trip to a peer namespace (median RTT nodectl measured).
// Root only; the namespaces are removed on exit, even on failure or Ctrl-C. Nothing is asserted.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync } from 'node:fs';
import { ARP_KEY_NAMES } from '../src/arp/policy.js';
import { arpProbe } from '../src/arp/probe.js';
import { Handle } from '../src/netlink/handle.js';
import { getInetConf, listInetConf, setInetConf } from '../src/netlink/inetconf.js';
import { onExit } from './on-exit.js';

const PAIRS = Number(process.env.PAIRS ?? 500);
const RUNS = Number(process.env.RUNS ?? 7);
const ns = `nctl-bench-${randomBytes(3).toString('hex')}`;
const peer = `${ns}-p`;
const devnull = openSync('/dev/null', 'w');

function cleanup(): void {
  spawnSync('ip', ['netns', 'del', ns]);
  spawnSync('ip', ['netns', 'del', peer]);
}
onExit(cleanup);

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', devnull, 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(fn: () => unknown): Promise<number> {
  await fn();
  const ts: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(ts);
}

async function main(): Promise<void> {
  if (process.geteuid?.() !== 0) throw new Error('bench/arp needs root (it creates network namespaces)');
  run('ip', ['netns', 'add', ns]);
  run('ip', ['netns', 'add', peer]);
  const batch = Array.from({ length: PAIRS }, (_, i) => `link add b${i}a type veth peer name b${i}b`).join('\n') + '\n';
  const r = spawnSync('ip', ['-n', ns, '-batch', '-'], { input: batch, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`creating veths failed: ${r.stderr}`);
  run('ip', ['-n', ns, 'link', 'add', 'pa', 'type', 'veth', 'peer', 'name', 'pb', 'netns', peer]);
  run('ip', ['-n', ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'pa']);
  run('ip', ['-n', peer, 'addr', 'add', '192.0.2.2/24', 'dev', 'pb']);
  run('ip', ['-n', ns, 'link', 'set', 'pa', 'up']);
  run('ip', ['-n', peer, 'link', 'set', 'pb', 'up']);

  const h = Handle.open({ netns: ns, rcvbuf: 32 << 20 });
  const n = (await listInetConf(h)).length;
  console.log(`namespace ${ns}: ${n} interfaces; median of ${RUNS} runs`);
  // the cheapest way a script reads them: one process, one open+read per key per interface
  const files = ARP_KEY_NAMES.map((k) => `/proc/sys/net/ipv4/conf/*/${k}`).join(' ');
  const sysRead = await time(() => run('ip', ['netns', 'exec', ns, 'sh', '-c', `cat ${files}`]));
  const nlRead = await time(() => listInetConf(h));
  const idx = (await getInetConf(h, 'b0a')).ifindex;
  let flip = 0;
  const values = (): Record<string, number> => {
    flip ^= 1;
    return { arp_ignore: flip, arp_announce: flip * 2, arp_filter: flip, arp_accept: flip, arp_notify: flip, proxy_arp: flip, drop_gratuitous_arp: flip };
  };
  const nlSet = await time(() => setInetConf(h, idx, values(), 'b0a'));
  const sysSet = await time(() => {
    const v = values();
    run('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', ...Object.entries(v).map(([k, x]) => `net.ipv4.conf.b0a.${k}=${x}`)]);
  });
  h.close();
  const rtts: number[] = [];
  for (let i = 0; i < 20; i++) {
    const p = await arpProbe({ netns: ns, ifname: 'pa', target: '192.0.2.2', count: 1, timeoutMs: 1000 });
    if (p.reply) rtts.push(p.reply.rttMs);
  }

  const row = (what: string, ms: number, ref: number | null): string =>
    `${what.padEnd(58)} ${ms.toFixed(2).padStart(9)} ms${ref !== null ? `  ${(ms / ref).toFixed(3).padStart(7)}x ref` : ''}`;
  console.log(row(`cat /proc/sys/…/*/arp_*: 7 keys x ${n} interfaces (ref)`, sysRead, null));
  console.log(row('nodectl: one RTM_GETLINK dump, IFLA_INET_CONF decoded', nlRead, sysRead));
  console.log(row('sysctl -w: 7 keys on one interface (reference, 7 files)', sysSet, null));
  console.log(row('nodectl: 7 keys in one RTM_SETLINK', nlSet, sysSet));
  console.log(`arp probe to a peer namespace: median RTT ${rtts.length ? median(rtts).toFixed(3) : '-'} ms over ${rtts.length}/20 replies`);
  console.log('(the sysctl figures include process start; the point of the set row is one atomic message rather than speed)');
}

try {
  await main();
} finally {
  cleanup();
}
