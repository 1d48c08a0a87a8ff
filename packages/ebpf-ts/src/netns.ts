// Where an ifindex-based attach runs. ebpf-ts does not know how its host names namespaces, so
// it takes an fd, a path, or the host's own synchronous "run this inside" hook.
import { closeSync, openSync } from 'node:fs';
import { BpfNotFoundError } from './errors.js';

export interface NetnsOption {
  /** fd of a network namespace (open('/run/netns/NAME')); the attach call runs inside it. */
  netnsFd?: number;
  /** Path of a network namespace file (/run/netns/NAME, /proc/PID/ns/net). */
  netnsPath?: string;
  /** The host's way to run a synchronous fn with the thread inside the namespace (nodectl: withNetns). */
  inNetns?: <T>(fn: () => T) => T;
}

/** Run `fn` with the namespace as an fd for the addon (-1: the current one), or inside inNetns. */
export function runInNetns<T>(opts: NetnsOption, fn: (netnsFd: number) => T): T {
  if (opts.inNetns) return opts.inNetns(() => fn(-1));
  if (opts.netnsFd !== undefined) return fn(opts.netnsFd);
  if (opts.netnsPath) {
    let fd: number;
    try {
      fd = openSync(opts.netnsPath, 'r');
    } catch (err) {
      throw new BpfNotFoundError('namespace', opts.netnsPath, `(${(err as NodeJS.ErrnoException).code ?? 'cannot open'})`, { op: 'open' });
    }
    try {
      return fn(fd);
    } finally {
      closeSync(fd);
    }
  }
  return fn(-1);
}

export function describeNetns(opts: NetnsOption): string {
  if (opts.netnsPath) return ` in namespace ${opts.netnsPath}`;
  if (opts.netnsFd !== undefined) return ' in the given namespace';
  if (opts.inNetns) return ' in the target namespace';
  return '';
}
