// Which kernel knows each netlink attribute nodectl sends in a request that changes something.
//
// A kernel does not always refuse an attribute it does not know: rtnetlink ignores unknown
// top-level IFLA_* attributes (checked on 6.18: attribute 200 acknowledged), and the bridge
// parses a port's IFLA_INFO_SLAVE_DATA liberally, so an IFLA_BRPORT_* newer than the kernel is
// dropped with an ACK. A setting would then be lost without a word on an old kernel. So every
// attribute nodectl can send is listed here: those the 5.10 floor already knows (audited once,
// from the kernel's and iproute2's history), and those that came later, with their first
// mainline kernel; one of the latter is refused before the request on an older kernel
// (UNSUPPORTED, exit 6, naming the attribute and the kernel it needs), unless its value is what
// that kernel does without it. A unit test fails when an
// encoder can send an attribute that is in neither list, so a new one must say its kernel.
import { release } from 'node:os';
import { UnsupportedError } from '../errors.js';

/** The oldest kernel nodectl supports (Debian 11's). */
export const KERNEL_FLOOR = '5.10';

/**
 * Attributes nodectl can send that a 5.10 kernel already knows (first kernel in the comments).
 * Top level (IFLA_*): IFNAME, MTU, ADDRESS, LINK, MASTER, LINKINFO (2.6), IFALIAS (2.6.31),
 * NET_NS_FD (3.0), GROUP (3.2), AF_SPEC/IFLA_INET_CONF (3.x); in IFLA_INFO_DATA: vlan id (2.6),
 * protocol (3.10); bond mode, miimon, arp_interval, arp_ip_target (3.13); bridge stp_state,
 * vlan_filtering (4.0); macvlan/macvtap mode (2.6); veth's peer (2.6.24). Bridge port options
 * (IFLA_INFO_SLAVE_DATA): up to IFLA_BRPORT_BACKUP_PORT (4.19). IPv4 devconf keys are not here:
 * the kernel refuses an unknown one (inet_validate_link_af: EINVAL), and `arp set` reads back.
 */
export const AT_FLOOR: ReadonlySet<string> = new Set([
  'IFLA_IFNAME', 'IFLA_MTU', 'IFLA_ADDRESS', 'IFLA_LINK', 'IFLA_MASTER', 'IFLA_LINKINFO', 'IFLA_IFALIAS',
  'IFLA_NET_NS_FD', 'IFLA_GROUP', 'IFLA_AF_SPEC',
  'IFLA_VLAN_ID', 'IFLA_VLAN_PROTOCOL',
  'IFLA_BOND_MODE', 'IFLA_BOND_MIIMON', 'IFLA_BOND_ARP_INTERVAL', 'IFLA_BOND_ARP_IP_TARGET',
  'IFLA_BR_STP_STATE', 'IFLA_BR_VLAN_FILTERING',
  'IFLA_MACVLAN_MODE',
  'IFLA_BRPORT_PRIORITY', 'IFLA_BRPORT_COST', 'IFLA_BRPORT_MODE', 'IFLA_BRPORT_GUARD', 'IFLA_BRPORT_PROTECT',
  'IFLA_BRPORT_FAST_LEAVE', 'IFLA_BRPORT_LEARNING', 'IFLA_BRPORT_UNICAST_FLOOD', 'IFLA_BRPORT_PROXYARP',
  'IFLA_BRPORT_PROXYARP_WIFI', 'IFLA_BRPORT_MULTICAST_ROUTER', 'IFLA_BRPORT_MCAST_FLOOD', 'IFLA_BRPORT_MCAST_TO_UCAST',
  'IFLA_BRPORT_VLAN_TUNNEL', 'IFLA_BRPORT_BCAST_FLOOD', 'IFLA_BRPORT_GROUP_FWD_MASK', 'IFLA_BRPORT_NEIGH_SUPPRESS',
  'IFLA_BRPORT_ISOLATED', 'IFLA_BRPORT_BACKUP_PORT',
]);

