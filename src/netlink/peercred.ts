// SO_PEERCRED for Node's unix sockets: who is at the other end, as the kernel recorded it at
// connect(). Node has no API for it; the native addon makes the one getsockopt.
import type { Socket } from 'node:net';
import native from '../../native/index.js';

export interface PeerCred { pid: number; uid: number; gid: number }

/** The peer of an accepted unix-socket connection, or null if the kernel cannot say. */
export function peerCred(sock: Socket): PeerCred | null {
  // net.Socket keeps its descriptor on the libuv handle; unix sockets expose it as `fd`.
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  try {
    return native.peerCred(fd);
  } catch {
    return null;
  }
}
