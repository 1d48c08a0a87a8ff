import { closeSync, existsSync, openSync } from 'node:fs';
import native from '../../native/index.js';
import { NotFoundError, PermissionError } from '../errors.js';

/** Where `ip netns add NAME` puts the namespace handle (iproute2's NETNS_RUN_DIR). */
export const NETNS_RUN_DIR = '/run/netns';

/** A namespace as the user names it: a name under /run/netns (like `ip -n`), or a path. */
export function netnsPath(netns: string): string {
  return netns.includes('/') ? netns : `${NETNS_RUN_DIR}/${netns}`;
}

/**
 * Run `fn` with the main thread inside `netns`, then come back before anything else can run.
 * `fn` must be synchronous (creating a socket is); the namespace a socket is created in sticks
 * to it for life, so this window is all a netns-bound Handle ever needs.
 */
export function withNetns<T>(netns: string | undefined, fn: () => T): T {
  if (!netns) return fn();
  const path = netnsPath(netns);
  let target: number;
  try {
    target = openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new PermissionError('CAP_SYS_ADMIN', `entering network namespace ${netns}`);
    throw new NotFoundError('network namespace', netns, existsSync(NETNS_RUN_DIR) ? `(no ${path})` : `(no ${NETNS_RUN_DIR})`);
  }
  let orig: number;
  try {
    orig = native.netnsEnter(target);
  } catch (err) {
    closeSync(target);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPERM') throw new PermissionError('CAP_SYS_ADMIN', `entering network namespace ${netns}`);
    if (code === 'EINVAL') throw new NotFoundError('network namespace', netns, `(${path} is not a network namespace)`);
    throw err;
  }
  try {
    return fn();
  } finally {
    native.netnsRestore(orig);
    closeSync(target);
  }
}
