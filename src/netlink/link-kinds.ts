// What nodectl knows about each link kind, in one table per kind (as iproute2 keeps one
// link_util per kind in ip/iplink_*.c): the IFLA_* attributes of its IFLA_INFO_DATA (or, for a
// port, IFLA_INFO_SLAVE_DATA) by uapi name and number, their wire types, the key each has in
// nodectl's JSON and the name iproute2's `ip -j -d link show` gives it, the values a link has
// when the kernel leaves an attribute out, what can be set at creation, the limits nodectl
// accepts, and the module that provides the kind.
//
// Everything kind-specific is driven from here: decoding (linkinfo.ts decodeKindData /
// decodeSlaveData), encoding of RTM_NEWLINK requests (linkinfo.ts encodeLinkInfo), validation
// (linkinfo.ts validateKindSpec, the config schema's enums and ranges, `link add`'s checks), and
// the native JSON writer of `link list --json`, whose kind tables are generated from this file
// (scripts/gen-link-kinds writes native/src/generated/link_kinds.h; the build runs it, a unit
// test fails when the header is stale).
//
// Numbers are the uapi ones (include/uapi/linux/if_link.h, if_bridge.h); sizes matter: the
// kernel rejects a u32 where its policy says u8.

/** Top-level IFLA_* attributes of an RTM_NEWLINK message (if_link.h enum, in order). */
export const IFLA = {
  ADDRESS: 1, BROADCAST: 2, IFNAME: 3, MTU: 4, LINK: 5, QDISC: 6, STATS: 7, MASTER: 10, TXQLEN: 13,
  OPERSTATE: 16, LINKMODE: 17, LINKINFO: 18, IFALIAS: 20, STATS64: 23, AF_SPEC: 26, GROUP: 27,
  NET_NS_FD: 28, EXT_MASK: 29, PROMISCUITY: 30, NUM_TX_QUEUES: 31, NUM_RX_QUEUES: 32, CARRIER: 33,
  CARRIER_CHANGES: 35, LINK_NETNSID: 37, PROTO_DOWN: 39, GSO_MAX_SEGS: 40, GSO_MAX_SIZE: 41,
  CARRIER_UP_COUNT: 47, CARRIER_DOWN_COUNT: 48, MIN_MTU: 50, MAX_MTU: 51, PROP_LIST: 52,
  ALT_IFNAME: 53, PERM_ADDRESS: 54, PROTO_DOWN_REASON: 55, PARENT_DEV_NAME: 56, GRO_MAX_SIZE: 58,
  PARENT_DEV_BUS_NAME: 57, TSO_MAX_SIZE: 59, TSO_MAX_SEGS: 60, ALLMULTI: 61, GSO_IPV4_MAX_SIZE: 63, GRO_IPV4_MAX_SIZE: 64,
} as const;

/**
 * The top-level attributes nodectl can send in a request that changes something (link.ts addLink,
 * setLink and the veth peer, inetconf.ts, link-group.ts), with `since` as AttrDef's: all known by
 * the 5.10 floor. AF_SPEC carries IFLA_INET_CONF (both "rtnetlink: Link address family API",
 * 2.6.38).
 */
export const IFLA_SINCE: Readonly<Partial<Record<keyof typeof IFLA, string>>> = {
  IFNAME: '2.6', MTU: '2.6', ADDRESS: '2.6', LINK: '2.6', MASTER: '2.6', LINKINFO: '2.6', IFALIAS: '2.6.31',
  NET_NS_FD: '3.0', GROUP: '3.2', AF_SPEC: '2.6.38',
};

/** IFLA_INFO_* inside IFLA_LINKINFO. */
export const IFLA_INFO = { KIND: 1, DATA: 2, XSTATS: 3, SLAVE_KIND: 4, SLAVE_DATA: 5 } as const;
/** IFLA_PROTO_DOWN_REASON_* inside IFLA_PROTO_DOWN_REASON. */
export const IFLA_PROTO_DOWN_REASON = { MASK: 1, VALUE: 2 } as const;
/** IFLA_INET6_* inside IFLA_AF_SPEC's AF_INET6 block. */
export const IFLA_INET6 = { ADDR_GEN_MODE: 8 } as const;
/** VETH_INFO_PEER: a whole ifinfomsg + attributes, the other end of a new veth. */
export const VETH_INFO_PEER = 1;

export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;

/**
 * How an attribute's value is read and written:
 * - u8/u16/u32/u64: a number; be16: a number in network byte order
 * - flag8/flag32: a boolean (non-zero), from a u8 / u32
 * - enum8/enum32: names[value], else the number as a string
 * - choice8: names[0] when zero, names[1] otherwise
 * - values32: the name whose value (values[i]) it is, else the number as a string (macvlan mode)
 * - bits32: the names of the bits (values[i]) set, a list
 * - proto16: a VLAN protocol, 802.1ad for ETH_P_8021AD, else 802.1Q (big-endian u16)
 * - lladdr: aa:bb:…; bridgeId: struct ifla_bridge_id as iproute2 prints it (8000.aa:bb:…)
 * - s32: a signed number (macvlan bc_cutoff -1, bond slave prio)
 * - bits8/bits16: as bits32, from a u8 / u16 (bond port states)
 * - mask16: a u16 bit mask as one string, as iproute2's _bitmask2str writes it: the bits set, low
 *   to high, joined by ",", each by its name (values[i]) or, without one, as 0x<bit>; "0x0" for
 *   none (a bridge port's group_fwd_mask_str: "stp,0x8,lldp")
 * - bit32: a boolean, bit `bit` of the first u32 (struct br_boolopt_multi's optval): one
 *   attribute holding several options, each with its own entry (same id) and key
 * - ipv4list / ipv6list: a nest of IPv4 / IPv6 addresses (bond arp_ip_target / ns_ip6_target)
 * - lladdrlist: a nest of link-layer addresses (macvlan source-mode MACs)
 * - qosmap: a nest of struct ifla_vlan_qos_mapping, as [{from, to}] (vlan ingress/egress_qos)
 * - adinfo: IFLA_BOND_AD_INFO's nest as ip prints it ({aggregator, num_ports, actor_key,
 *   partner_key, partner_mac}, each only when sent)
 * - querier4 / querier6: IFLA_BR_MCAST_QUERIER_STATE's nest (BRIDGE_QUERIER_*, if_bridge.h), the
 *   IPv4 or the IPv6 half, as ip prints it: {mcast_querier_ipv4_addr, mcast_querier_ipv4_port}
 *   (resp. _ipv6_), each only when sent, {} when the kernel sent neither; the running
 *   other_timer ip also prints is left out (it changes on every read)
 * - ifname32: a u32 ifindex shown by the name of that link, as iproute2 does (ll_index_to_name);
 *   the same attribute's u32 entry, `of`, keeps the number. Only the whole dump knows the name:
 *   the decoder leaves null, toViews (interfaces/model.ts) and the native writer's second pass
 *   put in the name of the link with that index in the same dump, or null when there is none
 */
