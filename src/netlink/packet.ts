import { EventEmitter } from 'node:events';
import native, { type NativeErrno, type NativePacketSocket } from '../../native/index.js';
import { describeErrno, IoError, NotFoundError, PermissionError } from '../errors.js';
import { withNetns } from './netns.js';

/** Ethertypes (include/uapi/linux/if_ether.h) callers commonly bind to. */
export const ETH_P = { ALL: 0x0003, IP: 0x0800, ARP: 0x0806, IPV6: 0x86dd } as const;

/** sll_pkttype of a received frame (include/uapi/linux/if_packet.h). */
export const PACKET_TYPE = { HOST: 0, BROADCAST: 1, MULTICAST: 2, OTHERHOST: 3, OUTGOING: 4 } as const;

export interface PacketSocketOptions {
  /** Network namespace (name under /run/netns or path) the interface lives in. */
  netns?: string;
  /** The interface, by index or by name (resolved inside the namespace). */
  ifindex?: number;
  ifname?: string;
  /**
   * Ethertype to receive (host order), e.g. ETH_P.ARP, or ETH_P.ALL for everything incl. our
   * own outgoing frames. 0 makes a send-only socket that never queues a received frame.
   */
  protocol: number;
  /** Do not see frames this host sends (PACKET_IGNORE_OUTGOING, Linux 4.20+). */
  ignoreOutgoing?: boolean;
}

export interface FrameInfo {
  /** PACKET_TYPE value: to us, broadcast, multicast, to another host, or sent by us. */
  pkttype: number;
  /** The frame's length on the wire (the buffer is cut at 64 KiB). */
  length: number;
}

interface PacketSocketEvents {
  frame: [frame: Buffer, info: FrameInfo];
  error: [err: Error];
  newListener: [event: string | symbol];
  removeListener: [event: string | symbol];
}

/**
 * A raw Ethernet socket on one interface: send whole frames, receive them as 'frame' events
 * polled on the event loop (never blocking it). Receiving starts with the first 'frame'
 * listener and stops when the last one goes, so a sender-only socket costs nothing.
 */
export class PacketSocket extends EventEmitter<PacketSocketEvents> {
  readonly ifindex: number;
  /** The name it was opened by (for messages), else "ifindex N". */
  readonly label: string;
  readonly protocol: number;
  readonly netns: string | undefined;
  private sock: NativePacketSocket | null;
  private started = false;
  private refed = true;

  private constructor(sock: NativePacketSocket, ifindex: number, label: string, protocol: number, netns: string | undefined) {
    super();
    this.sock = sock;
    this.ifindex = ifindex;
    this.label = label;
    this.protocol = protocol;
    this.netns = netns;
    this.on('newListener', (event: string | symbol) => {
      if (event === 'frame') queueMicrotask(() => this.sync());
    });
    this.on('removeListener', (event: string | symbol) => {
      if (event === 'frame') this.sync();
    });
  }

  static open(opts: PacketSocketOptions): PacketSocket {
    const what = `opening a packet socket on ${opts.ifname ?? `ifindex ${opts.ifindex}`}`;
    const { sock, ifindex } = withNetns(opts.netns, () => {
      let ifindex = opts.ifindex ?? 0;
      if (!ifindex && opts.ifname) ifindex = native.ifNameToIndex(opts.ifname);
      if (!ifindex) throw new NotFoundError('interface', opts.ifname ?? String(opts.ifindex), opts.netns ? `in network namespace ${opts.netns}` : undefined);
      try {
        return { sock: new native.PacketSocket(ifindex, opts.protocol, { ignoreOutgoing: opts.ignoreOutgoing ?? false }), ifindex };
      } catch (err) {
        throw packetError(err, what, opts.ifname ?? String(ifindex));
      }
    });
    return new PacketSocket(sock, ifindex, opts.ifname ?? `ifindex ${ifindex}`, opts.protocol, opts.netns);
  }

  /** Send one complete Ethernet frame (destination MAC first). */
  send(frame: Uint8Array): number {
    if (!this.sock) throw new Error('packet socket used after close');
    try {
      return this.sock.send(frame);
    } catch (err) {
      throw packetError(err, 'sending a frame', this.label);
    }
  }

  /** Whether a receiving socket keeps the process alive (like net.Socket's ref/unref). */
  ref(): this {
    this.refed = true;
    this.sock?.setRef(true);
    return this;
  }

  unref(): this {
    this.refed = false;
    this.sock?.setRef(false);
    return this;
  }

  get closed(): boolean {
    return this.sock === null;
  }

  close(): void {
    if (!this.sock) return;
    this.sock.close();
    this.sock = null;
    this.started = false;
  }

  private sync(): void {
    if (!this.sock) return;
    const want = this.listenerCount('frame') > 0;
    if (want && !this.started) {
      this.sock.start((err, frame, pkttype, length) => {
        if (err) {
          this.emit('error', packetError(err, 'receiving frames', this.label));
          return;
        }
        this.emit('frame', frame as Buffer, { pkttype: pkttype as number, length: length as number });
      });
      this.sock.setRef(this.refed);
      this.started = true;
    } else if (!want && this.started) {
      this.sock.stop();
      this.started = false;
    }
  }
}

function packetError(err: unknown, doing: string, target: string): Error {
  const e = err as NativeErrno;
  if (e.code === 'EPERM' || e.code === 'EACCES') return new PermissionError('CAP_NET_RAW', doing);
  if (e.code === 'ENODEV' || e.code === 'ENXIO') return new NotFoundError('interface', target);
  if (typeof e.code === 'string' && e.code.startsWith('E')) {
    const text = describeErrno(e.code);
    return new IoError(`${doing} on ${target} failed: ${e.syscall ?? 'syscall'} ${e.code}${text ? `: ${text}` : ''}`, e.code, { syscall: e.syscall, cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}
