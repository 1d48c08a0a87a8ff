import { createRequire } from 'node:module';
import type { NetlinkSocket } from 'netlink/dist/netlink.js';
import type { NetlinkMessage } from 'netlink/dist/structs.js';
import native from '../../native/index.js';
import { NetlinkError, PermissionError } from '../errors.js';
import { release } from 'node:os';
import { type Ack, NLMSG_ERROR, parseAck } from './ack.js';
import { attributeAt, attributeName } from './attr-names.js';
import { withNetns } from './netns.js';

type NetlinkModule = typeof import('netlink/dist/netlink.js');
type StructsModule = typeof import('netlink/dist/structs.js');
let netlinkModule: NetlinkModule | undefined;
let structsModule: StructsModule | undefined;

/**
 * The package's socket layer, loaded on the first Handle.open: one-shot readers (dump-once.ts)
 * never open a Handle and so skip it (~20 ms of start-up). Only the socket layer: the package's
 * index also loads its generated rtnetlink, nl80211 and WireGuard tables (~25 ms more) that
 * nodectl's own decoders make unnecessary.
 */
function netlinkPackage(): NetlinkModule {
  return (netlinkModule ??= createRequire(import.meta.url)('netlink/dist/netlink.js') as NetlinkModule);
}

/** The package's message framing, for requests queued while corked. */
function structsPackage(): StructsModule {
  return (structsModule ??= createRequire(import.meta.url)('netlink/dist/structs.js') as StructsModule);
}

const NETLINK_ROUTE = 0;
/** Bytes per recvmsg(); more than the kernel's 32 KiB cap on dump skbs. */
const RECV_BUFFER = 64 << 10;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_ACK = 0x4;
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;
/** On a dump's messages: the table changed while it was dumped, so the dump may miss or repeat objects. */
export const NLM_F_DUMP_INTR = 0x10;
/** Dumps tried before an interrupted one is reported (vishvananda/netlink returns ErrDumpInterrupted at once). */
export const DUMP_ATTEMPTS = 5;

/** rtnetlink message types (include/uapi/linux/rtnetlink.h). */
export const RTM = {
  NEWLINK: 16, DELLINK: 17, GETLINK: 18, SETLINK: 19,
  NEWADDR: 20, DELADDR: 21, GETADDR: 22,
  NEWROUTE: 24, DELROUTE: 25, GETROUTE: 26,
  NEWNEIGH: 28, DELNEIGH: 29, GETNEIGH: 30,
  NEWQDISC: 36, DELQDISC: 37, GETQDISC: 38,
  NEWNETCONF: 80, GETNETCONF: 82,
} as const;

const RTM_NAMES = new Map<number, string>(Object.entries(RTM).map(([k, v]) => [v, `RTM_${k}`]));
export function rtmName(type: number): string {
  return RTM_NAMES.get(type) ?? `RTM_${type}`;
}

/** rtnetlink multicast groups (RTNLGRP_*), for monitor sockets. */
export const RTNLGRP = {
  LINK: 1, NEIGH: 3, IPV4_IFADDR: 5, IPV4_ROUTE: 7, IPV6_IFADDR: 9, IPV6_ROUTE: 11,
  IPV4_NETCONF: 24, IPV6_NETCONF: 25,
} as const;

export interface HandleOptions {
  /** Network namespace name (under /run/netns) or path; default: the current one. */
  netns?: string;
  /** Multicast groups to join (RTNLGRP values): makes this a monitor socket. */
  groups?: number[];
  /** Receive buffer in bytes (forced when privileged); large dumps and monitors want more. */
  rcvbuf?: number;
  /**
   * How each datagram is read. 'bulk' (default): into a fresh 64 KiB block, fewest syscalls for
   * big dumps (see open). 'fit': peek at its size first and allocate exactly that. A long-lived
   * process wants 'fit': each block is malloc'd by the `netlink` package and handed to JS as an
   * external Buffer whose size V8 does not count, so V8 sees no reason to collect the garbage
   * ones that reached the old generation; the failover daemon read ~5 datagrams per move into
   * 64 KiB blocks and its RSS grew ~300 kB per move (issue 19).
   */
  recv?: 'bulk' | 'fit';
}

export interface RequestOptions {
  flags?: number;
  /** What the caller is doing, for the error message ("create vlan eth0.100"). */
  action?: string;
  /** The object acted on (interface name, address), for the error. */
  target?: string;
  /** Told each time a dump came back marked interrupted (NLM_F_DUMP_INTR) and is tried again. */
  onInterrupted?: (attempt: number) => void;
}

/**
 * An rtnetlink socket bound for life to one network namespace (like vishvananda/netlink's
 * Handle, or `ip -n NAME`). Every kernel call of nodectl goes through one of these.
 */
export class Handle {
  readonly netns: string | undefined;
  readonly socket: NetlinkSocket;
  private closed = false;

