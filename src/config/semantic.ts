import { linkNameProblem } from '../netlink/ifname.js';
import { isIPv4 } from 'node:net';
import type { ConfigProblem } from '../errors.js';
import { ARP_RANGES } from './arp-keys.js';
import { resolve as resolveMgmt } from './mgmt-rules.js';
import { addressUseProblem, hostPartProblem, parseCidr, type Cidr } from './cidr.js';
import { checkRoute, type CheckedRoute, effectiveMetric, gatewayProblem, routeKey } from './route-rules.js';
import { MGMT_DEFAULTS } from './mgmt-defaults.js';
import type { ConfigSource, PathSeg } from './load.js';
import type { AddressDecl, InterfaceDecl, NodeConfig, RouteDecl } from './schema.js';
import { expandPeers, peerName, peerNetns } from './peers.js';

/** An address declaration in one shape: string or object. */
export function addressParts(a: AddressDecl): { text: string; label?: string; nodad?: boolean } {
  return typeof a === 'string' ? { text: a } : { text: a.address, label: a.label, nodad: a.nodad };
}

/** Each declared interface's master: the one it names in `master:`, else the bond or bridge whose `ports:` list it. */
export function mastersOf(decls: InterfaceDecl[]): Map<string, string | undefined> {
  const viaPorts = new Map<string, string>();
  for (const d of decls) {
    if ((d.kind === 'bond' || d.kind === 'bridge') && d.ports) for (const p of d.ports) if (!viaPorts.has(p)) viaPorts.set(p, d.name);
  }
  const out = new Map<string, string | undefined>();
  for (const d of decls) if (!out.has(d.name)) out.set(d.name, d.master || viaPorts.get(d.name));
  return out;
}

/**
 * What the schema cannot say: references between interfaces, cycles, duplicates, addresses
 * that parse but make no sense. Every problem is reported, each at its own position.
 * `bad` holds the JSON pointers the schema already complained about: a field with a schema
 * problem is left out here (its value cannot be trusted), the rest of its interface is checked.
 */
