// The node's logical interfaces (what the lab's config file declares), built directly.
import { run } from './iproute.js';
import { NODE_DATA, type OptionalKind } from './plan.js';
import { addAddr, setMaster, setUp } from './wire.js';

const ip = (ns: string, args: string[], what: string) => run('ip', ['-n', ns, ...args], what);

export async function addLogical(ns: string, has: Record<OptionalKind, boolean>, ports: { port: string; master: string }[]): Promise<string> {
  const d = NODE_DATA;
  for (const a of d.eth2) await addAddr(ns, 'eth2', a);
  await ip(ns, ['link', 'add', 'link', d.macvlan.parent, 'name', d.macvlan.name, 'type', 'macvlan', 'mode', d.macvlan.mode], `create macvlan ${d.macvlan.name}`);
  if (has.vlan) await ip(ns, ['link', 'add', 'link', d.vlan.parent, 'name', d.vlan.name, 'type', 'vlan', 'id', String(d.vlan.id)], `create vlan ${d.vlan.name}`);
  if (has.bond) await ip(ns, ['link', 'add', d.bond.name, 'type', 'bond', 'mode', d.bond.mode, 'miimon', String(d.bond.miimon)], `create bond ${d.bond.name}`);
  await ip(ns, ['link', 'add', d.bridge.name, 'type', 'bridge', 'stp_state', '0'], `create bridge ${d.bridge.name}`);
  if (has.dummy) await ip(ns, ['link', 'add', d.dummy.name, 'type', 'dummy'], `create dummy ${d.dummy.name}`);
  for (const p of ports) {
    // A bond takes its slaves only while they are down.
    if (p.master === d.bond.name) await ip(ns, ['link', 'set', p.port, 'down'], `set ${p.port} down`);
    await setMaster(ns, p.port, p.master);
  }
  const up = [d.macvlan.name, d.bridge.name, ...(has.vlan ? [d.vlan.name] : []), ...(has.bond ? [d.bond.name, 'eth3'] : []), ...(has.dummy ? [d.dummy.name] : [])];
  for (const dev of up) await setUp(ns, dev);
  for (const a of d.macvlan.addresses) await addAddr(ns, d.macvlan.name, a);
  for (const a of d.bridge.addresses) await addAddr(ns, d.bridge.name, a);
  if (has.vlan) for (const a of d.vlan.addresses) await addAddr(ns, d.vlan.name, a);
  if (has.dummy) for (const a of d.dummy.addresses) await addAddr(ns, d.dummy.name, a);
  return 'iproute2';
}
