// Per-interface ARP policy: the seven IPv4 devconf keys that decide how an interface answers,
// announces and learns ARP. The kernel never uses an interface's value alone: it combines it
// with the `all` row (include/linux/inetdevice.h), and that combination is what `arp show`
// reports as effective, with where it came from.
import { NodectlError, UsageError } from '../errors.js';
import type { Handle } from '../netlink/handle.js';
import {
  type ConfRow, getInetConf, getRowConf, type InetConf, type InetConfKey, listInetConf, readSysctlConf, setInetConf,
  writeSysctlConf,
} from '../netlink/inetconf.js';
import { type Target, withTarget } from './target.js';

export type ArpKey = 'arp_ignore' | 'arp_announce' | 'arp_filter' | 'arp_accept' | 'arp_notify' | 'proxy_arp' | 'drop_gratuitous_arp';

export interface ArpKeySpec {
  min: number;
  max: number;
  /** Values the kernel gives a meaning (arp_ignore 4-7 are reserved and act like 0). */
  allowed: readonly number[];
  /** How the kernel combines `all` and the interface: IN_DEV_MAXCONF or IN_DEV_ORCONF. */
  combine: 'max' | 'or';
  summary: string;
}

/**
 * The ARP keys, their valid values and how the kernel combines them (include/linux/inetdevice.h:
 * IN_DEV_ARP_IGNORE/ANNOUNCE/NOTIFY and, since Linux 6.0 made it 0-2, ARP_ACCEPT are MAXCONF;
 * ARPFILTER and PROXY_ARP are ORCONF; arp.c reads DROP_GRATUITOUS_ARP with IN_DEV_ORCONF).
 * The config schema builds its `arp:` block from this table.
 */
export const ARP_KEYS: Readonly<Record<ArpKey, ArpKeySpec>> = {
  arp_ignore: { min: 0, max: 8, allowed: [0, 1, 2, 3, 8], combine: 'max', summary: 'which ARP requests to answer: 0 any local address, 1 only the address on the receiving interface, 2 also same subnet as sender, 3 not for host-scope addresses, 8 none' },
  arp_announce: { min: 0, max: 2, allowed: [0, 1, 2], combine: 'max', summary: 'source address in our ARP requests: 0 any local, 1 avoid addresses off the target subnet, 2 best local address for the target' },
  arp_filter: { min: 0, max: 1, allowed: [0, 1], combine: 'or', summary: 'answer only if the route back to the sender leaves through this interface' },
  arp_accept: { min: 0, max: 2, allowed: [0, 1, 2], combine: 'max', summary: 'create neighbour entries from gratuitous ARP: 0 no, 1 yes, 2 only for senders in a local subnet' },
  arp_notify: { min: 0, max: 1, allowed: [0, 1], combine: 'max', summary: 'send gratuitous ARP when the link comes up or its MAC changes' },
  proxy_arp: { min: 0, max: 1, allowed: [0, 1], combine: 'or', summary: 'answer ARP for addresses routed through another interface' },
  drop_gratuitous_arp: { min: 0, max: 1, allowed: [0, 1], combine: 'or', summary: 'drop all gratuitous ARP frames' },
};

export const ARP_KEY_NAMES = Object.keys(ARP_KEYS) as ArpKey[];

export type ArpValues = Record<ArpKey, number>;

/** Which row decided the effective value: the interface, the `all` row, or both agree. */
export type ArpSource = 'interface' | 'all' | 'both';

export interface ArpSetting {
  /** The interface's own value (/proc/sys/net/ipv4/conf/IFACE/KEY). */
  value: number;
  /** What the kernel acts on after combining with `all`. */
  effective: number;
  source: ArpSource;
}

export interface ArpPolicyRow {
  ifname: string;
  ifindex: number;
  settings: Record<ArpKey, ArpSetting>;
}

export interface ArpPolicy {
  all: ArpValues;
  default: ArpValues;
  interfaces: ArpPolicyRow[];
}