export function semanticProblems(source: ConfigSource, file: NodeConfig, given: Set<string>): ConfigProblem[] {
  // a veth's other end declared as an object is checked as one more interface, its problems
  // placed where it is written (src/config/peers.ts)
  const ex = expandPeers(file);
  const cfg = ex.cfg;
  const src = cfg === file ? source : peerSource(source, ex.mapPath);
  const bad = cfg === file ? given : peerBad(given, ex);
  const out: ConfigProblem[] = [];
  const at = (i: number, ...rest: PathSeg[]): PathSeg[] => ['interfaces', i, ...rest];
  // one lookup per field, not a scan of every problem: validation stays linear in their number
  const badFields = new Set<string>();
  for (const p of bad) {
    const m = /^\/interfaces\/(\d+)\/([^/]+)/.exec(p);
    if (m) badFields.add(`${m[1]}/${m[2]}`);
  }
  const tainted = (i: number, field: string): boolean => badFields.has(`${i}/${field}`);
  // a route with a schema problem is left out, its siblings are still checked
  const badRoutes = new Set<string>();
  for (const p of bad) {
    const m = /^\/interfaces\/(\d+)\/routes(?:\/(\d+))?/.exec(p);
    if (m) badRoutes.add(`${m[1]}/${m[2] ?? '*'}`);
  }
  const routeTainted = (i: number, j: number): boolean => badRoutes.has(`${i}/*`) || badRoutes.has(`${i}/${j}`);
  // with no schema problem at all every declaration is whole: no copies to make
  const decls = bad.size === 0 ? cfg.interfaces.map((d, i) => ({ d, i })) : cfg.interfaces
    .map((d, i) => ({ d: sanitize(d, (f) => tainted(i, f)), i }))
    .filter(({ d, i }) => d !== null && !bad.has(`/interfaces/${i}`) && !tainted(i, 'kind') && !tainted(i, 'name')) as { d: InterfaceDecl; i: number }[];

  // Every name the file creates gets the kernel's rules (linkNameProblem: %, ".", "..",
  // "all", over 15 UTF-8 bytes, NUL, "/", whitespace); the schema's IFNAME_PATTERN only
  // catches some of them. Names it only refers to (link, master, ports, candidates) are either
  // declared here, and so checked, or must exist on the node (config plan's preflight).
  // Names (a veth's peer is an interface of this namespace too, unless it lives elsewhere).
  const byName = new Map<string, { d: InterfaceDecl; i: number }>();
  const seenName = new Map<string, PathSeg[]>();
  for (const { d, i } of decls) {
    const names: [string, PathSeg[]][] = [[d.name, at(i, 'name')]];
    // a peer declared as an object is an entry of its own (appended by expandPeers)
    if (d.kind === 'veth' && !peerNetns(d) && ex.peers.get(peerName(d))?.vethIndex !== i) names.push([peerName(d), at(i, 'veth', 'peer')]);
    if (d.kind === 'veth' && peerName(d) === d.name && !peerNetns(d)) out.push(src.problem(at(i, 'veth', 'peer'), `the peer of veth ${d.name} cannot have its own name`));
    for (const [n, p] of names) {
      const bad = linkNameProblem(n);
      if (bad) out.push(src.problem(p, bad));
      const prev = seenName.get(n);
      if (prev && !(d.kind === 'veth' && n === peerName(d) && n === d.name)) {
        out.push(src.problem(p, `duplicate interface name "${n}" (first declared at ${where(src, prev)})`));
      } else if (!prev) {
        seenName.set(n, p);
        if (n === d.name) byName.set(n, { d, i });
      }
    }
  }
  const known = (n: string): boolean => seenName.has(n);

  // Lower devices.
  const vlanKeys = new Map<string, PathSeg[]>();
  for (const { d, i } of decls) {
    if ((d.kind !== 'vlan' && d.kind !== 'macvlan') || typeof d.link !== 'string') continue;
    if (d.link === d.name) out.push(src.problem(at(i, 'link'), `${d.name} cannot be its own lower device`));
    else if (d.link === 'lo') out.push(src.problem(at(i, 'link'), `a ${d.kind} cannot sit on the loopback device lo: the kernel refuses it; use an Ethernet device`));
    else if (!known(d.link)) out.push(src.problem(at(i, 'link'), `unknown lower device "${d.link}": declare it in this file (kind: device for an existing NIC)`));
    else if (d.kind === 'macvlan' && byName.get(d.link)?.d.kind === 'macvlan') {
      // the kernel attaches a macvlan made on a macvlan to that macvlan's own lower device
      const lower = byName.get(d.link)!.d as { link?: unknown };
      out.push(src.problem(at(i, 'link'), `a macvlan cannot sit on macvlan ${d.link}: the kernel would put it on ${typeof lower.link === 'string' ? lower.link : 'its lower device'} instead; use that`));
    }
    if (d.kind === 'vlan' && d.vlan) {
      const key = `${d.link}/${d.vlan.protocol ?? '802.1Q'}/${d.vlan.id}`;
      const prev = vlanKeys.get(key);
      if (prev) out.push(src.problem(at(i, 'vlan', 'id'), `vlan id ${d.vlan.id} (${d.vlan.protocol ?? '802.1Q'}) is already used on ${d.link} at ${where(src, prev)}`));
      else vlanKeys.set(key, at(i, 'vlan', 'id'));
    }
  }

  // Masters and ports: one master per port, and it must be a bridge or a bond.
  const masterOfPort = new Map<string, { master: string; path: PathSeg[] }>();
  const claim = (port: string, master: string, path: PathSeg[]): void => {
    const prev = masterOfPort.get(port);
    const pd = byName.get(port)?.d;
    const md = byName.get(master)?.d;
    if (port === 'lo') { out.push(src.problem(path, `the loopback device lo cannot be a port of ${master}: the kernel refuses it`)); return; }
    if (pd?.kind === 'bridge' && md?.kind === 'bridge') {
      out.push(src.problem(path, `bridge ${port} cannot be a port of bridge ${master}: the kernel refuses it (ELOOP); join them with a veth pair`));
      return;
    }
    if (prev && prev.master !== master) {
      const pk = byName.get(prev.master)?.d.kind ?? 'master';
      const mk = byName.get(master)?.d.kind ?? 'master';
      out.push(src.problem(path, `${port} is a port of ${mk} ${master} and also of ${pk} ${prev.master} (at ${where(src, prev.path)}); an interface has one master`));
    } else if (!prev) masterOfPort.set(port, { master, path });
  };
  for (const { d, i } of decls) {
    if (d.master !== undefined) {
      const m = byName.get(d.master);
      if (d.master === d.name) out.push(src.problem(at(i, 'master'), `${d.name} cannot be its own master`));
      else if (!m) out.push(src.problem(at(i, 'master'), `unknown master "${d.master}": declare the bridge or bond in this file`));
      else if (m.d.kind !== 'bridge' && m.d.kind !== 'bond') out.push(src.problem(at(i, 'master'), `master "${d.master}" is a ${m.d.kind}; only a bridge or a bond can have ports`));
      else claim(d.name, d.master, at(i, 'master'));
    }
    if ((d.kind === 'bridge' || d.kind === 'bond') && d.ports) {
      const seen = new Set<string>();
      d.ports.forEach((p, j) => {
        if (seen.has(p)) { out.push(src.problem(at(i, 'ports', j), `${p} is listed twice`)); return; }
        seen.add(p);
        if (p === d.name) out.push(src.problem(at(i, 'ports', j), `${d.name} cannot be a port of itself`));
        else if (!known(p)) out.push(src.problem(at(i, 'ports', j), `unknown port "${p}": declare it in this file (kind: device for an existing NIC)`));
        else claim(p, d.name, at(i, 'ports', j));
      });
    }
  }

  // Cycles through lower devices and masters (a vlan on a bridge whose port is that vlan, …).
  const edges = new Map<string, { to: string; path: PathSeg[] }[]>();
  const addEdge = (from: string, to: string, path: PathSeg[]): void => {
    if (!edges.has(from)) edges.set(from, []);
    edges.get(from)!.push({ to, path });
  };
  for (const { d, i } of decls) {
    if ((d.kind === 'vlan' || d.kind === 'macvlan') && typeof d.link === 'string' && d.link !== d.name) addEdge(d.name, d.link, at(i, 'link'));
  }
  for (const [port, { master, path }] of masterOfPort) addEdge(port, master, path);
  const state = new Map<string, 1 | 2>();
  const reported = new Set<string>();
  const visit = (n: string, stack: string[]): void => {
    state.set(n, 1);
    for (const e of edges.get(n) ?? []) {
      if (state.get(e.to) === 1) {
        const cycle = [...stack.slice(stack.indexOf(e.to)), n, e.to];
        const key = [...cycle].sort().join(',');
        if (!reported.has(key)) {
          reported.add(key);
          out.push(src.problem(e.path, `dependency cycle: ${cycle.slice(cycle.indexOf(e.to)).join(' → ')}`));
        }
      } else if (!state.has(e.to)) visit(e.to, [...stack, n]);
    }
    state.set(n, 2);
  };
  for (const n of edges.keys()) if (!state.has(n)) visit(n, []);

  // The kernel's own graph: a master is the upper device of its ports, a vlan or macvlan the
  // upper device of its lower one, and it refuses a loop (ELOOP). A loop of one sort of edge is
  // a dependency cycle above; one that mixes both (a vlan on a bridge that is that bridge's
  // port) only shows here.
  const uppers = new Map<string, { to: string; path: PathSeg[]; master: boolean }[]>();
  const addUpper = (from: string, to: string, path: PathSeg[], master: boolean): void => {
    if (!uppers.has(from)) uppers.set(from, []);
    uppers.get(from)!.push({ to, path, master });
  };
  for (const { d, i } of decls) {
    if ((d.kind === 'vlan' || d.kind === 'macvlan') && typeof d.link === 'string' && d.link !== d.name) addUpper(d.name, d.link, at(i, 'link'), false);
  }
  for (const [port, { master, path }] of masterOfPort) addUpper(master, port, path, true);
  const ustate = new Map<string, 1 | 2>();
  const upath: { name: string; master: boolean | null }[] = [];
  const uvisit = (n: string, master: boolean | null): void => {
    ustate.set(n, 1);
    upath.push({ name: n, master });
    for (const e of uppers.get(n) ?? []) {
      if (ustate.get(e.to) === 1) {
        const loop = upath.slice(upath.findIndex((x) => x.name === e.to));
        const names = [...loop.map((x) => x.name), e.to];
        const key = [...loop.map((x) => x.name)].sort().join(',');
        if (new Set([...loop.slice(1).map((x) => x.master), e.master]).size === 2 && !reported.has(key)) {
          reported.add(key);
          out.push(src.problem(e.path, `loop of upper and lower devices: ${names.join(' → ')} (the kernel refuses it with ELOOP)`));
        }
      } else if (!ustate.has(e.to)) uvisit(e.to, e.master);
    }
    upath.pop();
    ustate.set(n, 2);
  };
  for (const n of uppers.keys()) if (!ustate.has(n)) uvisit(n, null);

  // Addresses.
  const seenAddr = new Map<string, PathSeg[]>();
  for (const { d, i } of decls) {
    (d.addresses ?? []).forEach((a, j) => {
      const path = at(i, 'addresses', j);
      const { text, label, nodad } = addressParts(a);
      const textPath = typeof a === 'string' ? path : [...path, 'address'];
      const c = parseCidr(text);
      if (typeof c === 'string') { out.push(src.problem(textPath, c)); return; }
      const hp = hostPartProblem(c) ?? addressUseProblem(c, d.name);
      if (hp) out.push(src.problem(textPath, hp));
      const prev = seenAddr.get(c.address);
      if (prev) out.push(src.problem(textPath, `duplicate address ${c.address} (also at ${where(src, prev)})`));
      else seenAddr.set(c.address, textPath);
      if (label !== undefined) {
        if (c.family === 6) out.push(src.problem([...path, 'label'], 'labels exist only for IPv4 addresses'));
        else if (!label.startsWith(d.name)) out.push(src.problem([...path, 'label'], `label "${label}" must begin with the interface name "${d.name}" (e.g. ${d.name}:1)`));
        else if (label.includes('\0')) out.push(src.problem([...path, 'label'], 'a label cannot hold a NUL character'));
        // the schema counts characters; the kernel counts bytes (IFNAMSIZ - 1)
        else if (Buffer.byteLength(label) > 15) out.push(src.problem([...path, 'label'], `label "${label}" is ${Buffer.byteLength(label)} bytes in UTF-8: the kernel's limit is 15`));
      }
      if (nodad && c.family === 4) out.push(src.problem([...path, 'nodad'], 'nodad applies only to IPv6 addresses'));
      if (c.family === 6 && d.mtu !== undefined && d.mtu < 1280) out.push(src.problem(at(i, 'mtu'), `mtu ${d.mtu} is below the IPv6 minimum 1280, but ${d.name} has IPv6 address ${text}`));
    });
  }

  out.push(...routeProblems(src, decls, cfg, tainted, routeTainted));

  // The management addresses belong to the failover daemon, which moves them between its
  // candidates: declared under an interface too, apply would fight the daemon for them.
  let mgmtShapeOk = cfg.mgmt !== undefined && cfg.mgmt !== null;
  for (const p of bad) if (p === '/mgmt' || p.startsWith('/mgmt/')) mgmtShapeOk = false;
  // what `nodectl mgmt run` checks, by the same code
  if (mgmtShapeOk) out.push(...resolveMgmt(cfg.mgmt!, (path, reason) => src.problem(['mgmt', ...path], reason)).problems);
  const mgmtAddrs = mgmtShapeOk ? cfg.mgmt!.addresses : [];
  mgmtAddrs.forEach((text, j) => {
    const c = typeof text === 'string' ? parseCidr(text) : null;
    const prev = c && typeof c !== 'string' ? seenAddr.get(c.address) : undefined;
    if (prev) out.push(src.problem(prev, `${(c as Cidr).address} is also a management address (mgmt: at ${where(src, ['mgmt', 'addresses', j])}): the failover daemon moves it between candidates; declare it only under mgmt:`));
  });

  // MTU. A vlan or macvlan is never larger than its lower device (the kernel refuses it with
  // EINVAL), so an undeclared MTU of one is bounded by its lower device's.
  const ceilingMemo = new Map<string, number | undefined>();
  const mtuCeiling = (name: string, depth = 0): number | undefined => {
    if (ceilingMemo.has(name)) return ceilingMemo.get(name);
    const e = byName.get(name);
    let v: number | undefined;
    if (e && typeof e.d.mtu === 'number') v = e.d.mtu;
    else if (e && (e.d.kind === 'vlan' || e.d.kind === 'macvlan') && typeof e.d.link === 'string' && depth < 32) v = mtuCeiling(e.d.link, depth + 1);
    ceilingMemo.set(name, v);
    return v;
  };
  for (const { d, i } of decls) {
    if ((d.kind === 'vlan' || d.kind === 'macvlan') && typeof d.mtu === 'number' && typeof d.link === 'string' && d.link !== d.name) {
      const lower = mtuCeiling(d.link);
      if (lower !== undefined && d.mtu > lower) {
        out.push(src.problem(at(i, 'mtu'), `mtu ${d.mtu} is above the mtu ${lower} of its lower device ${d.link}: the kernel refuses a ${d.kind} larger than its lower device`));
      }
    }
  }
  for (const [port, { master, path }] of masterOfPort) {
    const m = byName.get(master);
    if (!m || typeof m.d.mtu !== 'number') continue;
    const pm = mtuCeiling(port);
    if (pm === undefined) continue;
    if (m.d.kind === 'bridge' && m.d.mtu > pm) {
      out.push(src.problem(at(m.i, 'mtu'), `bridge ${master} mtu ${m.d.mtu} is above the mtu ${pm} of its port ${port} (${where(src, path)}): the kernel lowers a bridge to the MTU of its smallest port`));
    } else if (m.d.kind === 'bond' && m.d.mtu !== pm && typeof byName.get(port)?.d.mtu === 'number') {
      out.push(src.problem(path, `${port} declares mtu ${pm} but its bond ${master} has mtu ${m.d.mtu}: a bond sets the MTU of its ports to its own`));
    }
  }

  // A device has one receive handler: a macvlan's lower device cannot also be a bridge or bond
  // port (the kernel refuses the second with EBUSY, whichever comes first).
  for (const { d, i } of decls) {
    if (d.kind !== 'macvlan' || typeof d.link !== 'string') continue;
    const m = masterOfPort.get(d.link);
    if (m) out.push(src.problem(at(i, 'link'), `a macvlan cannot sit on ${d.link}, a port of ${byName.get(m.master)?.d.kind ?? 'master'} ${m.master} (${where(src, m.path)}): the kernel gives a device one receive handler; put the macvlan on ${m.master} instead`));
  }

  // Attributes.
  for (const { d, i } of decls) {
    if (typeof d.alias === 'string') {
      if (d.alias.includes('\0')) out.push(src.problem(at(i, 'alias'), 'an alias cannot hold a NUL character: the kernel would cut it there'));
      else if (Buffer.byteLength(d.alias) > 255) out.push(src.problem(at(i, 'alias'), `the alias is ${Buffer.byteLength(d.alias)} bytes in UTF-8: the kernel's limit is 255`));
    }
    if (d.name === 'lo' && d.kind !== 'device') out.push(src.problem(at(i, 'kind'), 'lo is the loopback device every namespace has: declare it as kind: device'));
    for (const [k, v] of Object.entries(d.arp ?? {})) {
      const r = ARP_RANGES[k as keyof typeof ARP_RANGES];
      if (r && typeof v === 'number' && v >= r.min && v <= r.max && !r.allowed.includes(v)) {
        out.push(src.problem(at(i, 'arp', k), `${k} ${v} is reserved (the kernel treats it like 0); use one of ${r.allowed.join(', ')}`));
      }
    }
    if (d.mac !== undefined) {
      const first = parseInt(d.mac.slice(0, 2), 16);
      if (first & 1) out.push(src.problem(at(i, 'mac'), `${d.mac} is a multicast address; an interface needs a unicast one (first octet even)`));
      else if (/^(00:){5}00$/.test(d.mac)) out.push(src.problem(at(i, 'mac'), 'the all-zero address is not a valid interface address'));
    }
    if (d.kind === 'bond' && d.bond) {
      (d.bond.arp_ip_target ?? []).forEach((t, j) => {
        if (!isIPv4(t)) out.push(src.problem(at(i, 'bond', 'arp_ip_target', j), `"${t}" is not an IPv4 address`));
      });
      if ((d.bond.miimon ?? 0) > 0 && (d.bond.arp_interval ?? 0) > 0) {
        out.push(src.problem(at(i, 'bond', 'arp_interval'), 'use either miimon or arp_interval: the kernel runs only one link monitor'));
      }
      if ((d.bond.arp_interval ?? 0) > 0 && !(d.bond.arp_ip_target ?? []).length) {
        out.push(src.problem(at(i, 'bond', 'arp_interval'), 'arp_interval needs at least one arp_ip_target'));
      }
    }
    if (d.kind === 'veth' && d.veth.peer_netns !== undefined && !/^[^/\s]+$/.test(d.veth.peer_netns) && !d.veth.peer_netns.startsWith('/')) {
      out.push(src.problem(at(i, 'veth', 'peer_netns'), `"${d.veth.peer_netns}" is not a namespace name`));
    }
    const written = file.interfaces[i];
    const po = written?.kind === 'veth' && written.veth && typeof written.veth.peer === 'object' && written.veth.peer !== null ? written.veth.peer : null;
    if (po && po.netns !== undefined && !tainted(i, 'veth')) {
      if (!/^[^/\s]+$/.test(po.netns) && !po.netns.startsWith('/')) out.push(src.problem(at(i, 'veth', 'peer', 'netns'), `"${po.netns}" is not a namespace name`));
      if (written!.kind === 'veth' && written!.veth.peer_netns !== undefined) out.push(src.problem(at(i, 'veth', 'peer_netns'), 'the namespace of the peer is given twice (peer_netns and peer.netns): keep one'));
      // nodectl changes one namespace per apply: the other end's attributes there are not its to manage
      for (const k of ['mtu', 'state', 'alias', 'master', 'addresses', 'arp', 'routes'] as const) {
        if (po[k] !== undefined) out.push(src.problem(at(i, 'veth', 'peer', k), `${k} cannot be declared for a peer put in another namespace (netns ${po.netns}): configure it with a file applied in that namespace`, 'key'));
      }
    }
  }
  return out;
}

