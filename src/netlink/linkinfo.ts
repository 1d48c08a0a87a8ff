// IFLA_LINKINFO, decoded and encoded in this one place: the kind of a link (IFLA_INFO_KIND),
// its kind-specific settings (IFLA_INFO_DATA: vlan, bond, bridge, macvlan, veth) and what it is
// as a port of a master (IFLA_INFO_SLAVE_KIND/DATA: bridge port, bond slave).
// Attribute numbers and types are the uapi ones (include/uapi/linux/if_link.h, veth.h, if_vlan.h,
// if_bonding.h); sizes matter: the kernel rejects a u32 where its policy says u8.
import { AttrWriter, forEachAttr, formatIPv4, formatLladdr, parseIPv4, readString } from './attr.js';

export const IFLA_INFO = { KIND: 1, DATA: 2, XSTATS: 3, SLAVE_KIND: 4, SLAVE_DATA: 5 } as const;
const VETH_INFO_PEER = 1;
const IFLA_VLAN = { ID: 1, FLAGS: 2, EGRESS_QOS: 3, INGRESS_QOS: 4, PROTOCOL: 5 } as const;
const IFLA_MACVLAN = { MODE: 1, FLAGS: 2 } as const;
const IFLA_BOND = {
  MODE: 1, ACTIVE_SLAVE: 2, MIIMON: 3, UPDELAY: 4, DOWNDELAY: 5, USE_CARRIER: 6, ARP_INTERVAL: 7,
  ARP_IP_TARGET: 8, ARP_VALIDATE: 9, ARP_ALL_TARGETS: 10, PRIMARY: 11, PRIMARY_RESELECT: 12,
  FAIL_OVER_MAC: 13, XMIT_HASH_POLICY: 14, MIN_LINKS: 18, AD_LACP_RATE: 21, AD_SELECT: 22,
} as const;
const IFLA_BOND_SLAVE = { STATE: 1, MII_STATUS: 2, LINK_FAILURE_COUNT: 3, PERM_HWADDR: 4, QUEUE_ID: 5 } as const;
const IFLA_BR = {
  FORWARD_DELAY: 1, HELLO_TIME: 2, MAX_AGE: 3, AGEING_TIME: 4, STP_STATE: 5, PRIORITY: 6,
  VLAN_FILTERING: 7, VLAN_PROTOCOL: 8, ROOT_ID: 10, BRIDGE_ID: 11, ROOT_PORT: 12,
  MCAST_SNOOPING: 23, MCAST_QUERIER: 25, NF_CALL_IPTABLES: 36, NF_CALL_IP6TABLES: 37, NF_CALL_ARPTABLES: 38,
  VLAN_DEFAULT_PVID: 39,
} as const;
const IFLA_BRPORT = {
  STATE: 1, PRIORITY: 2, COST: 3, MODE: 4, LEARNING: 8, UNICAST_FLOOD: 9, PROXYARP: 10, MCAST_FLOOD: 27, BCAST_FLOOD: 30,
  NEIGH_SUPPRESS: 32, ISOLATED: 33, LOCKED: 39,
} as const;

export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;

/** Bond modes by their iproute2 names; the index is BOND_MODE_* (if_bonding.h). */
export const BOND_MODES = ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb', 'balance-alb'] as const;
export type BondMode = (typeof BOND_MODES)[number];

/** MACVLAN_MODE_* bit values. */
export const MACVLAN_MODES = { private: 1, vepa: 2, bridge: 4, passthru: 8, source: 16 } as const;
export type MacvlanMode = keyof typeof MACVLAN_MODES;

const VLAN_FLAG_NAMES: [number, string][] = [
  [0x1, 'reorder_hdr'], [0x2, 'gvrp'], [0x4, 'loose_binding'], [0x8, 'mvrp'], [0x10, 'bridge_binding'],
];
const BR_PORT_STATES = ['disabled', 'listening', 'learning', 'forwarding', 'blocking'];
const BOND_ARP_VALIDATE = ['none', 'active', 'backup', 'all', 'filter', 'filter_active', 'filter_backup'];
const BOND_XMIT_HASH = ['layer2', 'layer3+4', 'layer2+3', 'encap2+3', 'encap3+4', 'vlan+srcmac'];

