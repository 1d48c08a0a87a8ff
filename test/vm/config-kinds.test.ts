// vlan, bond and dummy through config apply and the imperative commands' core, on a kernel that
// has them (the VM; the build host lacks all three). Also: failing at every step of a plan that
// builds a bond with a vlan on top leaves the namespace exactly as before.
import type { ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyConfig, planConfig } from '../../src/config/apply.js';
import { parseConfig } from '../../src/config/load.js';
import { ApplyError } from '../../src/errors.js';
import { createLink, deleteLink } from '../../src/interfaces/manage.js';
import { assertSameSnapshot, ipSnapshot } from '../helpers/ip-snapshot.js';
import { type Netns, netnsFor } from '../helpers/netns.js';
import { testIf } from '../helpers/require.js';

function stateDir(t: ExecutionContext): string {
  const d = mkdtempSync(join(tmpdir(), 'nctl-vm-state-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function lab(t: ExecutionContext): Netns {
  const ns = netnsFor(t);
  ns.exec('sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
  ns.ip('link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p');
  ns.ip('link', 'add', 'eth2', 'type', 'veth', 'peer', 'name', 'eth2p');
  return ns;
}

interface IpLink { ifname: string; link?: string; master?: string; mtu: number; linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> } }

const FILE = `
interfaces:
  - {name: eth1, kind: device}
  - {name: eth2, kind: device}
  - name: bond0
    kind: bond
    ports: [eth1, eth2]
    bond: {mode: active-backup, miimon: 100}
    mtu: 1500
  - name: bond0.100
    kind: vlan
    link: bond0
    vlan: {id: 100}
    addresses: [192.0.2.1/24, "2001:db8:100::1/64"]
    arp: {arp_ignore: 1}
  - name: qinq
    kind: vlan
    link: bond0
    vlan: {id: 200, protocol: 802.1ad}
  - name: d0
    kind: dummy
    addresses: [198.51.100.1/32]
`;

const cfg = (s: string) => parseConfig(s, 'vm.yaml').config;

testIf('vm', 'vlan', 'bond', 'dummy').serial('bond with two ports, vlans (802.1Q and 802.1ad) on it and a dummy, from a file, as iproute2 sees them', async (t) => {
  t.timeout(20 * 60_000); // software-emulated guest: minutes, not seconds
  const ns = lab(t);
  const sd = stateDir(t);
  const r = await applyConfig(cfg(FILE), { netns: ns.name, stateDir: sd });
  t.true(r.changed);
  const links = new Map(ns.ipJson<IpLink[]>('-d', 'link', 'show').map((l) => [l.ifname, l]));
  t.is(links.get('bond0')?.linkinfo?.info_kind, 'bond');
  t.is(links.get('bond0')?.linkinfo?.info_data?.mode, 'active-backup');
  t.is(links.get('bond0')?.linkinfo?.info_data?.miimon, 100);
  t.is(links.get('eth1')?.master, 'bond0');
  t.is(links.get('eth2')?.master, 'bond0');
  t.is(links.get('bond0.100')?.link, 'bond0');
  t.is(links.get('bond0.100')?.linkinfo?.info_data?.id, 100);
  t.is(links.get('qinq')?.linkinfo?.info_data?.protocol, '802.1ad');
  t.is(links.get('d0')?.linkinfo?.info_kind, 'dummy');
  t.is(ns.sysctl('net/ipv4/conf/bond0.100/arp_ignore'), '1');
  t.deepEqual((await planConfig(cfg(FILE), { netns: ns.name, stateDir: sd })).steps, []);
  // changing the vlan id re-creates the owned vlan (ids are immutable in the kernel)
  const p = await planConfig(cfg(FILE.replace('vlan: {id: 100}', 'vlan: {id: 101}')), { netns: ns.name, stateDir: sd });
  t.deepEqual(p.steps.map((s) => s.text).slice(0, 2), ['link del bond0.100', 'link add bond0.100 link bond0 type vlan id 101 protocol 802.1Q up']);
  // prune everything nodectl made; the ports are released, not deleted
  await applyConfig(cfg('interfaces:\n  - {name: eth1, kind: device}\n  - {name: eth2, kind: device}\n'), { netns: ns.name, stateDir: sd });
  t.deepEqual(ns.ipJson<IpLink[]>('link', 'show').map((l) => l.ifname).sort(), ['eth1', 'eth1p', 'eth2', 'eth2p', 'lo']);
});

testIf('vm', 'vlan', 'bond', 'dummy').serial('failing at every step of the bond/vlan/dummy plan restores the exact snapshot', async (t) => {
  t.timeout(20 * 60_000); // software-emulated guest: minutes, not seconds
  const ns = lab(t);
  const sd = stateDir(t);
  // iproute2 is the oracle (ifindexes, MACs, kind data, addresses with flags, routes of every
  // table, neighbours, sysctls), read once the kernel has settled — not nodectl's own decoder.
  const snap = () => ipSnapshot(ns.name);
  const before = await snap();
  const n = (await planConfig(cfg(FILE), { netns: ns.name, stateDir: sd })).steps.length;
  for (let k = 1; k <= n; k++) {
    const err = await t.throwsAsync(applyConfig(cfg(FILE), { netns: ns.name, stateDir: sd, failAtStep: k }), { instanceOf: ApplyError });
    t.is(err?.step, k);
    assertSameSnapshot(t, before, await snap(), `failure at step ${k}/${n}`);
  }
});

testIf('vm', 'vlan', 'bond', 'dummy').serial('link add vlan/bond/dummy and link del --cascade through the command core', async (t) => {
  t.timeout(20 * 60_000); // software-emulated guest: minutes, not seconds
  const ns = lab(t);
  await createLink({ netns: ns.name }, { name: 'bond1', kind: 'bond', mode: '802.3ad', miimon: 50 });
  await createLink({ netns: ns.name }, { name: 'v10', kind: 'vlan', link: 'bond1', id: 10 });
  await createLink({ netns: ns.name }, { name: 'v20', kind: 'vlan', link: 'v10', id: 20, protocol: '802.1Q' });
  await createLink({ netns: ns.name }, { name: 'd1', kind: 'dummy', mtu: 9000 });
  const bond = ns.ipJson<IpLink[]>('-d', 'link', 'show', 'bond1')[0]!;
  t.is(bond.linkinfo?.info_data?.mode, '802.3ad');
  t.is(ns.ipJson<IpLink[]>('link', 'show', 'd1')[0]?.mtu, 9000);
  await t.throwsAsync(deleteLink({ netns: ns.name }, 'bond1'), { message: /bond1 has interfaces built on it \(v20, v10\)/ });
  t.deepEqual((await deleteLink({ netns: ns.name }, 'bond1', { cascade: true })).deleted, ['v20', 'v10', 'bond1']);
});