/**
 * What the kernel would refuse about the `routes:` of the file, each at its key: what
 * `nodectl route add` refuses (one definition, checkRoute), IPv4-only options on IPv6 routes,
 * a gateway that is not on-link, a route through an interface that is down, the same route
 * twice, and the default route the failover daemon keeps.
 */
function routeProblems(src: ConfigSource, decls: { d: InterfaceDecl; i: number }[], cfg: NodeConfig, tainted: (i: number, f: string) => boolean, routeTainted: (i: number, j: number) => boolean): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const seen = new Map<string, PathSeg[]>();
  // the default route `nodectl mgmt run` keeps (replacing whatever has its key)
  const mgmtGw = cfg.mgmt && typeof cfg.mgmt === 'object' ? cfg.mgmt.gateway : undefined;
  if (mgmtGw && typeof mgmtGw === 'object' && (mgmtGw.default_route ?? true)) {
    const m = typeof mgmtGw.metric === 'number' ? mgmtGw.metric : MGMT_DEFAULTS.routeMetric;
    if (typeof mgmtGw.ipv4 === 'string') seen.set(routeKey({ family: 4, dst: 'default', table: 254 }, effectiveMetric(4, m)), ['mgmt', 'gateway', 'ipv4']);
    if (typeof mgmtGw.ipv6 === 'string') seen.set(routeKey({ family: 6, dst: 'default', table: 254 }, effectiveMetric(6, m)), ['mgmt', 'gateway', 'ipv6']);
  }
  for (const { d, i } of decls) {
    if (!Array.isArray(d.routes) || routeTainted(i, -1)) continue;
    const routes = d.routes.map((r, j) => (routeTainted(i, j) ? null : r));
    const at = (...rest: PathSeg[]): PathSeg[] => ['interfaces', i, 'routes', ...rest];
    const addrs: Cidr[] = [];
    for (const a of Array.isArray(d.addresses) && !tainted(i, 'addresses') ? d.addresses : []) {
      const c = parseCidr(addressParts(a).text);
      if (typeof c !== 'string') addrs.push(c);
    }
    const checked: (CheckedRoute | null)[] = routes.map((r: RouteDecl | null, j) => {
      if (!r) return null;
      const c = checkRoute(r);
      if ('reason' in c) { out.push(src.problem(at(j, c.field), c.reason)); return null; }
      return c;
    });
    const linkRoutes = checked.filter((c): c is CheckedRoute => c !== null && c.gateway === undefined);
    routes.forEach((r: RouteDecl | null, j) => {
      const c = checked[j];
      if (!c || !r) return;
      if ((d.state ?? 'up') === 'down') {
        out.push(src.problem(at(j), `${d.name} is declared down: the kernel refuses a route through a down interface (ENETDOWN) and removes its routes when it goes down`));
        return;
      }
      if (r.scope !== undefined && c.family === 6) out.push(src.problem(at(j, 'scope'), 'scope applies only to IPv4 routes: the kernel keeps every IPv6 route at scope global'));
      else if (r.scope === 'link' && c.gateway !== undefined) out.push(src.problem(at(j, 'scope'), 'a route via a gateway cannot have scope link: the kernel refuses it (the gateway must be reached through a link route)'));
      if (r.onlink && c.gateway === undefined && c.family === 4) out.push(src.problem(at(j, 'onlink'), 'onlink is about the gateway: an IPv4 route needs via for it (the kernel refuses onlink without one)'));
      // unmanaged addresses (a device without `addresses:`): checked against the node's, before apply
      const known = d.addresses !== undefined || d.kind !== 'device';
      if (c.gateway !== undefined && known && !tainted(i, 'addresses')) {
        const why = gatewayProblem(c.gateway, c.family, r.onlink === true, d.name, addrs, linkRoutes);
        if (why) out.push(src.problem(at(j, 'via'), why));
      }
      const key = routeKey(c, effectiveMetric(c.family, c.metric));
      const prev = seen.get(key);
      if (prev) {
        const other = prev[0] === 'mgmt' ? `the failover daemon's default route (mgmt: at ${where(src, prev)}); give this one another metric` : `also at ${where(src, prev)}`;
        out.push(src.problem(at(j, 'to'), `duplicate route ${c.dst} table ${c.table} metric ${effectiveMetric(c.family, c.metric)} (${other}): the kernel keeps one route per destination, metric and table`));
      } else seen.set(key, at(j, 'to'));
    });
  }
  return out;
}

