// The node's configuration file, as an operator would write it for this appliance: the
// logical interfaces over the lab's NICs, their addresses and ARP policy, and the management
// failover section. `lab up` writes it to the lab's state directory and applies it.
import { stringify } from 'yaml';
import { MGMT, NODE_DATA, type OptionalKind } from './plan.js';

export interface LabConfigOptions {
  /** Optional kinds this kernel has; the others are left out of the file. */
  kinds: Record<OptionalKind, boolean>;
}

export function labConfig(opts: LabConfigOptions): Record<string, unknown> {
  const d = NODE_DATA;
  // Several addresses of one subnet on one node: answer ARP only for the interface's own
  // addresses and announce with the best source, the appliance's usual policy.
  const strictArp = { arp_ignore: 1, arp_announce: 2 };
  const interfaces: Record<string, unknown>[] = [
    { name: 'eth2', kind: 'physical', state: 'up', addresses: [...d.eth2], arp: { ...strictArp } },
    { name: 'eth3', kind: 'physical', state: 'up' },
    { name: d.macvlan.name, kind: 'macvlan', parent: d.macvlan.parent, macvlan: { mode: d.macvlan.mode }, state: 'up', addresses: [...d.macvlan.addresses], arp: { ...strictArp } },
  ];
  if (opts.kinds.vlan) {
    interfaces.push({ name: d.vlan.name, kind: 'vlan', parent: d.vlan.parent, vlan: { id: d.vlan.id }, state: 'up', addresses: [...d.vlan.addresses] });
  }
  if (opts.kinds.bond) {
    interfaces.push({ name: d.bond.name, kind: 'bond', bond: { mode: d.bond.mode, miimon: d.bond.miimon }, state: 'up' });
  }
  interfaces.push({ name: d.bridge.name, kind: 'bridge', bridge: { stp: false }, state: 'up', addresses: [...d.bridge.addresses], arp: { ...strictArp } });
  if (opts.kinds.dummy) {
    interfaces.push({ name: d.dummy.name, kind: 'dummy', state: 'up', addresses: [...d.dummy.addresses] });
  }
  return {
    interfaces,
    mgmt: {
      addresses: [...MGMT.addresses],
      gateway: MGMT.gateway,
      candidates: MGMT.candidates.map((name) => ({ name })),
      health: { arp_probe: { target: MGMT.gateway, interval_ms: 200, misses: 3 } },
      damping: { hold_down_ms: 1000, preempt_delay_ms: 3000 },
    },
  };
}

/** The lab's ports of each bridge/bond, which the config expresses as `master:` on the port. */
export function labPorts(kinds: Record<OptionalKind, boolean>): { port: string; master: string }[] {
  const d = NODE_DATA;
  return kinds.bond
    ? [{ port: 'eth3', master: d.bond.name }, { port: d.bond.name, master: d.bridge.name }]
    : [{ port: 'eth3', master: d.bridge.name }];
}

export function renderLabConfig(opts: LabConfigOptions, missing: { kind: string; why: string }[]): string {
  const head = [
    '# nodectl configuration of the lab appliance (written by `nodectl lab up`).',
    '# Try: nodectl config plan THIS_FILE --netns <lab node namespace>',
    ...missing.map((m) => `# left out: ${m.kind} (${m.why}); the VM kernel has it`),
  ];
  const cfg = labConfig(opts);
  // Ports name their master, so the file reads top-down like the hierarchy.
  const ports = labPorts(opts.kinds);
  for (const iface of cfg.interfaces as Record<string, unknown>[]) {
    const p = ports.find((x) => x.port === iface.name);
    if (p) iface.master = p.master;
  }
  return `${head.join('\n')}\n${stringify(cfg)}`;
}