export interface VlanData {
  kind: 'vlan';
  id: number;
  protocol: '802.1Q' | '802.1ad';
  flags: string[];
}
export interface BondData {
  kind: 'bond';
  mode: BondMode | string;
  miimon: number;
  updelay?: number;
  downdelay?: number;
  activeSlaveIndex?: number;
  primaryIndex?: number;
  arpInterval?: number;
  arpIpTargets?: string[];
  arpValidate?: string;
  xmitHashPolicy?: string;
  minLinks?: number;
  lacpRate?: 'slow' | 'fast';
}
export interface BridgeData {
  kind: 'bridge';
  stp: boolean;
  vlanFiltering: boolean;
  /** Timers in centiseconds (USER_HZ), as the kernel reports them and `ip -d` prints them. */
  forwardDelay?: number;
  helloTime?: number;
  maxAge?: number;
  ageingTime?: number;
  priority?: number;
  vlanProtocol?: '802.1Q' | '802.1ad';
  vlanDefaultPvid?: number;
  mcastSnooping?: boolean;
  /** The bridge sends IGMP/MLD queries itself. */
  mcastQuerier?: boolean;
  /** Bridged frames pass through iptables / ip6tables / arptables (br_netfilter). */
  nfCallIptables?: boolean;
  nfCallIp6tables?: boolean;
  nfCallArptables?: boolean;
  bridgeId?: string;
  rootId?: string;
  rootPort?: number;
}
export interface MacvlanData {
  kind: 'macvlan' | 'macvtap';
  mode: MacvlanMode | string;
  flags?: number;
}
export interface VethData {
  kind: 'veth';
  /** ifindex of the other end (IFLA_LINK), in the namespace peerNetnsId names when that is set. */
  peerIndex?: number;
  peerNetnsId?: number;
}
export interface DummyData {
  kind: 'dummy';
}
export type KindData = VlanData | BondData | BridgeData | MacvlanData | VethData | DummyData;

export interface BridgePortData {
  kind: 'bridge';
  state: string;
  priority?: number;
  cost?: number;
  learning?: boolean;
  unicastFlood?: boolean;
  /** IFLA_BRPORT_MODE: hairpin (reflect frames back out of the port they came in on). */
  hairpin?: boolean;
  proxyArp?: boolean;
  mcastFlood?: boolean;
  bcastFlood?: boolean;
  neighSuppress?: boolean;
  isolated?: boolean;
  /** 802.1X: only authorised hosts' frames pass (kernel 6.2+). */
  locked?: boolean;
}
export interface BondSlaveData {
  kind: 'bond';
  state: 'active' | 'backup' | string;
  miiStatus: 'up' | 'down' | string;
  linkFailureCount?: number;
  permHwaddr?: string;
  queueId?: number;
}
export type SlaveData = BridgePortData | BondSlaveData;

export interface LinkInfo {
  kind: string | null;
  data: KindData | null;
  slaveKind: string | null;
  slaveData: SlaveData | null;
}

const u8 = (b: Buffer, s: number): number => b[s]!;
const u16 = (b: Buffer, s: number): number => b.readUInt16LE(s);
const u32 = (b: Buffer, s: number): number => b.readUInt32LE(s);

function vlanProtocolName(p: number): '802.1Q' | '802.1ad' {
  return p === ETH_P_8021AD ? '802.1ad' : '802.1Q';
}

/** Decode the value of an IFLA_LINKINFO attribute: buf[s, e). */
export function decodeLinkInfo(buf: Buffer, s: number, e: number): LinkInfo {
  const info: LinkInfo = { kind: null, data: null, slaveKind: null, slaveData: null };
  let dataS = -1;
  let dataE = -1;
  let slaveS = -1;
  let slaveE = -1;
  let p = s;
  while (p + 4 <= e) {
    const len = buf[p]! | (buf[p + 1]! << 8);
    if (len < 4 || p + len > e) break;
    const t = (buf[p + 2]! | (buf[p + 3]! << 8)) & 0x3fff;
    if (t === IFLA_INFO.KIND) info.kind = readString(buf, p + 4, p + len);
    else if (t === IFLA_INFO.DATA) { dataS = p + 4; dataE = p + len; }
    else if (t === IFLA_INFO.SLAVE_KIND) info.slaveKind = readString(buf, p + 4, p + len);
    else if (t === IFLA_INFO.SLAVE_DATA) { slaveS = p + 4; slaveE = p + len; }
    p += (len + 3) & ~3;
  }
  if (info.kind) info.data = decodeKindData(info.kind, buf, dataS, dataE);
  if (info.slaveKind && slaveS >= 0) info.slaveData = decodeSlaveData(info.slaveKind, buf, slaveS, slaveE);
  return info;
}

