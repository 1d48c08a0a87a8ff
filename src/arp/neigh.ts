// Neighbour table edits (ARP for IPv4, NDP for IPv6) per interface: add/replace, delete and
// flush, each read back from the kernel so the result says what the table now holds.
import { NetlinkError, NotFoundError, UsageError } from '../errors.js';
import type { NeighView } from '../interfaces/model.js';
import { parseIP, parseLladdr } from '../netlink/attr.js';
import { getLink } from '../netlink/link.js';
import { addNeigh, delNeigh, listNeighs, type Neigh } from '../netlink/neigh.js';
import { type Target, withTarget } from './target.js';

/** States a static entry can be given (the others are the kernel's own transitions). */
export const NEIGH_ADD_STATES = ['permanent', 'reachable', 'stale', 'noarp'] as const;
export type NeighAddState = (typeof NEIGH_ADD_STATES)[number];

export interface NeighAddRequest {
  address: string;
  lladdr: string;
  /** Default 'permanent' (never ages, never re-probed). */
  state?: NeighAddState;
}

function sameIP(a: string, b: string): boolean {
  try {
    return parseIP(a).bytes.equals(parseIP(b).bytes);
  } catch {
    return false;
  }
}

function checkAddress(address: string): 4 | 6 {
  try {
    return parseIP(address).family;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Add or replace an entry on IFACE (like `ip neigh replace`), then read it back. */
export async function addNeighbour(target: Target, iface: string, r: NeighAddRequest): Promise<NeighView> {
  checkAddress(r.address);
  const state = r.state ?? 'permanent';
  if (!(NEIGH_ADD_STATES as readonly string[]).includes(state)) {
    throw new UsageError(`neighbour state must be one of ${NEIGH_ADD_STATES.join(', ')}, not ${state}`);
  }
  try {
    const ll = parseLladdr(r.lladdr);
    if (ll.length !== 6) throw new TypeError(`"${r.lladdr}" is not a 6-byte Ethernet address`);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return withTarget(target, async (h) => {
    const link = await getLink(h, iface);
    await addNeigh(h, { ifindex: link.index, address: r.address, lladdr: r.lladdr, state: state.toUpperCase() });
    const got = (await listNeighs(h, { ifindex: link.index })).find((n) => sameIP(n.address, r.address));
    if (!got) throw new NotFoundError('neighbour', r.address, `on ${link.name} after adding it`);
    return { ...got, ifname: link.name };
  });
}

/** Delete one entry of IFACE; NotFoundError when there is none. */
export async function deleteNeighbour(target: Target, iface: string, address: string): Promise<{ deleted: NeighView }> {
  checkAddress(address);
  return withTarget(target, async (h) => {
    const link = await getLink(h, iface);
    const existing = (await listNeighs(h, { ifindex: link.index })).find((n) => sameIP(n.address, address));
    if (!existing) throw new NotFoundError('neighbour', address, `on ${link.name}`);
    try {
      await delNeigh(h, { ifindex: link.index, address });
    } catch (err) {
      if (err instanceof NetlinkError && err.errno === 'ENOENT') throw new NotFoundError('neighbour', address, `on ${link.name}`);
      throw err;
    }
    return { deleted: { ...existing, ifname: link.name } };
  });
}

export interface FlushRequest {
  family?: 4 | 6;
  /**
   * States to flush (upper-case NUD names). Default, as `ip neigh flush`: every entry except
   * PERMANENT and NOARP ones, which were put there on purpose.
   */
  states?: string[];
}

export interface FlushResult {
  ifname: string;
  flushed: NeighView[];
  /** Entries left in place because of their state (PERMANENT/NOARP by default). */
  kept: number;
}

const FLUSH_STATES = ['PERMANENT', 'NOARP', 'REACHABLE', 'STALE', 'DELAY', 'PROBE', 'FAILED', 'INCOMPLETE'];

export async function flushNeighbours(target: Target, iface: string, req: FlushRequest = {}): Promise<FlushResult> {
  const states = req.states?.map((s) => s.toUpperCase());
  for (const s of states ?? []) {
    if (!FLUSH_STATES.includes(s)) throw new UsageError(`unknown neighbour state ${s} (known: ${FLUSH_STATES.map((x) => x.toLowerCase()).join(', ')})`);
  }
  const wanted = (n: Neigh): boolean => {
    const mine = n.state.split(',');
    if (states) return mine.some((s) => states.includes(s));
    return !mine.includes('PERMANENT') && !mine.includes('NOARP');
  };
  return withTarget(target, async (h) => {
    const link = await getLink(h, iface);
    const entries = (await listNeighs(h, { ifindex: link.index, family: req.family })).filter((n) => n.address);
    const flushed: NeighView[] = [];
    let kept = 0;
    for (const n of entries) {
      if (!wanted(n)) {
        kept++;
        continue;
      }
      try {
        await delNeigh(h, { ifindex: link.index, address: n.address });
        flushed.push({ ...n, ifname: link.name });
      } catch (err) {
        // gone meanwhile (garbage-collected or raced): that is what a flush wants anyway
        if (!(err instanceof NetlinkError && err.errno === 'ENOENT')) throw err;
      }
    }
    return { ifname: link.name, flushed, kept };
  });
}
