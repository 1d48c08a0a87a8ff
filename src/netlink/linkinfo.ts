// IFLA_LINKINFO, decoded and encoded in this one place: the kind of a link (IFLA_INFO_KIND),
// its kind-specific settings (IFLA_INFO_DATA: vlan, bond, bridge, macvlan, veth) and what it is
// as a port of a master (IFLA_INFO_SLAVE_KIND/DATA: bridge port, bond slave).
// What each kind's attributes are (numbers, types, keys, defaults, limits) is not here but in
// its table in link-kinds.ts; this file only walks the tables.
import { AttrWriter, forEachAttr, formatIPv4, formatIPv6, formatLladdr, parseIPv4, readString } from './attr.js';
import {
  type AttrDef, attrOf, attrsById, BOND_MODES, type BondMode, ETH_P_8021AD, ETH_P_8021Q, IFLA, IFLA_BRPORT, IFLA_INFO,
  KIND_TABLE, type KindTable, MACVLAN_MODES, type MacvlanMode, SLAVE_TABLE, VETH_INFO_PEER,
} from './link-kinds.js';

export { BOND_MODES, ETH_P_8021AD, ETH_P_8021Q, IFLA_INFO, MACVLAN_MODES };
export type { BondMode, MacvlanMode };

export interface VlanData {
  kind: 'vlan';
  id: number;
  protocol: '802.1Q' | '802.1ad';
  flags: string[];
  /** Priority maps (IFLA_VLAN_EGRESS_QOS / INGRESS_QOS), as ip -d prints them; only when sent. */
  egressQos?: QosMapping[];
  ingressQos?: QosMapping[];
}
export interface QosMapping {
  from: number;
  to: number;
}
/** IFLA_BOND_AD_INFO, with ip's keys; each member only when the kernel sends it. */
export interface BondAdInfo {
  aggregator?: number;
  num_ports?: number;
  actor_key?: number;
  partner_key?: number;
  partner_mac?: string;
}
/** One half of IFLA_BR_MCAST_QUERIER_STATE, with ip's keys; each member only when the kernel sends it. */
export interface BridgeQuerierState {
  mcast_querier_ipv4_addr?: string;
  /** ifindex of the port the querier is behind (another host's), as ip prints it. */
  mcast_querier_ipv4_port?: number;
  mcast_querier_ipv6_addr?: string;
  mcast_querier_ipv6_port?: number;
}
export interface BondData {
  kind: 'bond';
  mode: BondMode | string;
  miimon: number;
  updelay?: number;
  downdelay?: number;
  activeSlaveIndex?: number;
  /** The active slave's name (a LinkView's; null before toViews, or when no link has the index). */
  activeSlave?: string | null;
  primaryIndex?: number;
  /** The primary's name, as activeSlave. */
  primary?: string | null;
  arpInterval?: number;
  arpIpTargets?: string[];
  arpValidate?: string;
  xmitHashPolicy?: string;
  minLinks?: number;
  lacpRate?: 'slow' | 'fast';
  useCarrier?: boolean;
  arpAllTargets?: string;
  primaryReselect?: string;
  failOverMac?: string;
  resendIgmp?: number;
  numPeerNotif?: number;
  allSlavesActive?: number;
  lpInterval?: number;
  packetsPerSlave?: number;
  adSelect?: string;
  adActorSysPrio?: number;
  adUserPortKey?: number;
  adActorSystem?: string;
  tlbDynamicLb?: number;
  peerNotifDelay?: number;
  adLacpActive?: 'off' | 'on';
  missedMax?: number;
  adInfo?: BondAdInfo;
  nsIp6Targets?: string[];
  coupledControl?: boolean;
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
  /** The elected querier (IFLA_BR_MCAST_QUERIER_STATE), per family; sent while snooping is on (Linux 5.15+). */
  mcastQuerierStateIpv4?: BridgeQuerierState;
  mcastQuerierStateIpv6?: BridgeQuerierState;
  /** Bridged frames pass through iptables / ip6tables / arptables (br_netfilter). */
  nfCallIptables?: boolean;
  nfCallIp6tables?: boolean;
  nfCallArptables?: boolean;
  bridgeId?: string;
  rootId?: string;
  rootPort?: number;
  groupFwdMask?: number;
  rootPathCost?: number;
  topologyChange?: boolean;
  topologyChangeDetected?: boolean;
  groupAddr?: string;
  mcastRouter?: number;
  mcastQueryUseIfaddr?: boolean;
  mcastHashElasticity?: number;
  mcastHashMax?: number;
  mcastLastMemberCnt?: number;
  mcastStartupQueryCnt?: number;
  /** Multicast intervals, centiseconds. */
  mcastLastMemberIntvl?: number;
  mcastMembershipIntvl?: number;
  mcastQuerierIntvl?: number;
  mcastQueryIntvl?: number;
  mcastQueryResponseIntvl?: number;
  mcastStartupQueryIntvl?: number;
  vlanStatsEnabled?: boolean;
  mcastStatsEnabled?: boolean;
  mcastIgmpVersion?: number;
  mcastMldVersion?: number;
  vlanStatsPerPort?: boolean;
  /** IFLA_BR_MULTI_BOOLOPT's options. */
  noLinklocalLearn?: boolean;
  mcastVlanSnooping?: boolean;
  mstEnabled?: boolean;
  fdbNLearned?: number;
  fdbMaxLearned?: number;
}
export interface MacvlanData {
  kind: 'macvlan' | 'macvtap';
  mode: MacvlanMode | string;
  flags?: number;
  macaddrCount?: number;
  bcQueueLen?: number;
  bcQueueLenUsed?: number;
  /** Source mode: the MACs it takes frames from. */
  macaddrData?: string[];
  bcCutoff?: number;
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
  guard?: boolean;
  rootBlock?: boolean;
  fastLeave?: boolean;
  proxyArpWifi?: boolean;
  rootId?: string;
  bridgeId?: string;
  designatedPort?: number;
  designatedCost?: number;
  id?: number;
  no?: number;
  topologyChangeAck?: boolean;
  configPending?: boolean;
  multicastRouter?: number;
  mcastToUnicast?: boolean;
  vlanTunnel?: boolean;
  groupFwdMask?: number;
  /** groupFwdMask as ip -d words it (group_fwd_mask_str): "stp,0x8,lldp", "0x0". */
  groupFwdMaskStr?: string;
  backupPortIndex?: number;
  /** The backup port's name (a LinkView's; null before toViews, or when no link has the index). */
  backupPort?: string | null;
  mcastEhtHostsLimit?: number;
  mcastEhtHostsCnt?: number;
  mab?: boolean;
  mcastNGroups?: number;
  mcastMaxGroups?: number;
  neighVlanSuppress?: boolean;
  backupNhid?: number;
}
export interface BondSlaveData {
  kind: 'bond';
  state: 'active' | 'backup' | string;
  miiStatus: 'up' | 'down' | string;
  linkFailureCount?: number;
  permHwaddr?: string;
  queueId?: number;
  adAggregatorId?: number;
  adActorOperPortState?: number;
  adActorOperPortStateStr?: string[];
  adPartnerOperPortState?: number;
  adPartnerOperPortStateStr?: string[];
  prio?: number;
}
export type SlaveData = BridgePortData | BondSlaveData;