export type AttrType =
  | 'u8' | 'u16' | 'u32' | 'u64' | 's32' | 'be16' | 'flag8' | 'flag32' | 'enum8' | 'enum32' | 'choice8'
  | 'values32' | 'bits8' | 'bits16' | 'mask16' | 'bits32' | 'bit32' | 'proto16' | 'lladdr' | 'bridgeId' | 'ipv4list' | 'ipv6list'
  | 'lladdrlist' | 'qosmap' | 'adinfo' | 'ifname32' | 'querier4' | 'querier6';

/** The bytes each type needs at least (the native writer falls back to TypeScript on fewer). */
export const ATTR_TYPE_SIZE: Readonly<Record<AttrType, number>> = {
  u8: 1, u16: 2, u32: 4, u64: 8, s32: 4, be16: 2, flag8: 1, flag32: 4, enum8: 1, enum32: 4, choice8: 1,
  values32: 4, bits8: 1, bits16: 2, mask16: 2, bits32: 4, bit32: 4, proto16: 2, lladdr: 0, bridgeId: 0, ipv4list: 0, ipv6list: 0,
  lladdrlist: 0, qosmap: 0, adinfo: 0, ifname32: 4, querier4: 0, querier6: 0,
};

export interface AttrDef {
  /** The uapi name, e.g. IFLA_BR_STP_STATE. */
  readonly name: string;
  readonly id: number;
  readonly type: AttrType;
  /** nodectl's JSON key (and the field of the decoded object). */
  readonly key: string;
  /** iproute2's key in `ip -j -d link show` (info_data / info_slave_data), when it prints one. */
  readonly ip?: string;
  readonly names?: readonly string[];
  readonly values?: readonly number[];
  /** Accepted range when nodectl sets it (inclusive). */
  readonly min?: number;
  readonly max?: number;
  /** bit32: which bit of the value this entry is. */
  readonly bit?: number;
  /** ifname32: the key of the u32 entry of the same attribute (the ifindex it names). */
  readonly of?: string;
  /** Most entries a list takes (ipv4list). */
  readonly maxItems?: number;
  /** Moves on its own (a count of groups or hosts): left out when links are compared for "nothing changed". */
  readonly volatile?: boolean;
  /**
   * Since which kernel the attribute exists (a release, compared by major.minor), given for every attribute nodectl can
   * send in a request that changes something, and only for those (test/unit/attr-since.test.ts
   * checks both ways). A kernel may ignore an attribute it does not know and acknowledge the
   * request, so one whose `since` is after the 5.10 floor is refused before sending on an older
   * kernel (attr-since.ts derives its checks from this field). After the floor it is the first
   * mainline release (the merge window that took the commit); at the floor it is a release by
   * which the attribute was there, as audited once from the kernel's and iproute2's history.
   */
  readonly since?: string;
  /** With `since` after the floor: the value that means what an older kernel does without the attribute (not refused). */
  readonly absent?: number;
}

export interface KindTable {
  /** IFLA_INFO_KIND (or IFLA_INFO_SLAVE_KIND) values this table decodes. */
  readonly kinds: readonly string[];
  /** The attributes of IFLA_INFO_DATA / IFLA_INFO_SLAVE_DATA nodectl reads. */
  readonly attrs: readonly AttrDef[];
  /**
   * Members every decoded object has, in order after `kind`, with the value they have when the
   * kernel leaves the attribute out (the kernel's default).
   */
  readonly defaults: readonly (readonly [string, unknown])[];
  /**
   * Keys of attrs that a new link of this kind may carry (encodeLinkInfo), in the order they are
   * sent; `required` ones must be given; `always` ones are sent with their default when not given.
   */
  readonly create?: { readonly keys: readonly string[]; readonly required?: readonly string[]; readonly always?: Readonly<Record<string, unknown>> };
  /** Needs a lower device (IFLA_LINK) to be created. */
  readonly needsParent?: boolean;
  /** The module (and kernel option) that provides the kind. */
  readonly module?: { readonly name: string; readonly option: string };
}

const a = (name: string, id: number, type: AttrType, key: string, more: Partial<AttrDef> = {}): AttrDef => ({ name, id, type, key, ...more });

/** BOND_MODE_* (if_bonding.h) by iproute2 name: the index is the value. */
export const BOND_MODES = ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb', 'balance-alb'] as const;
export type BondMode = (typeof BOND_MODES)[number];
const BOND_ARP_VALIDATE = ['none', 'active', 'backup', 'all', 'filter', 'filter_active', 'filter_backup'];
const BOND_XMIT_HASH = ['layer2', 'layer3+4', 'layer2+3', 'encap2+3', 'encap3+4', 'vlan+srcmac'];

/** MACVLAN_MODE_* by iproute2 name, with their bit values. */
export const MACVLAN_MODE_NAMES = ['private', 'vepa', 'bridge', 'passthru', 'source'] as const;
export type MacvlanMode = (typeof MACVLAN_MODE_NAMES)[number];
const MACVLAN_MODE_VALUES = [1, 2, 4, 8, 16];
export const MACVLAN_MODES: Readonly<Record<MacvlanMode, number>> = Object.fromEntries(MACVLAN_MODE_NAMES.map((n, i) => [n, MACVLAN_MODE_VALUES[i]!])) as Record<MacvlanMode, number>;

export const VLAN_PROTOCOLS = ['802.1Q', '802.1ad'] as const;

export const VLAN: KindTable = {
  kinds: ['vlan'],
  attrs: [
    a('IFLA_VLAN_ID', 1, 'u16', 'id', { ip: 'id', min: 1, max: 4094, since: '2.6' }),
    a('IFLA_VLAN_FLAGS', 2, 'bits32', 'flags', { ip: 'flags', names: ['reorder_hdr', 'gvrp', 'loose_binding', 'mvrp', 'bridge_binding'], values: [0x1, 0x2, 0x4, 0x8, 0x10] }),
    // priority maps: skb priority -> 802.1p on egress, 802.1p -> skb priority on ingress
    a('IFLA_VLAN_EGRESS_QOS', 3, 'qosmap', 'egressQos', { ip: 'egress_qos' }),
    a('IFLA_VLAN_INGRESS_QOS', 4, 'qosmap', 'ingressQos', { ip: 'ingress_qos' }),
    a('IFLA_VLAN_PROTOCOL', 5, 'proto16', 'protocol', { ip: 'protocol', names: VLAN_PROTOCOLS, since: '3.10' }),
  ],
  defaults: [['id', 0], ['protocol', '802.1Q'], ['flags', []]],
  create: { keys: ['id', 'protocol'], required: ['id'], always: { protocol: '802.1Q' } },
  needsParent: true,
  module: { name: '8021q', option: 'CONFIG_VLAN_8021Q' },
};

