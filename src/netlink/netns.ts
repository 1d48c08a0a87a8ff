import { closeSync, existsSync, openSync } from 'node:fs';
import native from '../../native/index.js';
import { NotFoundError, PermissionError, UnsupportedError } from '../errors.js';

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

/** A network namespace that no name refers to (see anonymousNetns). */
export interface AnonymousNetns {
  /** Its path for withNetns, Handle.open and the one-shot dumps: this process's fd of it. */
  readonly path: string;
  /** Let it go: the kernel removes it, and every link in it, once its sockets are closed too. */
  close(): void;
}

/**
 * A new, empty network namespace held only by an fd of this process. Unlike `ip netns add`, it
 * has no entry under /run/netns: whatever ends this process (SIGKILL too) ends it, so nothing can
 * leak and nothing needs reaping.
 */
export function anonymousNetns(doing: string): AnonymousNetns {
  const create = (native as { netnsCreate?: () => number }).netnsCreate;
  if (!create) throw new UnsupportedError('anonymous network namespaces', 'the native addon predates netnsCreate (rebuild it: npm run build:native)');
  let fd: number;
  try {
    fd = create();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPERM') throw new PermissionError('CAP_SYS_ADMIN', doing, { errno: 'EPERM' });
    if (code === 'EINVAL' || code === 'ENOSPC' || code === 'EUSERS') throw new UnsupportedError('new network namespaces', `unshare(CLONE_NEWNET): ${code}`, undefined, { cause: err });
    throw err;
  }
  let open = true;
  return {
    path: `/proc/self/fd/${fd}`,
    close: () => {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
