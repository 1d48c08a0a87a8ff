// Imperative changes (link add/set/del, addr add/del) for the commands: each opens a Handle in
// the requested namespace, validates before sending anything, does one thing, reads the result
// back from the kernel and returns it.
import { NotFoundError, UsageError } from '../errors.js';
import { parseCidr } from '../config/cidr.js';
import { addAddr, delAddr, listAddrs } from '../netlink/addr.js';
import { type Handle, withHandle } from '../netlink/handle.js';
import { addLink, delLink, getLink, type Link, listLinks, listLinksOnce, type LinkSpec, setLink } from '../netlink/link.js';
import { attrOf, BOND, BOND_MODES, type BondMode, defaultOf, MACVLAN_MODES, type MacvlanMode, VLAN, VLAN_PROTOCOLS } from '../netlink/link-kinds.js';
import { netnsNamesById } from '../netlink/nsid.js';
import { type AddrView, type LinkView, toViews } from './model.js';

export interface Where {
  netns?: string;
}

export const CREATABLE_KINDS = ['vlan', 'bond', 'bridge', 'macvlan', 'veth', 'dummy'] as const;
export type CreatableKind = (typeof CREATABLE_KINDS)[number];

export interface NewLink {
  name: string;
  kind: CreatableKind;
  /** lower device (vlan, macvlan) */
  link?: string;
  id?: number;
  protocol?: string;
  mode?: string;
  miimon?: number;
  arpInterval?: number;
  arpIpTargets?: string[];
  stp?: boolean;
  vlanFiltering?: boolean;
  peer?: string;
  peerNetns?: string;
  mtu?: number;
  mac?: string;
  master?: string;
  up?: boolean;
}

/** Which options make sense for which kind: a flag given to the wrong kind is an error, not ignored. */
const KIND_OPTIONS: Record<CreatableKind, (keyof NewLink)[]> = {
  vlan: ['link', 'id', 'protocol'],
  bond: ['mode', 'miimon', 'arpInterval', 'arpIpTargets'],
  bridge: ['stp', 'vlanFiltering'],
  macvlan: ['link', 'mode'],
  veth: ['peer', 'peerNetns'],
  dummy: [],
};
const FLAG_OF: Partial<Record<keyof NewLink, string>> = {
  link: '--link', id: '--id', protocol: '--protocol', mode: '--mode', miimon: '--miimon', arpInterval: '--arp-interval',
  arpIpTargets: '--arp-ip-target', stp: '--stp', vlanFiltering: '--vlan-filtering', peer: '--peer', peerNetns: '--peer-netns',
};

/** The range a vlan id may take, from the vlan kind's table. */
const VLAN_ID = attrOf(VLAN, 'id');

/** Turn command-line options into a LinkSpec, or say exactly what is wrong. */
export function newLinkSpec(n: NewLink): LinkSpec {
  if (!(CREATABLE_KINDS as readonly string[]).includes(n.kind)) throw new UsageError(`unknown link type "${n.kind}" (expected one of ${CREATABLE_KINDS.join(', ')})`);
  for (const [key, flag] of Object.entries(FLAG_OF) as [keyof NewLink, string][]) {
    if (n[key] !== undefined && !KIND_OPTIONS[n.kind].includes(key)) throw new UsageError(`${flag} does not apply to type ${n.kind}`);
  }
  const spec: LinkSpec = { name: n.name, kind: n.kind };
  if (n.mtu !== undefined) spec.mtu = n.mtu;
  if (n.mac !== undefined) spec.mac = n.mac;
  if (n.master !== undefined) spec.master = n.master;
  if (n.up) spec.up = true;
  switch (n.kind) {
    case 'vlan':
      if (n.link === undefined) throw new UsageError('type vlan needs --link (the lower device)');
      if (n.id === undefined) throw new UsageError(`type vlan needs --id (${VLAN_ID.min}-${VLAN_ID.max})`);
      if (!Number.isInteger(n.id) || n.id < VLAN_ID.min! || n.id > VLAN_ID.max!) throw new UsageError(`vlan id ${n.id} is out of range (${VLAN_ID.min}-${VLAN_ID.max})`);
      if (n.protocol !== undefined && !(VLAN_PROTOCOLS as readonly string[]).includes(n.protocol)) throw new UsageError(`--protocol must be ${VLAN_PROTOCOLS.join(' or ')}, not ${n.protocol}`);
      spec.parent = n.link;
      spec.vlan = { id: n.id, protocol: (n.protocol ?? defaultOf(VLAN, 'protocol')) as '802.1Q' | '802.1ad' };
      break;
    case 'macvlan':
      if (n.link === undefined) throw new UsageError('type macvlan needs --link (the lower device)');
      if (n.mode !== undefined && !(n.mode in MACVLAN_MODES)) throw new UsageError(`macvlan --mode must be one of ${Object.keys(MACVLAN_MODES).join(', ')}, not ${n.mode}`);
      spec.parent = n.link;
      if (n.mode !== undefined) spec.macvlan = { mode: n.mode as MacvlanMode };
      break;
    case 'bond':
      if (n.mode !== undefined && !(BOND_MODES as readonly string[]).includes(n.mode)) throw new UsageError(`bond --mode must be one of ${BOND_MODES.join(', ')}, not ${n.mode}`);
      if ((n.arpIpTargets?.length ?? 0) > attrOf(BOND, 'arpIpTargets').maxItems!) throw new UsageError(`a bond takes at most ${attrOf(BOND, 'arpIpTargets').maxItems} --arp-ip-target`);
      spec.bond = { mode: (n.mode ?? defaultOf(BOND, 'mode')) as BondMode };
      if (n.miimon !== undefined) spec.bond.miimon = n.miimon;
      if (n.arpInterval !== undefined) spec.bond.arpInterval = n.arpInterval;
      if (n.arpIpTargets?.length) spec.bond.arpIpTargets = n.arpIpTargets;
      break;
    case 'bridge':
      spec.bridge = {};
      if (n.stp !== undefined) spec.bridge.stp = n.stp;
      // see planner.createSpecOf: 0 is the default and some kernels refuse the attribute
      if (n.vlanFiltering) spec.bridge.vlanFiltering = true;
      break;
    case 'veth':
      if (n.peer === undefined) throw new UsageError('type veth needs --peer (the name of the other end)');
      if (n.peer === n.name && n.peerNetns === undefined) throw new UsageError('a veth peer in the same namespace needs its own name');
      spec.veth = { peer: n.peer, ...(n.peerNetns !== undefined ? { peerNetns: n.peerNetns } : {}) };
      break;
    case 'dummy':
      break;
  }
  return spec;
}

