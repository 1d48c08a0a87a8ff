// The ARP functions are called by commands (which know only a namespace name) and by other
// domain code that already holds a netlink Handle (failover, config apply): accept either.
import { Handle, withHandle } from '../netlink/handle.js';

export type Target = Handle | { netns?: string };

export function netnsOf(target: Target): string | undefined {
  return target.netns;
}

/** Run fn with the caller's Handle, or one opened (and closed) for this call. */
export async function withTarget<T>(target: Target, fn: (h: Handle) => Promise<T>): Promise<T> {
  if (target instanceof Handle) return fn(target);
  return withHandle(target.netns ? { netns: target.netns } : {}, fn);
}
