// Pinning: a map, program or link given a path on bpffs outlives this process. Pins are files
// of mode 0600 (root's), and bpffs is mounted at /sys/fs/bpf when it is not.
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { native } from './native.js';
import { BpfError, BpfNotFoundError, fromNative } from './errors.js';
import { BPFFS, ensureBpffs, isBpffs } from './mounts.js';
import { BpfMap } from './map.js';
import type { Layout } from './layout.js';

function prepareDir(path: string): void {
  if (path === BPFFS || path.startsWith(`${BPFFS}/`)) ensureBpffs(BPFFS);
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!isBpffs(dir)) throw new BpfError(`cannot pin at ${path}: ${dir} is not on a bpf file system (mount -t bpf bpf ${dir})`, { op: 'BPF_OBJ_PIN', errno: 'EINVAL', errnoValue: 22 });
}

/** Pin whatever has a kernel fd (BpfMap, BpfProgram, or a raw fd) at `path`. */
export function pinFd(fd: number, path: string, what = 'object'): void {
  prepareDir(path);
  try {
    native.bpfObjPin(fd, path);
  } catch (err) {
    throw fromNative(err, `pin ${what} at ${path}`);
  }
  chmodSync(path, 0o600);
}

export function pinMap(map: BpfMap<unknown, unknown>, path: string): void {
  pinFd(map.fd, path, `map ${map.name}`);
}

/** Remove a pin; false when there was none. Only bpffs files are removed. */
export function unpin(path: string): boolean {
  try {
    lstatSync(path);
  } catch {
    return false;
  }
  if (!isBpffs(dirname(path))) throw new BpfError(`refusing to unpin ${path}: not on a bpf file system`, { op: 'unlink', errno: 'EINVAL', errnoValue: 22 });
  unlinkSync(path);
  return true;
}

/** Open a pinned map (the fd is ours: close() it). */
export function openPinnedMap<K = Buffer, V = Buffer>(path: string, layouts?: { key: Layout<K>; value: Layout<V> }): BpfMap<K, V> {
  let fd: number;
  try {
    fd = native.bpfObjGet(path);
  } catch (err) {
    const e = err as { code?: string };
    if (e.code === 'ENOENT') throw new BpfNotFoundError('pinned object', path, undefined, { op: 'BPF_OBJ_GET' });
    throw fromNative(err, `open pinned map ${path}`);
  }
  let info;
  try {
    info = native.bpfMapInfo(fd);
  } catch (err) {
    native.bpfCloseFd(fd);
    throw new BpfError(`${path} is not a pinned map`, { op: 'BPF_OBJ_GET_INFO_BY_FD', errno: 'EINVAL', errnoValue: 22, cause: err });
  }
  return new BpfMap<K, V>(fd, info, layouts ?? {}, true);
}