/** The source, with paths of the appended peers mapped to where they are written. */
function peerSource(src: ConfigSource, map: (p: PathSeg[]) => PathSeg[]): ConfigSource {
  return {
    file: src.file,
    problem: (path: PathSeg[], reason: string, at?: 'key' | 'value') => src.problem(map(path), reason, at),
    locate: (path: PathSeg[], at?: 'key' | 'value') => src.locate(map(path), at),
  } as unknown as ConfigSource;
}

/** The schema's problems, with those inside a peer object also at its appended entry. */
function peerBad(bad: Set<string>, ex: ReturnType<typeof expandPeers>): Set<string> {
  if (!bad.size) return bad;
  const out = new Set(bad);
  for (const { vethIndex, index } of ex.peers.values()) {
    const base = `/interfaces/${vethIndex}/veth/peer`;
    for (const p of bad) {
      if (p.startsWith(`${base}/`)) out.add(`/interfaces/${index}${p.slice(base.length)}`);
      else if (p === base || p === `/interfaces/${vethIndex}/veth` || p === `/interfaces/${vethIndex}`) out.add(`/interfaces/${index}`);
    }
  }
  return out;
}

/** The declaration without the fields the schema rejected (so the checks below can trust types). */
function sanitize(d: unknown, tainted: (field: string) => boolean): InterfaceDecl | null {
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return null;
  const o = d as Record<string, unknown>;
  if (typeof o.name !== 'string' || typeof o.kind !== 'string') return null;
  const copy: Record<string, unknown> = {};
  // routes are left out one by one (see routeTainted), not all of them for one bad route
  for (const [k, v] of Object.entries(o)) if (!tainted(k) || k === 'routes') copy[k] = v;
  // fields a kind requires: a tainted one makes the checks that need it skip via a dummy
  if (o.kind === 'veth' && !copy.veth) return null;
  return copy as unknown as InterfaceDecl;
}

function where(src: ConfigSource, path: PathSeg[]): string {
  const p = src.locate(path);
  return `line ${p.line}`;
}

export type { Cidr };
