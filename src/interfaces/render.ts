// Text renderings for people (tables and trees in iproute2's vocabulary) and Graphviz dot for
// diagrams. JSON needs no renderer: the typed results are the JSON.
import type { AddrView, LinkView, NeighView } from './model.js';
import { ifIndexWord } from '../netlink/ifname.js';
import { KIND_TABLE, SLAVE_TABLE } from '../netlink/link-kinds.js';
import { tableJson } from './link-json.js';
import { describeLink, foreignEnd, type TreeNode } from './tree.js';
import { formatTable } from '../text.js';

/** One word for a link's state, as `ip -br link` would put it. */
export function stateWord(l: { admin: string; oper: string; carrier: boolean }): string {
  if (l.admin === 'down') return 'DOWN';
  if (!l.carrier) return 'NO-CARRIER';
  return l.oper.toUpperCase();
}

export function renderLinkTable(links: LinkView[]): string {
  const byIndex = new Map(links.map((l) => [l.index, l]));
  return formatTable(
    ['IDX', 'NAME', 'STATE', 'MTU', 'MAC', 'MASTER', 'LOWER', 'KIND'],
    links.map((l) => [
      String(l.index), l.name, stateWord(l), String(l.mtu), l.mac ?? '-', l.master ?? '-',
      l.parent ?? (l.linkIndex !== null && l.kind !== 'veth' ? (l.linkNetnsId !== null ? foreignEnd(l.linkIndex, { ...l, peer: null }) : ifIndexWord(l.linkIndex)) : '-'), describeLink(l, byIndex),
    ]),
  );
}

/** `link show IFACE`: everything nodectl knows about one link, one fact per line. */

/**
 * A kind attribute's value in one word: a flag on/off (as ip -d writes hairpin, root_block …; ip
 * writes a few others, such as stp_state, as 0/1, but one rule reads better than ip's mix and
 * needs nothing beyond the JSON boolean), lists joined by commas, a vlan QoS mapping as from:to
 * (ip's 1:2), ad_info as key=value.
 */
export function valueText(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (Array.isArray(v)) return v.map(valueText).join(',');
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('from' in o && 'to' in o) return `${String(o.from)}:${String(o.to)}`;
    return Object.entries(o).map(([k, x]) => `${k}=${valueText(x)}`).join(',');
  }
  return String(v);
}

/** `key value …` of a kind's or port's members under the keys --json has (ip's, else snake_case); null when it has none. */
function membersText(data: Record<string, unknown> | null): string | null {
  return data ? Object.entries(data).map(([k, v]) => `${k} ${valueText(v)}`).join(' ') : null;
}