export const BOND: KindTable = {
  kinds: ['bond'],
  attrs: [
    a('IFLA_BOND_MODE', 1, 'enum8', 'mode', { ip: 'mode', names: BOND_MODES, since: '3.13' }),
    // the active slave and the primary: ifindex, and by name as ip prints them
    a('IFLA_BOND_ACTIVE_SLAVE', 2, 'u32', 'activeSlaveIndex'),
    a('IFLA_BOND_ACTIVE_SLAVE', 2, 'ifname32', 'activeSlave', { ip: 'active_slave', of: 'activeSlaveIndex' }),
    a('IFLA_BOND_MIIMON', 3, 'u32', 'miimon', { ip: 'miimon', min: 0, max: 2147483647, since: '3.13' }),
    a('IFLA_BOND_UPDELAY', 4, 'u32', 'updelay', { ip: 'updelay' }),
    a('IFLA_BOND_DOWNDELAY', 5, 'u32', 'downdelay', { ip: 'downdelay' }),
    a('IFLA_BOND_ARP_INTERVAL', 7, 'u32', 'arpInterval', { ip: 'arp_interval', min: 0, max: 2147483647, since: '3.13' }),
    a('IFLA_BOND_ARP_IP_TARGET', 8, 'ipv4list', 'arpIpTargets', { ip: 'arp_ip_target', maxItems: 16, since: '3.13' }),
    a('IFLA_BOND_ARP_VALIDATE', 9, 'enum32', 'arpValidate', { ip: 'arp_validate', names: BOND_ARP_VALIDATE }),
    a('IFLA_BOND_PRIMARY', 11, 'u32', 'primaryIndex'),
    a('IFLA_BOND_PRIMARY', 11, 'ifname32', 'primary', { ip: 'primary', of: 'primaryIndex' }),
    a('IFLA_BOND_XMIT_HASH_POLICY', 14, 'enum8', 'xmitHashPolicy', { ip: 'xmit_hash_policy', names: BOND_XMIT_HASH }),
    a('IFLA_BOND_USE_CARRIER', 6, 'flag8', 'useCarrier', { ip: 'use_carrier' }),
    a('IFLA_BOND_ARP_ALL_TARGETS', 10, 'enum32', 'arpAllTargets', { ip: 'arp_all_targets', names: ['any', 'all'] }),
    a('IFLA_BOND_PRIMARY_RESELECT', 12, 'enum8', 'primaryReselect', { ip: 'primary_reselect', names: ['always', 'better', 'failure'] }),
    a('IFLA_BOND_FAIL_OVER_MAC', 13, 'enum8', 'failOverMac', { ip: 'fail_over_mac', names: ['none', 'active', 'follow'] }),
    a('IFLA_BOND_RESEND_IGMP', 15, 'u32', 'resendIgmp', { ip: 'resend_igmp' }),
    a('IFLA_BOND_NUM_PEER_NOTIF', 16, 'u8', 'numPeerNotif', { ip: 'num_peer_notif' }),
    a('IFLA_BOND_ALL_SLAVES_ACTIVE', 17, 'u8', 'allSlavesActive', { ip: 'all_slaves_active' }),
    a('IFLA_BOND_MIN_LINKS', 18, 'u32', 'minLinks', { ip: 'min_links' }),
    a('IFLA_BOND_LP_INTERVAL', 19, 'u32', 'lpInterval', { ip: 'lp_interval' }),
    a('IFLA_BOND_PACKETS_PER_SLAVE', 20, 'u32', 'packetsPerSlave', { ip: 'packets_per_slave' }),
    a('IFLA_BOND_AD_LACP_RATE', 21, 'choice8', 'lacpRate', { ip: 'ad_lacp_rate', names: ['slow', 'fast'] }),
    a('IFLA_BOND_AD_SELECT', 22, 'enum8', 'adSelect', { ip: 'ad_select', names: ['stable', 'bandwidth', 'count'] }),
    a('IFLA_BOND_AD_ACTOR_SYS_PRIO', 24, 'u16', 'adActorSysPrio', { ip: 'ad_actor_sys_prio' }),
    a('IFLA_BOND_AD_USER_PORT_KEY', 25, 'u16', 'adUserPortKey', { ip: 'ad_user_port_key' }),
    a('IFLA_BOND_AD_ACTOR_SYSTEM', 26, 'lladdr', 'adActorSystem', { ip: 'ad_actor_system' }),
    a('IFLA_BOND_TLB_DYNAMIC_LB', 27, 'u8', 'tlbDynamicLb', { ip: 'tlb_dynamic_lb' }),
    a('IFLA_BOND_PEER_NOTIF_DELAY', 28, 'u32', 'peerNotifDelay', { ip: 'peer_notif_delay' }),
    a('IFLA_BOND_AD_LACP_ACTIVE', 29, 'choice8', 'adLacpActive', { ip: 'ad_lacp_active', names: ['off', 'on'] }),
    a('IFLA_BOND_MISSED_MAX', 30, 'u8', 'missedMax', { ip: 'arp_missed_max' }),
    // 802.3ad: the active aggregator and its partner (changes with LACP negotiation)
    a('IFLA_BOND_AD_INFO', 23, 'adinfo', 'adInfo', { ip: 'ad_info' }),
    a('IFLA_BOND_NS_IP6_TARGET', 31, 'ipv6list', 'nsIp6Targets', { ip: 'ns_ip6_target' }),
    // ip prints it as on/off (a JSON boolean)
    a('IFLA_BOND_COUPLED_CONTROL', 32, 'flag8', 'coupledControl', { ip: 'coupled_control' }),
  ],
  defaults: [['mode', 'balance-rr'], ['miimon', 0]],
  create: { keys: ['mode', 'miimon', 'arpInterval', 'arpIpTargets'], required: ['mode'] },
  module: { name: 'bonding', option: 'CONFIG_BONDING' },
};