  private portCache: number | undefined;
  private get port(): number {
    this.portCache ??= this.socket.address().port;
    return this.portCache;
  }

  private constructor(netns: string | undefined, socket: NetlinkSocket) {
    this.netns = netns;
    this.socket = socket;
  }

  static open(opts: HandleOptions = {}): Handle {
    const socket = withNetns(opts.netns, () => {
      // A fixed 64 KiB receive buffer instead of the package's default peek-then-read: the
      // kernel sizes dump skbs after the largest recvmsg() buffer it has seen (max_recvmsg_len,
      // capped at 32 KiB), and peeking with 1 byte keeps them at ~4 KiB, i.e. two links per
      // syscall pair. With 64 KiB a 4,000-link dump takes ~10x fewer receives (bench/link-dump).
      const s = netlinkPackage().createNetlink(NETLINK_ROUTE, {
        ref: Boolean(opts.groups?.length),
        ...(opts.recv === 'fit' ? { messagePeeking: true } : { messagePeeking: false, msgBufferSize: RECV_BUFFER }),
      } as Parameters<NetlinkModule['createNetlink']>[1]);
      // A reply that did not fit would otherwise leave its request waiting forever.
      s.on('truncatedMessage', (buf: Buffer) => {
        const seq = buf.length >= 16 ? buf.readUInt32LE(8) : -1;
        const pending = (s as unknown as { requests: Map<number, (err: Error | null) => void> }).requests.get(seq);
        pending?.(new Error(`netlink message larger than ${RECV_BUFFER} bytes was truncated`));
      });
      try {
        native.netlinkTune(s.address().port, opts.rcvbuf ?? 4 << 20);
        for (const g of opts.groups ?? []) s.addMembership(g);
      } catch (err) {
        s.close();
        throw err;
      }
      return s;
    });
    return new Handle(opts.netns, socket);
  }

  /**
   * Send one request and wait for its answer: the reply messages (all parts of a dump), or []
   * for a plain ACK. A refusal becomes a NetlinkError with the errno name and the kernel's text.
   */
  async request(type: number, payload: Uint8Array | Uint8Array[], opts: RequestOptions = {}): Promise<NetlinkMessage[]> {
    if (this.closed) throw new Error('netlink handle used after close');
    // localPort: without it the package asks the kernel for the socket's port (getsockname) on every send
    const msgs = this.corked ? await this.queue(type, payload, opts.flags ?? 0) : (await this.socket.request(type, payload, { flags: opts.flags ?? 0, checkError: false, localPort: this.port }))[0];
    const out: NetlinkMessage[] = [];
    for (const m of msgs) {
      if (m.type !== NLMSG_ERROR) {
        out.push(m);
        continue;
      }
      const ack = parseAck(m.data, m.flags);
      if (ack.errno !== 0) throw refusal(type, ack, opts, Buffer.concat(Array.isArray(payload) ? payload : [payload]));
    }
    return out;
  }

  private corked: { parts: Uint8Array[]; fail: ((err: Error) => void)[] } | null = null;

  /**
   * From now on, queue requests instead of sending each: uncork() sends them all in one
   * datagram (one sendmsg instead of one per request, like a pipelined window of `ip -batch`).
   * The kernel still runs them one by one, in order, and acknowledges each on its own
   * (netlink_rcv_skb), so every request's promise settles with its own answer or refusal.
   */
  cork(): void {
    this.corked ??= { parts: [], fail: [] };
  }

  /** Send what was queued since cork(), and go back to sending each request at once. */
  uncork(): void {
    const c = this.corked;
    this.corked = null;
    if (!c?.parts.length) return;
    this.socket.socket.send(c.parts, {}, (err) => {
      if (err) for (const f of c.fail) f(err);
    });
  }

  private queue(type: number, payload: Uint8Array | Uint8Array[], flags: number): Promise<NetlinkMessage[]> {
    const c = this.corked!;
    // the package's own request bookkeeping (protected in its types): a callback per sequence number
    const s = this.socket as unknown as {
      generateSeq(): number; dropRef(seq: number): void;
      makeRef(seq: number, cb: (err: Error | null, msg?: NetlinkMessage[]) => void): number;
    };
    const seq = s.generateSeq();
    return new Promise<NetlinkMessage[]>((resolve, reject) => {
      s.makeRef(seq, (err, msg) => {
        s.dropRef(seq);
        if (err) reject(err);
        else resolve(msg ?? []);
      });
      c.fail.push((err) => { s.dropRef(seq); reject(err); });
      const parts = structsPackage().formatMessage({ type, flags: flags | NLM_F_REQUEST | NLM_F_ACK, seq, port: this.port, data: payload });
      c.parts.push(...parts);
      // messages in one datagram start at 4-byte boundaries (NLMSG_ALIGN)
      const len = parts.reduce((n, p) => n + p.length, 0);
      if (len % 4) c.parts.push(new Uint8Array(4 - (len % 4)));
    });
  }

