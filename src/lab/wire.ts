// Cabling the lab: the operations `lab up` performs inside its namespaces, each through a
// Handle bound to that namespace (nodectl's own netlink layer), never the root namespace.
import { NetlinkError, UnsupportedError } from '../errors.js';
import { addAddr as nlAddAddr } from '../netlink/addr.js';
import type { Handle } from '../netlink/handle.js';
import { addLink, delLink, resolveIndex, setLink, type LinkSpec } from '../netlink/link.js';
import { replaceRoute } from '../netlink/route.js';

/** A veth pair created inside h's namespace, its peer born in `peerNs` (IFLA_NET_NS_FD). */
export async function addVeth(h: Handle, name: string, peer: string, peerNs: string): Promise<void> {
  await addLink(h, { name, kind: 'veth', veth: { peer, peerNetns: peerNs } });
}

export async function addBridge(h: Handle, name: string): Promise<void> {
  await addLink(h, { name, kind: 'bridge', bridge: { stp: false } });
}

export async function add(h: Handle, spec: LinkSpec): Promise<void> {
  await addLink(h, spec);
}

export async function setMaster(h: Handle, name: string, master: string): Promise<void> {
  await setLink(h, await resolveIndex(h, name), { master: await resolveIndex(h, master) });
}

export async function setUp(h: Handle, name: string, up = true): Promise<void> {
  await setLink(h, await resolveIndex(h, name), { up });
}

/** ADDRESS/PREFIX; IPv6 without DAD so the lab is usable the moment `up` returns. */
export async function addAddr(h: Handle, dev: string, cidr: string): Promise<void> {
  const [address, plen] = cidr.split('/') as [string, string];
  await nlAddAddr(h, { ifindex: await resolveIndex(h, dev), address, prefixlen: Number(plen), nodad: cidr.includes(':') });
}

export async function addDefaultRoute(h: Handle, gateway: string, dev: string): Promise<void> {
  await replaceRoute(h, { family: gateway.includes(':') ? 6 : 4, dst: 'default', gateway, ifindex: await resolveIndex(h, dev) });
}

/**
 * Can this kernel make links of `kind`? Decided by trying, inside the lab's own namespace, and
 * cleaning up; the kernel's refusal (errno and extack) is the reason given.
 */
export async function probeKind(h: Handle, kind: 'vlan' | 'bond' | 'dummy', lowerDev: string): Promise<{ ok: true } | { ok: false; why: string }> {
  const name = `probe-${kind}`;
  const spec: LinkSpec = kind === 'vlan' ? { name, kind, parent: lowerDev, vlan: { id: 4000 } } : kind === 'bond' ? { name, kind, bond: { mode: 'active-backup' } } : { name, kind };
  try {
    await addLink(h, spec);
  } catch (err) {
    // A missing driver is an UnsupportedError around the kernel's refusal (src/netlink/link.ts).
    const nl = err instanceof UnsupportedError && err.cause instanceof NetlinkError ? err.cause : err;
    if (nl instanceof NetlinkError) return { ok: false, why: `${nl.op} ${nl.errno}${nl.extack ? `: ${nl.extack}` : ''}` };
    throw err;
  }
  await delLink(h, await resolveIndex(h, name));
  return { ok: true };
}