export const BRIDGE: KindTable = {
  kinds: ['bridge'],
  attrs: [
    // timers in centiseconds (USER_HZ), as the kernel reports them and `ip -d` prints them
    a('IFLA_BR_FORWARD_DELAY', 1, 'u32', 'forwardDelay', { ip: 'forward_delay' }),
    a('IFLA_BR_HELLO_TIME', 2, 'u32', 'helloTime', { ip: 'hello_time' }),
    a('IFLA_BR_MAX_AGE', 3, 'u32', 'maxAge', { ip: 'max_age' }),
    a('IFLA_BR_AGEING_TIME', 4, 'u32', 'ageingTime', { ip: 'ageing_time' }),
    a('IFLA_BR_STP_STATE', 5, 'flag32', 'stp', { ip: 'stp_state', since: '4.0' }),
    a('IFLA_BR_PRIORITY', 6, 'u16', 'priority', { ip: 'priority' }),
    a('IFLA_BR_VLAN_FILTERING', 7, 'flag8', 'vlanFiltering', { ip: 'vlan_filtering', since: '4.0' }),
    a('IFLA_BR_VLAN_PROTOCOL', 8, 'proto16', 'vlanProtocol', { ip: 'vlan_protocol', names: VLAN_PROTOCOLS }),
    a('IFLA_BR_ROOT_ID', 10, 'bridgeId', 'rootId', { ip: 'root_id' }),
    a('IFLA_BR_BRIDGE_ID', 11, 'bridgeId', 'bridgeId', { ip: 'bridge_id' }),
    a('IFLA_BR_ROOT_PORT', 12, 'u16', 'rootPort', { ip: 'root_port' }),
    a('IFLA_BR_GROUP_FWD_MASK', 9, 'u16', 'groupFwdMask', { ip: 'group_fwd_mask' }),
    a('IFLA_BR_ROOT_PATH_COST', 13, 'u32', 'rootPathCost', { ip: 'root_path_cost' }),
    a('IFLA_BR_TOPOLOGY_CHANGE', 14, 'flag8', 'topologyChange', { ip: 'topology_change' }),
    a('IFLA_BR_TOPOLOGY_CHANGE_DETECTED', 15, 'flag8', 'topologyChangeDetected', { ip: 'topology_change_detected' }),
    a('IFLA_BR_GROUP_ADDR', 20, 'lladdr', 'groupAddr', { ip: 'group_addr' }),
    a('IFLA_BR_MCAST_ROUTER', 22, 'u8', 'mcastRouter', { ip: 'mcast_router' }),
    a('IFLA_BR_MCAST_SNOOPING', 23, 'flag8', 'mcastSnooping', { ip: 'mcast_snooping' }),
    a('IFLA_BR_MCAST_QUERY_USE_IFADDR', 24, 'flag8', 'mcastQueryUseIfaddr', { ip: 'mcast_query_use_ifaddr' }),
    // the bridge sends IGMP/MLD queries itself
    a('IFLA_BR_MCAST_QUERIER', 25, 'flag8', 'mcastQuerier', { ip: 'mcast_querier' }),
    // the querier elected on the segment (this bridge or another host): its address and, for
    // another host, the port behind which it is (an ifindex, as ip prints it). One nest, an
    // entry per family. Sent while snooping is on; Linux 5.15 ("net: bridge: mcast: dump
    // ipv4/ipv6 querier state", net-next 2021-08). No `since`: nodectl never sends it. Volatile:
    // another querier heard or timed out changes it, with nothing configured differently.
    a('IFLA_BR_MCAST_QUERIER_STATE', 47, 'querier4', 'mcastQuerierStateIpv4', { ip: 'mcast_querier_state_ipv4', volatile: true }),
    a('IFLA_BR_MCAST_QUERIER_STATE', 47, 'querier6', 'mcastQuerierStateIpv6', { ip: 'mcast_querier_state_ipv6', volatile: true }),
    a('IFLA_BR_MCAST_HASH_ELASTICITY', 26, 'u32', 'mcastHashElasticity', { ip: 'mcast_hash_elasticity' }),
    a('IFLA_BR_MCAST_HASH_MAX', 27, 'u32', 'mcastHashMax', { ip: 'mcast_hash_max' }),
    a('IFLA_BR_MCAST_LAST_MEMBER_CNT', 28, 'u32', 'mcastLastMemberCnt', { ip: 'mcast_last_member_cnt' }),
    a('IFLA_BR_MCAST_STARTUP_QUERY_CNT', 29, 'u32', 'mcastStartupQueryCnt', { ip: 'mcast_startup_query_cnt' }),
    // multicast intervals, in centiseconds as ip prints them
    a('IFLA_BR_MCAST_LAST_MEMBER_INTVL', 30, 'u64', 'mcastLastMemberIntvl', { ip: 'mcast_last_member_intvl' }),
    a('IFLA_BR_MCAST_MEMBERSHIP_INTVL', 31, 'u64', 'mcastMembershipIntvl', { ip: 'mcast_membership_intvl' }),
    a('IFLA_BR_MCAST_QUERIER_INTVL', 32, 'u64', 'mcastQuerierIntvl', { ip: 'mcast_querier_intvl' }),
    a('IFLA_BR_MCAST_QUERY_INTVL', 33, 'u64', 'mcastQueryIntvl', { ip: 'mcast_query_intvl' }),
    a('IFLA_BR_MCAST_QUERY_RESPONSE_INTVL', 34, 'u64', 'mcastQueryResponseIntvl', { ip: 'mcast_query_response_intvl' }),
    a('IFLA_BR_MCAST_STARTUP_QUERY_INTVL', 35, 'u64', 'mcastStartupQueryIntvl', { ip: 'mcast_startup_query_intvl' }),
    // bridged frames pass through iptables / ip6tables / arptables (br_netfilter)
    a('IFLA_BR_NF_CALL_IPTABLES', 36, 'flag8', 'nfCallIptables', { ip: 'nf_call_iptables' }),
    a('IFLA_BR_NF_CALL_IP6TABLES', 37, 'flag8', 'nfCallIp6tables', { ip: 'nf_call_ip6tables' }),
    a('IFLA_BR_NF_CALL_ARPTABLES', 38, 'flag8', 'nfCallArptables', { ip: 'nf_call_arptables' }),
    a('IFLA_BR_VLAN_DEFAULT_PVID', 39, 'u16', 'vlanDefaultPvid', { ip: 'vlan_default_pvid' }),
    a('IFLA_BR_VLAN_STATS_ENABLED', 41, 'flag8', 'vlanStatsEnabled', { ip: 'vlan_stats_enabled' }),
    a('IFLA_BR_MCAST_STATS_ENABLED', 42, 'flag8', 'mcastStatsEnabled', { ip: 'mcast_stats_enabled' }),
    a('IFLA_BR_MCAST_IGMP_VERSION', 43, 'u8', 'mcastIgmpVersion', { ip: 'mcast_igmp_version' }),
    a('IFLA_BR_MCAST_MLD_VERSION', 44, 'u8', 'mcastMldVersion', { ip: 'mcast_mld_version' }),
    a('IFLA_BR_VLAN_STATS_PER_PORT', 45, 'flag8', 'vlanStatsPerPort', { ip: 'vlan_stats_per_port' }),
    // struct br_boolopt_multi: one attribute, an option per bit (BR_BOOLOPT_*, if_bridge.h)
    a('IFLA_BR_MULTI_BOOLOPT', 46, 'bit32', 'noLinklocalLearn', { ip: 'no_linklocal_learn', bit: 0 }),
    a('IFLA_BR_MULTI_BOOLOPT', 46, 'bit32', 'mcastVlanSnooping', { ip: 'mcast_vlan_snooping', bit: 1 }),
    a('IFLA_BR_MULTI_BOOLOPT', 46, 'bit32', 'mstEnabled', { ip: 'mst_enabled', bit: 2 }),
    // learned FDB entries (a count that moves on its own) and their limit; Linux 6.8+
    a('IFLA_BR_FDB_N_LEARNED', 48, 'u32', 'fdbNLearned', { ip: 'fdb_n_learned', volatile: true }),
    a('IFLA_BR_FDB_MAX_LEARNED', 49, 'u32', 'fdbMaxLearned', { ip: 'fdb_max_learned' }),
  ],
  defaults: [['stp', false], ['vlanFiltering', false]],
  create: { keys: ['stp', 'vlanFiltering'] },
  module: { name: 'bridge', option: 'CONFIG_BRIDGE' },
};

