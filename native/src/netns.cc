// Network-namespace entry for the main thread, for exactly as long as it takes to create a
// socket. setns(2) switches only the calling thread; the JS side restores it in a finally.
#include "addon.h"
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <cstddef>
#include <cstring>
#include <string>
#include <unistd.h>
#include <cstdlib>

// netnsEnter(targetFd) -> fd of the namespace the thread was in before.
static Napi::Value NetnsEnter(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int target = info[0].As<Napi::Number>().Int32Value();
  int orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (orig < 0) throw ErrnoError(env, "open(/proc/thread-self/ns/net)", errno);
  if (setns(target, CLONE_NEWNET) != 0) {
    int err = errno;
    close(orig);
    throw ErrnoError(env, "setns", err);
  }
  return Napi::Number::New(env, orig);
}

// netnsRestore(origFd): go back and close it. Aborts the process if it cannot, because a main
// thread left in a foreign namespace would silently act on the wrong node.
static Napi::Value NetnsRestore(const Napi::CallbackInfo &info) {
  int orig = info[0].As<Napi::Number>().Int32Value();
  if (setns(orig, CLONE_NEWNET) != 0) {
    perror("nodectl: cannot return the main thread to its network namespace");
    abort();
  }
  close(orig);
  return info.Env().Undefined();
}

// netnsCreate() -> fd of a new, empty network namespace that no name refers to. The main thread
// unshares into it only long enough to open it, then goes back (as netnsEnter/netnsRestore do).
// The namespace lives exactly as long as something holds it: this fd, a socket created in it.
// The process dying for any reason, SIGKILL included, closes both and the kernel tears it down
// with every link in it: nothing under /run/netns to leak or to reap.
static Napi::Value NetnsCreate(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (orig < 0) throw ErrnoError(env, "open(/proc/thread-self/ns/net)", errno);
  if (unshare(CLONE_NEWNET) != 0) {
    int err = errno;
    close(orig);
    throw ErrnoError(env, "unshare(CLONE_NEWNET)", err);
  }
  int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  int err = errno;
  if (setns(orig, CLONE_NEWNET) != 0) {
    perror("nodectl: cannot return the main thread to its network namespace");
    abort();
  }
  close(orig);
  if (fd < 0) throw ErrnoError(env, "open(/proc/thread-self/ns/net)", err);
  return Napi::Number::New(env, fd);
}

// Inode of the thread's current network namespace (to check we are back where we started).
static Napi::Value NetnsCurrentInode(const Napi::CallbackInfo &info) {
  struct stat st;
  if (stat("/proc/thread-self/ns/net", &st) != 0) throw ErrnoError(info.Env(), "stat", errno);
  return Napi::Number::New(info.Env(), (double)st.st_ino);
}

// The `netlink` package does not expose its socket's fd; find it by its bound port id, which is
// unique per netlink protocol, and turn on extended ACKs (the kernel's reason for a refusal),
// capped ACKs (no echo of the request) and strict dump checking.
static Napi::Value NetlinkTune(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  uint32_t port = info[0].As<Napi::Number>().Uint32Value();
  int rcvbuf = info.Length() > 1 ? info[1].As<Napi::Number>().Int32Value() : 0;
  DIR *d = opendir("/proc/self/fd");
  if (!d) throw ErrnoError(env, "opendir(/proc/self/fd)", errno);
  int found = -1;
  while (struct dirent *e = readdir(d)) {
    int fd = atoi(e->d_name);
    if (fd <= 2 || fd == dirfd(d)) continue;
    struct sockaddr_nl sa;
    socklen_t len = sizeof(sa);
    if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0) continue;
    if (sa.nl_family != AF_NETLINK || sa.nl_pid != port) continue;
    found = fd;
    break;
  }
  closedir(d);
  if (found < 0) throw ErrnoError(env, "netlink socket lookup", ENOENT);
  int one = 1;
  if (setsockopt(found, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) != 0) throw ErrnoError(env, "setsockopt(NETLINK_EXT_ACK)", errno);
  if (setsockopt(found, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) != 0) throw ErrnoError(env, "setsockopt(NETLINK_CAP_ACK)", errno);
  if (rcvbuf > 0) {
    // SO_RCVBUFFORCE ignores rmem_max (needs CAP_NET_ADMIN); fall back to the capped one.
    if (setsockopt(found, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
      setsockopt(found, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  }
  return Napi::Number::New(env, found);
}

// A monitor socket must survive its own overruns. By default the kernel reports them as a socket
// error (ENOBUFS), which the `netlink` package's poll loop cannot handle (EPOLLERR closes the
// socket, or aborts the process); with NETLINK_NO_ENOBUFS it only counts them in sk_drops, which
// SO_MEMINFO reads back, so the consumer can tell that it must dump again.
static Napi::Value NetlinkNoEnobufs(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int one = 1;
  if (setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one)) != 0) throw ErrnoError(env, "setsockopt(NETLINK_NO_ENOBUFS)", errno);
  return env.Undefined();
}

