// The node's logical interfaces (what the lab's config file declares), built directly.
import type { Handle } from '../netlink/handle.js';
import { NODE_DATA, type OptionalKind } from './plan.js';
import { add, addAddr, setMaster, setUp } from './wire.js';

export async function addLogical(h: Handle, has: Record<OptionalKind, boolean>): Promise<string> {
  const d = NODE_DATA;
  const ports = has.bond
    ? [{ port: 'eth3', master: d.bond.name }, { port: d.bond.name, master: d.bridge.name }]
    : [{ port: 'eth3', master: d.bridge.name }];
  for (const a of d.eth2) await addAddr(h, 'eth2', a);
  await add(h, { name: d.macvlan.name, kind: 'macvlan', parent: d.macvlan.parent, macvlan: { mode: d.macvlan.mode } });
  if (has.vlan) await add(h, { name: d.vlan.name, kind: 'vlan', parent: d.vlan.parent, vlan: { id: d.vlan.id } });
  if (has.bond) await add(h, { name: d.bond.name, kind: 'bond', bond: { mode: d.bond.mode, miimon: d.bond.miimon } });
  await add(h, { name: d.bridge.name, kind: 'bridge', bridge: { stp: false } });
  if (has.dummy) await add(h, { name: d.dummy.name, kind: 'dummy' });
  for (const p of ports) {
    // A bond takes its slaves only while they are down.
    if (p.master === d.bond.name) await setUp(h, p.port, false);
    await setMaster(h, p.port, p.master);
  }
  const up = [d.macvlan.name, d.bridge.name, ...(has.vlan ? [d.vlan.name] : []), ...(has.bond ? [d.bond.name, 'eth3'] : []), ...(has.dummy ? [d.dummy.name] : [])];
  for (const dev of up) await setUp(h, dev);
  for (const a of d.macvlan.addresses) await addAddr(h, d.macvlan.name, a);
  for (const a of d.bridge.addresses) await addAddr(h, d.bridge.name, a);
  if (has.vlan) for (const a of d.vlan.addresses) await addAddr(h, d.vlan.name, a);
  if (has.dummy) for (const a of d.dummy.addresses) await addAddr(h, d.dummy.name, a);
  return 'netlink';
}
