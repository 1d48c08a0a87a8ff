// The interface groups of a transaction (IFLA_GROUP; `ip link show group N`).
import { OWNED_GROUP } from '../interfaces/planner.js';

/** Links a running apply deletes wait here, down, until the commit deletes the whole group. */
export const DOOMED_GROUP = OWNED_GROUP + 1;

/** Links a rollback deletes (the apply's own creations) are moved here for one group delete. */
export const UNDO_GROUP = OWNED_GROUP + 2;

/** The name a doomed link takes when the plan re-uses its name: ≤ 15 bytes, from its ifindex. */
export function doomedName(ifindex: number): string {
  return `ncd${ifindex}`;
}