export const MACVLAN: KindTable = {
  kinds: ['macvlan', 'macvtap'],
  attrs: [
    a('IFLA_MACVLAN_MODE', 1, 'values32', 'mode', { ip: 'mode', names: MACVLAN_MODE_NAMES, values: MACVLAN_MODE_VALUES, since: '2.6' }),
    a('IFLA_MACVLAN_FLAGS', 2, 'u16', 'flags'),
    // source mode: the MACs whose frames this macvlan takes (sent only while there are some)
    a('IFLA_MACVLAN_MACADDR_DATA', 5, 'lladdrlist', 'macaddrData', { ip: 'macaddr_data' }),
    a('IFLA_MACVLAN_MACADDR_COUNT', 6, 'u32', 'macaddrCount', { ip: 'macaddr_count' }),
    // the broadcast/multicast queue: its length as asked, and as used (the largest any macvlan of the lower device asked)
    a('IFLA_MACVLAN_BC_QUEUE_LEN', 7, 'u32', 'bcQueueLen', { ip: 'bcqueuelen' }),
    a('IFLA_MACVLAN_BC_QUEUE_LEN_USED', 8, 'u32', 'bcQueueLenUsed', { ip: 'usedbcqueuelen' }),
    // multicast to this many macvlans or more goes by the queue (-1: never); Linux 6.4+
    a('IFLA_MACVLAN_BC_CUTOFF', 9, 's32', 'bcCutoff', { ip: 'bc_cutoff' }),
  ],
  defaults: [['mode', 'vepa']],
  create: { keys: ['mode'] },
  needsParent: true,
  module: { name: 'macvlan', option: 'CONFIG_MACVLAN' },
};

/** veth reports no IFLA_INFO_DATA: its peer is IFLA_LINK (+ IFLA_LINK_NETNSID), added by the link decoder. */
export const VETH: KindTable = { kinds: ['veth'], attrs: [], defaults: [], module: { name: 'veth', option: 'CONFIG_VETH' } };
export const DUMMY: KindTable = { kinds: ['dummy'], attrs: [], defaults: [], module: { name: 'dummy', option: 'CONFIG_DUMMY' } };

/** The kinds whose IFLA_INFO_DATA nodectl decodes; any other kind has kindData null. */
export const KIND_TABLES: readonly KindTable[] = [VLAN, BOND, BRIDGE, MACVLAN, VETH, DUMMY];

export const BR_PORT_STATES = ['disabled', 'listening', 'learning', 'forwarding', 'blocking'];

/** IFLA_BRPORT_* (if_link.h), all of them: the bridge port table and the rollback of port options use them by name. */
export const IFLA_BRPORT = {
  STATE: 1, PRIORITY: 2, COST: 3, MODE: 4, GUARD: 5, PROTECT: 6, FAST_LEAVE: 7, LEARNING: 8, UNICAST_FLOOD: 9,
  PROXYARP: 10, LEARNING_SYNC: 11, PROXYARP_WIFI: 12, ROOT_ID: 13, BRIDGE_ID: 14, DESIGNATED_PORT: 15,
  DESIGNATED_COST: 16, ID: 17, NO: 18, TOPOLOGY_CHANGE_ACK: 19, CONFIG_PENDING: 20, MESSAGE_AGE_TIMER: 21,
  FORWARD_DELAY_TIMER: 22, HOLD_TIMER: 23, FLUSH: 24, MULTICAST_ROUTER: 25, PAD: 26, MCAST_FLOOD: 27,
  MCAST_TO_UCAST: 28, VLAN_TUNNEL: 29, BCAST_FLOOD: 30, GROUP_FWD_MASK: 31, NEIGH_SUPPRESS: 32, ISOLATED: 33,
  BACKUP_PORT: 34, MRP_RING_OPEN: 35, MRP_IN_OPEN: 36, MCAST_EHT_HOSTS_LIMIT: 37, MCAST_EHT_HOSTS_CNT: 38,
  LOCKED: 39, MAB: 40, MCAST_N_GROUPS: 41, MCAST_MAX_GROUPS: 42, NEIGH_VLAN_SUPPRESS: 43, BACKUP_NHID: 44,
} as const;

/**
 * A bridge port (IFLA_INFO_SLAVE_KIND bridge). `since`: the options a rollback gives back
 * (linkinfo.ts BRPORT_SETTABLE); those up to BACKUP_PORT were all there by 4.19. Those after the
 * 5.10 floor have `absent`, the value a newer kernel reports for a port nobody configured (and an
 * older one may ignore without harm); the first kernels are the merge windows of the commits.
 */
