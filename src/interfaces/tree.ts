// The interface hierarchy: every link hangs under its master (bridge/bond ports) or else under
// its lower device (vlan, macvlan); links with neither are roots (physical devices, loopback,
// veths, unenslaved bridges and bonds). A veth's other end is a sibling, not a parent.
import { ifIndexWord } from '../netlink/ifname.js';
import type { Link } from '../netlink/link.js';
import type { LinkView } from './model.js';

export interface TreeNode {
  index: number;
  name: string;
  kind: string;
  /** How this node hangs under its parent: a port of a bridge/bond, or a device stacked on a lower one. */
  role: 'root' | 'port' | 'upper';
  admin: 'up' | 'down';
  oper: string;
  carrier: boolean;
  /** Kind-specific one-liner: "vlan 100 802.1Q", "macvlan bridge", "veth peer vb", "port forwarding". */
  detail: string;
  children: TreeNode[];
}

/**
 * The far end of a link that points into another namespace, as `link show` and `link tree` word
 * it: "v0p (netns blue)" when both names are known (query.ts nameForeignEnds), else what is, with
 * ip's word for the index: "if4 (netns blue)", "if4 (netnsid 0)" (a namespace without a name,
 * e.g. a container's, or one nodectl may not enter).
 */
export function foreignEnd(index: number, l: { linkNetnsId: number | null; linkNetns?: string | null; peer?: string | null }): string {
  const ns = l.linkNetns ? `netns ${l.linkNetns}` : `netnsid ${l.linkNetnsId}`;
  return `${l.peer ?? ifIndexWord(index)} (${ns})`;
}

/**
 * Links as the read commands have them: views (toViews), whose index references the decode has
 * named from the same dump (kindData.activeSlave …), maybe with the names nameForeignEnds found.
 */
type Described = LinkView;

export function describeLink(l: Described, byIndex: Map<number, Link>): string {
  const d = l.kindData;
  const name = (i: number | undefined): string => (i !== undefined ? (byIndex.get(i)?.name ?? ifIndexWord(i)) : '?');
  const parts: string[] = [];
  switch (d?.kind) {
    case 'vlan': parts.push(`vlan ${d.id} ${d.protocol}`); break;
    case 'bond':
      parts.push(`bond ${d.mode}`);
      if (d.miimon) parts.push(`miimon ${d.miimon}`);
      // by the name the decode gives (toViews, or the native writer, from the same dump): no
      // lookup of its own. Null only for an index no link of the dump has, which the kernel does
      // not send (the active slave is a link of the bond's namespace; a dump that changed while
      // it was read is read again, NLM_F_DUMP_INTR): then there is nothing to name.
      if (d.activeSlave) parts.push(`active ${d.activeSlave}`);
      break;
    case 'bridge': parts.push(`bridge stp ${d.stp ? 'on' : 'off'}${d.vlanFiltering ? ' vlan_filtering' : ''}`); break;
    case 'macvlan':
    case 'macvtap': parts.push(`${d.kind} ${d.mode}`); break;
    case 'veth':
      if (d.peerIndex !== undefined) parts.push(d.peerNetnsId !== undefined ? `veth peer ${foreignEnd(d.peerIndex, l)}` : `veth peer ${name(d.peerIndex)}`);
      else parts.push('veth');
      break;
    default: parts.push(l.kind);
  }
  const s = l.slaveData;
  if (s?.kind === 'bridge') parts.push(`port ${s.state}`);
  else if (s?.kind === 'bond') parts.push(`slave ${s.state} mii ${s.miiStatus}`);
  return parts.join(', ');
}

/** Build the forest, roots and children in ifindex order (ports before stacked devices). */
export function buildTree(links: Described[]): TreeNode[] {
  const byIndex = new Map(links.map((l) => [l.index, l]));
  const up = (l: Link): { parent: number; role: 'port' | 'upper' } | null => {
    if (l.masterIndex !== null && byIndex.has(l.masterIndex)) return { parent: l.masterIndex, role: 'port' };
    if (l.parentIndex !== null && byIndex.has(l.parentIndex)) return { parent: l.parentIndex, role: 'upper' };
    return null;
  };
  // A loop in master/lower references cannot come from a sane kernel, but a tree must not hang on one.
  const loops = (l: Link): boolean => {
    const seen = new Set<number>([l.index]);
    for (let cur = up(l); cur; cur = up(byIndex.get(cur.parent)!)) {
      if (seen.has(cur.parent)) return true;
      seen.add(cur.parent);
    }
    return false;
  };
  const nodes = new Map<number, TreeNode>();
  for (const l of links) {
    // a lower device in another namespace makes the link a root here: its detail says where it hangs
    const foreignLower = l.kind !== 'veth' && l.linkNetnsId !== null && l.linkIndex ? `, lower ${foreignEnd(l.linkIndex, { ...l, peer: null })}` : '';
    nodes.set(l.index, {
      index: l.index, name: l.name, kind: l.kind, role: 'root', admin: l.admin, oper: l.oper, carrier: l.carrier,
      detail: describeLink(l, byIndex) + foreignLower, children: [],
    });
  }
  const roots: TreeNode[] = [];
  for (const l of [...links].sort((a, b) => a.index - b.index)) {
    const node = nodes.get(l.index)!;
    const u = loops(l) ? null : up(l);
    if (!u) {
      roots.push(node);
      continue;
    }
    node.role = u.role;
    nodes.get(u.parent)!.children.push(node);
  }
  for (const n of nodes.values()) {
    n.children.sort((a, b) => (a.role === b.role ? a.index - b.index : a.role === 'port' ? -1 : 1));
  }
  return roots;
}

/** Every node of the forest, depth first, with its depth (for renderers and tests). */
export function* walkTree(roots: TreeNode[], depth = 0): Generator<{ node: TreeNode; depth: number; parent: TreeNode | null }> {
  for (const r of roots) yield* walk(r, depth, null);
}

function* walk(n: TreeNode, depth: number, parent: TreeNode | null): Generator<{ node: TreeNode; depth: number; parent: TreeNode | null }> {
  yield { node: n, depth, parent };
  for (const c of n.children) yield* walk(c, depth + 1, n);
}
