// The one errno table of nodectl: symbolic names for errno values and the text to show with
// them. In ebpf-ts because ebpf-ts stands alone (it imports nothing from nodectl); src/errors.ts
// re-exports it for netlink, packet sockets and every other layer, so an errno is named and
// explained the same way wherever it comes from.

// What the kernel and libbpf return beyond the C library's errnos: kernel-internal codes that
// leak through bpf(2) and netlink (include/linux/errno.h) and libbpf's LIBBPF_ERRNO__*.
const EXTRA: Record<number, string> = {
  512: 'ERESTARTSYS', 513: 'ERESTARTNOINTR', 514: 'ERESTARTNOHAND', 515: 'ENOIOCTLCMD', 516: 'ERESTART_RESTARTBLOCK', 517: 'EPROBE_DEFER', 518: 'EOPENSTALE', 519: 'ENOPARAM',
  521: 'EBADHANDLE', 522: 'ENOTSYNC', 523: 'EBADCOOKIE', 524: 'ENOTSUPP', 525: 'ETOOSMALL', 526: 'ESERVERFAULT', 527: 'EBADTYPE', 528: 'EJUKEBOX', 529: 'EIOCBQUEUED', 530: 'ERECALLCONFLICT',
  4000: 'LIBBPF_ELF', 4001: 'LIBBPF_FORMAT', 4002: 'LIBBPF_KVERSION', 4003: 'LIBBPF_ENDIAN', 4004: 'LIBBPF_INTERNAL', 4005: 'LIBBPF_RELOC',
  4006: 'LIBBPF_LOAD', 4007: 'LIBBPF_VERIFY', 4008: 'LIBBPF_PROG2BIG', 4009: 'LIBBPF_KVER', 4010: 'LIBBPF_PROGTYPE',
};

// Values with two names in <errno.h>: the one strerror(3) and iproute2 users know.
const PREFERRED = ['EAGAIN', 'EDEADLK', 'EOPNOTSUPP'];

let names: Map<number, string> | undefined;

/** Built at first use, so that the paths that never meet an errno (link list) do not load node:os. */
function table(): Map<number, string> {
  if (names) return names;
  const { errno } = process.getBuiltinModule('os').constants as { errno: Record<string, number> };
  names = new Map(Object.entries(errno).map(([name, value]) => [value, name]));
  for (const name of PREFERRED) names.set(errno[name]!, name);
  for (const [value, name] of Object.entries(EXTRA)) names.set(Number(value), name);
  return names;
}

/** The symbolic name of a positive errno value ('EEXIST'); `E<n>` for a value nothing names. */
export function errnoName(errno: number): string {
  return table().get(Math.abs(errno)) ?? `E${Math.abs(errno)}`;
}

const TEXT: Record<string, string> = {
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ESRCH: 'no such process',
  EINTR: 'interrupted',
  EIO: 'input/output error',
  ENXIO: 'no such device or address',
  E2BIG: 'argument list too long',
  EBADF: 'bad file descriptor',
  EAGAIN: 'resource temporarily unavailable',
  ENOMEM: 'cannot allocate memory',
  EACCES: 'permission denied',
  EFAULT: 'bad address',
  EBUSY: 'device or resource busy',
  EEXIST: 'file exists',
  ENODEV: 'no such device',
  ENOTDIR: 'not a directory',
  EINVAL: 'invalid argument',
  ENFILE: 'too many open files in system',
  EMFILE: 'too many open files',
  ENOSPC: 'no space left on device',
  ERANGE: 'numerical result out of range',
  EDEADLK: 'resource deadlock avoided',
  ENAMETOOLONG: 'file name too long',
  ENOSYS: 'function not implemented',
  ENOTEMPTY: 'directory not empty',
  ELOOP: 'too many levels of symbolic links',
  ENOLINK: 'link has been severed',
  EMSGSIZE: 'message too long',
  EPROTONOSUPPORT: 'protocol not supported',
  ENOTSUP: 'operation not supported',
  EOPNOTSUPP: 'operation not supported',
  EAFNOSUPPORT: 'address family not supported by protocol',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'cannot assign requested address',
  ENETDOWN: 'network is down',
  ENETUNREACH: 'network is unreachable',
  ENOBUFS: 'no buffer space available',
  ENOTCONN: 'transport endpoint is not connected',
  ETIMEDOUT: 'connection timed out',
  ENOTUNIQ: 'name not unique on network',
  ENOTSUPP: 'operation not supported by the kernel',
  LIBBPF_ELF: 'libelf cannot read it',
  LIBBPF_FORMAT: 'not a valid BPF ELF object',
  LIBBPF_ENDIAN: 'built for the other byte order',
  LIBBPF_RELOC: 'relocation failed',
  LIBBPF_PROGTYPE: 'the kernel does not know the program type',
};

/** What an errno name means, in strerror(3)'s words ('' when there is nothing better than the name). */
export function describeErrno(name: string): string {
  return TEXT[name] ?? '';
}
