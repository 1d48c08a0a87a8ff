import { Type, type Static, type TString } from '@sinclair/typebox';
import { MgmtDecl } from './mgmt-schema.js';
import { ARP_RANGES, type ArpKey } from './arp-keys.js';
import { attrOf, BOND, BOND_MODES, MACVLAN_MODE_NAMES, VLAN, VLAN_PROTOCOLS } from '../netlink/link-kinds.js';

// The node configuration file, as TypeBox schemas. Every object is closed
// (additionalProperties: false): a misspelt key is an error, never silently ignored — the
// complaint users of netplan and ifupdown have most about their files. Keys use iproute2's
// words (`link` for the lower device, `master`, `mtu`, `address`) in snake_case.

const closed = { additionalProperties: false } as const;

export const IFNAME_PATTERN = '^[^/\\s:]{1,15}$';

const IfName = (description: string): TString =>
  Type.String({ pattern: IFNAME_PATTERN, description: `${description} (1-15 characters, no "/", ":" or spaces).` });

export const AddressObject = Type.Object({
  address: Type.String({ description: 'ADDRESS/PREFIX in CIDR form, IPv4 or IPv6, e.g. 192.0.2.10/24 or 2001:db8::1/64.' }),
  label: Type.Optional(Type.String({ maxLength: 15, description: 'IPv4 only: the address label (ip addr add … label), must begin with the interface name.' })),
  nodad: Type.Optional(Type.Boolean({ description: 'IPv6 only: skip Duplicate Address Detection (ip addr add … nodad).' })),
}, { ...closed, description: 'An address with options.' });

export const AddressDecl = Type.Union([
  Type.String({ description: 'ADDRESS/PREFIX, e.g. 192.0.2.10/24' }),
  AddressObject,
], { description: 'An address: "ADDRESS/PREFIX" or {address, label, nodad}.' });
export type AddressDecl = Static<typeof AddressDecl>;

/** Per-interface ARP policy: /proc/sys/net/ipv4/conf/IFACE/<key>, set over netlink. */
export const ArpDecl = Type.Object(
  Object.fromEntries(Object.entries(ARP_RANGES).map(([key, r]) => [
    key, Type.Optional(Type.Integer({ minimum: r.min, maximum: r.max, description: r.description })),
  ])),
  { ...closed, description: 'Per-interface ARP policy (net.ipv4.conf.IFACE.*); keys left out are not managed.' },
);
export type ArpDecl = Partial<Record<ArpKey, number>>;

/** A static route through the interface it is declared on (netplan's `routes:`, `ip route add … dev IFACE`). */
export const RouteDecl = Type.Object({
  to: Type.String({ description: '"default", or DESTINATION/PREFIX with no host bits set (a bare address is a host route), IPv4 or IPv6.' }),
  via: Type.Optional(Type.String({ description: 'Gateway address; left out, the destination is on-link through this interface.' })),
  metric: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295, description: 'Route metric (priority); default 0 for IPv4, 1024 for IPv6 (the kernel makes an IPv6 0 into 1024).' })),
  table: Type.Optional(Type.Integer({ minimum: 1, maximum: 4294967295, description: 'Routing table; default 254 (main). 255 (local) is the kernel\'s own.' })),
  scope: Type.Optional(Type.Union([Type.Literal('link'), Type.Literal('global')], { description: 'IPv4 only; default link without via, global with it.' })),
  onlink: Type.Optional(Type.Boolean({ description: 'Take the gateway as on-link even if no prefix of this interface covers it (ip route add … onlink).' })),
}, { ...closed, description: 'A route through this interface.' });
export type RouteDecl = Static<typeof RouteDecl>;

