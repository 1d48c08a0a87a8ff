// Per-interface IPv4 settings (the /proc/sys/net/ipv4/conf/IFACE/* values) over rtnetlink:
// read from IFLA_AF_SPEC → AF_INET → IFLA_INET_CONF of RTM_NEWLINK, written with RTM_SETLINK
// carrying the same nest (one message, several keys). The `all` and `default` rows are no
// device, so RTM_SETLINK cannot address them: they are read with RTM_GETNETCONF where it
// carries the key (only a few: forwarding, rp_filter, proxy_arp, …) and otherwise, like every
// write to them, through /proc/sys inside the namespace.
import { readFileSync, writeFileSync } from 'node:fs';
import { NetlinkError, NotFoundError, PermissionError, UnsupportedError } from '../errors.js';
import { AF_INET } from './addr.js';
import { AttrWriter, forEachAttr } from './attr.js';
import { type Handle, RTM } from './handle.js';
import { decodeLink, dumpLinksRaw, IFLA } from './link.js';
import { ifinfomsg } from './linkinfo.js';
import { withNetns } from './netns.js';

/**
 * IPV4_DEVCONF_* (include/uapi/linux/ip.h) by their sysctl file names. The attribute type in
 * IFLA_INET_CONF is this id; in a GETLINK answer the nest is a packed u32 array at id - 1.
 */
export const IPV4_DEVCONF = {
  forwarding: 1, mc_forwarding: 2, proxy_arp: 3, accept_redirects: 4, secure_redirects: 5,
  send_redirects: 6, shared_media: 7, rp_filter: 8, accept_source_route: 9, bootp_relay: 10,
  log_martians: 11, tag: 12, arp_filter: 13, medium_id: 14, disable_xfrm: 15, disable_policy: 16,
  force_igmp_version: 17, arp_announce: 18, arp_ignore: 19, promote_secondaries: 20, arp_accept: 21,
  arp_notify: 22, accept_local: 23, src_valid_mark: 24, proxy_arp_pvlan: 25, route_localnet: 26,
  igmpv2_unsolicited_report_interval: 27, igmpv3_unsolicited_report_interval: 28,
  ignore_routes_with_linkdown: 29, drop_unicast_in_l2_multicast: 30, drop_gratuitous_arp: 31,
  bc_forwarding: 32, arp_evict_nocarrier: 33,
} as const;

export type InetConfKey = keyof typeof IPV4_DEVCONF;
export type InetConf = Partial<Record<InetConfKey, number>>;

const KEY_BY_ID: InetConfKey[] = [];
for (const [k, id] of Object.entries(IPV4_DEVCONF)) KEY_BY_ID[id] = k as InetConfKey;

export function isInetConfKey(k: string): k is InetConfKey {
  return Object.prototype.hasOwnProperty.call(IPV4_DEVCONF, k);
}

const IFLA_INET_CONF = 1;

/** The rows of /proc/sys/net/ipv4/conf that are no interface. */
export type ConfRow = 'all' | 'default';
/** NETCONFA_IFINDEX_ALL / _DEFAULT (include/uapi/linux/netconf.h). */
const NETCONFA_IFINDEX = { all: -1, default: -2 } as const;
const NETCONFA = { IFINDEX: 1, FORWARDING: 2, RP_FILTER: 3, MC_FORWARDING: 4, PROXY_NEIGH: 5, IGNORE_ROUTES_WITH_LINKDOWN: 6, BC_FORWARDING: 8 } as const;
const NETCONF_KEYS: [number, InetConfKey][] = [
  [NETCONFA.FORWARDING, 'forwarding'], [NETCONFA.RP_FILTER, 'rp_filter'], [NETCONFA.MC_FORWARDING, 'mc_forwarding'],
  [NETCONFA.PROXY_NEIGH, 'proxy_arp'], [NETCONFA.IGNORE_ROUTES_WITH_LINKDOWN, 'ignore_routes_with_linkdown'],
  [NETCONFA.BC_FORWARDING, 'bc_forwarding'],
];
/** The keys RTM_GETNETCONF reports for IPv4 (the rest of a row needs /proc/sys). */
export const NETCONF_CARRIES: ReadonlySet<InetConfKey> = new Set(NETCONF_KEYS.map(([, k]) => k));

