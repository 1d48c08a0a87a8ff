// The interface model as commands and renderers see it: kernel objects (from src/netlink) with
// the ifindexes they refer to resolved into names. Commands import types from here, never from
// the adapters.
import type { Addr } from '../netlink/addr.js';
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
  /** Name of the other end of a veth, when it is in this namespace. */
  peer: string | null;
  /** Names of the ports of a bridge / slaves of a bond. */
  ports: string[];
}

/** Resolve the index references of every link against the same dump. */
export function toViews(links: Link[]): LinkView[] {
  const byIndex = new Map(links.map((l) => [l.index, l]));
  const ports = new Map<number, string[]>();
  for (const l of links) {
    if (l.masterIndex === null) continue;
    const list = ports.get(l.masterIndex) ?? [];
    list.push(l.name);
    ports.set(l.masterIndex, list);
  }
  return links.map((l) => {
    const peerIndex = l.kindData?.kind === 'veth' && l.linkNetnsId === null ? l.kindData.peerIndex : undefined;
    return {
      ...l,
      master: l.masterIndex !== null ? (byIndex.get(l.masterIndex)?.name ?? null) : null,
      parent: l.parentIndex !== null ? (byIndex.get(l.parentIndex)?.name ?? null) : null,
      peer: peerIndex !== undefined ? (byIndex.get(peerIndex)?.name ?? null) : null,
      ports: ports.get(l.index) ?? [],
    };
  });
}

/** An address with its interface's name filled in. */
export interface AddrView extends Addr {
  ifname: string;
}

export interface NeighView extends Neigh {
  ifname: string;
}