export const BRIDGE_PORT: KindTable = {
  kinds: ['bridge'],
  attrs: [
    a('IFLA_BRPORT_STATE', IFLA_BRPORT.STATE, 'enum8', 'state', { ip: 'state', names: BR_PORT_STATES }),
    a('IFLA_BRPORT_PRIORITY', IFLA_BRPORT.PRIORITY, 'u16', 'priority', { ip: 'priority', since: '4.19' }),
    a('IFLA_BRPORT_COST', IFLA_BRPORT.COST, 'u32', 'cost', { ip: 'cost', since: '4.19' }),
    // hairpin: reflect frames back out of the port they came in on
    a('IFLA_BRPORT_MODE', IFLA_BRPORT.MODE, 'flag8', 'hairpin', { ip: 'hairpin', since: '4.19' }),
    a('IFLA_BRPORT_GUARD', IFLA_BRPORT.GUARD, 'flag8', 'guard', { ip: 'guard', since: '4.19' }),
    a('IFLA_BRPORT_PROTECT', IFLA_BRPORT.PROTECT, 'flag8', 'rootBlock', { ip: 'root_block', since: '4.19' }),
    a('IFLA_BRPORT_FAST_LEAVE', IFLA_BRPORT.FAST_LEAVE, 'flag8', 'fastLeave', { ip: 'fastleave', since: '4.19' }),
    a('IFLA_BRPORT_LEARNING', IFLA_BRPORT.LEARNING, 'flag8', 'learning', { ip: 'learning', since: '4.19' }),
    a('IFLA_BRPORT_UNICAST_FLOOD', IFLA_BRPORT.UNICAST_FLOOD, 'flag8', 'unicastFlood', { ip: 'flood', since: '4.19' }),
    a('IFLA_BRPORT_PROXYARP', IFLA_BRPORT.PROXYARP, 'flag8', 'proxyArp', { ip: 'proxy_arp', since: '4.19' }),
    a('IFLA_BRPORT_PROXYARP_WIFI', IFLA_BRPORT.PROXYARP_WIFI, 'flag8', 'proxyArpWifi', { ip: 'proxy_arp_wifi', since: '4.19' }),
    a('IFLA_BRPORT_ROOT_ID', IFLA_BRPORT.ROOT_ID, 'bridgeId', 'rootId', { ip: 'root_id' }),
    a('IFLA_BRPORT_BRIDGE_ID', IFLA_BRPORT.BRIDGE_ID, 'bridgeId', 'bridgeId', { ip: 'bridge_id' }),
    a('IFLA_BRPORT_DESIGNATED_PORT', IFLA_BRPORT.DESIGNATED_PORT, 'u16', 'designatedPort', { ip: 'designated_port' }),
    a('IFLA_BRPORT_DESIGNATED_COST', IFLA_BRPORT.DESIGNATED_COST, 'u16', 'designatedCost', { ip: 'designated_cost' }),
    // port id (priority and number) and number, which ip prints in hex
    a('IFLA_BRPORT_ID', IFLA_BRPORT.ID, 'u16', 'id', { ip: 'id' }),
    a('IFLA_BRPORT_NO', IFLA_BRPORT.NO, 'u16', 'no', { ip: 'no' }),
    a('IFLA_BRPORT_TOPOLOGY_CHANGE_ACK', IFLA_BRPORT.TOPOLOGY_CHANGE_ACK, 'flag8', 'topologyChangeAck', { ip: 'topology_change_ack' }),
    a('IFLA_BRPORT_CONFIG_PENDING', IFLA_BRPORT.CONFIG_PENDING, 'flag8', 'configPending', { ip: 'config_pending' }),
    a('IFLA_BRPORT_MULTICAST_ROUTER', IFLA_BRPORT.MULTICAST_ROUTER, 'u8', 'multicastRouter', { ip: 'multicast_router', since: '4.19' }),
    a('IFLA_BRPORT_MCAST_FLOOD', IFLA_BRPORT.MCAST_FLOOD, 'flag8', 'mcastFlood', { ip: 'mcast_flood', since: '4.19' }),
    a('IFLA_BRPORT_MCAST_TO_UCAST', IFLA_BRPORT.MCAST_TO_UCAST, 'flag8', 'mcastToUnicast', { ip: 'mcast_to_unicast', since: '4.19' }),
    a('IFLA_BRPORT_VLAN_TUNNEL', IFLA_BRPORT.VLAN_TUNNEL, 'flag8', 'vlanTunnel', { ip: 'vlan_tunnel', since: '4.19' }),
    a('IFLA_BRPORT_BCAST_FLOOD', IFLA_BRPORT.BCAST_FLOOD, 'flag8', 'bcastFlood', { ip: 'bcast_flood', since: '4.19' }),
    a('IFLA_BRPORT_GROUP_FWD_MASK', IFLA_BRPORT.GROUP_FWD_MASK, 'u16', 'groupFwdMask', { ip: 'group_fwd_mask', since: '4.19' }),
    // the same mask as ip -d words it (iplink_bridge_slave.c fwd_mask_tbl): the link-local groups
    // 01:80:c2:00:00:0X forwarded, by the protocol of X where ip names one
    a('IFLA_BRPORT_GROUP_FWD_MASK', IFLA_BRPORT.GROUP_FWD_MASK, 'mask16', 'groupFwdMaskStr', { ip: 'group_fwd_mask_str', names: ['stp', 'lacp', 'lldp'], values: [0x1, 0x4, 0x4000] }),
    a('IFLA_BRPORT_NEIGH_SUPPRESS', IFLA_BRPORT.NEIGH_SUPPRESS, 'flag8', 'neighSuppress', { ip: 'neigh_suppress', since: '4.19' }),
    a('IFLA_BRPORT_ISOLATED', IFLA_BRPORT.ISOLATED, 'flag8', 'isolated', { ip: 'isolated', since: '4.19' }),
    // ifindex of the port traffic fails over to (ip prints its name); sent only while set
    a('IFLA_BRPORT_BACKUP_PORT', IFLA_BRPORT.BACKUP_PORT, 'u32', 'backupPortIndex', { since: '4.19' }),
    a('IFLA_BRPORT_BACKUP_PORT', IFLA_BRPORT.BACKUP_PORT, 'ifname32', 'backupPort', { ip: 'backup_port', of: 'backupPortIndex' }),
    // "make tracked EHT hosts limit configurable", net-next 2021-01; 512 is the default (5.10 tracks no EHT hosts)
    a('IFLA_BRPORT_MCAST_EHT_HOSTS_LIMIT', IFLA_BRPORT.MCAST_EHT_HOSTS_LIMIT, 'u32', 'mcastEhtHostsLimit', { ip: 'mcast_eht_hosts_limit', since: '5.12', absent: 512 }),
    a('IFLA_BRPORT_MCAST_EHT_HOSTS_CNT', IFLA_BRPORT.MCAST_EHT_HOSTS_CNT, 'u32', 'mcastEhtHostsCnt', { ip: 'mcast_eht_hosts_cnt', volatile: true }),
    // 802.1X: only authorised hosts' frames pass: "bridge port in locked mode", 2022-02; MAB:
    // "MAC Authentication Bypass (MAB) support", 2022-11
    a('IFLA_BRPORT_LOCKED', IFLA_BRPORT.LOCKED, 'flag8', 'locked', { ip: 'locked', since: '5.18', absent: 0 }),
    a('IFLA_BRPORT_MAB', IFLA_BRPORT.MAB, 'flag8', 'mab', { ip: 'mab', since: '6.2', absent: 0 }),
    a('IFLA_BRPORT_MCAST_N_GROUPS', IFLA_BRPORT.MCAST_N_GROUPS, 'u32', 'mcastNGroups', { ip: 'mcast_n_groups', volatile: true }),
    // "netlink knobs for number / maximum MDB entries", 2023-02; 0: no limit
    a('IFLA_BRPORT_MCAST_MAX_GROUPS', IFLA_BRPORT.MCAST_MAX_GROUPS, 'u32', 'mcastMaxGroups', { ip: 'mcast_max_groups', since: '6.3', absent: 0 }),
    // "per-{Port, VLAN} neighbor suppression state", 2023-04
    a('IFLA_BRPORT_NEIGH_VLAN_SUPPRESS', IFLA_BRPORT.NEIGH_VLAN_SUPPRESS, 'flag8', 'neighVlanSuppress', { ip: 'neigh_vlan_suppress', since: '6.4', absent: 0 }),
    // "backup nexthop ID support", 2023-07; 0: none
    a('IFLA_BRPORT_BACKUP_NHID', IFLA_BRPORT.BACKUP_NHID, 'u32', 'backupNhid', { ip: 'backup_nhid', since: '6.6', absent: 0 }),
  ],
  defaults: [['state', 'disabled']],
};

