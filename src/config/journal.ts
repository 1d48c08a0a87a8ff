// What an apply writes down before its first step, so that whoever finishes it — this process,
// the next apply, `config recover` or the confirm watchdog — can take the node back to exactly
// where it was: the steps with their inverses, and the kernel state before step 1 (raw netlink
// messages of every address, route and permanent neighbour, which are replayed as they were).
import type { Op, RouteWant } from '../interfaces/planner.js';
import { describeOp } from '../interfaces/planner.js';
import type { OwnedLink } from './state.js';

/** A link as it was before the apply: what putting it back (see pre-state.ts) compares. */
export interface PreLink {
  index: number;
  name: string;
  mtu: number;
  up: boolean;
  master: number | null;
  group: number;
  alias: string | null;
  mac: string | null;
  /**
   * A bridge port's settable options (IFLA_BRPORT_* attributes, base64, see
   * bridgePortOptions): re-enslaving it resets them, rollback sets them back.
   */
  brport?: string;
  /** Down and never opened (root qdisc `noop`): rollback gives back that placeholder qdisc. */
  neverOpened?: true;
  /** A link that was down: its promiscuity count (see restorePromiscuity in pre-state.ts). */
  promisc?: number;
}

/** The kernel state before step 1, as the journal keeps it. */
export interface PreState {
  links: PreLink[];
  /** RTM_NEWADDR / RTM_NEWROUTE / RTM_NEWNEIGH payloads (base64), in dump order. */
  addrs: string[];
  routes: string[];
  neighs: string[];
}

/** A link on its way out: taken down, detached, moved to DOOMED_GROUP and maybe renamed; deleted at commit. */
export interface DoomedLink {
  index: number;
  name: string;
  group: number;
  up: boolean;
  master: number | null;
}

/** Operations only rollback uses. */
export type UndoOp =
  | Op
  | { op: 'link-undoom'; links: DoomedLink[] }
  /** Put an address back exactly as it was: its RTM_NEWADDR from before step 1 (flags, metric, lifetimes, label). */
  | { op: 'addr-restore'; name: string; address: string; prefixlen: number; raw: string }
  /** Put a route back exactly as it was: its RTM_NEWROUTE from before step 1. */
  | { op: 'route-restore'; name: string; route: RouteWant; raw: string }
  | { op: 'link-del-owned'; name: string };

export interface Step {
  op: Op;
  /** Undo of this step, in execution order; computed from the pre-apply snapshot. */
  undo: UndoOp[];
}

export interface Journal {
  version: 2;
  id: string;
  bootId: string;
  netnsInode: number;
  netns: string | null;
  file: string | null;
  startedAt: string;
  pid: number;
  state: 'applying' | 'pending-confirm' | 'committing';
  /** With --confirm: revert unless confirmed by then (armed before step 1, re-armed after verify). */
  confirmDeadline?: number;
  /** sha256 of the applied configuration (JSON): recognises the unconfirmed file after a reboot. */
  configHash?: string;
  /** With --confirm: the configuration itself, kept as the confirmed one when `config confirm` runs. */
  config?: unknown;
  steps: Step[];
  pre: PreState;
  ownedBefore: OwnedLink[];
  ownedAfter?: OwnedLink[];
}

/** The links the steps doomed (deleted for good at commit, put back by rollback). */
export function doomedOf(steps: Step[]): DoomedLink[] {
  const out: DoomedLink[] = [];
  for (const s of steps) for (const u of s.undo) if (u.op === 'link-undoom') out.push(...u.links);
  return out;
}

export function describeUndo(u: UndoOp): string {
  if (u.op === 'link-del-owned') return `link del ${u.name}`;
  if (u.op === 'route-restore') return `${describeOp({ op: 'route-add', name: u.name, route: u.route })} (as it was)`;
  if (u.op === 'addr-restore') return `addr add ${u.address}/${u.prefixlen} dev ${u.name} (as it was)`;
  if (u.op === 'link-undoom') return u.links.map((l) => `link set ${l.index} name ${l.name} group ${l.group}${l.up ? ' up' : ''}`).join('; ');
  return describeOp(u);
}