export interface LinkInfo {
  kind: string | null;
  data: KindData | null;
  slaveKind: string | null;
  slaveData: SlaveData | null;
}

/** A mask16 value: its bits, low to high, by name or as 0x<bit>; "0x0" for none (ip's _bitmask2str). */
function maskWords(d: AttrDef, v: number): string {
  const words: string[] = [];
  for (let bit = 1; bit <= v; bit *= 2) {
    if (!(v & bit)) continue;
    const i = d.values!.indexOf(bit);
    words.push(i >= 0 ? d.names![i]! : `0x${bit.toString(16)}`);
  }
  return words.length ? words.join(',') : '0x0';
}

/** One attribute's value at buf[s, e), read as its table entry says. */
function decodeValue(d: AttrDef, buf: Buffer, s: number, e: number): unknown {
  switch (d.type) {
    case 'u8': return buf[s]!;
    case 'u16': return buf.readUInt16LE(s);
    case 'u32': return buf.readUInt32LE(s);
    case 'ifname32': return null; // named by toViews, which sees the whole dump
    case 'u64': return buf.readUInt32LE(s) + buf.readUInt32LE(s + 4) * 0x1_0000_0000;
    case 's32': return buf.readInt32LE(s);
    case 'be16': return buf.readUInt16BE(s);
    case 'flag8': return buf[s] !== 0;
    case 'flag32': return buf.readUInt32LE(s) !== 0;
    case 'enum8': return d.names![buf[s]!] ?? String(buf[s]);
    case 'enum32': { const v = buf.readUInt32LE(s); return d.names![v] ?? String(v); }
    case 'choice8': return d.names![buf[s] ? 1 : 0];
    case 'values32': { const v = buf.readUInt32LE(s); const i = d.values!.indexOf(v); return i >= 0 ? d.names![i] : String(v); }
    case 'bits8': { const v = buf[s]!; return d.names!.filter((_n, i) => v & d.values![i]!); }
    case 'bits16': { const v = buf.readUInt16LE(s); return d.names!.filter((_n, i) => v & d.values![i]!); }
    case 'bits32': { const v = buf.readUInt32LE(s); return d.names!.filter((_n, i) => v & d.values![i]!); }
    case 'mask16': return maskWords(d, buf.readUInt16LE(s));
    case 'bit32': return ((buf.readUInt32LE(s) >>> d.bit!) & 1) === 1;
    case 'proto16': return buf.readUInt16BE(s) === ETH_P_8021AD ? '802.1ad' : '802.1Q';
    case 'lladdr': return formatLladdr(buf, s, e);
    case 'bridgeId': return bridgeId(buf, s, e);
    case 'ipv4list': {
      const out: string[] = [];
      forEachAttr(buf, s, e, (_i, ts, te) => { if (te - ts === 4) out.push(formatIPv4(buf, ts)); });
      return out;
    }
    case 'ipv6list': {
      const out: string[] = [];
      forEachAttr(buf, s, e, (_i, ts, te) => { if (te - ts === 16) out.push(formatIPv6(buf, ts)); });
      return out;
    }
    case 'lladdrlist': {
      // IFLA_MACVLAN_MACADDR entries
      const out: string[] = [];
      forEachAttr(buf, s, e, (_i, ts, te) => { out.push(formatLladdr(buf, ts, te)); });
      return out;
    }
    case 'qosmap': {
      // IFLA_VLAN_QOS_MAPPING entries: struct ifla_vlan_qos_mapping { u32 from; u32 to; }
      const out: QosMapping[] = [];
      forEachAttr(buf, s, e, (_i, ts, te) => { if (te - ts >= 8) out.push({ from: buf.readUInt32LE(ts), to: buf.readUInt32LE(ts + 4) }); });
      return out;
    }
    case 'adinfo': {
      // IFLA_BOND_AD_INFO_*: AGGREGATOR, NUM_PORTS, ACTOR_KEY, PARTNER_KEY (u16), PARTNER_MAC
      const out: BondAdInfo = {};
      forEachAttr(buf, s, e, (t, ts, te) => {
        if (t >= 1 && t <= 4 && te - ts >= 2) out[AD_INFO_KEYS[t - 1]!] = buf.readUInt16LE(ts);
        else if (t === 5) out.partner_mac = formatLladdr(buf, ts, te);
      });
      return out;
    }
    case 'querier4':
    case 'querier6': {
      // BRIDGE_QUERIER_IP_ADDRESS 1 / _PORT 2 (u32 ifindex); the IPv6 ones 5 / 6. The other
      // timers (3, 7) run: left out.
      const v6 = d.type === 'querier6';
      const out: BridgeQuerierState = {};
      forEachAttr(buf, s, e, (t, ts, te) => {
        if (t === (v6 ? 5 : 1) && te - ts === (v6 ? 16 : 4)) out[v6 ? 'mcast_querier_ipv6_addr' : 'mcast_querier_ipv4_addr'] = v6 ? formatIPv6(buf, ts) : formatIPv4(buf, ts);
        else if (t === (v6 ? 6 : 2) && te - ts >= 4) out[v6 ? 'mcast_querier_ipv6_port' : 'mcast_querier_ipv4_port'] = buf.readUInt32LE(ts);
      });
      return out;
    }
  }
}

