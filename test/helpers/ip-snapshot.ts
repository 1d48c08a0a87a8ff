// The whole of a namespace as iproute2 prints it: the oracle for "nothing changed". Links with
// `ip -d -j link` (ifindex, MAC, MTU, master, group, alias, kind data), every address with its
// flags, label, metric and whether its lifetimes are finite, every route of every table (kernel
// prefix and local routes included), permanent/noarp neighbours, and the per-interface sysctls
// nodectl touches, read inside the namespace. ifindexes and MACs are KEPT: a link deleted and
// re-created is a different link even under the same name. Only what changes by itself is left
// out (timers, lifetime countdowns, dynamic neighbour entries, route expiry).
import type { ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { ARP_KEY_NAMES } from '../../src/config/arp-keys.js';
import { patient } from './patience.js';

/**
 * Run a command asynchronously (never spawnSync: a test that polls for a moment to send a
 * signal must not be starved by a snapshot taken in a concurrent test of the same worker).
 */
function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

export interface IpSnapshot {
  links: Record<string, unknown>[];
  addrs: Record<string, unknown>[];
  routes: Record<string, unknown>[];
  neighs: Record<string, unknown>[];
  sysctls: Record<string, Record<string, string>>;
}

const SYSCTL_V6 = ['disable_ipv6', 'addr_gen_mode', 'accept_dad', 'keep_addr_on_down'];

async function ipJson(ns: string, ...args: string[]): Promise<Record<string, unknown>[]> {
  const out = await run('ip', ['-n', ns, '-j', ...args]);
  return out.trim() ? (JSON.parse(out) as Record<string, unknown>[]) : [];
}

/** Drop keys that tick by themselves (bridge and port timers), recursively. */
function stripTimers(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripTimers);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (k.endsWith('_timer')) continue;
    out[k] = stripTimers(x);
  }
  return out;
}

const FOREVER = 4294967295;

async function readOnce(ns: string): Promise<IpSnapshot> {
  const [rawLinks, rawAddrs, r4, r6, rawNeighs] = await Promise.all([
    ipJson(ns, '-d', 'link', 'show'), ipJson(ns, '-d', 'addr', 'show'),
    ipJson(ns, '-4', '-d', 'route', 'show', 'table', 'all'), ipJson(ns, '-6', '-d', 'route', 'show', 'table', 'all'), ipJson(ns, 'neigh', 'show'),
  ]);
  const links = rawLinks.map((l) => stripTimers(l) as Record<string, unknown>);
  const addrs: Record<string, unknown>[] = [];
  for (const l of rawAddrs) {
    for (const a of (l.addr_info as Record<string, unknown>[] | undefined) ?? []) {
      const { valid_life_time: v, preferred_life_time: p, ...rest } = a;
      addrs.push({ ifindex: l.ifindex, ifname: l.ifname, ...rest, valid: v === FOREVER ? 'forever' : 'finite', preferred: p === FOREVER ? 'forever' : 'finite' });
    }
  }
  const routes: Record<string, unknown>[] = [];
  for (const [fam, list] of [['-4', r4], ['-6', r6]] as const) {
    for (const r of list) {
      const { expires: _e, ...rest } = r;
      routes.push({ family: fam, ...rest });
    }
  }
  const neighs = rawNeighs.filter((n) => (n.state as string[] | undefined)?.some((s) => s === 'PERMANENT' || s === 'NOARP'));
  // One process reads every sysctl of every link: grep -H prints "path:value" per file. (A cat
  // per file forked ~12 processes a link: under TCG, minutes for a node of 200 links.) A file
  // the kernel does not have (no IPv6) reads as "-".
  const keys = links.flatMap((l) => [...ARP_KEY_NAMES.map((k) => ['ipv4', k]), ...SYSCTL_V6.map((k) => ['ipv6', k])]
    .map(([fam, k]) => ({ dev: String(l.ifname), key: `${fam}.${k}`, path: `/proc/sys/net/${fam}/conf/${String(l.ifname)}/${k}` })));
  const text = await run('ip', ['netns', 'exec', ns, 'sh', '-c', 'grep -H "" -- "$@" 2>/dev/null; exit 0', 'sh', ...keys.map((k) => k.path)]);
  const read = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (at > 0) read.set(line.slice(0, at), line.slice(at + 1));
  }
  const sysctls: Record<string, Record<string, string>> = {};
  for (const { dev, key, path } of keys) (sysctls[dev] ??= {})[key] = read.get(path) ?? '-';
  const byKey = (xs: Record<string, unknown>[], key: (x: Record<string, unknown>) => string) => xs.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  byKey(links, (l) => String(l.ifindex).padStart(10, '0'));
  byKey(addrs, addrKey);
  byKey(routes, routeKey);
  byKey(neighs, neighKey);
  return { links, addrs, routes, neighs, sysctls };
}

const addrKey = (a: Record<string, unknown>): string => `${String(a.ifindex).padStart(10, '0')} ${String(a.family)} ${String(a.local)}/${String(a.prefixlen)}`;
const routeKey = (r: Record<string, unknown>): string => [r.family, r.table ?? 'main', r.type ?? 'unicast', r.dst, r.dev, r.gateway ?? '', r.metric ?? '', r.tos ?? ''].map(String).join(' ');
const neighKey = (n: Record<string, unknown>): string => `${String(n.dev)} ${String(n.dst)}`;

/**
 * A link whose carrier linkwatch has not yet turned into its operstate: carrier off but still
 * RUNNING (neither LOWER_UP nor NO-CARRIER), or carrier on but not RUNNING yet (both).
 */
