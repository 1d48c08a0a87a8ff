// Compare nodectl's decoded objects with iproute2's JSON (`ip -j -d link`, `ip -j addr`,
// `ip -j neigh`): the independent oracle. Returns the list of disagreements (empty = agree), so a
// test can print every one of them at once.
import { type AttrDef, KIND_TABLE, type KindTable, SLAVE_TABLE } from '../../src/netlink/link-kinds.js';

export interface IpLink {
  ifindex: number;
  ifname: string;
  link?: string;
  link_index?: number;
  link_netnsid?: number;
  master?: string;
  flags: string[];
  mtu: number;
  operstate: string;
  group: string;
  txqlen?: number;
  link_type: string;
  address?: string;
  broadcast?: string;
  promiscuity?: number;
  min_mtu?: number;
  max_mtu?: number;
  ifalias?: string;
  altnames?: string[];
  linkinfo?: {
    info_kind?: string;
    info_data?: Record<string, unknown>;
    info_slave_kind?: string;
    info_slave_data?: Record<string, unknown>;
  };
}

/** What the comparison needs of a link: the decoded Link plus names resolved from the same dump. */
export interface OurLink {
  index: number;
  name: string;
  kind: string;
  oper: string;
  flags: string[];
  mtu: number;
  minMtu: number | null;
  maxMtu: number | null;
  mac: string | null;
  broadcast: string | null;
  linkType: string;
  group: number;
  txqlen: number;
  promiscuity: number;
  alias: string | null;
  altNames: string[];
  linkNetnsId: number | null;
  linkIndex: number | null;
  master: string | null;
  parent: string | null;
  peer: string | null;
  kindData: Record<string, unknown> | null;
  slaveKind: string | null;
  slaveData: Record<string, unknown> | null;
}

/** iproute2 prints bridge ids without zero padding (8000.16:2a:9:…); compare them as bytes. */
function bridgeIdBytes(id: unknown): string | null {
  if (typeof id !== 'string') return null;
  const [prio, mac] = id.split('.');
  return `${prio}.${(mac ?? '').split(':').map((x) => parseInt(x, 16).toString(16).padStart(2, '0')).join(':')}`;
}

function diff(out: string[], what: string, ours: unknown, theirs: unknown): void {
  if (JSON.stringify(ours) !== JSON.stringify(theirs)) out.push(`${what}: nodectl ${JSON.stringify(ours)} vs ip ${JSON.stringify(theirs)}`);
}

/** One of ours and ip's value of the same attribute, in a form both can be compared in. */
function comparable(a: AttrDef, v: unknown, isIp: boolean): unknown {
  switch (a.type) {
    case 'flag8': case 'flag32': case 'bit32': return v === true || v === 1; // ip prints some as 0/1
    case 'bridgeId': return bridgeIdBytes(v);
    case 'u8': case 'u16': case 'u32': case 'u64': case 's32': case 'be16': return isIp && typeof v === 'string' ? Number(v) : v; // ip: '0x8001', '0'
    case 'mask16': return v; // both "stp,0x8,lldp": the names as ip's table has them, hex in lower case
    case 'bits8': case 'bits16': case 'bits32': case 'ipv4list': case 'ipv6list': case 'lladdrlist': return Array.isArray(v) ? v.map((x) => String(x).toLowerCase()) : v;
    // ip also prints the running other_timer, which nodectl leaves out
    case 'querier4': case 'querier6': return v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => !k.endsWith('_other_timer'))) : v;
    default: return typeof v === 'string' ? v.toLowerCase() : v; // ip: bond slave state ACTIVE, mii_status UP
  }
}

function compareTable(d: (what: string, a: unknown, b: unknown) => void, prefix: string, table: KindTable, ours: Record<string, unknown>, ip: Record<string, unknown>): void {
  for (const a of table.attrs) {
    // volatile ones move on their own between two reads, but for the querier state, which moves
    // only when a querier comes or goes: no test namespace has one doing so between the reads
    if (!a.ip || (a.volatile && a.type !== 'querier4' && a.type !== 'querier6') || !(a.ip in ip)) continue;
    // the key with a null value: iproute2 prints arp_validate 0 so (print_null in iplink_bond.c,
    // "none" in its text output): there is nothing to compare
    if (ip[a.ip] === null) continue;
    d(`${prefix}${a.ip}`, comparable(a, ours[a.key], false), comparable(a, ip[a.ip], true));
  }
}