export function renderLinkDetail(l: LinkView): string {
  const out: string[] = [];
  const kv = (k: string, v: string | number | null | undefined): void => {
    if (v !== null && v !== undefined && v !== '') out.push(`${k.padEnd(12)} ${v}`);
  };
  // After "@" what ip prints: the lower device or the peer by name when it is a link of this
  // namespace, else ip's if<N>: a name from another namespace would read as a local link (the
  // `peer`/`lower` lines below name it with its namespace when nodectl can).
  const far = l.linkIndex ? (l.linkNetnsId === null ? (l.parent ?? l.peer ?? ifIndexWord(l.linkIndex)) : ifIndexWord(l.linkIndex)) : null;
  out.push(`${l.index}: ${l.name}${far ? `@${far}` : ''}  <${l.flags.join(',')}>`);
  kv('kind', l.kind);
  kv('state', `admin ${l.admin}, oper ${l.oper}, carrier ${l.carrier ? 'on' : 'off'}`);
  if (l.carrierChanges !== null) kv('carrier', `changes ${l.carrierChanges} (up ${l.carrierUpCount ?? '-'}, down ${l.carrierDownCount ?? '-'})`);
  // ip prints protodown only while it is on
  if (l.protoDown) kv('protodown', `on${l.protoDownReason ? ` reason 0x${l.protoDownReason.toString(16)}` : ''}`);
  kv('mtu', `${l.mtu}${l.minMtu || l.maxMtu ? ` (min ${l.minMtu}, max ${l.maxMtu})` : ''}`);
  kv('link/' + l.linkType, l.mac ? `${l.mac} brd ${l.broadcast ?? '-'}` : null);
  kv('master', l.master);
  kv('lower', l.parent);
  const peerIndex = l.kindData?.kind === 'veth' ? l.kindData.peerIndex : undefined;
  if (peerIndex !== undefined && l.linkNetnsId !== null) kv('peer', foreignEnd(peerIndex, l));
  else kv('peer', l.peer ?? (peerIndex !== undefined ? ifIndexWord(peerIndex) : null));
  // what ip shows as `link-netns` on any other link whose lower device is elsewhere
  if (l.kind !== 'veth' && l.linkNetnsId !== null && l.linkIndex !== null) kv('lower', foreignEnd(l.linkIndex, { ...l, peer: null }));
  kv('ports', l.ports.length ? l.ports.join(' ') : null);
  kv('alias', l.alias);
  kv('altnames', l.altNames.length ? l.altNames.join(' ') : null);
  kv('group', l.group || null);
  kv('txqlen', l.txqlen);
  kv('allmulti', l.allmulti);
  kv('qdisc', l.qdisc);
  kv('linkmode', l.linkMode);
  kv('addrgenmode', l.addrGenMode);
  kv('queues', l.numTxQueues !== null || l.numRxQueues !== null ? `tx ${l.numTxQueues ?? '-'} rx ${l.numRxQueues ?? '-'}` : null);
  const limits = ([['gso_max_size', l.gsoMaxSize], ['gso_max_segs', l.gsoMaxSegs], ['gro_max_size', l.groMaxSize], ['tso_max_size', l.tsoMaxSize], ['tso_max_segs', l.tsoMaxSegs], ['gso_ipv4_max_size', l.gsoIpv4MaxSize], ['gro_ipv4_max_size', l.groIpv4MaxSize]] as const)
    .filter(([, v]) => v !== null).map(([k, v]) => `${k} ${v}`).join(' ');
  kv('offload', limits || null);
  kv('parentdev', l.parentDev !== null ? `${l.parentDev}${l.parentBus !== null ? ` bus ${l.parentBus}` : ''}` : null);
  // the members by the keys of --json's info_data / info_slave_data (one projection, link-json.ts);
  // a veth has none there (its peer is above). The port line has ip -d's label: bridge_slave,
  // bond_slave, the word `ip link set … type bridge_slave` takes too.
  if (l.kindData) kv(l.kindData.kind, membersText(tableJson(l.kindData, KIND_TABLE)));
  if (l.slaveData) kv(`${l.slaveData.kind}_slave`, membersText(tableJson(l.slaveData, SLAVE_TABLE)));
  const s = l.stats;
  kv('RX', `packets ${s.rxPackets} bytes ${s.rxBytes} errors ${s.rxErrors} dropped ${s.rxDropped} mcast ${s.multicast}`);
  kv('TX', `packets ${s.txPackets} bytes ${s.txBytes} errors ${s.txErrors} dropped ${s.txDropped} collisions ${s.collisions}`);
  // the detailed counters as ip -s -s prints them: compressed, nohandler and otherhost only when not 0
  const counts = (pairs: [string, number | null][]): string | null => {
    const shown = pairs.filter(([k, v]) => v !== null && (v !== 0 || !/^(compressed|nohandler|otherhost)$/.test(k)));
    return shown.length ? shown.map(([k, v]) => `${k} ${v}`).join(' ') : null;
  };
  kv('RX errors', counts([['length', s.rxLengthErrors], ['crc', s.rxCrcErrors], ['frame', s.rxFrameErrors], ['fifo', s.rxFifoErrors], ['overrun', s.rxOverErrors], ['missed', s.rxMissedErrors], ['nohandler', s.rxNohandler], ['otherhost', s.rxOtherhostDropped], ['compressed', s.rxCompressed]]));
  kv('TX errors', counts([['aborted', s.txAbortedErrors], ['carrier', s.txCarrierErrors], ['fifo', s.txFifoErrors], ['window', s.txWindowErrors], ['heartbeat', s.txHeartbeatErrors], ['compressed', s.txCompressed]]));
  return out.join('\n');
}