const AD_INFO_KEYS = ['aggregator', 'num_ports', 'actor_key', 'partner_key'] as const;

const byIdCache = new Map<KindTable, readonly (readonly AttrDef[] | undefined)[]>();

/**
 * The object a table decodes: `kind`, then its defaults, then each attribute the table knows in
 * the order the kernel sent them (a repeated attribute keeps its first place and its last value).
 */
function decodeWith(table: KindTable, kind: string, buf: Buffer, s: number, e: number): Record<string, unknown> {
  const o: Record<string, unknown> = { kind };
  for (const [k, v] of table.defaults) o[k] = Array.isArray(v) ? v.slice() : v;
  if (s < 0 || table.attrs.length === 0) return o;
  let byId = byIdCache.get(table);
  if (!byId) byIdCache.set(table, (byId = attrsById(table)));
  // the walk inlined (no callback per attribute): a bridge port has some forty
  for (let p = s; p + 4 <= e; ) {
    const len = buf[p]! | (buf[p + 1]! << 8);
    if (len < 4 || p + len > e) break;
    const ds = byId[(buf[p + 2]! | (buf[p + 3]! << 8)) & 0x3fff];
    if (ds) for (const d of ds) o[d.key] = decodeValue(d, buf, p + 4, p + len);
    p += (len + 3) & ~3;
  }
  return o;
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

/** IFLA_INFO_DATA for kind (s < 0: the kernel sent none). Kinds without a table give null. */
export function decodeKindData(kind: string, buf: Buffer, s: number, e: number): KindData | null {
  const table = KIND_TABLE.get(kind);
  return table ? decodeWith(table, kind, buf, s, e) as unknown as KindData : null;
}

/** struct ifla_bridge_id: priority (2 bytes, big-endian) + MAC, printed like iproute2 (8000.aa:bb:…). */
function bridgeId(buf: Buffer, s: number, e: number): string {
  if (e - s < 8) return '';
  return `${buf.toString('hex', s, s + 2)}.${formatLladdr(buf, s + 2, s + 8)}`;
}

/** IFLA_INFO_SLAVE_DATA of a port of kind (bridge, bond); other port kinds give null. */
export function decodeSlaveData(kind: string, buf: Buffer, s: number, e: number): SlaveData | null {
  const table = SLAVE_TABLE.get(kind);
  return table ? decodeWith(table, kind, buf, s, e) as unknown as SlaveData : null;
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

/** Why value cannot be sent as attribute d, or null. */
function valueProblem(kind: string, d: AttrDef, value: unknown): string | null {
  const what = `${kind} ${d.ip ?? d.key}`;
  if (d.names && (d.type === 'enum8' || d.type === 'enum32' || d.type === 'values32' || d.type === 'proto16')) {
    return d.names.includes(value as string) ? null : `${what} must be one of ${d.names.join(', ')}, not ${String(value)}`;
  }
  if (d.type === 'ipv4list') {
    const list = value as string[];
    for (const t of list) if (!parseIPv4(t)) return `${what} ${t} is not an IPv4 address`;
    if (d.maxItems !== undefined && list.length > d.maxItems) return `a ${kind} takes at most ${d.maxItems} ${d.ip ?? d.key}s`;
    return null;
  }
  if (typeof value === 'number' && (d.min !== undefined || d.max !== undefined)) {
    if (!Number.isInteger(value) || value < (d.min ?? 0) || value > (d.max ?? Infinity)) return `${what} ${value} is out of range ${d.min ?? 0}-${d.max}`;
  }
  return null;
}

/** The spec of a kind's own options (spec.vlan, spec.bond, …), by the table's keys. */
function kindOptions(spec: KindSpec): Record<string, unknown> | undefined {
  switch (spec.kind) {
    case 'vlan': return spec.vlan as Record<string, unknown> | undefined;
    case 'bond': return spec.bond as Record<string, unknown> | undefined;
    case 'bridge': return spec.bridge as Record<string, unknown> | undefined;
    case 'macvlan': case 'macvtap': return spec.macvlan as Record<string, unknown> | undefined;
    default: return undefined;
  }
}

/** Check a spec's kind-specific values before anything is sent; returns a reason or null. */
export function validateKindSpec(spec: KindSpec): string | null {
  if (spec.kind === 'veth') return spec.veth?.peer ? null : 'a veth needs veth.peer (the name of the other end)';
  const table = KIND_TABLE.get(spec.kind);
  if (!table?.create) return null;
  const opts = kindOptions(spec);
  for (const k of table.create.required ?? []) if (opts?.[k] === undefined) return `a ${spec.kind} needs ${spec.kind}.${k}`;
  if (!opts) return null;
  for (const k of table.create.keys) {
    if (opts[k] === undefined) continue;
    const why = valueProblem(spec.kind, attrOf(table, k), opts[k]);
    if (why) return why;
  }
  return null;
}

/** Write one attribute as its table entry says. */
function encodeValue(w: AttrWriter, d: AttrDef, value: unknown): void {
  switch (d.type) {
    case 'u8': w.u8(d.id, value as number); break;
    case 'u16': w.u16(d.id, value as number); break;
    case 'u32': w.u32(d.id, value as number); break;
    case 'be16': w.be16(d.id, value as number); break;
    case 'flag8': w.u8(d.id, value ? 1 : 0); break;
    case 'flag32': w.u32(d.id, value ? 1 : 0); break;
    case 'enum8': w.u8(d.id, d.names!.indexOf(value as string)); break;
    case 'enum32': w.u32(d.id, d.names!.indexOf(value as string)); break;
    case 'values32': w.u32(d.id, d.values![d.names!.indexOf(value as string)]!); break;
    case 'proto16': w.be16(d.id, value === '802.1ad' ? ETH_P_8021AD : ETH_P_8021Q); break;
    case 'ipv4list': {
      const list = value as string[];
      if (list.length) w.nest(d.id, (n) => { list.forEach((t, i) => n.bytes(i, parseIPv4(t)!)); });
      break;
    }
    default: throw new Error(`cannot encode ${d.name} (${d.type})`);
  }
}

/** Write IFLA_LINKINFO {IFLA_INFO_KIND, IFLA_INFO_DATA} for a new link of spec.kind. */
export function encodeLinkInfo(w: AttrWriter, spec: KindSpec): void {
  w.nest(IFLA.LINKINFO, (li) => {
    li.str(IFLA_INFO.KIND, spec.kind);
    if (spec.kind === 'veth') {
      const v = spec.veth!;
      // VETH_INFO_PEER carries a whole ifinfomsg + attributes: the peer is created by the same
      // request, so it is never left half-made.
      li.nest(IFLA_INFO.DATA, (d) => {
        d.nest(VETH_INFO_PEER, (p) => {
          p.raw(ifinfomsg());
          p.str(IFLA.IFNAME, v.peer);
          if (v.peerNetnsFd !== undefined) p.u32(IFLA.NET_NS_FD, v.peerNetnsFd);
        }, 0 /* a struct then attributes: not a pure nest, as iproute2 sends it */);
      });
      return;
    }
    const create = KIND_TABLE.get(spec.kind)?.create;
    if (!create) return;
    const opts = kindOptions(spec) ?? {};
    const send = create.keys.filter((k) => opts[k] !== undefined || create.always?.[k] !== undefined);
    // no IFLA_INFO_DATA at all when nothing is asked for (the kernel's defaults, as `ip link add … type bridge`)
    if (!send.length) return;
    const table = KIND_TABLE.get(spec.kind)!;
    li.nest(IFLA_INFO.DATA, (d) => {
      for (const k of send) encodeValue(d, attrOf(table, k), opts[k] ?? create.always![k]);
    });
  });
}

/** Bridge port settings can be changed later through IFLA_INFO_SLAVE_DATA. */
export function encodeBridgePort(w: AttrWriter, p: { cost?: number; priority?: number; learning?: boolean }): void {
  const port = SLAVE_TABLE.get('bridge')!;
  w.nest(IFLA.LINKINFO, (li) => {
    li.str(IFLA_INFO.SLAVE_KIND, 'bridge');
    li.nest(IFLA_INFO.SLAVE_DATA, (d) => {
      for (const k of ['priority', 'cost', 'learning'] as const) if (p[k] !== undefined) encodeValue(d, attrOf(port, k), p[k]);
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
  [IFLA_BRPORT.PRIORITY]: 'priority', [IFLA_BRPORT.COST]: 'cost', [IFLA_BRPORT.MODE]: 'hairpin',
  [IFLA_BRPORT.GUARD]: 'guard', [IFLA_BRPORT.PROTECT]: 'root_block', [IFLA_BRPORT.FAST_LEAVE]: 'fastleave',
  [IFLA_BRPORT.LEARNING]: 'learning', [IFLA_BRPORT.UNICAST_FLOOD]: 'flood', [IFLA_BRPORT.PROXYARP]: 'proxy_arp',
  [IFLA_BRPORT.PROXYARP_WIFI]: 'proxy_arp_wifi', [IFLA_BRPORT.MULTICAST_ROUTER]: 'multicast_router',
  [IFLA_BRPORT.MCAST_FLOOD]: 'mcast_flood', [IFLA_BRPORT.MCAST_TO_UCAST]: 'mcast_to_unicast',
  [IFLA_BRPORT.VLAN_TUNNEL]: 'vlan_tunnel', [IFLA_BRPORT.BCAST_FLOOD]: 'bcast_flood',
  [IFLA_BRPORT.GROUP_FWD_MASK]: 'group_fwd_mask', [IFLA_BRPORT.NEIGH_SUPPRESS]: 'neigh_suppress',
  [IFLA_BRPORT.ISOLATED]: 'isolated', [IFLA_BRPORT.BACKUP_PORT]: 'backup_port',
  [IFLA_BRPORT.MCAST_EHT_HOSTS_LIMIT]: 'mcast_eht_hosts_limit', [IFLA_BRPORT.LOCKED]: 'locked', [IFLA_BRPORT.MAB]: 'mab',
  [IFLA_BRPORT.MCAST_MAX_GROUPS]: 'mcast_max_groups', [IFLA_BRPORT.NEIGH_VLAN_SUPPRESS]: 'neigh_vlan_suppress',
  [IFLA_BRPORT.BACKUP_NHID]: 'backup_nhid',
};
/** Reported only while set: their absence means 0 (none), which must be sent to clear them. */
const BRPORT_ONLY_WHEN_SET = [IFLA_BRPORT.BACKUP_PORT, IFLA_BRPORT.BACKUP_NHID];

/**
 * The settable IFLA_BRPORT_* attributes of a bridge port, verbatim and in the kernel's order,
 * from one RTM_NEWLINK payload (ifinfomsg + attributes) at buf[off, end); null when the link is
 * not a bridge port.
 */
export function bridgePortOptions(buf: Buffer, off = 0, end = buf.length): Buffer | null {
  let info: [number, number] | null = null;
  forEachAttr(buf, off + 16, end, (t, s, e) => { if (t === IFLA.LINKINFO) info = [s, e]; });
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
  w.nest(IFLA.LINKINFO, (li) => {
    li.str(IFLA_INFO.SLAVE_KIND, 'bridge');
    li.nest(IFLA_INFO.SLAVE_DATA, (d) => {
      d.raw(options);
      for (const t of BRPORT_ONLY_WHEN_SET) if (has.has(t) && !had.has(t)) d.u32(t, 0);
    });
  });
}

const BRPORT_NAME: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(IFLA_BRPORT).map(([k, v]) => [v, `IFLA_BRPORT_${k}`]));

/** The IFLA_BRPORT_* attributes in bridgePortOptions bytes, named, with their values (u8/u16/u32), for attr-since.ts. */
export function bridgePortAttrNames(options: Buffer): { name: string; value?: number }[] {
  const out: { name: string; value?: number }[] = [];
  forEachAttr(options, 0, options.length, (t, s, e) => {
    const value = e - s === 1 ? options.readUInt8(s) : e - s === 2 ? options.readUInt16LE(s) : e - s === 4 ? options.readUInt32LE(s) : undefined;
    out.push({ name: BRPORT_NAME[t] ?? `IFLA_BRPORT_${t}`, ...(value !== undefined ? { value } : {}) });
  });
  return out;
}

/** The uapi names of the IFLA_INFO_DATA attributes encodeLinkInfo sends for spec (for attr-since.ts). */
export function linkInfoAttrNames(spec: KindSpec): string[] {
  const create = KIND_TABLE.get(spec.kind)?.create;
  if (!create) return [];
  const opts = kindOptions(spec) ?? {};
  const table = KIND_TABLE.get(spec.kind)!;
  return create.keys.filter((k) => opts[k] !== undefined || create.always?.[k] !== undefined).map((k) => attrOf(table, k).name);
}
