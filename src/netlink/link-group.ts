// Interface groups (IFLA_GROUP): RTM_DELLINK with ifindex 0 and IFLA_GROUP deletes every link of
// the group in ONE request. The kernel then unregisters them together (rtnl_group_dellink →
// unregister_netdevice_many) and waits for RCU once, instead of once per link — deleting links
// one by one, as iproute2 does, costs a grace period (~16 ms) each.
import { AttrWriter } from './attr.js';
import { type Handle, RTM } from './handle.js';
import { IFLA } from './link.js';
import { ifinfomsg } from './linkinfo.js';

/** Delete every link in `group` (the kernel refuses the whole request if one cannot be deleted). */
export async function delLinkGroup(h: Handle, group: number): Promise<void> {
  if (!Number.isInteger(group) || group <= 0 || group > 0xffffffff) throw new RangeError(`refusing to delete link group ${group}`);
  const w = new AttrWriter(32);
  w.raw(ifinfomsg({ index: 0 }));
  w.u32(IFLA.GROUP, group);
  await h.request(RTM.DELLINK, w.finish(), { action: `delete the links of group ${group}`, target: `group ${group}` });
}
