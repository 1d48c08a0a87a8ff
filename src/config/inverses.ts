// The inverse of each planned operation, computed from the snapshot taken before step 1 (never
// from the kernel during rollback, when it may be half-changed). Nothing is re-created: a
// deleted link is only doomed until commit (see transaction.ts), so its inverse gives back the
// very same link — ifindex, MAC, link-local address and all.
import type { Snapshot } from '../interfaces/snapshot.js';
import type { Op } from '../interfaces/planner.js';
import { canonicalIp } from './cidr.js';
import type { DoomedLink, PreState, UndoOp } from './journal.js';
import { decodeAddr } from '../netlink/addr.js';
import { decodeRoute } from '../netlink/route.js';
import { routeWantOf } from '../interfaces/planner.js';
import { routeKey } from './route-rules.js';

/** The group nodectl moves links to on their way out (OWNED_GROUP + 1). */
export { DOOMED_GROUP } from './doomed.js';

/** RTM_NEWADDR payloads of the pre-apply state by "ifindex address/prefixlen". */
export function rawAddrIndex(pre: PreState): Map<string, string> {
  const m = new Map<string, string>();
  for (const raw of pre.addrs) {
    const buf = Buffer.from(raw, 'base64');
    const a = decodeAddr(buf, 0, buf.length);
    if (a) m.set(`${a.ifindex} ${canonicalIp(a.address)}/${a.prefixlen}`, raw);
  }
  return m;
}

/** RTM_NEWROUTE payloads of nodectl's routes before the apply, by "ifindex family dst table metric". */
export function rawRouteIndex(pre: PreState): Map<string, string> {
  const m = new Map<string, string>();
  for (const raw of pre.routes) {
    const buf = Buffer.from(raw, 'base64');
    const r = decodeRoute(buf, 0, buf.length);
    if (r && r.protocol === 'nodectl' && r.oif !== null) m.set(`${r.oif} ${routeKey(routeWantOf(r), r.metric)}`, raw);
  }
  return m;
}

/** How each link a delete takes away looked before the apply. */
function doomedLinks(op: Op & { op: 'link-del' }, pre: Snapshot): DoomedLink[] {
  const out: DoomedLink[] = [];
  for (const n of [op.name, ...(op.with ?? [])]) {
    const l = pre.links.find((x) => x.name === n);
    if (l) out.push({ index: l.index, name: l.name, group: l.group, up: l.admin === 'up', master: l.masterIndex });
  }
  return out;
}

export function inverseOf(op: Op, pre: Snapshot, rawAddrs: Map<string, string>, rawRoutes: Map<string, string> = new Map()): UndoOp[] {
  switch (op.op) {
    case 'link-add':
      return [{ op: 'link-del-owned', name: op.name }];
    case 'link-del':
      return [{ op: 'link-undoom', links: doomedLinks(op, pre) }];
    case 'link-set': {
      const change: Op & { op: 'link-set' } = { op: 'link-set', name: op.name, change: {}, from: op.change };
      for (const k of Object.keys(op.change) as (keyof typeof op.change)[]) {
        if (k in op.from) (change.change as Record<string, unknown>)[k] = op.from[k] === undefined ? null : op.from[k];
      }
      if (change.change.mac === null) delete change.change.mac;
      // an attribute set on a link the apply made (a veth's declared peer) has nothing to go back
      // to: the link goes with the undo of its creation
      if (!Object.keys(change.change).length) return [];
      return [change];
    }
    case 'addr-add':
      return [{ op: 'addr-del', name: op.name, address: op.address, prefixlen: op.prefixlen }];
    case 'addr-del': {
      const l = pre.links.find((x) => x.name === op.name);
      const raw = l ? rawAddrs.get(`${l.index} ${canonicalIp(op.address)}/${op.prefixlen}`) : undefined;
      if (raw) return [{ op: 'addr-restore', name: op.name, address: op.address, prefixlen: op.prefixlen, raw }];
      const add: UndoOp = { op: 'addr-add', name: op.name, address: op.address, prefixlen: op.prefixlen };
      if (op.label && op.label !== op.name) add.label = op.label;
      if (op.broadcast) add.broadcast = op.broadcast;
      return [add];
    }
    case 'arp-set':
      return op.from && Object.keys(op.from).length ? [{ op: 'arp-set', name: op.name, values: op.from, from: op.values }] : [];
    case 'route-add':
      return [{ op: 'route-del', name: op.name, route: op.route }];
    case 'route-del': {
      const l = pre.links.find((x) => x.name === op.name);
      const raw = l ? rawRoutes.get(`${l.index} ${routeKey(op.route, op.route.metric)}`) : undefined;
      if (raw) return [{ op: 'route-restore', name: op.name, route: op.route, raw }];
      return [{ op: 'route-add', name: op.name, route: op.route }];
    }
  }
}
