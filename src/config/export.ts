// The current state of a namespace as a config file that re-applies as a no-op: every link the
// planner would look at is written with exactly the attributes the planner compares.
import { stringify } from 'yaml';
import { withHandle } from '../netlink/handle.js';
import { isManagedAddr, routeWantOf } from '../interfaces/planner.js';
import { listRoutes } from '../netlink/route.js';
import { type Snapshot, takeSnapshot } from '../interfaces/snapshot.js';
import { ARP_KEY_NAMES } from './arp-keys.js';
import type { AddressDecl, ArpDecl, InterfaceDecl, NodeConfig, RouteDecl } from './schema.js';
import { liveOwned } from './apply.js';
import { StateDir, stateDirOf } from './state.js';
import { canonicalIp, parseCidr } from './cidr.js';
import { ConfigSource } from './load.js';
import type { MgmtDecl } from './mgmt-schema.js';
import { configFileName, readConfigText } from './read.js';
import { parseMgmtConfig } from './mgmt-file.js';
import { peerName } from './peers.js';

const CREATABLE = new Set(['vlan', 'bond', 'bridge', 'macvlan', 'veth', 'dummy']);

/**
 * The current state as a config. With `mgmt` (the section the failover daemon runs with), its
 * addresses are written under `mgmt:` and left out of the candidate holding them now: they
 * are the daemon's to move, and a static copy on today's holder would move them back.
 */
export function configFromSnapshot(s: Snapshot, mgmt?: MgmtDecl, owned: ReadonlySet<string> = new Set()): NodeConfig {
  const mgmtHeld = new Set<string>();
  for (const text of mgmt?.addresses ?? []) {
    const c = parseCidr(text);
    if (typeof c !== 'string') for (const n of mgmt!.candidates) mgmtHeld.add(`${n} ${c.address}/${c.prefixlen}`);
  }
  const byIndex = new Map(s.links.map((l) => [l.index, l]));
  const nameOf = (i: number | null): string | undefined => (i === null ? undefined : byIndex.get(i)?.name);
  const out: InterfaceDecl[] = [];
  const skip = new Set<string>();
  const addressesOf = (l: Snapshot['links'][number]): AddressDecl[] => s.addrs.filter((a) => a.ifindex === l.index && isManagedAddr(a) && !mgmtHeld.has(`${l.name} ${canonicalIp(a.address)}/${a.prefixlen}`)).map((a) => {
    const text = `${a.address}/${a.prefixlen}`;
    return a.family === 4 && a.label && a.label !== l.name ? { address: text, label: a.label } : text;
  });
  /** nodectl's own routes (protocol "nodectl", what differs from the defaults) and the ARP policy. */
  const extrasOf = (l: Snapshot['links'][number], d: Record<string, unknown>): void => {
    const routes: RouteDecl[] = s.routes.filter((r) => r.oif === l.index && r.protocol === 'nodectl' && r.type === 'unicast').map((r) => {
      const w = routeWantOf(r);
      const decl: RouteDecl = { to: w.dst === 'default' && w.family === 6 && !w.gateway ? '::/0' : w.dst === 'default' && !w.gateway ? '0.0.0.0/0' : w.dst };
      if (w.gateway) decl.via = w.gateway;
      if (w.metric !== (w.family === 6 ? 1024 : 0)) decl.metric = w.metric;
      if (w.table !== 254) decl.table = w.table;
      if (w.family === 4 && w.scope !== (w.gateway ? 'global' : 'link')) decl.scope = w.scope;
      if (w.onlink) decl.onlink = true;
      return decl;
    });
    if (routes.length) d.routes = routes;
    const conf = s.inetConf[l.index];
    if (conf) {
      const arp: ArpDecl = {};
      for (const k of ARP_KEY_NAMES) if (conf[k] !== undefined && conf[k] !== 0) arp[k] = conf[k];
      if (Object.keys(arp).length) d.arp = arp;
    }
  };
  const bare = (x: Snapshot['links'][number]): boolean => x.masterIndex === null && !x.alias && !s.addrs.some((a) => a.ifindex === x.index && isManagedAddr(a));
  for (const l of s.links) {
    if (l.kind === 'loopback' || skip.has(l.name)) continue;
    const kd = l.kindData as unknown as Record<string, unknown> | null;
    let kind = CREATABLE.has(l.kind) ? l.kind : 'device';
    const d: Record<string, unknown> = { name: l.name, kind };
    // A veth pair is written once, as `kind: veth` from its first end, with the other end as
    // `peer: {name, mtu, state, …}` so that applying the export elsewhere gives the same pair
    // (the short form `peer: NAME` leaves the other end as the kernel makes it: down). An end
    // whose peer is in another namespace is a device.
    if (kind === 'veth') {
      const peerName = kd && l.linkNetnsId === null && kd.peerNetnsId === undefined ? nameOf((kd.peerIndex as number | undefined) ?? null) : undefined;
      const peer = peerName ? s.links.find((x) => x.name === peerName) : undefined;
      // the end nodectl created is the veth, as in the file it came from; else the end with
      // addresses, master or alias, as exports before peer objects wrote it
      if (peer && owned.has(peer.name) && !owned.has(l.name)) continue;
      if (peer && !owned.has(l.name) && !owned.has(peer.name) && bare(l) && !bare(peer)) continue;
      if (peer) {
        const o: Record<string, unknown> = { name: peer.name, mtu: peer.mtu, state: peer.admin };
        if (peer.alias) o.alias = peer.alias;
        const pm = nameOf(peer.masterIndex);
        if (pm) o.master = pm;
        o.addresses = addressesOf(peer);
        extrasOf(peer, o);
        d.veth = { peer: o };
        skip.add(peer.name);
      } else { kind = 'device'; d.kind = 'device'; }
    }
    if ((kind === 'vlan' || kind === 'macvlan') && !nameOf(l.parentIndex)) { kind = 'device'; d.kind = 'device'; }
    if (kind === 'vlan') { d.link = nameOf(l.parentIndex); d.vlan = { id: kd?.id, protocol: kd?.protocol }; }
    if (kind === 'macvlan') { d.link = nameOf(l.parentIndex); d.macvlan = { mode: kd?.mode }; }
    if (kind === 'bridge') d.bridge = { stp: Boolean(kd?.stp), ...(kd?.vlanFiltering ? { vlan_filtering: true } : {}) };
    if (kind === 'bond') {
      const b: Record<string, unknown> = { mode: kd?.mode, miimon: kd?.miimon ?? 0 };
      if (kd?.arpInterval) b.arp_interval = kd.arpInterval;
      if ((kd?.arpIpTargets as string[] | undefined)?.length) b.arp_ip_target = kd!.arpIpTargets;
      d.bond = b;
    }
    d.mtu = l.mtu;
    if (l.mac && kind !== 'device') d.mac = l.mac;
    d.state = l.admin;
    if (l.alias) d.alias = l.alias;
    const master = nameOf(l.masterIndex);
    if (master) d.master = master;
    d.addresses = addressesOf(l);
    extrasOf(l, d);
    out.push(d as unknown as InterfaceDecl);
  }
  // a lower device or master that is not exported (loopback never is) cannot be referenced
  const names = new Set(out.flatMap((d) => (d.kind === 'veth' ? [d.name, peerName(d)] : [d.name])));
  const config: NodeConfig = { interfaces: out.filter((d) => !('link' in d) || names.has((d as { link: string }).link)) };
  if (mgmt) config.mgmt = mgmt;
  return config;
}

