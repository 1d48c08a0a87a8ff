// The lab's topology as data: one description that `lab up` builds, `lab status` checks,
// the demo and the tests read, and docs/lab.md documents. Names inside a namespace are fixed
// (interface names are per-namespace, so they never collide with the host's); only namespace
// names carry the prefix, which is what lets a test run its own lab next to a human's.
import { UsageError } from '../errors.js';

export const DEFAULT_PREFIX = 'nctl-lab-';

/** Namespace roles, in build order. */
export type LabRole = 'node' | 'switch' | 'sctp-peer';
export const LAB_ROLES: readonly LabRole[] = ['node', 'switch', 'sctp-peer'];

export interface LabNic {
  /** The appliance's "physical" NIC, inside the node namespace. */
  name: string;
  /** Its cable end, a port of a bridge in the switch namespace. */
  switchPort: string;
  bridge: string;
  role: string;
}

export interface LabBridge {
  name: string;
  /** The gateway addresses: something on the wire that answers ARP and NDP. */
  addresses: string[];
}

export const SWITCH_BRIDGES: readonly LabBridge[] = [
  { name: 'br-mgmt', addresses: ['192.0.2.1/24', '2001:db8:0:1::1/64'] },
  { name: 'br-data', addresses: ['198.51.100.1/24', '2001:db8:0:2::1/64'] },
];

export const NODE_NICS: readonly LabNic[] = [
  { name: 'eth0', switchPort: 'swp0', bridge: 'br-mgmt', role: 'management, first candidate' },
  { name: 'eth1', switchPort: 'swp1', bridge: 'br-mgmt', role: 'management, second candidate' },
  { name: 'eth2', switchPort: 'swp2', bridge: 'br-data', role: 'data: SCTP traffic, macvlan, vlan 100' },
  { name: 'eth3', switchPort: 'swp3', bridge: 'br-data', role: 'data: bond0 (when the kernel has bonding) under br-int' },
];

/** The SCTP peer: one NIC on the data bridge. */
export const SCTP_PEER = {
  nic: 'eth0',
  switchPort: 'swp-peer',
  bridge: 'br-data',
  addresses: ['198.51.100.20/24', '2001:db8:0:2::20/64'],
  gateway: '198.51.100.1',
} as const;

/**
 * The generated SCTP association's endpoints: the frames leave the node's eth2 and the peer's
 * eth0, but carry addresses no kernel in the lab owns, so a kernel with an SCTP stack (the VM's)
 * drops them instead of answering the generator's INIT with an ABORT of its own.
 */
export const SCTP_SIM = { node: '198.51.100.50', peer: '198.51.100.60' } as const;

/** The node's floating management address and where it may live. */
export const MGMT = {
  addresses: ['192.0.2.10/24', '2001:db8:0:1::10/64'],
  gateway: '192.0.2.1',
  candidates: ['eth0', 'eth1'],
} as const;

/** The node's data-plane addresses (what the config file declares). */
export const NODE_DATA = {
  eth2: ['198.51.100.10/24', '2001:db8:0:2::10/64'],
  macvlan: { name: 'mv-app', parent: 'eth2', mode: 'bridge', addresses: ['198.51.100.11/24'] },
  vlan: { name: 'eth2.100', parent: 'eth2', id: 100, addresses: ['2001:db8:0:64::10/64'] },
  bond: { name: 'bond0', slaves: ['eth3'], mode: 'active-backup', miimon: 100 },
  bridge: { name: 'br-int', addresses: ['198.51.100.12/24'] },
  /** What the demo's config change adds to br-int. */
  bridgeAddedAddresses: ['2001:db8:0:2::12/64'],
  dummy: { name: 'svc0', addresses: ['203.0.113.10/32'] },
} as const;

/** Logical kinds the lab uses that some kernels lack (left out with a note when absent). */
export const OPTIONAL_KINDS = ['vlan', 'bond', 'dummy'] as const;
export type OptionalKind = (typeof OPTIONAL_KINDS)[number];

export interface LabNames {
  prefix: string;
  node: string;
  switch: string;
  sctpPeer: string;
  /** Every namespace of this lab, in build order. */
  all: string[];
}

/** iproute2 accepts any file name; we keep to what is safe in a path and readable in `ip netns`. */
const PREFIX_RE = /^[a-z0-9][a-z0-9_.-]{0,39}$/i;

export function resolvePrefix(flag?: string): string {
  const prefix = flag ?? process.env.NODECTL_LAB_PREFIX ?? DEFAULT_PREFIX;
  if (!PREFIX_RE.test(prefix) || prefix.includes('..')) {
    throw new UsageError(`invalid lab prefix "${prefix}": use letters, digits, "-", "_" or "." (at most 40 characters)`);
  }
  return prefix;
}

export function labNames(prefix: string): LabNames {
  const node = `${prefix}node`;
  const sw = `${prefix}switch`;
  const peer = `${prefix}sctp-peer`;
  return { prefix, node, switch: sw, sctpPeer: peer, all: [node, sw, peer] };
}

export function roleOf(names: LabNames, ns: string): LabRole | null {
  if (ns === names.node) return 'node';
  if (ns === names.switch) return 'switch';
  if (ns === names.sctpPeer) return 'sctp-peer';
  return null;
}

/** Where a lab keeps its files: /run, because the namespaces themselves do not survive a reboot. */
export function labStateDir(prefix: string): string {
  const base = process.env.NODECTL_LAB_STATE_DIR ?? '/run/nodectl/lab';
  return `${base}/${prefix.replace(/-+$/, '') || 'lab'}`;
}