async function view(h: Handle, name: string): Promise<LinkView> {
  const all = await listLinks(h);
  const v = toViews(all).find((l) => l.name === name);
  if (!v) throw new NotFoundError('interface', name, h.netns ? `in netns ${h.netns}` : undefined);
  return v;
}

export function createLink(where: Where, n: NewLink): Promise<LinkView> {
  const spec = newLinkSpec(n);
  return withHandle({ netns: where.netns }, async (h) => {
    await addLink(h, spec);
    return view(h, n.name);
  });
}

export interface LinkChangeRequest {
  up?: boolean;
  mtu?: number;
  mac?: string;
  name?: string;
  /** a bridge or bond name; null = nomaster */
  master?: string | null;
  alias?: string;
}

export function changeLink(where: Where, iface: string, c: LinkChangeRequest): Promise<LinkView> {
  if (Object.values(c).every((v) => v === undefined)) throw new UsageError('nothing to change: give at least one of --up/--down, --mtu, --mac, --name, --master/--nomaster, --alias');
  if (c.mtu !== undefined && (!Number.isInteger(c.mtu) || c.mtu < 0)) throw new UsageError(`--mtu ${c.mtu} is not a valid MTU`);
  return withHandle({ netns: where.netns }, async (h) => {
    const l = await getLink(h, iface);
    let master: number | null | undefined;
    if (c.master === null) master = null;
    else if (c.master !== undefined) {
      const m = await getLink(h, c.master);
      if (m.kind !== 'bridge' && m.kind !== 'bond') throw new UsageError(`${c.master} is a ${m.kind}; only a bridge or a bond can be a master`);
      master = m.index;
    }
    await setLink(h, l.index, {
      ...(c.up !== undefined ? { up: c.up } : {}),
      ...(c.mtu !== undefined ? { mtu: c.mtu } : {}),
      ...(c.mac !== undefined ? { mac: c.mac } : {}),
      ...(c.name !== undefined ? { name: c.name } : {}),
      ...(master !== undefined ? { master } : {}),
      ...(c.alias !== undefined ? { alias: c.alias } : {}),
    }, { current: l });
    return view(h, c.name ?? l.name);
  });
}

export interface DeleteResult {
  /** In the order they were deleted (children first); the kernel's own deletions last. */
  deleted: string[];
  /**
   * What the kernel deleted by itself with them: the other end of each veth deleted (a name;
   * `NAME in netns NS` when it lives in another namespace, with what was built on it there;
   * `veth peer ifindex N in netnsid M` when that namespace has no name or cannot be read).
   */
  alsoDeleted: string[];
}

/**
 * Delete a link. Links built on it (vlans, macvlans: the kernel would delete them silently)
 * make this an error unless `cascade`, which deletes them first, deepest first. A veth takes
 * its other end with it (and what is built on that end): those are named, never silent.
 */
