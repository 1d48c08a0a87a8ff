import type { ErrorCode } from '../errors.js';

/**
 * Exit statuses, one per error class (the README's table is checked against this:
 * test/unit/readme-exit-codes.test.ts). 0 success. No status means two things: `config plan`'s
 * "drift found" is PLAN_DRIFT, outside this table.
 */
export const EXIT: Record<ErrorCode | 'INTERNAL', number> = {
  NETLINK: 1,
  BPF: 1,
  VERIFIER: 1,
  STATE: 1,
  TIMEOUT: 1,
  APPLY_FAILED: 1,
  IO: 1,
  USAGE: 2,
  CONFIG_INVALID: 3,
  NOT_FOUND: 4,
  PERMISSION: 5,
  UNSUPPORTED: 6,
  INTERNAL: 70,
};

/**
 * `config plan` found drift: not an error, and unlike any error's status, so a script tells
 * "the node would change" from a typo (it was 2, USAGE's status too, issue 23). 100 is what
 * `dnf check-update` and `yum check-update` exit with when updates are pending.
 */
export const PLAN_DRIFT = 100;
