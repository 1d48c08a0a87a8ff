// Which kernel knows each netlink attribute nodectl sends in a request that changes something.
//
// A kernel does not always refuse an attribute it does not know: rtnetlink ignores unknown
// top-level IFLA_* attributes (checked on 6.18: attribute 200 acknowledged), and the bridge
// parses a port's IFLA_INFO_SLAVE_DATA liberally, so an IFLA_BRPORT_* newer than the kernel is
// dropped with an ACK. A setting would then be lost without a word on an old kernel. So every
// attribute nodectl can send says since which kernel it exists, in the link kind tables
// (link-kinds.ts: AttrDef.since, and IFLA_SINCE for top-level attributes); the lists below are
// derived from them, never written here. One whose kernel is after the 5.10 floor is refused
// before the request on an older kernel (UNSUPPORTED, exit 6, naming the attribute and the kernel
// it needs), unless its value is what that kernel does without it (AttrDef.absent). A unit test
// fails when an encoder can send an attribute without a `since`, so a new one must say its kernel.
// IPv4 devconf keys are not here: the kernel refuses an unknown one (inet_validate_link_af:
// EINVAL), and `arp set` reads back.
import { release } from 'node:os';
import { UnsupportedError } from '../errors.js';
import { IFLA_SINCE, KIND_TABLES, SLAVE_TABLES } from './link-kinds.js';

/** The oldest kernel nodectl supports (Debian 11's). */
export const KERNEL_FLOOR = '5.10';

/** Every attribute the tables give a `since`, by uapi name (one attribute, one kernel: a table saying two is a programming error). */
function sinceByName(): Map<string, { since: string; absent?: number }> {
  const out = new Map<string, { since: string; absent?: number }>();
  const add = (name: string, since: string, absent?: number): void => {
    const had = out.get(name);
    if (had && (had.since !== since || had.absent !== absent)) throw new Error(`link kind tables give ${name} two kernels (${had.since}, ${since})`);
    out.set(name, { since, ...(absent !== undefined ? { absent } : {}) });
  };
  for (const [k, since] of Object.entries(IFLA_SINCE)) add(`IFLA_${k}`, since);
  for (const t of [...KIND_TABLES, ...SLAVE_TABLES]) for (const d of t.attrs) if (d.since !== undefined) add(d.name, d.since, d.absent);
  return out;
}
const SINCE = sinceByName();

/** Attributes nodectl can send that a 5.10 kernel already knows (derived from the tables' `since`). */
export const AT_FLOOR: ReadonlySet<string> = new Set([...SINCE].filter(([, v]) => kernelAtLeast(v.since, KERNEL_FLOOR)).map(([n]) => n));

/**
 * Attributes nodectl can send that came after the floor (derived from the tables' `since`), with
 * the first mainline kernel that knows each and, where there is one, the value that means what
 * an older kernel does without it. Today all are bridge port options that a rollback gives back
 * as the kernel reported them: a newer kernel reports every one, mostly at that value, which an
 * older kernel may ignore without harm; any other value it would drop, so that is refused.
 */
export const AFTER_FLOOR: Readonly<Record<string, { since: string; absent?: number }>> = Object.fromEntries(
  [...SINCE].filter(([, v]) => !kernelAtLeast(v.since, KERNEL_FLOOR)),
);

/** An attribute of a request: its uapi name, and its value when it is a number (for the table's `absent`). */
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