/** IFLA_INFO_DATA for kind (s < 0: the kernel sent none). Kinds without a decoder give null. */
export function decodeKindData(kind: string, buf: Buffer, s: number, e: number): KindData | null {
  switch (kind) {
    case 'vlan': {
      const d: VlanData = { kind: 'vlan', id: 0, protocol: '802.1Q', flags: [] };
      if (s >= 0) forEachAttr(buf, s, e, (t, vs) => {
        if (t === IFLA_VLAN.ID) d.id = u16(buf, vs);
        else if (t === IFLA_VLAN.PROTOCOL) d.protocol = vlanProtocolName(buf.readUInt16BE(vs));
        else if (t === IFLA_VLAN.FLAGS) {
          const f = u32(buf, vs);
          d.flags = VLAN_FLAG_NAMES.filter(([bit]) => f & bit).map(([, n]) => n);
        }
      });
      return d;
    }
    case 'bond': {
      const d: BondData = { kind: 'bond', mode: 'balance-rr', miimon: 0 };
      if (s >= 0) forEachAttr(buf, s, e, (t, vs, ve) => {
        switch (t) {
          case IFLA_BOND.MODE: d.mode = BOND_MODES[u8(buf, vs)] ?? String(u8(buf, vs)); break;
          case IFLA_BOND.ACTIVE_SLAVE: d.activeSlaveIndex = u32(buf, vs); break;
          case IFLA_BOND.MIIMON: d.miimon = u32(buf, vs); break;
          case IFLA_BOND.UPDELAY: d.updelay = u32(buf, vs); break;
          case IFLA_BOND.DOWNDELAY: d.downdelay = u32(buf, vs); break;
          case IFLA_BOND.ARP_INTERVAL: d.arpInterval = u32(buf, vs); break;
          case IFLA_BOND.ARP_IP_TARGET: {
            const targets: string[] = [];
            forEachAttr(buf, vs, ve, (_i, ts, te) => {
              if (te - ts === 4) targets.push(formatIPv4(buf, ts));
            });
            d.arpIpTargets = targets;
            break;
          }
          case IFLA_BOND.ARP_VALIDATE: d.arpValidate = BOND_ARP_VALIDATE[u32(buf, vs)] ?? String(u32(buf, vs)); break;
          case IFLA_BOND.PRIMARY: d.primaryIndex = u32(buf, vs); break;
          case IFLA_BOND.XMIT_HASH_POLICY: d.xmitHashPolicy = BOND_XMIT_HASH[u8(buf, vs)] ?? String(u8(buf, vs)); break;
          case IFLA_BOND.MIN_LINKS: d.minLinks = u32(buf, vs); break;
          case IFLA_BOND.AD_LACP_RATE: d.lacpRate = u8(buf, vs) ? 'fast' : 'slow'; break;
        }
      });
      return d;
    }
    case 'bridge': {
      const d: BridgeData = { kind: 'bridge', stp: false, vlanFiltering: false };
      if (s >= 0) forEachAttr(buf, s, e, (t, vs, ve) => {
        switch (t) {
          case IFLA_BR.STP_STATE: d.stp = u32(buf, vs) !== 0; break;
          case IFLA_BR.VLAN_FILTERING: d.vlanFiltering = u8(buf, vs) !== 0; break;
          case IFLA_BR.FORWARD_DELAY: d.forwardDelay = u32(buf, vs); break;
          case IFLA_BR.HELLO_TIME: d.helloTime = u32(buf, vs); break;
          case IFLA_BR.MAX_AGE: d.maxAge = u32(buf, vs); break;
          case IFLA_BR.AGEING_TIME: d.ageingTime = u32(buf, vs); break;
          case IFLA_BR.PRIORITY: d.priority = u16(buf, vs); break;
          case IFLA_BR.VLAN_PROTOCOL: d.vlanProtocol = vlanProtocolName(buf.readUInt16BE(vs)); break;
          case IFLA_BR.VLAN_DEFAULT_PVID: d.vlanDefaultPvid = u16(buf, vs); break;
          case IFLA_BR.MCAST_SNOOPING: d.mcastSnooping = u8(buf, vs) !== 0; break;
          case IFLA_BR.MCAST_QUERIER: d.mcastQuerier = u8(buf, vs) !== 0; break;
          case IFLA_BR.NF_CALL_IPTABLES: d.nfCallIptables = u8(buf, vs) !== 0; break;
          case IFLA_BR.NF_CALL_IP6TABLES: d.nfCallIp6tables = u8(buf, vs) !== 0; break;
          case IFLA_BR.NF_CALL_ARPTABLES: d.nfCallArptables = u8(buf, vs) !== 0; break;
          case IFLA_BR.BRIDGE_ID: d.bridgeId = bridgeId(buf, vs, ve); break;
          case IFLA_BR.ROOT_ID: d.rootId = bridgeId(buf, vs, ve); break;
          case IFLA_BR.ROOT_PORT: d.rootPort = u16(buf, vs); break;
        }
      });
      return d;
    }
    case 'macvlan':
    case 'macvtap': {
      const d: MacvlanData = { kind, mode: 'vepa' };
      if (s >= 0) forEachAttr(buf, s, e, (t, vs) => {
        if (t === IFLA_MACVLAN.MODE) {
          const m = u32(buf, vs);
          d.mode = (Object.keys(MACVLAN_MODES) as MacvlanMode[]).find((k) => MACVLAN_MODES[k] === m) ?? String(m);
        } else if (t === IFLA_MACVLAN.FLAGS) d.flags = u16(buf, vs);
      });
      return d;
    }
    case 'veth':
      // veth reports no IFLA_INFO_DATA; its peer is IFLA_LINK, filled in by the link decoder.
      return { kind: 'veth' };
    case 'dummy':
      return { kind: 'dummy' };
    default:
      return null;
  }
}

