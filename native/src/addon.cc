#include "addon.h"
#include <cerrno>
#include <cstring>

static const char *errnoName(int err) {
  switch (err) {
#define E(x) case x: return #x;
    E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(EBADF) E(EAGAIN) E(ENOMEM)
    E(EACCES) E(EFAULT) E(EBUSY) E(EEXIST) E(ENODEV) E(ENOTDIR) E(EINVAL) E(ENFILE) E(EMFILE)
    E(ENOSPC) E(ERANGE) E(ENAMETOOLONG) E(ENOSYS) E(ENOTEMPTY) E(ELOOP) E(ENOMSG) E(ENODATA)
    E(ENOLINK) E(EPROTO) E(EBADMSG) E(EOVERFLOW) E(EMSGSIZE) E(EPROTONOSUPPORT) E(EOPNOTSUPP)
    E(EAFNOSUPPORT) E(EADDRINUSE) E(EADDRNOTAVAIL) E(ENETDOWN) E(ENETUNREACH) E(ENOBUFS)
    E(ETIMEDOUT) E(ECONNREFUSED) E(EPROTOTYPE) E(ENOTSOCK)
#undef E
    default: return "EUNKNOWN";
  }
}

Napi::Error ErrnoError(Napi::Env env, const std::string &syscall, int err) {
  if (err < 0) err = -err;
  auto e = Napi::Error::New(env, syscall + ": " + strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("code", Napi::String::New(env, errnoName(err)));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitNetns(env, exports);
  InitPacket(env, exports);
  InitNetlinkDump(env, exports);
  return exports;
}

NODE_API_MODULE(nodectl_native, Init)