// Attributes every kind shares.
const common = {
  name: IfName('Interface name'),
  mtu: Type.Optional(Type.Integer({ minimum: 68, maximum: 65535, description: 'MTU in bytes (ip link set … mtu), 68-65535: the range of IFLA_MTU for every kind nodectl makes.' })),
  mac: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$', description: 'Link-layer address, e.g. 02:00:00:00:00:01 (ip link set … address).' })),
  state: Type.Optional(Type.Union([Type.Literal('up'), Type.Literal('down')], { description: 'Administrative state; default up.' })),
  alias: Type.Optional(Type.String({ maxLength: 255, description: 'Free-text description (ip link set … alias).' })),
  master: Type.Optional(IfName('The bridge or bond this interface is a port of (ip link set … master)')),
  addresses: Type.Optional(Type.Array(AddressDecl, {
    description: 'The complete list of addresses: others found on the interface are removed. Left out: none on a created interface, unmanaged on a device.',
  })),
  arp: Type.Optional(ArpDecl),
  routes: Type.Optional(Type.Array(RouteDecl, {
    description: 'Static routes through this interface. nodectl marks the routes it installs (protocol "nodectl", 110) and removes only those when they leave the file.',
  })),
};

const lowerLink = IfName('The lower device (iproute2 "link"), declared in this file or existing');

export const DeviceDecl = Type.Object({
  kind: Type.Literal('device', { description: 'An interface nodectl does not create (physical NIC, or made by someone else): only its attributes are managed.' }),
  ...common,
}, { ...closed, title: 'device' });

// What a kind accepts (modes, ranges, list lengths) is its table's (src/netlink/link-kinds.ts).
const vlanId = attrOf(VLAN, 'id');
const bondMiimon = attrOf(BOND, 'miimon');
const bondArpInterval = attrOf(BOND, 'arpInterval');

export const VlanDecl = Type.Object({
  kind: Type.Literal('vlan'),
  ...common,
  link: lowerLink,
  vlan: Type.Object({
    id: Type.Integer({ minimum: vlanId.min, maximum: vlanId.max, description: `VLAN id, ${vlanId.min}-${vlanId.max}.` }),
    protocol: Type.Optional(Type.Union(VLAN_PROTOCOLS.map((p) => Type.Literal(p)), { description: 'Tag protocol; default 802.1Q.' })),
  }, closed),
}, { ...closed, title: 'vlan' });

export { BOND_MODES };
export const BondDecl = Type.Object({
  kind: Type.Literal('bond'),
  ...common,
  ports: Type.Optional(Type.Array(IfName('A port'), { description: 'Ports (slaves) of the bond; same as `master:` on each port.' })),
  bond: Type.Optional(Type.Object({
    mode: Type.Optional(Type.Union(BOND_MODES.map((m) => Type.Literal(m)), { description: 'Bonding mode; default balance-rr.' })),
    miimon: Type.Optional(Type.Integer({ minimum: bondMiimon.min, maximum: bondMiimon.max, description: 'MII link monitoring interval, ms.' })),
    arp_interval: Type.Optional(Type.Integer({ minimum: bondArpInterval.min, maximum: bondArpInterval.max, description: 'ARP monitoring interval, ms.' })),
    arp_ip_target: Type.Optional(Type.Array(Type.String(), { maxItems: attrOf(BOND, 'arpIpTargets').maxItems, description: `IPv4 targets of the ARP monitor (up to ${attrOf(BOND, 'arpIpTargets').maxItems}).` })),
  }, closed)),
}, { ...closed, title: 'bond' });

export const BridgeDecl = Type.Object({
  kind: Type.Literal('bridge'),
  ...common,
  ports: Type.Optional(Type.Array(IfName('A port'), { description: 'Ports of the bridge; same as `master:` on each port.' })),
  bridge: Type.Optional(Type.Object({
    stp: Type.Optional(Type.Boolean({ description: 'Spanning tree; default off.' })),
    vlan_filtering: Type.Optional(Type.Boolean({ description: 'VLAN filtering; default off.' })),
  }, closed)),
}, { ...closed, title: 'bridge' });

