#include "addon.h"
#include <cerrno>
#include <cstring>

// The errno's symbolic name for err.code. glibc's own table (2.32+; nodectl's .deb and its
// guests are Debian 12, glibc 2.36): every errno, not a hand-kept list. The ebpf-ts addon
// keeps a short list instead because it also builds against older glibc.
static const char *errnoName(int err) {
  const char *n = strerrorname_np(err);
  return n ? n : "EUNKNOWN";
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