/** Decode the IFLA_INET_CONF value: a packed array of u32 (s32 in the kernel) by devconf id. */
export function decodeInetConf(buf: Buffer, s = 0, e = buf.length): InetConf {
  const out: InetConf = {};
  for (let i = 0; s + 4 * i + 4 <= e; i++) {
    const key = KEY_BY_ID[i + 1];
    if (key) out[key] = buf.readInt32LE(s + 4 * i);
  }
  return out;
}

/** Find IFLA_AF_SPEC → AF_INET → IFLA_INET_CONF in an RTM_NEWLINK payload; null without IPv4. */
export function decodeLinkInetConf(buf: Buffer, off = 0, end = buf.length): InetConf | null {
  let conf: InetConf | null = null;
  forEachAttr(buf, off + 16, end, (t, s, e) => {
    if (t !== IFLA.AF_SPEC) return;
    forEachAttr(buf, s, e, (af, s2, e2) => {
      if (af !== AF_INET) return;
      forEachAttr(buf, s2, e2, (t3, s3, e3) => {
        if (t3 === IFLA_INET_CONF) conf = decodeInetConf(buf, s3, e3);
      });
    });
  });
  return conf;
}

/** The RTM_SETLINK payload that sets `values` on ifindex (keys in devconf-id order). */
export function encodeSetInetConf(ifindex: number, values: InetConf): Buffer {
  const w = new AttrWriter(128);
  w.raw(ifinfomsg({ index: ifindex }));
  w.nest(IFLA.AF_SPEC, () => {
    w.nest(AF_INET, () => {
      w.nest(IFLA_INET_CONF, () => {
        const keys = (Object.keys(values) as InetConfKey[]).sort((a, b) => IPV4_DEVCONF[a] - IPV4_DEVCONF[b]);
        for (const k of keys) w.u32(IPV4_DEVCONF[k], values[k]! >>> 0);
      });
    });
  });
  return w.finish();
}

export interface LinkInetConf {
  ifindex: number;
  ifname: string;
  mac: string | null;
  /** null when the interface has no IPv4 (no in_device, e.g. MTU below 68). */
  conf: InetConf | null;
}

/** One interface's IPv4 settings (by name or index). */
export async function getInetConf(h: Handle, nameOrIndex: string | number): Promise<LinkInetConf> {
  const byIndex = typeof nameOrIndex === 'number' || /^\d+$/.test(nameOrIndex);
  const w = new AttrWriter(64);
  w.raw(ifinfomsg({ index: byIndex ? Number(nameOrIndex) : 0 }));
  if (!byIndex) w.str(IFLA.IFNAME, String(nameOrIndex));
  let msgs;
  try {
    msgs = await h.request(RTM.GETLINK, w.finish(), { target: String(nameOrIndex) });
  } catch (err) {
    if (err instanceof NetlinkError && (err.errno === 'ENODEV' || err.errno === 'ENOENT')) {
      throw new NotFoundError('interface', String(nameOrIndex), h.netns ? `in network namespace ${h.netns}` : undefined);
    }
    throw err;
  }
  const m = msgs.find((x) => x.type === RTM.NEWLINK);
  if (!m) throw new NotFoundError('interface', String(nameOrIndex), h.netns ? `in network namespace ${h.netns}` : undefined);
  return fromLinkMessage(m.data);
}

function fromLinkMessage(data: Buffer): LinkInetConf {
  const link = decodeLink(data, 0, data.length);
  return { ifindex: link.index, ifname: link.name, mac: link.mac, conf: decodeLinkInetConf(data, 0, data.length) };
}

/** Every interface's IPv4 settings, in ifindex order. */
export async function listInetConf(h: Handle): Promise<LinkInetConf[]> {
  return (await dumpLinksRaw(h)).map(fromLinkMessage);
}