export const MACVLAN_MODES = MACVLAN_MODE_NAMES;
export const MacvlanDecl = Type.Object({
  kind: Type.Literal('macvlan'),
  ...common,
  link: lowerLink,
  macvlan: Type.Optional(Type.Object({
    mode: Type.Optional(Type.Union(MACVLAN_MODES.map((m) => Type.Literal(m)), { description: 'Default vepa (the kernel default).' })),
  }, closed)),
}, { ...closed, title: 'macvlan' });

/** The other end of a veth pair, as an interface of its own (created and removed with its pair). */
export const VethPeerObject = Type.Object({
  name: IfName('Name of the other end'),
  mtu: common.mtu,
  state: Type.Optional(Type.Union([Type.Literal('up'), Type.Literal('down')], { description: 'Administrative state; default up.' })),
  alias: common.alias,
  master: Type.Optional(IfName('The bridge or bond the other end is a port of')),
  addresses: Type.Optional(Type.Array(AddressDecl, { description: 'The complete list of addresses of the other end; default none.' })),
  arp: common.arp,
  routes: common.routes,
  netns: Type.Optional(Type.String({ description: 'Put the other end in this network namespace (a name under /run/netns); then only name and netns may be given.' })),
}, { ...closed, title: 'veth peer', description: 'The other end as an interface: name, mtu, state, alias, master, addresses, arp, routes (or netns).' });
export type VethPeerObject = Static<typeof VethPeerObject>;

export const VethDecl = Type.Object({
  kind: Type.Literal('veth'),
  ...common,
  veth: Type.Object({
    peer: Type.Union([IfName('Name of the other end (left as the kernel makes it: down, no addresses)'), VethPeerObject], { description: 'The other end: its name, or the interface {name, mtu, state, alias, master, addresses, netns}.' }),
    peer_netns: Type.Optional(Type.String({ description: 'Put the other end in this network namespace (a name under /run/netns).' })),
  }, closed),
}, { ...closed, title: 'veth' });

export const DummyDecl = Type.Object({
  kind: Type.Literal('dummy'),
  ...common,
}, { ...closed, title: 'dummy' });

export const KIND_SCHEMAS = {
  device: DeviceDecl,
  vlan: VlanDecl,
  bond: BondDecl,
  bridge: BridgeDecl,
  macvlan: MacvlanDecl,
  veth: VethDecl,
  dummy: DummyDecl,
} as const;
export type DeclKind = keyof typeof KIND_SCHEMAS;
export const DECL_KINDS = Object.keys(KIND_SCHEMAS) as DeclKind[];

export const InterfaceDecl = Type.Union(Object.values(KIND_SCHEMAS), {
  description: 'One interface; `kind` selects which other keys apply.',
});
export type DeviceDecl = Static<typeof DeviceDecl>;
export type VlanDecl = Static<typeof VlanDecl>;
export type BondDecl = Static<typeof BondDecl>;
export type BridgeDecl = Static<typeof BridgeDecl>;
export type MacvlanDecl = Static<typeof MacvlanDecl>;
export type VethDecl = Static<typeof VethDecl>;
export type DummyDecl = Static<typeof DummyDecl>;
export type InterfaceDecl = DeviceDecl | VlanDecl | BondDecl | BridgeDecl | MacvlanDecl | VethDecl | DummyDecl;

export const NodeConfig = Type.Object({
  $schema: Type.Optional(Type.String({ description: 'Ignored; lets editors find this schema.' })),
  interfaces: Type.Array(InterfaceDecl, { description: 'The interfaces of the node, in any order (nodectl orders the work).' }),
  mgmt: Type.Optional(MgmtDecl),
}, { ...closed, $id: 'https://nodectl.dev/schema/config.json', title: 'nodectl node configuration' });
export type NodeConfig = { $schema?: string; interfaces: InterfaceDecl[]; mgmt?: Static<typeof MgmtDecl> };

/** The schema as plain JSON Schema (draft 2020-12 compatible), for editors and the docs. */
export function configJsonSchema(): Record<string, unknown> {
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...JSON.parse(JSON.stringify(NodeConfig)) };
}
