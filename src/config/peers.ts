// A veth's other end declared as an interface (`veth: {peer: {name, mtu, state, alias, master,
// addresses}}`), issue 18. The planner and the semantic checks see it as one more interface of
// the file — a `device` that the veth's creation brings into being — so it gets every rule and
// every step an interface gets, from one definition. Problems about it are reported at its
// place in the file (interfaces/I/veth/peer/…), not at the made-up entry.
import type { PathSeg } from './load.js';
import type { DeviceDecl, InterfaceDecl, NodeConfig, VethDecl } from './schema.js';

/** The name of a veth's other end, in either form. */
export function peerName(d: VethDecl): string {
  return typeof d.veth.peer === 'string' ? d.veth.peer : d.veth.peer.name;
}

/** The namespace a veth's other end is put in (`peer_netns`, or `peer: {netns}`), if any. */
export function peerNetns(d: VethDecl): string | undefined {
  return d.veth.peer_netns ?? (typeof d.veth.peer === 'string' ? undefined : d.veth.peer.netns);
}

export interface Expanded {
  /** The file with every peer given as a name, and each peer object appended as a device. */
  cfg: NodeConfig;
  /** Peer name → its veth, for the peers appended. */
  peers: Map<string, { veth: string; vethIndex: number; index: number }>;
  /** A path into the expanded file → the same place in the file as written. */
  mapPath: (path: PathSeg[]) => PathSeg[];
}

/** Peers as interfaces of their own (see above). The file itself is not changed. */
export function expandPeers(cfg: NodeConfig): Expanded {
  const n = Array.isArray(cfg.interfaces) ? cfg.interfaces.length : 0;
  const peers = new Map<string, { veth: string; vethIndex: number; index: number }>();
  const extra: InterfaceDecl[] = [];
  const back = new Map<number, number>();
  let changed = false;
  const interfaces = (Array.isArray(cfg.interfaces) ? cfg.interfaces : []).map((d, i) => {
    if (d === null || typeof d !== 'object' || d.kind !== 'veth' || !d.veth || typeof d.veth !== 'object') return d;
    const p = d.veth.peer as unknown;
    if (p === null || typeof p !== 'object' || typeof (p as { name?: unknown }).name !== 'string') return d;
    changed = true;
    const o = p as Exclude<VethDecl['veth']['peer'], string>;
    const veth: VethDecl['veth'] = { peer: o.name };
    if (d.veth.peer_netns !== undefined) veth.peer_netns = d.veth.peer_netns;
    else if (o.netns !== undefined) veth.peer_netns = o.netns;
    if (o.netns === undefined && d.veth.peer_netns === undefined && !peers.has(o.name)) {
      const dev: DeviceDecl = { name: o.name, kind: 'device', addresses: o.addresses ?? [] };
      if (o.mtu !== undefined) dev.mtu = o.mtu;
      if (o.state !== undefined) dev.state = o.state;
      if (o.alias !== undefined) dev.alias = o.alias;
      if (o.master !== undefined) dev.master = o.master;
      if (o.arp !== undefined) dev.arp = o.arp;
      if (o.routes !== undefined) dev.routes = o.routes;
      const index = n + extra.length;
      peers.set(o.name, { veth: d.name, vethIndex: i, index });
      back.set(index, i);
      extra.push(dev);
    }
    return { ...d, veth };
  });
  if (!changed) return { cfg, peers, mapPath: (p) => p };
  const out: NodeConfig = { ...cfg, interfaces: [...interfaces, ...extra] };
  const mapPath = (path: PathSeg[]): PathSeg[] => {
    if (path[0] !== 'interfaces' || typeof path[1] !== 'number') return path;
    const i = back.get(path[1]);
    return i === undefined ? path : ['interfaces', i, 'veth', 'peer', ...path.slice(2)];
  };
  return { cfg: out, peers, mapPath };
}