/** The kernel's combination of the `all` row and an interface for one key. */
export function effectiveSetting(key: ArpKey, iface: number, all: number): ArpSetting {
  if (ARP_KEYS[key].combine === 'max') {
    const effective = Math.max(iface, all);
    const source: ArpSource = iface === all ? 'both' : iface > all ? 'interface' : 'all';
    return { value: iface, effective, source };
  }
  const effective = iface !== 0 || all !== 0 ? 1 : 0;
  const source: ArpSource = effective === 0 || (iface !== 0 && all !== 0) ? 'both' : iface !== 0 ? 'interface' : 'all';
  return { value: iface, effective, source };
}

export function effectiveSettings(iface: ArpValues, all: ArpValues): Record<ArpKey, ArpSetting> {
  const out = {} as Record<ArpKey, ArpSetting>;
  for (const k of ARP_KEY_NAMES) out[k] = effectiveSetting(k, iface[k], all[k]);
  return out;
}

function arpValues(conf: InetConf, where: string): ArpValues {
  const out = {} as ArpValues;
  for (const k of ARP_KEY_NAMES) {
    const v = conf[k as InetConfKey];
    if (v === undefined) throw new NodectlError('UNSUPPORTED', `the kernel reports no ${k} for ${where}`);
    out[k] = v;
  }
  return out;
}

export function isArpKey(k: string): k is ArpKey {
  return Object.prototype.hasOwnProperty.call(ARP_KEYS, k);
}

/** One key's value checked against its range; the reason as a sentence when it is not valid. */
export function checkArpValue(key: string, value: unknown): string | null {
  if (!isArpKey(key)) return `unknown ARP key "${key}" (known: ${ARP_KEY_NAMES.join(', ')})`;
  const spec = ARP_KEYS[key];
  if (typeof value !== 'number' || !Number.isInteger(value)) return `${key} must be an integer, not ${JSON.stringify(value)}`;
  if (!spec.allowed.includes(value)) {
    const range = spec.allowed.length === spec.max - spec.min + 1 ? `${spec.min}-${spec.max}` : spec.allowed.join(', ');
    return `${key}=${value} is out of range (valid: ${range})`;
  }
  return null;
}

/**
 * Parse `key=value` words (as typed after `arp set IFACE`) into values; every word is checked
 * and the first bad one is the error, before anything could be sent.
 */
export function parseArpAssignments(words: readonly string[]): Partial<ArpValues> {
  if (words.length === 0) throw new UsageError('nothing to set: give at least one key=value (e.g. arp_ignore=1)');
  const out: Partial<ArpValues> = {};
  for (const w of words) {
    const m = /^([a-z_]+)=(.*)$/.exec(w);
    if (!m) throw new UsageError(`"${w}" is not key=value (e.g. arp_ignore=1)`);
    const [, key, raw] = m as unknown as [string, string, string];
    const value = /^-?\d+$/.test(raw) ? Number(raw) : raw;
    const why = checkArpValue(key, value);
    if (why) throw new UsageError(why);
    if (out[key as ArpKey] !== undefined && out[key as ArpKey] !== value) throw new UsageError(`${key} is given twice with different values`);
    out[key as ArpKey] = value as number;
  }
  return out;
}

export function validateArpValues(values: Record<string, unknown>): Partial<ArpValues> {
  const out: Partial<ArpValues> = {};
  for (const [k, v] of Object.entries(values)) {
    const why = checkArpValue(k, v);
    if (why) throw new UsageError(why);
    out[k as ArpKey] = v as number;
  }
  return out;
}

function isRow(iface: string): iface is ConfRow {
  return iface === 'all' || iface === 'default';
}

/** The ARP policy of one interface (or all of them when iface is omitted) with the two rows. */
export async function showArpPolicy(target: Target, iface?: string): Promise<ArpPolicy> {
  return withTarget(target, async (h) => {
    const all = arpValues(await getRowConf(h, 'all', ARP_KEY_NAMES), 'the all row');
    const dflt = arpValues(await getRowConf(h, 'default', ARP_KEY_NAMES), 'the default row');
    // `arp show all` / `arp show default`: just the two rows
    const links = iface === undefined ? await listInetConf(h) : isRow(iface) ? [] : [await getInetConf(h, iface)];
    const interfaces: ArpPolicyRow[] = [];
    for (const l of links) {
      if (!l.conf) continue; // no in_device: the interface has no ARP policy at all
      interfaces.push({ ifname: l.ifname, ifindex: l.ifindex, settings: effectiveSettings(arpValues(l.conf, l.ifname), all) });
    }
    if (iface !== undefined && !isRow(iface) && interfaces.length === 0) {
      throw new NodectlError('UNSUPPORTED', `${iface} has no IPv4 configuration (no in_device), so no ARP policy`);
    }
    return { all, default: dflt, interfaces };
  });
}

