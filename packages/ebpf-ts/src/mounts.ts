// bpffs and tracefs, mounted by us when the machine has not (minimal containers and this
// project's CI do not mount them).
import { mkdirSync } from 'node:fs';
import { native } from './native.js';
import { BPF_FS_MAGIC, TRACEFS_MAGIC } from './consts.js';
import { fromNative } from './errors.js';

export const BPFFS = '/sys/fs/bpf';
export const TRACEFS = '/sys/kernel/tracing';

function fsType(path: string): number | undefined {
  try {
    return native.bpfStatfsType(path);
  } catch {
    return undefined;
  }
}

export function isBpffs(path: string): boolean {
  return fsType(path) === BPF_FS_MAGIC;
}

/** Mount bpffs at `dir` unless one is there; returns whether we mounted it. Mode 0700: pins are root's. */
export function ensureBpffs(dir = BPFFS): boolean {
  if (isBpffs(dir)) return false;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    native.bpfMount('bpf', dir, 'bpf', 'mode=0700');
  } catch (err) {
    throw fromNative(err, `mount bpffs at ${dir}`);
  }
  return true;
}

/** Mount tracefs at /sys/kernel/tracing unless it is there (classic tracepoints need their ids from it). */
export function ensureTracefs(dir = TRACEFS): boolean {
  if (fsType(dir) === TRACEFS_MAGIC) return false;
  try {
    native.bpfMount('tracefs', dir, 'tracefs', '');
  } catch (err) {
    throw fromNative(err, `mount tracefs at ${dir}`);
  }
  return true;
}