function linkwatchPending(l: Record<string, unknown>): boolean {
  const f = (l.flags as string[] | undefined) ?? [];
  if (!f.includes('UP')) return false;
  return f.includes('LOWER_UP') === f.includes('NO-CARRIER');
}

/**
 * A macvlan's carrier is its lower device's, copied when the lower's NETDEV_CHANGE reaches it
 * (netif_stacked_transfer_operstate). That comes from linkwatch after the lower's own flags
 * changed, and a link dump does not wait for it (6.18 dumps links without the RTNL lock): a
 * property run read a macvlan still LOWER_UP on a bridge already NO-CARRIER, twice 150 ms
 * apart, and it lost its carrier moments later. Both must be up for their flags to show it.
 */
function stackedPending(links: Record<string, unknown>[]): boolean {
  const byName = new Map(links.map((l) => [l.ifname, l]));
  const flags = (l: Record<string, unknown>): string[] => (l.flags as string[] | undefined) ?? [];
  return links.some((l) => {
    const kind = (l.linkinfo as { info_kind?: string } | undefined)?.info_kind;
    if (kind !== 'macvlan' && kind !== 'macvtap') return false;
    const lower = typeof l.link === 'string' ? byName.get(l.link) : undefined;
    if (!lower || !flags(l).includes('UP') || !flags(lower).includes('UP')) return false;
    return flags(l).includes('LOWER_UP') !== flags(lower).includes('LOWER_UP');
  });
}

/**
 * A settled snapshot: the kernel finishes some consequences of a change asynchronously
 * (linkwatch carrier/operstate, IPv6 DAD and link-locals), so it counts once two readings 150 ms
 * apart agree and no address is still in duplicate address detection (tentative). Linkwatch
 * handles a non-urgent carrier change (a bridge's) up to a second late, so while a link's flags
 * say its operstate has not caught up with its carrier, the readings must agree for longer than
 * that (PENDING_READS) — some never catch up (a veth created up beside a peer that never came up keeps
 * that state until the next event), so this waits, but not forever.
 */
/**
 * Readings that must agree while a link's operstate lags its carrier: linkwatch's work needs the
 * RTNL lock, and on a loaded machine other tests' namespace teardowns hold it for seconds (CI's
 * host run twice read a bridge rolled back without its port still RUNNING, operstate UP, with
 * 1.2 s): 4 s, stretched by NODECTL_TEST_PATIENCE.
 */
const PENDING_READS = Math.ceil(patient(4000) / 150);

export async function ipSnapshot(ns: string, tries = 60 + PENDING_READS): Promise<IpSnapshot> {
  let prev = await readOnce(ns);
  let same = 0;
  for (let i = 0; i < tries; i++) {
    await new Promise((r) => setTimeout(r, 150));
    const cur = await readOnce(ns);
    const dad = cur.addrs.some((a) => a.tentative === true && a.dadfailed !== true);
    same = JSON.stringify(cur) === JSON.stringify(prev) ? same + 1 : 0;
    prev = cur;
    if (dad || same === 0) continue;
    if (same >= PENDING_READS || !(cur.links.some(linkwatchPending) || stackedPending(cur.links))) return cur;
  }
  return prev;
}

function fieldDiff(path: string, a: unknown, b: unknown, out: string[]): void {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) fieldDiff(`${path}.${k}`, (a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], out);
    return;
  }
  out.push(`  ${path}: ${JSON.stringify(a)} → ${JSON.stringify(b)}`);
}

function keyedDiff(what: string, before: Record<string, unknown>[], after: Record<string, unknown>[], key: (x: Record<string, unknown>) => string, out: string[]): void {
  const b = new Map(before.map((x) => [key(x), x]));
  const a = new Map(after.map((x) => [key(x), x]));
  for (const [k, x] of b) if (!a.has(k)) out.push(`- ${what} ${k}: ${JSON.stringify(x)}`);
  for (const [k, x] of a) if (!b.has(k)) out.push(`+ ${what} ${k}: ${JSON.stringify(x)}`);
  for (const [k, x] of b) {
    const y = a.get(k);
    if (y === undefined) continue;
    const lines: string[] = [];
    fieldDiff('', x, y, lines);
    if (lines.length) out.push(`~ ${what} ${k}:`, ...lines);
  }
}

/** Every difference between two snapshots, one readable line each (empty: identical). */
export function diffSnapshots(before: IpSnapshot, after: IpSnapshot): string[] {
  const out: string[] = [];
  keyedDiff('link', before.links, after.links, (l) => `${String(l.ifindex)} (${String(l.ifname)})`, out);
  keyedDiff('addr', before.addrs, after.addrs, (a) => `${String(a.local)}/${String(a.prefixlen)} dev ${String(a.ifname)} (ifindex ${String(a.ifindex)})`, out);
  keyedDiff('route', before.routes, after.routes, routeKey, out);
  keyedDiff('neigh', before.neighs, after.neighs, neighKey, out);
  const sb = Object.entries(before.sysctls).map(([dev, v]) => ({ dev, ...v }));
  const sa = Object.entries(after.sysctls).map(([dev, v]) => ({ dev, ...v }));
  keyedDiff('sysctls of', sb, sa, (x) => String(x.dev), out);
  return out;
}

/** Passes when the snapshots are identical; otherwise fails listing exactly what differs. */
export function assertSameSnapshot(t: ExecutionContext, before: IpSnapshot, after: IpSnapshot, message = 'the namespace changed'): void {
  const d = diffSnapshots(before, after);
  if (d.length === 0) t.pass();
  else t.fail(`${message}:\n${d.join('\n')}`);
}