export interface ArpSetResult {
  ifname: string;
  /** Values as read before and after (only the keys that were set). */
  before: Partial<ArpValues>;
  after: Partial<ArpValues>;
  /** Changed keys (a key already at its value is not). */
  changed: ArpKey[];
  /** For an interface: the effective values after the change (with the all row). */
  effective?: Partial<Record<ArpKey, ArpSetting>>;
  /** How the values were written: one RTM_SETLINK, or /proc/sys for the all/default rows. */
  via: 'rtnetlink' | 'sysctl';
}

/**
 * Set ARP keys on an interface in one RTM_SETLINK (IFLA_AF_SPEC/AF_INET/IFLA_INET_CONF), then
 * read them back. `all` and `default` are no device and rtnetlink cannot set them: those go
 * through /proc/sys/net/ipv4/conf/{all,default}/ inside the namespace, one file per key.
 * Every key and value is validated before anything is written.
 */
export async function setArpPolicy(target: Target, iface: string, values: Record<string, unknown>): Promise<ArpSetResult> {
  const v = validateArpValues(values);
  const keys = Object.keys(v) as ArpKey[];
  if (keys.length === 0) throw new UsageError('nothing to set: give at least one key=value (e.g. arp_ignore=1)');
  return withTarget(target, async (h) => {
    if (isRow(iface)) return setRow(h, iface, v, keys);
    const link = await getInetConf(h, iface);
    if (!link.conf) throw new NodectlError('UNSUPPORTED', `${iface} has no IPv4 configuration (no in_device), so no ARP policy`);
    const before = pickValues(link.conf, keys);
    await setInetConf(h, link.ifindex, v, link.ifname);
    const back = await getInetConf(h, link.ifindex);
    const after = pickValues(back.conf ?? {}, keys);
    checkReadBack(link.ifname, v, after);
    const all = arpValues(await getRowConf(h, 'all', ARP_KEY_NAMES), 'the all row');
    const effective: Partial<Record<ArpKey, ArpSetting>> = {};
    for (const k of keys) effective[k] = effectiveSetting(k, after[k]!, all[k]);
    return { ifname: link.ifname, before, after, changed: keys.filter((k) => before[k] !== after[k]), effective, via: 'rtnetlink' };
  });
}

async function setRow(h: Handle, row: ConfRow, v: Partial<ArpValues>, keys: ArpKey[]): Promise<ArpSetResult> {
  const before = pickValues(readSysctlConf(h.netns, row, keys), keys);
  writeSysctlConf(h.netns, row, v);
  const after = pickValues(readSysctlConf(h.netns, row, keys), keys);
  checkReadBack(row, v, after);
  return { ifname: row, before, after, changed: keys.filter((k) => before[k] !== after[k]), via: 'sysctl' };
}

function pickValues(conf: InetConf, keys: ArpKey[]): Partial<ArpValues> {
  const out: Partial<ArpValues> = {};
  for (const k of keys) if (conf[k] !== undefined) out[k] = conf[k];
  return out;
}

function checkReadBack(where: string, wanted: Partial<ArpValues>, got: Partial<ArpValues>): void {
  const wrong = (Object.keys(wanted) as ArpKey[]).filter((k) => got[k] !== wanted[k]);
  if (wrong.length) {
    throw new NodectlError('APPLY_FAILED', `${where}: the kernel kept ${wrong.map((k) => `${k}=${got[k]}`).join(' ')} after setting ${wrong.map((k) => `${k}=${wanted[k]}`).join(' ')}`);
  }
}