/**
 * Set several keys on one interface in one RTM_SETLINK. The caller validates values; the
 * kernel checks only that each key exists.
 */
export async function setInetConf(h: Handle, ifindex: number, values: InetConf, target?: string): Promise<void> {
  if (Object.keys(values).length === 0) return;
  try {
    await h.request(RTM.SETLINK, encodeSetInetConf(ifindex, values), {
      action: `set ipv4 conf ${Object.entries(values).map(([k, v]) => `${k}=${v}`).join(' ')} on ${target ?? `link ${ifindex}`}`,
      target: target ?? String(ifindex),
    });
  } catch (err) {
    // inet_validate_link_af: a device without an in_device has no IPv4 settings at all
    if (err instanceof NetlinkError && err.errno === 'EAFNOSUPPORT') {
      throw new UnsupportedError(`IPv4 settings on ${target ?? `link ${ifindex}`}`, 'the interface has no IPv4 (in_device) configuration');
    }
    throw err;
  }
}

/** RTM_GETNETCONF for a row (or an ifindex): only the keys the kernel puts in netconf messages. */
export async function getNetconf(h: Handle, which: ConfRow | number): Promise<InetConf> {
  const ifindex = typeof which === 'number' ? which : NETCONFA_IFINDEX[which];
  const w = new AttrWriter(16);
  w.raw(Uint8Array.of(AF_INET)); // struct netconfmsg, padded to 4
  w.s32(NETCONFA.IFINDEX, ifindex);
  const msgs = await h.request(RTM.GETNETCONF, w.finish(), { action: `read ipv4 netconf of ${which}`, target: String(which) });
  const out: InetConf = {};
  for (const m of msgs) {
    if (m.type !== RTM.NEWNETCONF) continue;
    forEachAttr(m.data, 4, m.data.length, (t, s, e) => {
      if (e - s < 4) return;
      const key = NETCONF_KEYS.find(([id]) => id === t)?.[1];
      if (key) out[key] = m.data.readInt32LE(s);
    });
  }
  return out;
}

function sysctlPath(row: string, key: InetConfKey): string {
  return `/proc/sys/net/ipv4/conf/${row}/${key}`;
}

/**
 * Read keys of a conf row from /proc/sys inside the handle's namespace (sysctl files resolve
 * against the reading thread's namespace, so the read happens inside withNetns).
 */
export function readSysctlConf(netns: string | undefined, row: string, keys: readonly InetConfKey[]): InetConf {
  return withNetns(netns, () => {
    const out: InetConf = {};
    for (const k of keys) {
      try {
        out[k] = Number(readFileSync(sysctlPath(row, k), 'utf8').trim());
      } catch (err) {
        // an older kernel without this key: leave it out rather than invent a value
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    return out;
  });
}

/** Write keys of a conf row through /proc/sys inside the namespace, in the order given. */
export function writeSysctlConf(netns: string | undefined, row: string, values: InetConf): void {
  withNetns(netns, () => {
    for (const [k, v] of Object.entries(values)) {
      const path = sysctlPath(row, k as InetConfKey);
      try {
        writeFileSync(path, `${v}\n`);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new PermissionError('CAP_NET_ADMIN', `writing ${path}`);
        if (code === 'ENOENT') throw new UnsupportedError(`${k} in the ${row} row`, `this kernel has no ${path}`);
        throw err;
      }
    }
  });
}

/** The `all` or `default` row: netconf for the keys it carries, /proc/sys for the others. */
export async function getRowConf(h: Handle, row: ConfRow, keys: readonly InetConfKey[]): Promise<InetConf> {
  const fromNetconf = keys.some((k) => NETCONF_CARRIES.has(k)) ? await getNetconf(h, row) : {};
  const rest = keys.filter((k) => fromNetconf[k] === undefined);
  return { ...pick(fromNetconf, keys), ...readSysctlConf(h.netns, row, rest) };
}

function pick(conf: InetConf, keys: readonly InetConfKey[]): InetConf {
  const out: InetConf = {};
  for (const k of keys) if (conf[k] !== undefined) out[k] = conf[k];
  return out;
}
