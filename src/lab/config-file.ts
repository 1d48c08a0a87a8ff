// The node's configuration file, as an operator would write it for this appliance: the
// logical interfaces over the lab's NICs, their addresses and ARP policy, and the management
// failover section. `lab up` writes it to the lab's state directory and applies it.
import { stringify } from 'yaml';
import { MGMT, NODE_DATA, type OptionalKind } from './plan.js';

export interface LabConfigOptions {
  /** Optional kinds this kernel has; the others are left out of the file. */
  kinds: Record<OptionalKind, boolean>;
  /** The demo's "config change": an MTU and an alias on the data bridge. */
  variant?: 'base' | 'changed';
}

export function labConfig(opts: LabConfigOptions): Record<string, unknown> {
  const d = NODE_DATA;
  const changed = opts.variant === 'changed';
  // Several addresses of one subnet on one node: answer ARP only for the interface's own
  // addresses and announce with the best source, the appliance's usual policy.
  const strictArp = () => ({ arp_ignore: 1, arp_announce: 2 });
  // IPv6 without duplicate address detection: the lab is usable the moment `up` returns.
  const addrs = (list: readonly string[]) => list.map((a) => (a.includes(':') ? { address: a, nodad: true } : a));
  const interfaces: Record<string, unknown>[] = [
    { name: 'eth2', kind: 'device', state: 'up', addresses: addrs(d.eth2), arp: strictArp() },
    { name: 'eth3', kind: 'device', state: 'up' },
    { name: d.macvlan.name, kind: 'macvlan', link: d.macvlan.parent, macvlan: { mode: d.macvlan.mode }, addresses: [...d.macvlan.addresses], arp: strictArp() },
  ];
  if (opts.kinds.vlan) {
    interfaces.push({ name: d.vlan.name, kind: 'vlan', link: d.vlan.parent, vlan: { id: d.vlan.id }, addresses: addrs(d.vlan.addresses) });
  }
  if (opts.kinds.bond) {
    interfaces.push({ name: d.bond.name, kind: 'bond', ports: [...d.bond.slaves], bond: { mode: d.bond.mode, miimon: d.bond.miimon } });
  }
  interfaces.push({
    name: d.bridge.name, kind: 'bridge', ports: [opts.kinds.bond ? d.bond.name : 'eth3'], bridge: { stp: false },
    ...(changed ? { mtu: 1400, alias: 'internal services' } : {}),
    addresses: addrs(changed ? [...d.bridge.addresses, ...d.bridgeAddedAddresses] : d.bridge.addresses),
    arp: strictArp(),
  });
  if (opts.kinds.dummy) {
    interfaces.push({ name: d.dummy.name, kind: 'dummy', addresses: [...d.dummy.addresses] });
  }
  return {
    interfaces,
    mgmt: {
      addresses: [...MGMT.addresses],
      candidates: [...MGMT.candidates],
      gateway: { ipv4: MGMT.gateway, default_route: true },
      health: { arp_probe: { target: MGMT.gateway, interval_ms: 100, allowed_misses: 2 } },
      damping: { hold_down_ms: 1000, preempt_delay_ms: 3000 },
      announce: { count: 3, interval_ms: 50, refresh_ms: 10_000 },
    },
  };
}

export function renderLabConfig(opts: LabConfigOptions, missing: { kind: string; why: string }[], where?: { file: string; netns: string; stateDir: string }): string {
  const head = [
    '# nodectl configuration of the lab appliance (written by `nodectl lab up`).',
    where ? `# Try: nodectl config plan ${where.file} -n ${where.netns} --state-dir ${where.stateDir}` : '# Try: nodectl config plan THIS_FILE -n NODE_NAMESPACE --state-dir LAB_STATE_DIR/config',
    ...missing.map((m) => `# left out: ${m.kind} (${m.why}); the VM kernel has it`),
  ];
  return `${head.join('\n')}\n${stringify(labConfig(opts))}`;
}
