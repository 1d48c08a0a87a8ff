// The interface model as commands and renderers see it: kernel objects (from src/netlink) with
// the ifindexes they refer to resolved into names. Commands import types from here, never from
// the adapters.
import type { Addr } from '../netlink/addr.js';
import { type AttrDef, KIND_TABLE, type KindTable, SLAVE_TABLE } from '../netlink/link-kinds.js';
import type { Link } from '../netlink/link.js';
import type { MonitorEvent, MonitorGroup } from '../netlink/monitor.js';
import type { Neigh } from '../netlink/neigh.js';

export type { Addr, Link, MonitorEvent, MonitorGroup, Neigh };
export type { KindData, SlaveData } from '../netlink/linkinfo.js';

/** A link with the names of the links it points at (what `ip link` prints after "@" and "master"). */
export interface LinkView extends Link {
  /** Name of the master (bridge, bond), when enslaved. */
  master: string | null;
  /** Name of the lower device (vlan, macvlan). */
  parent: string | null;
  /**
   * Name of the other end of a veth: in this namespace, or in the one `linkNetns` names when
   * nodectl may look into it; null when unknown (kindData.peerIndex still gives its ifindex).
   */
  peer: string | null;
  /**
   * Only on a link whose IFLA_LINK points into another namespace (linkNetnsId set): that
   * namespace's name under /run/netns, as `ip` shows `link-netns NAME`; null when it has none.
   */
  linkNetns?: string | null;
  /** Names of the ports of a bridge / slaves of a bond. */
  ports: string[];
}

/** Per kind, the table entries that name a link by its ifindex (ifname32): few kinds have any. */
function namedEntries(tables: ReadonlyMap<string, KindTable>): ReadonlyMap<string, readonly AttrDef[]> {
  const out = new Map<string, AttrDef[]>();
  for (const [kind, t] of tables) {
    const named = t.attrs.filter((d) => d.type === 'ifname32');
    if (named.length) out.set(kind, named);
  }
  return out;
}
const KIND_NAMED = namedEntries(KIND_TABLE);
const SLAVE_NAMED = namedEntries(SLAVE_TABLE);

/** Fill in the ifname32 members of a kindData / slaveData from their index members (again on a second call). */
function nameMembers(data: { kind: string } | null, named: ReadonlyMap<string, readonly AttrDef[]>, nameOf: (index: number) => string | null): void {
  const entries = data && named.get(data.kind);
  if (!entries) return;
  const o = data as unknown as Record<string, unknown>;
  for (const d of entries) if (d.key in o) o[d.key] = nameOf(o[d.of!] as number);
}

/**
 * Name the links a link's kindData and slaveData point at by ifindex (a bond's active slave and
 * primary, a bridge port's backup port), in place; nameOf gives null for an index it does not know.
 */
export function nameKindMembers(l: Pick<Link, 'kindData' | 'slaveData'>, nameOf: (index: number) => string | null): void {
  nameMembers(l.kindData, KIND_NAMED, nameOf);
  nameMembers(l.slaveData, SLAVE_NAMED, nameOf);
}

/**
 * Resolve the index references of every link against the same dump (also those inside kindData
 * and slaveData: a bond's active slave and primary, a bridge port's backup port). The links are annotated
 * in place (and returned): copying 4,000 objects of 35 fields costs more than the decode.
 */
export function toViews(links: Link[]): LinkView[] {
  const byIndex = new Map<number, Link>();
  for (const l of links) byIndex.set(l.index, l);
  const ports = new Map<number, string[]>();
  for (const l of links) {
    if (l.masterIndex === null) continue;
    const list = ports.get(l.masterIndex);
    if (list) list.push(l.name);
    else ports.set(l.masterIndex, [l.name]);
  }
  const views = links as LinkView[];
  const nameOf = (i: number): string | null => byIndex.get(i)?.name ?? null;
  for (const v of views) {
    const peerIndex = v.kindData?.kind === 'veth' && v.linkNetnsId === null ? v.kindData.peerIndex : undefined;
    v.master = v.masterIndex !== null ? (byIndex.get(v.masterIndex)?.name ?? null) : null;
    v.parent = v.parentIndex !== null ? (byIndex.get(v.parentIndex)?.name ?? null) : null;
    v.peer = peerIndex !== undefined ? (byIndex.get(peerIndex)?.name ?? null) : null;
    v.ports = ports.get(v.index) ?? [];
    nameKindMembers(v, nameOf);
  }
  return views;
}

/** An address with its interface's name filled in. */
export interface AddrView extends Addr {
  ifname: string;
}

export interface NeighView extends Neigh {
  ifname: string;
}
