// The checks of a config that need the node: what `config validate` cannot know from the file
// (does the candidate eth7 exist, what MTU range does this NIC's driver take). Run by `config
// plan` and before `config apply`'s first step, on the links read for the plan; pure (no I/O),
// so it is unit-tested on plain values.
import { StateError } from '../errors.js';
import type { Addr } from '../netlink/addr.js';
import type { Link } from '../netlink/link.js';
import { canonicalIp } from './cidr.js';
import { checkRoute, gatewayProblem } from './route-rules.js';
import { peerName, peerNetns } from './peers.js';
import { mastersOf } from './semantic.js';
import type { NodeConfig } from './schema.js';

export type NodeLink = Pick<Link, 'index' | 'name' | 'kind' | 'mtu' | 'minMtu' | 'maxMtu' | 'masterIndex'>;

export interface PreflightProblem {
  /** JSON pointer into the file, like a ConfigProblem's path. */
  path: string;
  reason: string;
}

/** Every problem of `cfg` on a node whose links are `links`; empty when it can be planned. */
export type NodeAddr = Pick<Addr, 'ifindex' | 'family' | 'address' | 'prefixlen'>;

export function preflightProblems(cfg: NodeConfig, links: readonly NodeLink[], addrs: readonly NodeAddr[] = []): PreflightProblem[] {
  const out: PreflightProblem[] = [];
  const live = new Map(links.map((l) => [l.name, l]));
  const declared = new Map<string, { d: NodeConfig['interfaces'][number]; i: number }>();
  cfg.interfaces.forEach((d, i) => { if (!declared.has(d.name)) declared.set(d.name, { d, i }); });
  // names the apply creates: a veth's peer too
  const created = new Set<string>();
  for (const d of cfg.interfaces) {
    if (d.kind === 'device') continue;
    created.add(d.name);
    if (d.kind === 'veth' && !peerNetns(d)) created.add(peerName(d));
  }

  // The MTU an interface has after the apply, where the file or the node says it.
  const mtuAfter = (name: string): number | undefined => {
    const e = declared.get(name);
    if (e?.d.mtu !== undefined) return e.d.mtu;
    const l = live.get(name);
    // one the apply creates takes its kind's default MTU: 1500 for these; a vlan/macvlan's is
    // its lower device's (the file's rules hold for it)
    if (e && e.d.kind !== 'device' && l?.kind !== e.d.kind) return ['veth', 'dummy', 'bond'].includes(e.d.kind) ? 1500 : undefined;
    return l?.mtu;
  };

  cfg.interfaces.forEach((d, i) => {
    const l = live.get(d.name);
    // a device's driver sets its MTU range (IFLA_MIN_MTU/IFLA_MAX_MTU); 0 means no limit
    if (d.mtu !== undefined && l && (d.kind === 'device' || l.kind === d.kind)) {
      if (l.maxMtu && d.mtu > l.maxMtu) out.push({ path: `/interfaces/${i}/mtu`, reason: `mtu ${d.mtu} is above the maximum ${l.maxMtu} that ${d.name} takes (its driver's max_mtu)` });
      else if (l.minMtu && d.mtu < l.minMtu) out.push({ path: `/interfaces/${i}/mtu`, reason: `mtu ${d.mtu} is below the minimum ${l.minMtu} that ${d.name} takes (its driver's min_mtu)` });
    }
    if ((d.kind === 'vlan' || d.kind === 'macvlan') && d.mtu !== undefined && declared.get(d.link)?.d.mtu === undefined) {
      const lower = mtuAfter(d.link);
      if (lower !== undefined && d.mtu > lower) {
        out.push({ path: `/interfaces/${i}/mtu`, reason: `mtu ${d.mtu} is above the mtu ${lower} of its lower device ${d.link} on this node: the kernel refuses a ${d.kind} larger than its lower device` });
      }
    }
  });

  // a bridge above the MTU of a port whose MTU the file leaves as it is
  for (const [port, master] of mastersOf(cfg.interfaces)) {
    const m = master === undefined ? undefined : declared.get(master);
    if (!m || m.d.kind !== 'bridge' || m.d.mtu === undefined || declared.get(port)?.d.mtu !== undefined) continue;
    const pm = mtuAfter(port);
    if (pm !== undefined && m.d.mtu > pm) {
      out.push({ path: `/interfaces/${m.i}/mtu`, reason: `bridge ${m.d.name} mtu ${m.d.mtu} is above the mtu ${pm} of its port ${port} on this node: the kernel lowers a bridge to the MTU of its smallest port` });
    }
  }

  // a route's gateway on a device whose addresses the file leaves alone: on-link by the node's
  cfg.interfaces.forEach((d, i) => {
    const l = live.get(d.name);
    if (d.kind !== 'device' || d.addresses !== undefined || !d.routes?.length || !l) return;
    const mine = addrs.filter((a) => a.ifindex === l.index).map((a) => ({ family: a.family, address: canonicalIp(a.address), prefixlen: a.prefixlen }));
    const checked = d.routes.map((r) => checkRoute(r));
    const linkRoutes = checked.filter((c): c is Exclude<typeof c, { reason: string }> => !('reason' in c) && c.gateway === undefined);
    checked.forEach((c, j) => {
      if ('reason' in c || c.gateway === undefined) return;
      const why = gatewayProblem(c.gateway, c.family, d.routes![j]!.onlink === true, d.name, mine, linkRoutes);
      if (why) out.push({ path: `/interfaces/${i}/routes/${j}/via`, reason: `${why} (on this node)` });
    });
  });

  // the failover daemon can only hold the addresses on an interface that exists
  (cfg.mgmt?.candidates ?? []).forEach((c, j) => {
    if (!live.has(c) && !created.has(c)) out.push({ path: `/mgmt/candidates/${j}`, reason: `candidate ${c} does not exist on this node and the file does not create it` });
  });
  return out;
}

/** Throws when `cfg` cannot be applied to a node with these links (exit 1, like a plan conflict). */
export function assertPreflight(cfg: NodeConfig, links: readonly NodeLink[], addrs: readonly NodeAddr[] = []): void {
  const p = preflightProblems(cfg, links, addrs);
  if (p.length) throw new StateError(`the file cannot be applied to this node: ${p.map((x) => `${x.path}: ${x.reason}`).join('; ')}`);
}
