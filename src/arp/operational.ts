// A frame sent on a link that came up a moment ago is dropped without an error: until the
// kernel's link watcher has run for it, the link keeps its no-op qdisc, and a packet socket's
// send still succeeds. `ip link set X up && nodectl arp announce …` hits exactly that window
// (up to a second on an idle machine, more under load), so announce and probe wait it out.
import { setTimeout as sleep } from 'node:timers/promises';
import { StateError } from '../errors.js';
import type { Handle } from '../netlink/handle.js';
import { getLink, type Link } from '../netlink/link.js';

/** How long a link that is up with carrier may take to become operational. */
export const OPERATIONAL_WAIT_MS = 3000;

/**
 * The link once it can send: admin up and operationally up (or 'unknown', for kinds that do not
 * track an operational state and are active as soon as they are up). A link that is down, or
 * still not operational after the wait (no carrier), is an error: nothing would leave it.
 */
export async function whenOperational(h: Handle, link: Link, waitMs = OPERATIONAL_WAIT_MS): Promise<Link> {
  if (link.admin !== 'up') throw new StateError(`${link.name} is down: nothing can be sent on it (ip link set ${link.name} up)`);
  const deadline = Date.now() + waitMs;
  let l = link;
  while (l.oper !== 'up' && l.oper !== 'unknown') {
    if (Date.now() >= deadline) {
      throw new StateError(`${l.name} is not operational (${l.oper}${l.carrier ? '' : ', no carrier'}) after ${waitMs} ms: frames sent on it would be dropped`);
    }
    await sleep(10);
    l = await getLink(h, l.name);
  }
  return l;
}
