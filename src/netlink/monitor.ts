// rtnetlink notifications (like `ip monitor`), decoded with the same decoders as the dumps.
import { EventEmitter } from 'node:events';
import type { NetlinkMessage } from 'netlink';
import { type Addr, decodeAddr } from './addr.js';
import { Handle, RTM, RTNLGRP } from './handle.js';
import { decodeLink, type Link } from './link.js';
import { decodeNeigh, type Neigh } from './neigh.js';
import { DropCounter } from './overrun.js';
import { decodeRoute, type Route } from './route.js';

const AF_BRIDGE = 7;

export type MonitorGroup = 'link' | 'addr' | 'neigh' | 'route';
export const MONITOR_GROUPS: readonly MonitorGroup[] = ['link', 'addr', 'neigh', 'route'];

const GROUPS: Record<MonitorGroup, number[]> = {
  link: [RTNLGRP.LINK],
  addr: [RTNLGRP.IPV4_IFADDR, RTNLGRP.IPV6_IFADDR],
  neigh: [RTNLGRP.NEIGH],
  route: [RTNLGRP.IPV4_ROUTE, RTNLGRP.IPV6_ROUTE],
};

export interface MonitorEvent {
  type: MonitorGroup;
  action: 'new' | 'del';
  /**
   * 'bridge' on a link notification of family AF_BRIDGE: the bridge layer's own message about a
   * port (its STP state, joining or leaving: `ip monitor` prints these as bridge lines), whose
   * attributes are not the link's (no IFLA_LINKINFO: it decodes as kind "device").
   */
  family?: 'bridge';
  link?: Link;
  addr?: Addr;
  neigh?: Neigh;
  route?: Route;
}

/** Decode one notification; null for message types and families the monitor does not report. */
export function decodeEvent(type: number, data: Buffer): MonitorEvent | null {
  switch (type) {
    case RTM.NEWLINK:
    case RTM.DELLINK: {
      const ev: MonitorEvent = { type: 'link', action: type === RTM.NEWLINK ? 'new' : 'del', link: decodeLink(data, 0, data.length) };
      if (data[0] === AF_BRIDGE) ev.family = 'bridge';
      return ev;
    }
    case RTM.NEWADDR:
    case RTM.DELADDR: {
      const addr = decodeAddr(data, 0, data.length);
      return addr && { type: 'addr', action: type === RTM.NEWADDR ? 'new' : 'del', addr };
    }
    case RTM.NEWNEIGH:
    case RTM.DELNEIGH: {
      const neigh = decodeNeigh(data, 0, data.length);
      return neigh && { type: 'neigh', action: type === RTM.NEWNEIGH ? 'new' : 'del', neigh };
    }
    case RTM.NEWROUTE:
    case RTM.DELROUTE: {
      const route = decodeRoute(data, 0, data.length);
      return route && { type: 'route', action: type === RTM.NEWROUTE ? 'new' : 'del', route };
    }
    default:
      return null;
  }
}

export interface MonitorOptions {
  netns?: string;
  groups: MonitorGroup[];
  /** Socket receive buffer; a bigger one survives longer bursts before 'overrun'. */
  rcvbuf?: number;
}

/**
 * A multicast rtnetlink socket in one namespace. Emits 'event' (MonitorEvent) for every
 * notification, 'overrun' (with the number lost) when the kernel dropped notifications because
 * the socket buffer was full: the consumer's picture is stale and it must dump again.
 * Overruns are counted (NETLINK_NO_ENOBUFS + the socket's drop counter, see overrun.ts), never
 * raised as ENOBUFS: the `netlink` package aborts the process on a receive error. The count is
 * checked after every batch of notifications and every CHECK_MS while quiet.
 */
const CHECK_MS = 250;

export class Monitor extends EventEmitter {
  readonly handle: Handle;
  private readonly drops: DropCounter;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  private constructor(handle: Handle) {
    super();
    this.handle = handle;
    this.drops = DropCounter.attach(handle);
    handle.socket.on('message', (msgs: NetlinkMessage[]) => {
      for (const m of msgs) {
        const ev = decodeEvent(m.type, m.data);
        if (ev) this.emit('event', ev);
      }
      this.checkDrops();
    });
    handle.socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOBUFS') this.emit('overrun', 0);
      else if (this.listenerCount('error')) this.emit('error', err);
    });
    this.timer = setInterval(() => this.checkDrops(), CHECK_MS);
    this.timer.unref();
  }

  private checkDrops(): void {
    if (this.closed) return;
    const n = this.drops.newDrops();
    if (n > 0) this.emit('overrun', n);
  }

  static open(opts: MonitorOptions): Monitor {
    const groups = [...new Set(opts.groups.flatMap((g) => GROUPS[g]))];
    // 'fit': a notification is one small datagram; a 64 KiB block for each is waste, and in a
    // long-lived monitor it was garbage V8 did not see (see HandleOptions.recv).
    return new Monitor(Handle.open({ netns: opts.netns, groups, rcvbuf: opts.rcvbuf ?? 8 << 20, recv: 'fit' }));
  }

  /** The next event matching pred (for scripts and tests), or reject after timeoutMs. */
  next(pred: (e: MonitorEvent) => boolean = () => true, timeoutMs = 5000): Promise<MonitorEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('event', on);
        reject(new Error(`no matching rtnetlink event within ${timeoutMs} ms`));
      }, timeoutMs);
      const on = (e: MonitorEvent): void => {
        if (!pred(e)) return;
        clearTimeout(timer);
        this.off('event', on);
        resolve(e);
      };
      this.on('event', on);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.handle.close();
    this.emit('close');
  }
}