export function compareLink(ours: OurLink, ip: IpLink): string[] {
  const out: string[] = [];
  const d = (what: string, a: unknown, b: unknown): void => diff(out, `${ip.ifname}.${what}`, a, b);
  d('ifindex', ours.index, ip.ifindex);
  d('ifname', ours.name, ip.ifname);
  d('mtu', ours.mtu, ip.mtu);
  // M-DOWN is iproute2's own inference (the IFLA_LINK device is down), not a kernel flag.
  d('flags', ours.flags, ip.flags.filter((f) => f !== 'M-DOWN'));
  d('operstate', ours.oper.toUpperCase(), ip.operstate);
  d('link_type', ours.linkType, ip.link_type);
  if (ip.address !== undefined) d('address', ours.mac, ip.address);
  if (ip.broadcast !== undefined) d('broadcast', ours.broadcast, ip.broadcast);
  d('group', ours.group === 0 ? 'default' : String(ours.group), ip.group);
  if (ip.txqlen !== undefined) d('txqlen', ours.txqlen, ip.txqlen);
  if (ip.promiscuity !== undefined) d('promiscuity', ours.promiscuity, ip.promiscuity);
  if (ip.min_mtu !== undefined) d('min_mtu', ours.minMtu, ip.min_mtu);
  if (ip.max_mtu !== undefined) d('max_mtu', ours.maxMtu, ip.max_mtu);
  d('ifalias', ours.alias, ip.ifalias ?? null);
  d('altnames', ours.altNames, ip.altnames ?? []);
  d('master', ours.master, ip.master ?? null);
  d('link_netnsid', ours.linkNetnsId, ip.link_netnsid ?? null);
  // ip's "link" is the IFLA_LINK device by name: the peer for a veth, the lower device otherwise.
  const ipLink = ip.link ?? null;
  if (ours.kind === 'veth') d('link (veth peer)', ours.peer, ipLink);
  else d('link (lower device)', ours.parent, ipLink);
  if (ip.link_index !== undefined) d('link_index', ours.linkIndex, ip.link_index);
  const li = ip.linkinfo;
  d('kind', ours.kind, li?.info_kind ?? (ip.link_type === 'loopback' ? 'loopback' : 'device'));
  d('slave_kind', ours.slaveKind, li?.info_slave_kind ?? null);
  // every attribute a kind's table (src/netlink/link-kinds.ts) maps to an ip key, but the ones that run on their own
  const kindTable = KIND_TABLE.get(ours.kind);
  if (kindTable) compareTable(d, `${ours.kind}.`, kindTable, ours.kindData ?? {}, li?.info_data ?? {});
  const slaveTable = ours.slaveKind ? SLAVE_TABLE.get(ours.slaveKind) : undefined;
  if (slaveTable) compareTable(d, `${ours.slaveKind}_slave.`, slaveTable, ours.slaveData ?? {}, li?.info_slave_data ?? {});
  return out;
}

export interface IpAddrInfo {
  family: 'inet' | 'inet6';
  local: string;
  address?: string;
  prefixlen: number;
  broadcast?: string;
  scope: string;
  label?: string;
  dynamic?: boolean;
  [flag: string]: unknown;
}
export interface IpAddrLink {
  ifindex: number;
  ifname: string;
  addr_info: IpAddrInfo[];
}
export interface OurAddr {
  ifindex: number;
  family: 4 | 6;
  address: string;
  prefixlen: number;
  scope: string;
  label: string | null;
  flags: string[];
  broadcast?: string;
  peer?: string;
}

/** Flatten `ip -j addr` into (ifindex, addr_info) pairs in its order. */
export function flattenIpAddrs(links: IpAddrLink[]): (IpAddrInfo & { ifindex: number })[] {
  return links.flatMap((l) => l.addr_info.map((a) => ({ ...a, ifindex: l.ifindex })));
}

export function addrKey(a: { ifindex: number; address?: string; local?: string; prefixlen: number }): string {
  return `${a.ifindex}/${a.local ?? a.address}/${a.prefixlen}`;
}

export function compareAddr(ours: OurAddr, ip: IpAddrInfo & { ifindex: number }): string[] {
  const out: string[] = [];
  const d = (what: string, a: unknown, b: unknown): void => diff(out, `${addrKey(ip)}.${what}`, a, b);
  d('family', ours.family === 4 ? 'inet' : 'inet6', ip.family);
  d('local', ours.address, ip.local);
  d('prefixlen', ours.prefixlen, ip.prefixlen);
  d('scope', ours.scope, ip.scope);
  d('broadcast', ours.broadcast ?? null, ip.broadcast ?? null);
  d('peer', ours.peer ?? null, ip.address ?? null);
  if (ip.family === 'inet') d('label', ours.label, ip.label ?? null);
  d('dynamic', !ours.flags.includes('permanent'), ip.dynamic === true);
  for (const f of ['secondary', 'nodad', 'optimistic', 'dadfailed', 'deprecated', 'tentative', 'noprefixroute', 'mngtmpaddr']) {
    d(f, ours.flags.includes(f), ip[f] === true);
  }
  return out;
}