/** struct ifla_bridge_id: priority (2 bytes, big-endian) + MAC, printed like iproute2 (8000.aa:bb:…). */
function bridgeId(buf: Buffer, s: number, e: number): string {
  if (e - s < 8) return '';
  return `${buf.toString('hex', s, s + 2)}.${formatLladdr(buf, s + 2, s + 8)}`;
}

export function decodeSlaveData(kind: string, buf: Buffer, s: number, e: number): SlaveData | null {
  if (kind === 'bridge') {
    const d: BridgePortData = { kind: 'bridge', state: 'disabled' };
    forEachAttr(buf, s, e, (t, vs) => {
      switch (t) {
        case IFLA_BRPORT.STATE: d.state = BR_PORT_STATES[u8(buf, vs)] ?? String(u8(buf, vs)); break;
        case IFLA_BRPORT.PRIORITY: d.priority = u16(buf, vs); break;
        case IFLA_BRPORT.COST: d.cost = u32(buf, vs); break;
        case IFLA_BRPORT.LEARNING: d.learning = u8(buf, vs) !== 0; break;
        case IFLA_BRPORT.UNICAST_FLOOD: d.unicastFlood = u8(buf, vs) !== 0; break;
        case IFLA_BRPORT.MODE: d.hairpin = u8(buf, vs) !== 0; break;
        case IFLA_BRPORT.PROXYARP: d.proxyArp = u8(buf, vs) !== 0; break;
        case IFLA_BRPORT.MCAST_FLOOD: d.mcastFlood = u8(buf, vs) !== 0; break;
        case IFLA_BRPORT.BCAST_FLOOD: d.bcastFlood = u8(buf, vs) !== 0; break;
        case IFLA_BRPORT.NEIGH_SUPPRESS: d.neighSuppress = u8(buf, vs) !== 0; break;
        case IFLA_BRPORT.ISOLATED: d.isolated = u8(buf, vs) !== 0; break;
        case IFLA_BRPORT.LOCKED: d.locked = u8(buf, vs) !== 0; break;
      }
    });
    return d;
  }
  if (kind === 'bond') {
    const d: BondSlaveData = { kind: 'bond', state: 'backup', miiStatus: 'down' };
    forEachAttr(buf, s, e, (t, vs, ve) => {
      switch (t) {
        case IFLA_BOND_SLAVE.STATE: d.state = u8(buf, vs) === 0 ? 'active' : 'backup'; break;
        case IFLA_BOND_SLAVE.MII_STATUS: d.miiStatus = (['up', 'going_down', 'down', 'going_back'][u8(buf, vs)]) ?? String(u8(buf, vs)); break;
        case IFLA_BOND_SLAVE.LINK_FAILURE_COUNT: d.linkFailureCount = u32(buf, vs); break;
        case IFLA_BOND_SLAVE.PERM_HWADDR: d.permHwaddr = formatLladdr(buf, vs, ve); break;
        case IFLA_BOND_SLAVE.QUEUE_ID: d.queueId = u16(buf, vs); break;
      }
    });
    return d;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Encoding (RTM_NEWLINK requests)

export interface VlanSpec {
  id: number;
  protocol?: '802.1Q' | '802.1ad';
}
export interface BondSpec {
  mode: BondMode;
  miimon?: number;
  arpInterval?: number;
  arpIpTargets?: string[];
}
export interface BridgeSpec {
  stp?: boolean;
  vlanFiltering?: boolean;
}
export interface MacvlanSpec {
  mode: MacvlanMode;
}
export interface VethPeerSpec {
  /** Name of the other end. */
  peer: string;
  /** Create the other end in this namespace (IFLA_NET_NS_FD): an open fd of it. */
  peerNetnsFd?: number;
}

export interface KindSpec {
  kind: string;
  vlan?: VlanSpec;
  bond?: BondSpec;
  bridge?: BridgeSpec;
  macvlan?: MacvlanSpec;
  veth?: VethPeerSpec;
}

/** struct ifinfomsg (16 bytes): family, pad, type, index, flags, change. */
export function ifinfomsg(p: { index?: number; flags?: number; change?: number; family?: number } = {}): Buffer {
  const b = Buffer.alloc(16);
  b[0] = p.family ?? 0;
  b.writeInt32LE(p.index ?? 0, 4);
  b.writeUInt32LE((p.flags ?? 0) >>> 0, 8);
  b.writeUInt32LE((p.change ?? 0) >>> 0, 12);
  return b;
}

const IFLA_IFNAME = 3;
const IFLA_NET_NS_FD = 28;

/** Check a spec's kind-specific values before anything is sent; returns a reason or null. */
export function validateKindSpec(spec: KindSpec): string | null {
  switch (spec.kind) {
    case 'vlan':
      if (!spec.vlan) return 'a vlan needs vlan.id';
      if (!Number.isInteger(spec.vlan.id) || spec.vlan.id < 0 || spec.vlan.id > 4094) return `vlan id ${spec.vlan.id} is out of range 0-4094`;
      if (spec.vlan.protocol && spec.vlan.protocol !== '802.1Q' && spec.vlan.protocol !== '802.1ad') return `vlan protocol must be 802.1Q or 802.1ad, not ${spec.vlan.protocol}`;
      return null;
    case 'bond':
      if (!spec.bond) return 'a bond needs bond.mode';
      if (!BOND_MODES.includes(spec.bond.mode)) return `bond mode must be one of ${BOND_MODES.join(', ')}`;
      for (const t of spec.bond.arpIpTargets ?? []) if (!parseIPv4(t)) return `bond arp_ip_target ${t} is not an IPv4 address`;
      if ((spec.bond.arpIpTargets?.length ?? 0) > 16) return 'a bond takes at most 16 arp_ip_targets';
      return null;
    case 'macvlan':
    case 'macvtap':
      if (spec.macvlan && !(spec.macvlan.mode in MACVLAN_MODES)) return `macvlan mode must be one of ${Object.keys(MACVLAN_MODES).join(', ')}`;
      return null;
    case 'veth':
      if (!spec.veth?.peer) return 'a veth needs veth.peer (the name of the other end)';
      return null;
    default:
      return null;
  }
}

/** Write IFLA_LINKINFO {IFLA_INFO_KIND, IFLA_INFO_DATA} for a new link of spec.kind. */
export function encodeLinkInfo(w: AttrWriter, spec: KindSpec): void {
  w.nest(18 /* IFLA_LINKINFO */, (li) => {
    li.str(IFLA_INFO.KIND, spec.kind);
    switch (spec.kind) {
      case 'vlan': {
        const v = spec.vlan!;
        li.nest(IFLA_INFO.DATA, (d) => {
          d.u16(IFLA_VLAN.ID, v.id);
          d.be16(IFLA_VLAN.PROTOCOL, v.protocol === '802.1ad' ? ETH_P_8021AD : ETH_P_8021Q);
        });
        break;
      }
      case 'bond': {
        const b = spec.bond!;
        li.nest(IFLA_INFO.DATA, (d) => {
          d.u8(IFLA_BOND.MODE, BOND_MODES.indexOf(b.mode));
          if (b.miimon !== undefined) d.u32(IFLA_BOND.MIIMON, b.miimon);
          if (b.arpInterval !== undefined) d.u32(IFLA_BOND.ARP_INTERVAL, b.arpInterval);
          if (b.arpIpTargets?.length) {
            d.nest(IFLA_BOND.ARP_IP_TARGET, (n) => {
              b.arpIpTargets!.forEach((t, i) => n.bytes(i, parseIPv4(t)!));
            });
          }
        });
        break;
      }
      case 'bridge': {
        const b = spec.bridge;
        if (b && (b.stp !== undefined || b.vlanFiltering !== undefined)) {
          li.nest(IFLA_INFO.DATA, (d) => {
            if (b.stp !== undefined) d.u32(IFLA_BR.STP_STATE, b.stp ? 1 : 0);
            if (b.vlanFiltering !== undefined) d.u8(IFLA_BR.VLAN_FILTERING, b.vlanFiltering ? 1 : 0);
          });
        }
        break;
      }
      case 'macvlan':
      case 'macvtap': {
        const m = spec.macvlan;
        if (m) li.nest(IFLA_INFO.DATA, (d) => d.u32(IFLA_MACVLAN.MODE, MACVLAN_MODES[m.mode]));
        break;
      }
      case 'veth': {
        const v = spec.veth!;
        // VETH_INFO_PEER carries a whole ifinfomsg + attributes: the peer is created by the same
        // request, so it is never left half-made.
        li.nest(IFLA_INFO.DATA, (d) => {
          d.nest(VETH_INFO_PEER, (p) => {
            p.raw(ifinfomsg());
            p.str(IFLA_IFNAME, v.peer);
            if (v.peerNetnsFd !== undefined) p.u32(IFLA_NET_NS_FD, v.peerNetnsFd);
          }, 0 /* a struct then attributes: not a pure nest, as iproute2 sends it */);
        });
        break;
      }
      default:
        break;
    }
  });
}

/** Bridge port / bond slave settings can be changed later through IFLA_INFO_SLAVE_DATA. */
export function encodeBridgePort(w: AttrWriter, p: { cost?: number; priority?: number; learning?: boolean }): void {
  w.nest(18, (li) => {
    li.str(IFLA_INFO.SLAVE_KIND, 'bridge');
    li.nest(IFLA_INFO.SLAVE_DATA, (d) => {
      if (p.priority !== undefined) d.u16(IFLA_BRPORT.PRIORITY, p.priority);
      if (p.cost !== undefined) d.u32(IFLA_BRPORT.COST, p.cost);
      if (p.learning !== undefined) d.u8(IFLA_BRPORT.LEARNING, p.learning ? 1 : 0);
    });
  });
}


// ---------------------------------------------------------------------------------------------
// Bridge port options, as bytes (what rollback keeps and gives back)

/**
 * The IFLA_BRPORT_* attributes a port's options can be set back with (the kernel's br_setport),
 * by number: cost, priority, the port flags (hairpin, guard, root block, fast leave, learning,
 * unicast/multicast/broadcast flood, proxy ARP and its Wi-Fi variant, multicast to unicast, vlan
 * tunnel, neighbour suppression, isolated, locked, MAB, per-vlan neighbour suppression), the
 * multicast router mode, the group forwarding mask, the backup port and nexthop, and the
 * multicast host/group limits. Left out: what the bridge derives (state, port id and number,
 * designated root/bridge/port/cost, timers, counters) and learning_sync (a switchdev flag).
 */
export const BRPORT_SETTABLE: Readonly<Record<number, string>> = {
  2: 'priority', 3: 'cost', 4: 'hairpin', 5: 'guard', 6: 'root_block', 7: 'fastleave', 8: 'learning',
  9: 'flood', 10: 'proxy_arp', 12: 'proxy_arp_wifi', 25: 'multicast_router', 27: 'mcast_flood',
  28: 'mcast_to_unicast', 29: 'vlan_tunnel', 30: 'bcast_flood', 31: 'group_fwd_mask', 32: 'neigh_suppress',
  33: 'isolated', 34: 'backup_port', 37: 'mcast_eht_hosts_limit', 39: 'locked', 40: 'mab',
  42: 'mcast_max_groups', 43: 'neigh_vlan_suppress', 44: 'backup_nhid',
};
/** Reported only while set: their absence means 0 (none), which must be sent to clear them. */
const BRPORT_ONLY_WHEN_SET = [34 /* backup_port */, 44 /* backup_nhid */];

/**
 * The settable IFLA_BRPORT_* attributes of a bridge port, verbatim and in the kernel's order,
 * from one RTM_NEWLINK payload (ifinfomsg + attributes) at buf[off, end); null when the link is
 * not a bridge port.
 */
export function bridgePortOptions(buf: Buffer, off = 0, end = buf.length): Buffer | null {
  let info: [number, number] | null = null;
  forEachAttr(buf, off + 16, end, (t, s, e) => { if (t === 18 /* IFLA_LINKINFO */) info = [s, e]; });
  if (!info) return null;
  let kind: string | null = null;
  let data: [number, number] | null = null;
  forEachAttr(buf, info[0], info[1], (t, s, e) => {
    if (t === IFLA_INFO.SLAVE_KIND) kind = readString(buf, s, e);
    else if (t === IFLA_INFO.SLAVE_DATA) data = [s, e];
  });
  if (kind !== 'bridge' || !data) return null;
  const out = new AttrWriter(256);
  const [ds, de] = data as [number, number];
  forEachAttr(buf, ds, de, (t, s, e) => {
    if (BRPORT_SETTABLE[t] !== undefined) out.bytes(t, buf.subarray(s, e));
  });
  return Buffer.from(out.finish());
}

/** Options of `was` that `now` lacks or has otherwise, by iproute2 name (empty: the same). */
export function bridgePortDifferences(was: Buffer, now: Buffer): string[] {
  const table = (b: Buffer): Map<number, string> => {
    const m = new Map<number, string>();
    forEachAttr(b, 0, b.length, (t, s, e) => m.set(t, b.toString('hex', s, e)));
    return m;
  };
  const a = table(was);
  const b = table(now);
  const out: string[] = [];
  for (const t of new Set([...a.keys(), ...b.keys()])) if (a.get(t) !== b.get(t)) out.push(BRPORT_SETTABLE[t] ?? String(t));
  return out.sort();
}

/**
 * IFLA_LINKINFO that sets a bridge port's options back to `options` (bridgePortOptions bytes),
 * as `ip link set dev X type bridge_slave …` does. `now`, the options it has at present, says
 * which of the options reported only while set must be cleared explicitly.
 */
export function encodeBridgePortOptions(w: AttrWriter, options: Buffer, now: Buffer | null): void {
  const had = new Set<number>();
  forEachAttr(options, 0, options.length, (t) => had.add(t));
  const has = new Set<number>();
  if (now) forEachAttr(now, 0, now.length, (t) => has.add(t));
  w.nest(18, (li) => {
    li.str(IFLA_INFO.SLAVE_KIND, 'bridge');
    li.nest(IFLA_INFO.SLAVE_DATA, (d) => {
      d.raw(options);
      for (const t of BRPORT_ONLY_WHEN_SET) if (has.has(t) && !had.has(t)) d.u32(t, 0);
    });
  });
}