/** LACP actor/partner state bits (802.1AX), by the names iproute2 prints. */
const LACP_STATE_NAMES = ['active', 'short_timeout', 'aggregating', 'in_sync', 'collecting', 'distributing', 'defaulted', 'expired'];
const LACP_STATE_BITS = [1, 2, 4, 8, 16, 32, 64, 128];

/** A bond slave (IFLA_INFO_SLAVE_KIND bond). */
export const BOND_SLAVE: KindTable = {
  kinds: ['bond'],
  attrs: [
    a('IFLA_BOND_SLAVE_STATE', 1, 'choice8', 'state', { ip: 'state', names: ['active', 'backup'] }),
    a('IFLA_BOND_SLAVE_MII_STATUS', 2, 'enum8', 'miiStatus', { ip: 'mii_status', names: ['up', 'going_down', 'down', 'going_back'] }),
    a('IFLA_BOND_SLAVE_LINK_FAILURE_COUNT', 3, 'u32', 'linkFailureCount', { ip: 'link_failure_count' }),
    a('IFLA_BOND_SLAVE_PERM_HWADDR', 4, 'lladdr', 'permHwaddr', { ip: 'perm_hwaddr' }),
    a('IFLA_BOND_SLAVE_QUEUE_ID', 5, 'u16', 'queueId', { ip: 'queue_id' }),
    // 802.3ad: the port's aggregator and LACP port states (a number and, as ip's _str, the bits by name)
    a('IFLA_BOND_SLAVE_AD_AGGREGATOR_ID', 6, 'u16', 'adAggregatorId', { ip: 'ad_aggregator_id' }),
    a('IFLA_BOND_SLAVE_AD_ACTOR_OPER_PORT_STATE', 7, 'u8', 'adActorOperPortState', { ip: 'ad_actor_oper_port_state' }),
    a('IFLA_BOND_SLAVE_AD_ACTOR_OPER_PORT_STATE', 7, 'bits8', 'adActorOperPortStateStr', { ip: 'ad_actor_oper_port_state_str', names: LACP_STATE_NAMES, values: LACP_STATE_BITS }),
    a('IFLA_BOND_SLAVE_AD_PARTNER_OPER_PORT_STATE', 8, 'u16', 'adPartnerOperPortState', { ip: 'ad_partner_oper_port_state' }),
    a('IFLA_BOND_SLAVE_AD_PARTNER_OPER_PORT_STATE', 8, 'bits16', 'adPartnerOperPortStateStr', { ip: 'ad_partner_oper_port_state_str', names: LACP_STATE_NAMES, values: LACP_STATE_BITS }),
    a('IFLA_BOND_SLAVE_PRIO', 9, 's32', 'prio', { ip: 'prio' }),
  ],
  defaults: [['state', 'backup'], ['miiStatus', 'down']],
};

/** The port kinds whose IFLA_INFO_SLAVE_DATA nodectl decodes. */
export const SLAVE_TABLES: readonly KindTable[] = [BRIDGE_PORT, BOND_SLAVE];

function byKind(tables: readonly KindTable[]): ReadonlyMap<string, KindTable> {
  const m = new Map<string, KindTable>();
  for (const t of tables) for (const k of t.kinds) m.set(k, t);
  return m;
}
export const KIND_TABLE: ReadonlyMap<string, KindTable> = byKind(KIND_TABLES);
export const SLAVE_TABLE: ReadonlyMap<string, KindTable> = byKind(SLAVE_TABLES);

/** The attribute of a table with this nodectl key (throws on a key the table lacks: a programming error). */
export function attrOf(table: KindTable, key: string): AttrDef {
  const d = table.attrs.find((x) => x.key === key);
  if (!d) throw new Error(`link kind table ${table.kinds[0]} has no attribute ${key}`);
  return d;
}

/** The attributes of a table indexed by id (for decoding): several entries share an id when one attribute holds several values (bit32, a number and its bits). */
export function attrsById(table: KindTable): readonly (readonly AttrDef[] | undefined)[] {
  const out: AttrDef[][] = [];
  for (const d of table.attrs) (out[d.id] ??= []).push(d);
  return out;
}

/** A decoded kindData / slaveData without its volatile members (counts); null stays null. */
export function withoutVolatile<T extends { kind: string }>(data: T | null, tables: ReadonlyMap<string, KindTable>): T | null {
  const table = data && tables.get(data.kind);
  if (!data || !table) return data;
  const out: Record<string, unknown> = { ...data };
  for (const d of table.attrs) if (d.volatile) delete out[d.key];
  return out as T;
}

/** What a member of a table's objects is when the kernel (or a request) leaves it out. */
export function defaultOf<T>(table: KindTable, key: string): T {
  const d = table.defaults.find(([k]) => k === key);
  if (!d) throw new Error(`link kind table ${table.kinds[0]} has no default for ${key}`);
  return d[1] as T;
}

// ---------------------------------------------------------------------------------------------
// The JSON of a link as `link list/show --json` and `monitor` print it: iproute2's keys and
// nesting (`ip -j -d -s -s link show`) for what ip has, snake_case for what only nodectl has.
// The decoded objects (Link, LinkView, kindData) keep their camelCase members: the tree, config
// export, failover and the text output use them. The projection to this shape is
// src/interfaces/link-json.ts (TypeScript) and native/src/link_json.cc (the fast path of
// `link list --json`), both walking these tables; scripts/gen-link-kinds renders them into
// native/src/generated/link_kinds.h.

/**
 * How a top-level member's value is made from the LinkView member `from`:
 * - same: as it is (a number, string, list, boolean or null)
 * - upper: a string upper-cased (ip's operstate UP, linkmode DEFAULT), null stays null
 * - group: 0 as "default", any other group as its decimal string (ip without /etc/iproute2/group)
 * - link: ip's "link", the IFLA_LINK device by name: a veth's peer when it is in this namespace,
 *   else the lower device (parent); null when neither is known here
 * - linkinfo: {info_kind, info_data, info_slave_kind, info_slave_data} from kind, kindData,
 *   slaveKind, slaveData (the kind tables' `ip` keys); null without IFLA_LINKINFO
 * - stats64: {rx: {...}, tx: {...}} by LINK_JSON_STATS64
 */