export interface IpNeigh {
  dst: string;
  dev: string;
  lladdr?: string;
  state: string[];
  router?: null | boolean;
  proxy?: null | boolean;
}
export interface OurNeigh {
  address: string;
  ifname: string;
  lladdr: string | null;
  state: string;
  flags: string[];
}

export function compareNeigh(ours: OurNeigh, ip: IpNeigh): string[] {
  const out: string[] = [];
  const d = (what: string, a: unknown, b: unknown): void => diff(out, `${ip.dst}%${ip.dev}.${what}`, a, b);
  d('dst', ours.address, ip.dst);
  d('dev', ours.ifname, ip.dev);
  d('lladdr', ours.lladdr, ip.lladdr ?? null);
  d('state', ours.state.split(','), ip.state);
  // iproute2 prints flags as keys with a null value ("router": null)
  d('router', ours.flags.includes('router'), 'router' in ip);
  d('proxy', ours.flags.includes('proxy'), 'proxy' in ip);
  return out;
}

/**
 * Keys and values of `link list/show --json` (ip's names, src/interfaces/link-json.ts) against ip
 * -j -d (-s -s)'s, under the same names: every key ip prints (at the top, in linkinfo, its
 * info_data / info_slave_data and stats64) must be in ours, but those `gaps` lists (top-level
 * keys, `KIND.key` / `KIND_slave.key` inside the kind data); values are compared directly where
 * nodectl chose ip's format, through the kind tables' types (comparable) inside the kind data,
 * and not for stats64's counters, which move between two reads (keys only, but carrier_changes).
 */
export function compareLinkJson(ours: Record<string, unknown>, ip: Record<string, unknown>, gaps: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const name = String(ip.ifname);
  const d = (what: string, a: unknown, b: unknown): void => diff(out, `${name}.${what}`, a, b);
  const has = (o: unknown, k: string): boolean => o !== null && typeof o === 'object' && k in o;
  for (const k of Object.keys(ip)) {
    if (gaps.has(k)) continue;
    if (!has(ours, k)) { out.push(`${name}: no ${k}`); continue; }
    switch (k) {
      case 'linkinfo': case 'stats64': break; // below
      // M-DOWN is iproute2's own inference (the IFLA_LINK device is down), not a kernel flag
      case 'flags': d(k, ours[k], (ip[k] as string[]).filter((f) => f !== 'M-DOWN')); break;
      // ip prints the reason bits by number (or a name from /etc/iproute2/protodown_reasons.d); nodectl the mask
      case 'proto_down_reason': {
        const m = ours[k];
        d(k, typeof m === 'number' ? [...Array(32).keys()].filter((b) => (m >>> b) & 1).map(String) : [], ip[k]);
        break;
      }
      default: d(k, ours[k], ip[k]);
    }
  }
  const li = ip.linkinfo as Record<string, unknown> | undefined;
  const oli = ours.linkinfo as Record<string, unknown> | null | undefined;
  if (li && oli) {
    for (const [kindKey, dataKey, tables, suffix] of [['info_kind', 'info_data', KIND_TABLE, ''], ['info_slave_kind', 'info_slave_data', SLAVE_TABLE, '_slave']] as const) {
      if (li[kindKey] === undefined) continue;
      d(`linkinfo.${kindKey}`, oli[kindKey], li[kindKey]);
      const theirs = li[dataKey] as Record<string, unknown> | undefined;
      if (!theirs) continue;
      const mine = oli[dataKey] as Record<string, unknown> | null;
      const table = tables.get(String(li[kindKey]));
      for (const [k, v] of Object.entries(theirs)) {
        if (gaps.has(`${String(li[kindKey])}${suffix}.${k}`)) continue;
        if (!has(mine, k)) { out.push(`${name}: no linkinfo.${dataKey}.${k}`); continue; }
        // volatile entries move on their own between two reads (querier state aside: no querier comes or goes here)
        const a = table?.attrs.find((x) => x.ip === k);
        if (!a || v === null || (a.volatile && a.type !== 'querier4' && a.type !== 'querier6')) continue;
        d(`linkinfo.${dataKey}.${k}`, comparable(a, mine![k], false), comparable(a, v, true));
      }
    }
  } else if (li) {
    out.push(`${name}: linkinfo ${JSON.stringify(oli)} where ip has ${JSON.stringify(li)}`);
  }
  const st = ip.stats64 as Record<string, Record<string, unknown>> | undefined;
  const ost = ours.stats64 as Record<string, Record<string, unknown>> | undefined;
  if (st && ost) {
    for (const dir of Object.keys(st)) {
      for (const k of Object.keys(st[dir]!)) {
        if (!has(ost[dir], k)) out.push(`${name}: no stats64.${dir}.${k}`);
        else if (k === 'carrier_changes') d(`stats64.${dir}.${k}`, ost[dir]![k], st[dir]![k]);
      }
    }
  }
  return out;
}
