// Types of the N-API addon. The addon only wraps syscalls and libbpf; all policy is in TypeScript.
// Errors thrown by it carry `errno` (number), `code` (e.g. 'EPERM') and `syscall`.

export interface NativeErrno extends Error {
  errno: number;
  code: string;
  syscall: string;
}

export interface NativeAddon {
  // --- network namespaces (native/src/netns.cc) ---
  /** Switch the calling (main) thread into the namespace open at targetFd; returns the previous one's fd. */
  netnsEnter(targetFd: number): number;
  /** Switch back to the namespace from netnsEnter and close its fd; aborts the process if impossible. */
  netnsRestore(origFd: number): void;
  /** Inode number of the calling thread's current network namespace. */
  netnsCurrentInode(): number;
  /** Enable NETLINK_EXT_ACK and NETLINK_CAP_ACK (and optionally a forced receive buffer) on the netlink socket bound to portId; returns its fd. */
  netlinkTune(portId: number, rcvbuf?: number): number;
}

declare const addon: NativeAddon;
export default addon;