/**
 * Attributes nodectl can send that came after the floor: the first mainline kernel that knows
 * each (the release whose merge window took the commit; net-next dates in the comments), and the
 * value that means what an older kernel does without it (a port not locked, no limit). Today all
 * are bridge port options that a rollback gives back as the kernel reported them: a newer kernel
 * reports every one, mostly at that value, which an older kernel may ignore without harm; any
 * other value it would drop, so that is refused.
 */
export const AFTER_FLOOR: Readonly<Record<string, { since: string; absent: number }>> = {
  // "make tracked EHT hosts limit configurable", 2021-01; 512 is the default (5.10 tracks no EHT hosts)
  IFLA_BRPORT_MCAST_EHT_HOSTS_LIMIT: { since: '5.12', absent: 512 },
  IFLA_BRPORT_LOCKED: { since: '5.18', absent: 0 }, // "bridge port in locked mode", 2022-02
  IFLA_BRPORT_MAB: { since: '6.2', absent: 0 }, // "MAC Authentication Bypass (MAB) support", 2022-11
  IFLA_BRPORT_MCAST_MAX_GROUPS: { since: '6.3', absent: 0 }, // "netlink knobs for number / maximum MDB entries", 2023-02; 0: no limit
  IFLA_BRPORT_NEIGH_VLAN_SUPPRESS: { since: '6.4', absent: 0 }, // "per-{Port, VLAN} neighbor suppression state", 2023-04
  IFLA_BRPORT_BACKUP_NHID: { since: '6.6', absent: 0 }, // "backup nexthop ID support", 2023-07; 0: none
};

/** An attribute of a request: its uapi name, and its value when it is a number (for AFTER_FLOOR's `absent`). */
export type SentAttr = string | { name: string; value?: number };

/** major.minor of a release string ("6.1.0-57-amd64" → [6, 1]); null when it has none. */
function majorMinor(v: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** Whether kernel `kernel` is at least `min` (major.minor; an unreadable release counts as new enough). */
export function kernelAtLeast(min: string, kernel = release()): boolean {
  const k = majorMinor(kernel);
  const n = majorMinor(min)!;
  if (!k) return true;
  return k[0] !== n[0] ? k[0] > n[0] : k[1] >= n[1];
}

/**
 * The attributes of `attrs` that kernel `kernel` does not know yet, with the kernel each needs;
 * one whose value is what the kernel does without it is not counted (nothing would be lost).
 */
export function tooNewFor(attrs: Iterable<SentAttr>, kernel = release()): { attribute: string; minKernel: string }[] {
  const out: { attribute: string; minKernel: string }[] = [];
  for (const a of attrs) {
    const { name, value } = typeof a === 'string' ? { name: a, value: undefined } : a;
    const after = AFTER_FLOOR[name];
    if (after === undefined || kernelAtLeast(after.since, kernel)) continue;
    if (value !== undefined && value === after.absent) continue;
    out.push({ attribute: name, minKernel: after.since });
  }
  return out;
}

/**
 * Throw UNSUPPORTED (exit 6) before a request carrying an attribute the running kernel would
 * ignore: the first such attribute is the feature, every one is listed. `doing` says what the
 * request was for.
 */
export function refuseTooNew(attrs: Iterable<SentAttr>, doing: string, kernel = release()): void {
  const late = tooNewFor(attrs, kernel);
  if (!late.length) return;
  const worst = late.reduce((a, b) => (kernelAtLeast(a.minKernel, b.minKernel) ? b : a));
  const list = late.map((x) => `${x.attribute} (Linux ${x.minKernel})`).join(', ');
  throw new UnsupportedError(
    late[0]!.attribute,
    `cannot ${doing}: Linux ${kernel} does not know ${list}, and would accept the request while ignoring ${late.length === 1 ? 'it' : 'them'}, so nothing was sent`,
    worst.minKernel,
  );
}