/** The hierarchy as an indented tree with box-drawing branches. */
export function renderTreeText(roots: TreeNode[]): string {
  const rows: { prefix: string; node: TreeNode }[] = [];
  const visit = (n: TreeNode, lead: string, branch: string): void => {
    rows.push({ prefix: lead + branch, node: n });
    const childLead = lead + (branch === '' ? '' : branch === '├── ' ? '│   ' : '    ');
    n.children.forEach((c, i) => visit(c, childLead, i === n.children.length - 1 ? '└── ' : '├── '));
  };
  for (const r of roots) visit(r, '', '');
  const w = Math.max(0, ...rows.map((r) => r.prefix.length + r.node.name.length));
  const sw = Math.max(0, ...rows.map((r) => stateWord(r.node).length));
  return rows.map(({ prefix, node }) => `${(prefix + node.name).padEnd(w)}  ${stateWord(node).padEnd(sw)}  ${node.detail}`.trimEnd()).join('\n');
}

function dotId(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Graphviz: edges down the tree (master -> port, lower device -> what is built on it); veth pairs as dashed lines. */
export function renderTreeDot(roots: TreeNode[], links?: LinkView[]): string {
  const out = ['digraph interfaces {', '  rankdir=TB;', '  node [shape=box, fontname="monospace"];'];
  const visit = (n: TreeNode): void => {
    const color = n.admin === 'down' ? '#e0e0e0' : n.carrier && n.oper !== 'down' && n.oper !== 'lowerlayerdown' ? '#d4f0d4' : '#f6d5d5';
    out.push(`  ${dotId(n.name)} [label=${dotId(`${n.name}\n${n.detail}\n${stateWord(n)}`)}, style=filled, fillcolor="${color}"];`);
    for (const c of n.children) {
      out.push(`  ${dotId(n.name)} -> ${dotId(c.name)} [label="${c.role === 'port' ? 'port' : 'lower'}"];`);
      visit(c);
    }
  };
  roots.forEach(visit);
  const seen = new Set<string>();
  for (const l of links ?? []) {
    // a peer in another namespace is no node of this graph: its name is in the veth's label
    if (!l.peer || l.linkNetnsId !== null) continue;
    const key = [l.name, l.peer].sort().join('\0');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(`  ${dotId(l.name)} -> ${dotId(l.peer)} [dir=none, style=dashed, constraint=false, label="veth"];`);
  }
  out.push('}');
  return out.join('\n');
}

export function renderAddrs(addrs: AddrView[]): string {
  return formatTable(
    ['IFACE', 'FAMILY', 'ADDRESS', 'SCOPE', 'FLAGS'],
    addrs.map((a) => [
      a.ifname, a.family === 4 ? 'inet' : 'inet6',
      `${a.address}/${a.prefixlen}${a.peer ? ` peer ${a.peer}` : ''}${a.broadcast ? ` brd ${a.broadcast}` : ''}`,
      a.scope, [a.label && a.label !== a.ifname ? `label ${a.label}` : '', ...a.flags].filter(Boolean).join(' '),
    ]),
  );
}

/** Neighbours one per line, in `ip neigh` word order. */
export function renderNeighs(neighs: NeighView[]): string {
  return neighs
    .map((n) => [n.address, 'dev', n.ifname, ...(n.lladdr ? ['lladdr', n.lladdr] : []), ...n.flags, n.state].join(' '))
    .join('\n');
}
