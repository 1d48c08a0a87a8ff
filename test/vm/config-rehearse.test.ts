// The rehearsal on a kernel that has bonds and vlans (the host has neither): a bond option the
// kernel refuses for the bond's mode (ARP monitoring in 802.3ad) and a vlan whose parent is a
// stand-in are decided in the throwaway namespace, before step 1 on the node, with the kernel's
// own errno and text; the node is unchanged as iproute2 sees it.
import { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyConfig, planConfig } from '../../src/config/apply.js';
import { parseConfig } from '../../src/config/load.js';
import { RehearsalRefusal } from '../../src/errors.js';
import { assertSameSnapshot, ipSnapshot } from '../helpers/ip-snapshot.js';
import { type Netns, netnsFor } from '../helpers/netns.js';
import { kernelHas, testIf } from '../helpers/require.js';

function stateDir(t: ExecutionContext): string {
  const d = mkdtempSync(join(tmpdir(), 'nctl-vm-rehearse-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function node(t: ExecutionContext): Netns | undefined {
  for (const k of ['vlan', 'bond'] as const) {
    const r = kernelHas(k);
    if (!r.has) return void t.fail(`the VM kernel must support ${k}: ${r.why}`);
  }
  const ns = netnsFor(t);
  ns.exec('sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
  ns.ip('link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p');
  ns.ip('link', 'add', 'eth2', 'type', 'veth', 'peer', 'name', 'eth2p');
  // something already configured, so the stand-ins include a bond and a vlan on it
  ns.ip('link', 'add', 'bond9', 'type', 'bond', 'mode', 'active-backup', 'miimon', '100');
  ns.ip('link', 'set', 'eth2', 'master', 'bond9');
  ns.ip('link', 'add', 'link', 'bond9', 'name', 'bond9.7', 'type', 'vlan', 'id', '7');
  ns.ip('link', 'set', 'bond9', 'up');
  return ns;
}

const cfg = (s: string) => parseConfig(s, 'vm.yaml').config;

testIf('vm', 'vlan', 'bond', 'dummy').serial('a bond option the kernel refuses for the mode (arp_interval in 802.3ad) is refused in the rehearsal, nothing changed', async (t) => {
  t.timeout(20 * 60_000); // software-emulated guest
  const ns = node(t);
  if (!ns) return;
  const sd = stateDir(t);
  const file = cfg(`interfaces:
  - {name: eth1, kind: device, mtu: 1400}
  - {name: eth2, kind: device}
  - {name: bond9, kind: bond, ports: [eth2], bond: {mode: active-backup, miimon: 100}}
  - {name: bond9.7, kind: vlan, link: bond9, vlan: {id: 7}, addresses: [192.0.2.7/24]}
  - {name: lacp0, kind: bond, ports: [eth1], bond: {mode: 802.3ad, arp_interval: 100, arp_ip_target: [192.0.2.1]}}
`);
  const before = await ipSnapshot(ns.name);
  const p = await planConfig(file, { netns: ns.name, stateDir: sd }).then(() => null, (e: unknown) => e);
  t.true(p instanceof RehearsalRefusal, `plan: ${String(p)}`);
  const refusal = p as RehearsalRefusal;
  t.log(`kernel ${refusal.errno}: ${refusal.message}`);
  t.regex(refusal.operation, /lacp0/, 'the refused step creates (or sets) lacp0');
  t.regex(refusal.message, /arp_interval|mode dependency|ARP monitoring/i, 'the kernel\'s own words name the option');
  const a = await applyConfig(file, { netns: ns.name, stateDir: sd }).then(() => null, (e: unknown) => e);
  t.true(a instanceof RehearsalRefusal, `apply: ${String(a)}`);
  assertSameSnapshot(t, before, await ipSnapshot(ns.name), 'a config refused in the rehearsal changed the node');
});

testIf('vm', 'vlan', 'bond', 'dummy').serial('a plan on a node with a bond and a vlan passes the rehearsal (stand-ins of those kinds), then applies', async (t) => {
  t.timeout(20 * 60_000);
  const ns = node(t);
  if (!ns) return;
  const sd = stateDir(t);
  const file = cfg(`interfaces:
  - {name: eth1, kind: device}
  - {name: eth2, kind: device}
  - {name: bond9, kind: bond, ports: [eth2], bond: {mode: active-backup, miimon: 100}}
  - {name: bond9.7, kind: vlan, link: bond9, vlan: {id: 7}, addresses: [192.0.2.7/24]}
  - {name: bond9.8, kind: vlan, link: bond9, vlan: {id: 8}, addresses: [198.51.100.8/24]}
`);
  const plan = await planConfig(file, { netns: ns.name, stateDir: sd });
  t.is(plan.rehearsal?.status, 'passed', JSON.stringify(plan.rehearsal));
  t.deepEqual(plan.rehearsal?.notes.filter((n) => /bond9|vlan/.test(n)), [], 'bond and vlan are stood in by their own kinds');
  const r = await applyConfig(file, { netns: ns.name, stateDir: sd });
  t.is(r.rehearsal?.status, 'passed');
  const v = ns.ipJson<Array<{ ifname: string; link?: string; linkinfo?: { info_data?: { id?: number } } }>>('-d', 'link', 'show', 'bond9.8')[0];
  t.is(v?.link, 'bond9');
  t.is(v?.linkinfo?.info_data?.id, 8);
});
