// One datagram to a unix datagram socket (a path, or '@name' for an abstract one): what
// sd_notify(3) sends to systemd's NOTIFY_SOCKET. Node's dgram module has no AF_UNIX, and a
// stream connection (net) is refused by a SOCK_DGRAM listener, so the native addon makes the
// one sendto(). Non-blocking: a backlogged receiver costs a lost datagram (EAGAIN), never a
// blocked event loop.
import native from '../../native/index.js';

/** Send TEXT; throws the native errno error (code ENOENT, ECONNREFUSED, EAGAIN, ...). */
export function sendUnixDatagram(path: string, text: string): void {
  native.unixDgramSend(path, Buffer.from(text, 'utf8'));
}