static Napi::Value SocketDrops(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  uint32_t mem[SK_MEMINFO_VARS] = {0};
  socklen_t len = sizeof(mem);
  if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0) throw ErrnoError(env, "getsockopt(SO_MEMINFO)", errno);
  return Napi::Number::New(env, mem[SK_MEMINFO_DROPS]);
}

// peerCred(fd) -> {pid, uid, gid} of the process at the other end of a connected unix socket,
// as the kernel recorded it at connect() (SO_PEERCRED). Who may ask is the caller's policy.
static Napi::Value PeerCred(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  struct ucred cred = {};
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) throw ErrnoError(env, "getsockopt(SO_PEERCRED)", errno);
  Napi::Object o = Napi::Object::New(env);
  o.Set("pid", Napi::Number::New(env, cred.pid));
  o.Set("uid", Napi::Number::New(env, cred.uid));
  o.Set("gid", Napi::Number::New(env, cred.gid));
  return o;
}

// unixDgramSend(path, data) -> bytes sent: one datagram to the unix datagram socket at path; a
// leading '@' names an abstract socket, as systemd may write NOTIFY_SOCKET. This is sd_notify(3)'s
// one syscall. Node cannot do it: dgram has no AF_UNIX, and net's unix sockets are SOCK_STREAM,
// which a SOCK_DGRAM listener refuses (ECONNREFUSED) whether the name is a path or abstract.
// MSG_DONTWAIT: a backlogged receiver costs one lost datagram (EAGAIN), never a blocked event
// loop; the watchdog ping repeats anyway. A fresh socket per call: it is sent every few
// seconds at most, and no descriptor is left to leak or to be inherited.
static Napi::Value UnixDgramSend(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  Napi::Uint8Array data = info[1].As<Napi::Uint8Array>();
  struct sockaddr_un sa = {};
  sa.sun_family = AF_UNIX;
  if (path.size() < 2 || path.size() >= sizeof(sa.sun_path)) throw ErrnoError(env, "sendto(AF_UNIX)", EINVAL);
  memcpy(sa.sun_path, path.data(), path.size());
  if (path[0] == '@') sa.sun_path[0] = '\0';
  socklen_t len = offsetof(struct sockaddr_un, sun_path) + path.size();
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw ErrnoError(env, "socket(AF_UNIX, SOCK_DGRAM)", errno);
  ssize_t n = sendto(fd, data.Data(), data.ByteLength(), MSG_DONTWAIT | MSG_NOSIGNAL, reinterpret_cast<struct sockaddr *>(&sa), len);
  int err = errno;
  close(fd);
  if (n < 0) throw ErrnoError(env, "sendto(AF_UNIX)", err);
  return Napi::Number::New(env, static_cast<double>(n));
}

void InitNetns(Napi::Env env, Napi::Object exports) {
  exports.Set("unixDgramSend", Napi::Function::New(env, UnixDgramSend));
  exports.Set("peerCred", Napi::Function::New(env, PeerCred));
  exports.Set("netlinkNoEnobufs", Napi::Function::New(env, NetlinkNoEnobufs));
  exports.Set("socketDrops", Napi::Function::New(env, SocketDrops));
  exports.Set("netnsEnter", Napi::Function::New(env, NetnsEnter));
  exports.Set("netnsCreate", Napi::Function::New(env, NetnsCreate));
  exports.Set("netnsRestore", Napi::Function::New(env, NetnsRestore));
  exports.Set("netnsCurrentInode", Napi::Function::New(env, NetnsCurrentInode));
  exports.Set("netlinkTune", Napi::Function::New(env, NetlinkTune));
}
