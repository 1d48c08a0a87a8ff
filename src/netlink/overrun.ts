// Lost rtnetlink notifications, counted instead of raised. A monitor socket that overflows gets
// ENOBUFS as a socket error by default; the `netlink` package's poll loop treats that as fatal
// (EPOLLERR: the socket is closed, or the process aborts). With NETLINK_NO_ENOBUFS the kernel
// only counts the dropped messages, and the consumer compares the count to know it must dump.
import native from '../../native/index.js';
import type { Handle } from './handle.js';

export class DropCounter {
  private readonly fd: number;
  private last: number;

  private constructor(fd: number) {
    this.fd = fd;
    this.last = native.socketDrops(fd);
  }

  /** Switch the monitor socket of `h` to counted overruns. */
  static attach(h: Handle): DropCounter {
    const fd = native.netlinkTune(h.socket.address().port);
    native.netlinkNoEnobufs(fd);
    return new DropCounter(fd);
  }

  /** How many notifications were lost since the previous call (0 when none). */
  newDrops(): number {
    const now = native.socketDrops(this.fd);
    const d = now - this.last;
    this.last = now;
    return d;
  }
}
