// Names of the namespaces a link's IFLA_LINK_NETNSID points into. The kernel reports another
// namespace only by an id local to the asking one (a veth whose peer was moved away carries
// "link-netnsid 0"); `ip` turns that into `link-netns NAME` by asking, for every namespace under
// /run/netns, which id this namespace gave it (RTM_GETNSID with NETNSA_FD). Same here.
import { closeSync, openSync, readdirSync } from 'node:fs';
import { AttrWriter, forEachAttr } from './attr.js';
import type { Handle } from './handle.js';
import { NETNS_RUN_DIR } from './netns.js';

const RTM_NEWNSID = 88;
const RTM_GETNSID = 90;
const NETNSA_NSID = 1;
const NETNSA_FD = 3;
/** struct rtgenmsg, padded to 4 (NLMSG_ALIGN). */
const RTGENMSG_LEN = 4;

/**
 * nsid -> name, for every named namespace (under /run/netns) the handle's namespace has given
 * an id. A namespace without an id (-1), one that cannot be opened, or one the kernel will not
 * answer for is left out: the caller then names it by its id, as `ip` does.
 */
export async function netnsNamesById(h: Handle): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  let names: string[];
  try {
    names = readdirSync(NETNS_RUN_DIR).sort();
  } catch {
    return out; // no /run/netns: no named namespace
  }
  for (const name of names) {
    let fd: number;
    try {
      fd = openSync(`${NETNS_RUN_DIR}/${name}`, 'r');
    } catch {
      continue;
    }
    try {
      const req = new AttrWriter().raw(new Uint8Array(RTGENMSG_LEN)).u32(NETNSA_FD, fd).finish();
      const msgs = await h.request(RTM_GETNSID, req, { action: `read the id of network namespace ${name}`, target: name });
      for (const m of msgs) {
        if (m.type !== RTM_NEWNSID) continue;
        const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
        forEachAttr(data, RTGENMSG_LEN, data.length, (type, s, e) => {
          if (type === NETNSA_NSID && e - s >= 4) {
            const id = data.readInt32LE(s);
            if (id >= 0 && !out.has(id)) out.set(id, name);
          }
        });
      }
    } catch {
      // not a namespace file (a stale mount point), or refused: unnamed, like ip's link-netnsid
    } finally {
      closeSync(fd);
    }
  }
  return out;
}