export function deleteLink(where: Where, iface: string, opts: { cascade?: boolean } = {}): Promise<DeleteResult> {
  return withHandle({ netns: where.netns }, async (h) => {
    const all = await listLinks(h);
    const target = await getLink(h, iface);
    const byIndex = new Map(all.map((l) => [l.index, l]));
    // Everything built on a link, deepest first.
    const built = (index: number, out: string[], seen: Set<number>, links: Link[] = all): void => {
      for (const c of links.filter((x) => x.parentIndex === index && x.linkNetnsId === null && x.index !== index)) {
        if (seen.has(c.index)) continue;
        seen.add(c.index);
        built(c.index, out, seen, links);
        out.push(c.name);
      }
    };
    // A peer elsewhere is named like `ip` names its namespace (link-netns): its id asked of the
    // kernel for each namespace under /run/netns, then the peer read there.
    let nsNames: Map<number, string> | undefined;
    const foreignEnd = async (peerIndex: number, nsid: number): Promise<{ peer: string; built: string[] } | null> => {
      nsNames ??= await netnsNamesById(h);
      const ns = nsNames.get(nsid);
      if (ns === undefined) return null;
      let there: Link[];
      try {
        there = listLinksOnce(ns);
      } catch {
        return null; // cannot enter it: the ifindex is all that is known
      }
      const peer = there.find((x) => x.index === peerIndex);
      if (!peer) return null;
      const up: string[] = [];
      built(peer.index, up, new Set([peer.index]), there);
      return { peer: `${peer.name} in netns ${ns}`, built: up.map((n) => `${n} in netns ${ns}`) };
    };
    const seen = new Set([target.index]);
    const order: string[] = [];
    built(target.index, order, seen);
    // The veth ends among the doomed take their peers along, and what is built on them: in this
    // namespace deleted here first; in another one the kernel deletes them, named here.
    const alsoDeleted: string[] = [];
    const peerBuilt: string[] = [];
    const foreignBuilt: string[] = [];
    for (const name of [...order, target.name]) {
      const l = all.find((x) => x.name === name);
      const kd = l?.kindData;
      if (!l || kd?.kind !== 'veth' || kd.peerIndex === undefined) continue;
      if (kd.peerNetnsId !== undefined) {
        const far = await foreignEnd(kd.peerIndex, kd.peerNetnsId);
        if (far) foreignBuilt.push(...far.built);
        alsoDeleted.push(...(far ? [...far.built, far.peer] : [`veth peer ifindex ${kd.peerIndex} in netnsid ${kd.peerNetnsId}`]));
        continue;
      }
      const peer = byIndex.get(kd.peerIndex);
      if (!peer || seen.has(peer.index)) continue;
      seen.add(peer.index);
      built(peer.index, peerBuilt, seen);
      alsoDeleted.push(peer.name);
    }
    const stacked = [...order, ...peerBuilt];
    if ((stacked.length || foreignBuilt.length) && !opts.cascade) {
      throw new UsageError(`${target.name} has interfaces built on it (${[...stacked, ...foreignBuilt].join(', ')}); deleting it would delete them too: use --cascade to delete them first`);
    }
    const deleted: string[] = [];
    for (const n of stacked) {
      const l = all.find((x) => x.name === n)!;
      await delLink(h, l.index);
      deleted.push(n);
    }
    await delLink(h, target.index);
    deleted.push(target.name);
    return { deleted, alsoDeleted };
  });
}

export interface AddrRequest {
  address: string;
  label?: string;
  nodad?: boolean;
}

function cidrOrThrow(text: string): { address: string; prefixlen: number; family: 4 | 6 } {
  const c = parseCidr(text);
  if (typeof c === 'string') throw new UsageError(c);
  return c;
}

export function addAddress(where: Where, iface: string, r: AddrRequest): Promise<AddrView> {
  const c = cidrOrThrow(r.address);
  if (r.label !== undefined && c.family === 6) throw new UsageError('--label applies only to IPv4 addresses');
  if (r.nodad && c.family === 4) throw new UsageError('--nodad applies only to IPv6 addresses');
  if (r.label !== undefined && !r.label.startsWith(iface)) throw new UsageError(`--label "${r.label}" must begin with the interface name "${iface}" (e.g. ${iface}:1)`);
  return withHandle({ netns: where.netns }, async (h) => {
    const l = await getLink(h, iface);
    await addAddr(h, {
      ifindex: l.index, address: c.address, prefixlen: c.prefixlen,
      ...(r.label !== undefined ? { label: r.label } : {}), ...(r.nodad ? { nodad: true } : {}),
    });
    const a = (await listAddrs(h, { ifindex: l.index, family: c.family })).find((x) => x.address === c.address && x.prefixlen === c.prefixlen);
    if (!a) throw new NotFoundError('address', r.address, `on ${l.name} after adding it`);
    return { ...a, ifname: l.name };
  });
}

export function deleteAddress(where: Where, iface: string, address: string): Promise<{ deleted: string; ifname: string }> {
  const c = cidrOrThrow(address);
  return withHandle({ netns: where.netns }, async (h) => {
    const l = await getLink(h, iface);
    const have = (await listAddrs(h, { ifindex: l.index, family: c.family })).find((x) => x.address === c.address && x.prefixlen === c.prefixlen);
    if (!have) throw new NotFoundError('address', `${c.address}/${c.prefixlen}`, `on ${l.name}`);
    await delAddr(h, { ifindex: l.index, address: c.address, prefixlen: c.prefixlen });
    return { deleted: `${c.address}/${c.prefixlen}`, ifname: l.name };
  });
}
