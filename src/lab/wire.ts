// Cabling the lab: the operations `lab up` performs inside its namespaces. Kept behind these
// few functions so the rest of the lab does not care how they reach the kernel.
import { run } from './iproute.js';

const ip = (ns: string, args: string[], what: string) => run('ip', ['-n', ns, ...args], what);

/** A veth pair created inside `ns`, its peer moved at birth into `peerNs` (never via the root namespace). */
export async function addVeth(ns: string, name: string, peer: string, peerNs: string): Promise<void> {
  await ip(ns, ['link', 'add', name, 'type', 'veth', 'peer', 'name', peer, 'netns', peerNs], `create veth ${name} in ${ns} (peer ${peer} in ${peerNs})`);
}

export async function addBridge(ns: string, name: string): Promise<void> {
  await ip(ns, ['link', 'add', name, 'type', 'bridge', 'stp_state', '0'], `create bridge ${name} in ${ns}`);
}

export async function setMaster(ns: string, name: string, master: string): Promise<void> {
  await ip(ns, ['link', 'set', name, 'master', master], `enslave ${name} to ${master} in ${ns}`);
}

export async function setUp(ns: string, name: string): Promise<void> {
  await ip(ns, ['link', 'set', name, 'up'], `set ${name} up in ${ns}`);
}

export async function addAddr(ns: string, dev: string, cidr: string): Promise<void> {
  const extra = cidr.includes(':') ? ['nodad'] : [];
  await ip(ns, ['addr', 'add', cidr, 'dev', dev, ...extra], `add address ${cidr} to ${dev} in ${ns}`);
}

export async function addDefaultRoute(ns: string, gateway: string, dev: string): Promise<void> {
  await ip(ns, ['route', 'replace', 'default', 'via', gateway, 'dev', dev], `add default route via ${gateway} in ${ns}`);
}

/**
 * Can this kernel make links of `kind`? Decided by trying, inside the lab's own namespace, and
 * cleaning up; the kernel's refusal is the reason given.
 */
export async function probeKind(ns: string, kind: 'vlan' | 'bond' | 'dummy', lowerDev: string): Promise<{ ok: true } | { ok: false; why: string }> {
  const name = `probe-${kind}`;
  const args = kind === 'vlan' ? ['link', 'add', 'link', lowerDev, 'name', name, 'type', 'vlan', 'id', '4000'] : ['link', 'add', name, 'type', kind];
  try {
    await ip(ns, args, `create a ${kind} link`);
  } catch (err) {
    // iproute2 words it "Error: Unknown device type." (EOPNOTSUPP); keep only the kernel's part.
    const msg = (err as Error).message;
    const i = msg.lastIndexOf('Error: ');
    return { ok: false, why: i >= 0 ? msg.slice(i + 7).replace(/\.$/, '') : msg };
  }
  await ip(ns, ['link', 'del', name], `delete probe link ${name}`);
  return { ok: true };
}