export type LinkJsonFormat = 'same' | 'upper' | 'group' | 'link' | 'linkinfo' | 'stats64';

export interface LinkJsonField {
  /** The key in nodectl's JSON: iproute2's where `ip -j -d -s -s link show` has one. */
  readonly key: string;
  /** The LinkView member it comes from. */
  readonly from: string;
  readonly as: LinkJsonFormat;
  /** false: nodectl's own (ip has no such key); the parity test checks the others against ip. */
  readonly ip: boolean;
  /** Only on some links (link_netns: a link whose IFLA_LINK is in another namespace); else always there, null when unknown. */
  readonly optional?: boolean;
}

const jf = (key: string, from: string, as: LinkJsonFormat = 'same', ip = true, more: Partial<LinkJsonField> = {}): LinkJsonField => ({ key, from, as, ip, ...more });

/** The members of a link's JSON, in the order they are printed (ip's order, then nodectl's own). */
export const LINK_JSON_FIELDS: readonly LinkJsonField[] = [
  jf('ifindex', 'index'), jf('link', 'link', 'link'), jf('ifname', 'name'), jf('flags', 'flags'), jf('mtu', 'mtu'),
  jf('qdisc', 'qdisc'), jf('master', 'master'), jf('operstate', 'oper', 'upper'), jf('linkmode', 'linkMode', 'upper'),
  jf('group', 'group', 'group'), jf('txqlen', 'txqlen'), jf('link_type', 'linkType'), jf('address', 'mac'),
  jf('broadcast', 'broadcast'), jf('permaddr', 'permMac'), jf('promiscuity', 'promiscuity'), jf('allmulti', 'allmulti'),
  jf('min_mtu', 'minMtu'), jf('max_mtu', 'maxMtu'), jf('linkinfo', 'kind', 'linkinfo'), jf('inet6_addr_gen_mode', 'addrGenMode'),
  jf('num_tx_queues', 'numTxQueues'), jf('num_rx_queues', 'numRxQueues'), jf('gso_max_size', 'gsoMaxSize'),
  jf('gso_max_segs', 'gsoMaxSegs'), jf('tso_max_size', 'tsoMaxSize'), jf('tso_max_segs', 'tsoMaxSegs'),
  jf('gro_max_size', 'groMaxSize'), jf('gso_ipv4_max_size', 'gsoIpv4MaxSize'), jf('gro_ipv4_max_size', 'groIpv4MaxSize'),
  jf('parentbus', 'parentBus'), jf('parentdev', 'parentDev'), jf('link_index', 'linkIndex'), jf('link_netnsid', 'linkNetnsId'),
  jf('ifalias', 'alias'), jf('altnames', 'altNames'), jf('proto_down', 'protoDown'), jf('proto_down_reason', 'protoDownReason'),
  jf('stats64', 'stats', 'stats64'),
  // nodectl's own: what ip infers or does not print
  jf('kind', 'kind', 'same', false), jf('admin', 'admin', 'same', false), jf('carrier', 'carrier', 'same', false), jf('master_index', 'masterIndex', 'same', false),
  jf('carrier_up_count', 'carrierUpCount', 'same', false), jf('carrier_down_count', 'carrierDownCount', 'same', false),
  jf('parent', 'parent', 'same', false), jf('peer', 'peer', 'same', false),
  jf('ports', 'ports', 'same', false),
  // optional members come last (link-json.ts builds the rest as one literal)
  jf('link_netns', 'linkNetns', 'same', false, { optional: true }),
];

/** The members of LinkStats in struct rtnl_link_stats64's order (LinkStats in link.ts; stats64's counters are indexes into it in the generated header). */
export const LINK_STATS_KEYS = [
  'rxPackets', 'txPackets', 'rxBytes', 'txBytes', 'rxErrors', 'txErrors', 'rxDropped', 'txDropped', 'multicast', 'collisions',
  'rxLengthErrors', 'rxOverErrors', 'rxCrcErrors', 'rxFrameErrors', 'rxFifoErrors', 'rxMissedErrors',
  'txAbortedErrors', 'txCarrierErrors', 'txFifoErrors', 'txHeartbeatErrors', 'txWindowErrors',
  'rxCompressed', 'txCompressed', 'rxNohandler', 'rxOtherhostDropped',
] as const;

/**
 * stats64's members as `ip -s -s -j` names them, per direction, each from a LinkStats member
 * (LINK_STATS_KEYS) or, for tx carrier_changes as ip has it, the link's
 * carrierChanges. ip leaves compressed, nohandler and otherhost out when zero; here they are
 * always there (null when the kernel's struct ends before them).
 */
export const LINK_JSON_STATS64: { readonly rx: readonly (readonly [string, string])[]; readonly tx: readonly (readonly [string, string])[] } = {
  rx: [
    ['bytes', 'rxBytes'], ['packets', 'rxPackets'], ['errors', 'rxErrors'], ['dropped', 'rxDropped'], ['over_errors', 'rxOverErrors'],
    ['multicast', 'multicast'], ['compressed', 'rxCompressed'], ['length_errors', 'rxLengthErrors'], ['crc_errors', 'rxCrcErrors'],
    ['frame_errors', 'rxFrameErrors'], ['fifo_errors', 'rxFifoErrors'], ['missed_errors', 'rxMissedErrors'],
    ['nohandler', 'rxNohandler'], ['otherhost', 'rxOtherhostDropped'],
  ],
  tx: [
    ['bytes', 'txBytes'], ['packets', 'txPackets'], ['errors', 'txErrors'], ['dropped', 'txDropped'], ['carrier_errors', 'txCarrierErrors'],
    ['collisions', 'collisions'], ['compressed', 'txCompressed'], ['aborted_errors', 'txAbortedErrors'], ['fifo_errors', 'txFifoErrors'],
    ['window_errors', 'txWindowErrors'], ['heartbeat_errors', 'txHeartbeatErrors'], ['carrier_changes', 'carrierChanges'],
  ],
};

/** camelCase to snake_case: the JSON key of a table entry iproute2 does not print (activeSlaveIndex -> active_slave_index). */
const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The key an entry of a kind table has in info_data / info_slave_data: ip's, else its own in snake_case. */
export function jsonKeyOf(d: AttrDef): string {
  return d.ip ?? snake(d.key);
}

/** nodectl key -> JSON key of a table's members (defaults included); `kind` is info_kind, not a member. */
export function jsonKeys(table: KindTable): ReadonlyMap<string, string> {
  const m = new Map<string, string>();
  for (const d of table.attrs) m.set(d.key, jsonKeyOf(d));
  for (const [k] of table.defaults) if (!m.has(k)) m.set(k, snake(k));
  return m;
}
