import type { ErrorCode } from '../errors.js';

/**
 * Exit statuses, one per error class (the README's table is generated from this).
 * 0 success; 2 is also "drift found" for `config plan`, like diff(1).
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
