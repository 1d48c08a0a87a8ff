// Types of nodectl's N-API addon. It only wraps syscalls; all policy is in TypeScript (libbpf is
// the ebpf-ts package's own addon).
// Errors thrown by it carry `errno` (number), `code` (e.g. 'EPERM') and `syscall`.

export interface NativeErrno extends Error {
  errno: number;
  code: string;
  syscall: string;
}

/** A packet socket bound to one interface and ethertype (frames from the Ethernet header on). */
export interface NativePacketSocket {
  readonly fd: number;
  /** Send one complete frame; returns the bytes sent. Throws NativeErrno (e.g. ENETDOWN). */
  send(frame: Uint8Array): number;
  /**
   * Poll the socket on the libuv loop; `cb` runs once per received frame (err set instead on a
   * socket error). pkttype is PACKET_HOST(0)/BROADCAST(1)/MULTICAST(2)/OTHERHOST(3)/OUTGOING(4);
   * length is the frame's real length (frame is truncated at 64 KiB).
   */
  start(cb: (err: NativeErrno | null, frame?: Buffer, pkttype?: number, length?: number) => void): void;
  stop(): void;
  /** Whether a started socket keeps the event loop alive (default true). */
  setRef(ref: boolean): void;
  close(): void;
}

export interface NativeAddon {
  // --- network namespaces (native/src/netns.cc) ---
  /** Switch the calling (main) thread into the namespace open at targetFd; returns the previous one's fd. */
  netnsEnter(targetFd: number): number;
  /** Switch back to the namespace from netnsEnter and close its fd; aborts the process if impossible. */
  netnsRestore(origFd: number): void;
  /**
   * A new, empty network namespace with no name: returns an fd of it (close it to let it go). It
   * lives while the fd or a socket in it is open, so it vanishes with the process, even on SIGKILL.
   */
  netnsCreate(): number;
  /** Inode number of the calling thread's current network namespace. */
  netnsCurrentInode(): number;
  /** Credentials of the peer of a connected unix socket (getsockopt SO_PEERCRED). */
  peerCred(fd: number): { pid: number; uid: number; gid: number };
  /**
   * Send one datagram to the unix datagram socket at path ('@name': abstract), non-blocking;
   * returns the bytes sent. sd_notify(3)'s syscall: Node's dgram has no AF_UNIX.
   */
  unixDgramSend(path: string, data: Uint8Array): number;
  /** Enable NETLINK_EXT_ACK and NETLINK_CAP_ACK (and optionally a forced receive buffer) on the netlink socket bound to portId; returns its fd. */
  netlinkTune(portId: number, rcvbuf?: number): number;
  /** Set NETLINK_NO_ENOBUFS on the netlink socket fd: overruns are counted (socketDrops), not raised as a socket error. */
  netlinkNoEnobufs(fd: number): void;
  /** Packets the kernel dropped on this socket (SO_MEMINFO SK_MEMINFO_DROPS): for netlink, lost notifications. */
  socketDrops(fd: number): number;
  /**
   * One-shot netlink request for blocking reads (native/src/netlink_dump.cc): a fresh socket of
   * `protocol` in the calling thread's namespace that has sent the request; returns its fd (the
   * caller closes it). For one-shot dumps; Handle is for everything else.
   */
  netlinkDumpOpen(protocol: number, type: number, flags: number, payload: Uint8Array): number;
  /**
   * One blocking recv() on a netlinkDumpOpen fd: bytes of reply messages now at the start of buf.
   * With `index`, message i's top-level attributes (after its fixed header of hdrLen bytes) are
   * indexed in index[i * 128, (i + 1) * 128): [start, end) of type t's value at 2t, start 0 when absent.
   */
  netlinkDumpRead(fd: number, buf: Uint8Array, index?: Int32Array, hdrLen?: number): number;
  /**
   * `link list --json` of a link dump (native/src/link_json.cc): source is a netlinkDumpOpen fd of
   * an RTM_GETLINK dump (read to its end) or recorded nlmsghdr-framed messages; indent as
   * JSON.stringify's, or -1 for writeJson's rule (2 when outFd is a terminal, else none). With outFd the document is written there (true); else returned. null: not
   * renderable exactly as the TypeScript path would, or the dump was refused: use that path.
   */
  linkListJson(source: number | Uint8Array, indent: number, outFd?: number): Buffer | boolean | null;

  // --- packet sockets (native/src/packet.cc) ---
  /** An AF_PACKET SOCK_RAW socket; construct it inside withNetns for a foreign namespace. */
  PacketSocket: new (ifindex: number, protocol: number, opts?: { ignoreOutgoing?: boolean }) => NativePacketSocket;
  /** if_nametoindex(3) in the calling thread's namespace; 0 when there is no such interface. */
  ifNameToIndex(name: string): number;
}

declare const addon: NativeAddon;
export default addon;