/** The `mgmt:` section of a file, checked by the rules `mgmt run` applies to it. */
export async function mgmtSectionOf(file: string): Promise<MgmtDecl> {
  const text = await readConfigText(file);
  parseMgmtConfig(text, configFileName(file));
  return (new ConfigSource(file, text).value() as { mgmt: MgmtDecl }).mgmt;
}

export interface ExportResult {
  config: NodeConfig;
  text: string;
  owned: string[];
}

export async function exportConfig(where: { netns?: string; stateDir?: string; mgmtFile?: string }): Promise<ExportResult> {
  const mgmt = where.mgmtFile === undefined ? undefined : await mgmtSectionOf(where.mgmtFile);
  return withHandle({ netns: where.netns }, async (h) => {
    const s = await takeSnapshot(h);
    // routes of every table: nodectl's own can be in any
    s.routes = await listRoutes(h, { table: 'all' });
    const owned = liveOwned(new StateDir(stateDirOf(where.stateDir), where.netns).readOwned(), s).map((o) => o.name);
    const config = configFromSnapshot(s, mgmt, new Set(owned));
    const head = `# nodectl config export${where.netns ? ` (netns ${where.netns})` : ''}, ${new Date().toISOString()}\n# Re-applying this file changes nothing. Interfaces nodectl created: ${owned.join(', ') || 'none'}.\n`;
    return { config, text: head + stringify(config, { lineWidth: 0, flowCollectionPadding: false }), owned };
  });
}