  /**
   * A dump request (NLM_F_DUMP): every object of a kind. A dump the kernel marks interrupted
   * (the table changed under it: objects may be missing or repeated) is never returned: it is
   * asked again, up to DUMP_ATTEMPTS times, then refused with DumpInterruptedError.
   */
  async dump(type: number, payload: Uint8Array | Uint8Array[], opts: RequestOptions = {}): Promise<NetlinkMessage[]> {
    for (let attempt = 1; ; attempt++) {
      const msgs = await this.request(type, payload, { ...opts, flags: (opts.flags ?? 0) | NLM_F_DUMP });
      if (!msgs.some((m) => m.flags & NLM_F_DUMP_INTR)) return msgs;
      if (attempt >= DUMP_ATTEMPTS) throw new DumpInterruptedError(type, attempt, opts);
      opts.onInterrupted?.(attempt);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}

/**
 * The attribute a refusal is about, named from our request, and the kernel's release when what it
 * said depends on the kernel: an attribute it does not know ("Unknown attribute type", or a
 * policy it validates otherwise), or no words at all (older kernels give no extended ACK text
 * for many refusals, only the errno and, at best, the offset).
 */
function refusedAttribute(type: number, ack: Ack, request?: Buffer, kernel = release()): { attribute?: string; kernel?: string } {
  const attribute = ack.offset !== undefined && request ? attributeAt(type, request, ack.offset)
    : ack.missingType !== undefined ? `${attributeName(type, ack.missingType)} (missing)` : undefined;
  if (attribute === undefined) return {};
  const kernelDependent = ack.message === undefined || /unknown attribute|policy/i.test(ack.message);
  return kernelDependent ? { attribute, kernel } : { attribute };
}

/** The error for a kernel refusal of a request of this type: what Handle.request throws. */
export function refusal(type: number, ack: Ack, opts: RequestOptions = {}, request?: Buffer, kernel?: string): NetlinkError | PermissionError {
  const named = refusedAttribute(type, ack, request, kernel);
  if (ack.errnoName === 'EPERM' && process.geteuid?.() !== 0) {
    // still the kernel's errno, and its words when it gave any, for --json and the curious
    return new PermissionError('CAP_NET_ADMIN', opts.action ?? rtmName(type), {
      errno: 'EPERM', cause: new NetlinkError({ op: rtmName(type), errno: ack.errnoName, errnoValue: ack.errno, extack: ack.message, action: opts.action, target: opts.target, ...named }),
    });
  }
  return new NetlinkError({
    op: rtmName(type), errno: ack.errnoName, errnoValue: ack.errno, extack: ack.message,
    action: opts.action, target: opts.target, ...named,
  });
}

/**
 * A dump that came back marked interrupted (NLM_F_DUMP_INTR) DUMP_ATTEMPTS times in a row:
 * something keeps changing the table. Its result would be a mix of before and after, so none is
 * given.
 */
export class DumpInterruptedError extends NetlinkError {
  readonly attempts: number;
  readonly type: number;
  readonly request: Pick<RequestOptions, 'action' | 'target'>;
  constructor(type: number, attempts: number, opts: RequestOptions = {}) {
    super({
      op: rtmName(type), errno: 'EINTR', errnoValue: 4, action: opts.action, target: opts.target,
      extack: `the dump was interrupted ${attempts} times in a row (NLM_F_DUMP_INTR): the table kept changing while it was read`,
      hint: 'something else is changing this namespace right now; try again when it is quiet',
    });
    this.attempts = attempts;
    this.type = type;
    this.request = { action: opts.action, target: opts.target };
  }
}

/**
 * Run a whole read that streams one or more dumps (dump-once.ts) until none of them was
 * interrupted: read() builds its result from scratch on each call, and throws
 * DumpInterruptedError as soon as a dump is marked interrupted (the rest is not read). After
 * DUMP_ATTEMPTS interrupted reads the error goes to the caller.
 */
export function consistently<T>(read: () => T, opts: Pick<RequestOptions, 'onInterrupted'> = {}): T {
  for (let attempt = 1; ; attempt++) {
    try {
      return read();
    } catch (err) {
      if (!(err instanceof DumpInterruptedError)) throw err;
      if (attempt >= DUMP_ATTEMPTS) throw new DumpInterruptedError(err.type, attempt, err.request);
      opts.onInterrupted?.(attempt);
    }
  }
}

/** Open a handle, run fn, always close it. */
export async function withHandle<T>(opts: HandleOptions, fn: (h: Handle) => Promise<T>): Promise<T> {
  const h = Handle.open(opts);
  try {
    return await fn(h);
  } finally {
    h.close();
  }
}
