// The guest really has what the host kernel lacks: VLAN, bonding and dummy links, SCTP
// associations between namespaces, kprobes. These are the features the rest of test/vm/
// builds on, so a failure here points at the VM runner rather than at nodectl.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { netnsFor, sh } from '../helpers/netns.js';
import { waitUntil } from '../helpers/patience.js';
import { testIf } from '../helpers/require.js';

interface IpLink {
  ifname: string;
  master?: string;
  link?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown>; info_slave_kind?: string };
}

testIf('vm', 'bond', 'dummy', 'vlan', 'sctp')('loading bonding and dummy created no bond0/dummy0 (max_bonds=0, numdummies=0)', (t) => {
  for (const mod of ['bonding', 'dummy', '8021q', 'sctp']) {
    t.true(existsSync(`/sys/module/${mod}`), `module ${mod} is loaded`);
  }
  const names = (JSON.parse(sh('ip', ['-j', 'link', 'show'])) as IpLink[]).map((l) => l.ifname);
  t.false(names.includes('bond0'), `root namespace links: ${names.join(' ')}`);
  t.false(names.includes('dummy0'), `root namespace links: ${names.join(' ')}`);
});

testIf('vm', 'dummy', 'bond', 'vlan')('vlan on a bond of dummies, inside a namespace', (t) => {
  const ns = netnsFor(t);
  ns.ip('link', 'add', 'd1', 'type', 'dummy');
  ns.ip('link', 'add', 'd2', 'type', 'dummy');
  ns.ip('link', 'add', 'bond1', 'type', 'bond', 'mode', 'active-backup', 'miimon', '100');
  ns.ip('link', 'set', 'd1', 'master', 'bond1');
  ns.ip('link', 'set', 'd2', 'master', 'bond1');
  ns.ip('link', 'add', 'link', 'bond1', 'name', 'bond1.100', 'type', 'vlan', 'id', '100');
  ns.ip('link', 'set', 'bond1', 'up');
  ns.ip('link', 'set', 'bond1.100', 'up');

  const links = new Map(ns.ipJson<IpLink[]>('-d', 'link', 'show').map((l) => [l.ifname, l]));
  t.is(links.get('d1')?.linkinfo?.info_kind, 'dummy');
  t.is(links.get('d1')?.master, 'bond1');
  t.is(links.get('d2')?.master, 'bond1');
  t.is(links.get('d1')?.linkinfo?.info_slave_kind, 'bond');
  t.is(links.get('bond1')?.linkinfo?.info_kind, 'bond');
  t.is(links.get('bond1')?.linkinfo?.info_data?.mode, 'active-backup');
  const vlan = links.get('bond1.100');
  t.is(vlan?.linkinfo?.info_kind, 'vlan');
  t.is(vlan?.linkinfo?.info_data?.id, 100);
  t.is(vlan?.link, 'bond1');
});

/** Established associations in a namespace, from the kernel's own table. */
function sctpAssocs(ns: { exec(cmd: string, ...args: string[]): string }): { lport: number; rport: number }[] {
  const lines = ns.exec('cat', '/proc/net/sctp/assocs').trim().split('\n');
  const head = lines[0].trim().split(/\s+/);
  const [st, lp, rp] = ['ST', 'LPORT', 'RPORT'].map((c) => head.indexOf(c));
  return lines
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[st] === '3') // SCTP_STATE_ESTABLISHED
    .map((f) => ({ lport: Number(f[lp]), rport: Number(f[rp]) }));
}

/** A counter from the namespace's SCTP MIB (/proc/net/sctp/snmp is per namespace). */
function sctpMib(ns: { exec(cmd: string, ...args: string[]): string }, name: string): number {
  const line = ns.exec('cat', '/proc/net/sctp/snmp').split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}\t`));
  if (!line) throw new Error(`no ${name} in /proc/net/sctp/snmp`);
  return Number(line.trim().split(/\s+/)[1]);
}

testIf('vm', 'sctp')('an SCTP association between two namespaces (iperf3 --sctp)', async (t) => {
  const a = netnsFor(t);
  const b = netnsFor(t);
  a.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', b.name);
  a.ip('addr', 'add', '10.98.0.1/24', 'dev', 'va');
  b.ip('addr', 'add', '10.98.0.2/24', 'dev', 'vb');
  a.ip('link', 'set', 'va', 'up');
  b.ip('link', 'set', 'vb', 'up');

  const server = spawn('ip', ['netns', 'exec', b.name, 'iperf3', '-s', '-1', '-p', '5301'], { stdio: 'ignore' });
  t.teardown(() => server.kill('SIGKILL'));
  await waitFor(() => /:5301\b/.test(b.exec('ss', '-Hltn')), 'iperf3 server listening');

  // Long enough to be observed even under software emulation; stopped once it has been.
  const client = spawn('ip', ['netns', 'exec', a.name, 'iperf3', '--sctp', '-c', '10.98.0.2', '-p', '5301', '-t', '600'], { stdio: 'ignore' });
  t.teardown(() => client.kill('SIGKILL'));

  // Both ends show the association as ESTABLISHED in the kernel's own table ...
  await waitFor(() => sctpAssocs(a).some((x) => x.rport === 5301), 'the client-side association');
  t.true(sctpAssocs(b).some((x) => x.lport === 5301), 'server-side association in /proc/net/sctp/assocs');
  // ... and data chunks cross it (the server namespace's MIB counts them).
  const dataIn = (): number => sctpMib(b, 'SctpInOrderChunks') + sctpMib(b, 'SctpInUnorderChunks');
  await waitFor(() => dataIn() > 0, 'DATA chunks received by the server namespace');
  t.true(sctpMib(b, 'SctpCurrEstab') >= 1, 'SctpCurrEstab in the server namespace');
  t.true(sctpMib(a, 'SctpOutOrderChunks') + sctpMib(a, 'SctpOutUnorderChunks') > 0, 'DATA chunks sent by the client namespace');
});

testIf('vm', 'kprobe')('kprobes are available (the host kernel has none)', (t) => {
  t.true(existsSync('/sys/kernel/tracing/kprobe_events'), 'tracefs has kprobe_events');
});

// Modules carry BTF since 5.11 (CONFIG_DEBUG_INFO_BTF_MODULES): bullseye's 5.10 has vmlinux BTF
// only, so there this skips; under NODECTL_REQUIRE_FEATURES (the VM runner) it fails from 5.11 on.
testIf('vm', 'module_btf')('module BTF: the sctp module carries BTF (the host kernel has no modules)', (t) => {
  t.true(existsSync('/sys/kernel/btf/sctp'), 'the sctp module carries BTF');
});

// Generous: under software emulation a process start alone can take a second or more.
const waitFor = (cond: () => boolean, what: string): Promise<void> => waitUntil(cond, () => `waiting for ${what}`, 180_000, 250);
