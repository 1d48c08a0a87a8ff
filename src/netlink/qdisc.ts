// Root queueing disciplines (RTM_NEWQDISC/DELQDISC/GETQDISC), only as far as rollback needs them:
// a link that has never been opened has the placeholder `noop`; opening it attaches the kernel's
// default (noqueue, mq, …, handle 0), which stays when it is closed again. The default cannot be
// deleted (a handle of zero), but a qdisc grafted over it can, and deleting a root leaves
// `noop` again — what the link had before it was first opened. Opened again, it gets its default.
import { AttrWriter, forEachAttr, readString } from './attr.js';
import { type Handle, NLM_F_CREATE, NLM_F_REPLACE, RTM } from './handle.js';

const TC_H_ROOT = 0xffffffff;
const TCA_KIND = 1;
/** The handle of the stand-in grafted for a moment (1:). */
const STAND_IN = 0x10000;

/** struct tcmsg: family, pads, ifindex, handle, parent, info. */
function tcmsg(ifindex: number, handle: number, parent: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeInt32LE(ifindex, 4);
  b.writeUInt32LE(handle, 8);
  b.writeUInt32LE(parent, 12);
  return b;
}

/** A link's root qdisc: its kind and handle (0: the kernel's default); null when noop (not dumped). */
export async function rootQdisc(h: Handle, ifindex: number): Promise<{ kind: string; handle: number } | null> {
  // a dump, not a get: the kernel answers RTM_GETQDISC only as a notification (NLM_F_ECHO)
  const msgs = await h.dump(RTM.GETQDISC, tcmsg(0, 0, 0), { action: 'list qdiscs' });
  for (const m of msgs) {
    if (m.type !== RTM.NEWQDISC) continue;
    const d = Buffer.from(m.data);
    if (d.length < 20 || d.readInt32LE(4) !== ifindex || d.readUInt32LE(12) !== TC_H_ROOT) continue;
    let kind = '';
    forEachAttr(d, 20, d.length, (t, s, e) => { if (t === TCA_KIND) kind = readString(d, s, e); });
    return { kind, handle: d.readUInt32LE(8) };
  }
  return null;
}

/**
 * Give a link that is down the `noop` root of a link never opened, in place of the default its
 * first opening attached: graft a noqueue stand-in (with a handle), then delete the root.
 */
export async function resetRootQdisc(h: Handle, ifindex: number): Promise<void> {
  const w = new AttrWriter(64);
  w.raw(tcmsg(ifindex, STAND_IN, TC_H_ROOT));
  w.str(TCA_KIND, 'noqueue');
  await h.request(RTM.NEWQDISC, w.finish(), { flags: NLM_F_CREATE | NLM_F_REPLACE, action: `graft a stand-in root qdisc on link ${ifindex}`, target: String(ifindex) });
  await h.request(RTM.DELQDISC, tcmsg(ifindex, 0, TC_H_ROOT), { action: `delete the root qdisc of link ${ifindex}`, target: String(ifindex) });
}
