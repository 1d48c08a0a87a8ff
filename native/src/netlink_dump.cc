// A blocking, one-shot netlink dump for short-lived readers (the CLI's read commands). Going
// through the `netlink` package costs a module load, a libuv poll per receive, a Buffer and a
// message object per reply and a promise chain; for a 4,000-link dump that was most of
// nodectl's time next to iproute2's. Here each receive lands in one reused buffer, read with
// plain recv() like iproute2 does, and the JS side decodes the messages in place before the next
// one (src/netlink/dump-once.ts). The socket is created in the calling thread's namespace: open
// it inside withNetns.
#include "addon.h"
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};
}  // namespace

// netlinkDumpOpen(protocol, type, flags, payload) -> fd of a fresh socket that has sent the
// request (seq 1). The caller reads it with netlinkDumpRead and closes it.
static Napi::Value NetlinkDumpOpen(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int protocol = info[0].As<Napi::Number>().Int32Value();
  uint16_t type = (uint16_t)info[1].As<Napi::Number>().Uint32Value();
  uint16_t flags = (uint16_t)info[2].As<Napi::Number>().Uint32Value();
  Napi::Buffer<uint8_t> payload = info[3].As<Napi::Buffer<uint8_t>>();

  Fd s{socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol)};
  if (s.fd < 0) throw ErrnoError(env, "socket(AF_NETLINK)", errno);
  int one = 1;
  // The same options as a Handle's socket: the kernel's reason for a refusal, no echo of the request.
  setsockopt(s.fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  setsockopt(s.fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));

  size_t reqLen = NLMSG_HDRLEN + payload.Length();
  uint8_t *req = (uint8_t *)calloc(1, NLMSG_ALIGN(reqLen));
  if (!req) throw ErrnoError(env, "calloc", ENOMEM);
  struct nlmsghdr *h = (struct nlmsghdr *)req;
  h->nlmsg_len = (uint32_t)reqLen;
  h->nlmsg_type = type;
  h->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
  h->nlmsg_seq = 1;
  memcpy(req + NLMSG_HDRLEN, payload.Data(), payload.Length());
  struct sockaddr_nl kernel = {};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do sent = sendto(s.fd, req, reqLen, 0, (struct sockaddr *)&kernel, sizeof(kernel));
  while (sent < 0 && errno == EINTR);
  int sendErr = errno;
  free(req);
  if (sent < 0) throw ErrnoError(env, "sendto(netlink)", sendErr);
  int fd = s.fd;
  s.fd = -1;
  return Napi::Number::New(env, fd);
}

// Top-level attribute types indexed per message: the index row of a message holds [start, end)
// of the value of each type below this (start 0 when absent), as byte offsets into buf.
// 72: IFLA_GRO_IPV4_MAX_SIZE is 64 (src/netlink/dump-once.ts INDEX_ROW is twice this).
static const int INDEX_SLOTS = 72;

// netlinkDumpRead(fd, buf[, index, hdrLen]) -> bytes of reply messages to the request (seq 1)
// now at the start of buf, from one blocking recv(). buf should be 64 KiB: the kernel sizes dump
// skbs after the largest receive buffer it has seen (capped at 32 KiB), so that keeps each one
// full; reusing one buffer keeps the bytes in cache while they are decoded. With an index
// (Int32Array), message i gets its attributes indexed in row i (2 * INDEX_SLOTS ints), those
// after the message's fixed header of hdrLen bytes; rows beyond the array are left out. This is
// framing only (which attribute is where), done here because walking every attribute of every
// message is most of what a cold JavaScript decoder spends on a big dump.
static Napi::Value NetlinkDumpRead(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::Buffer<uint8_t> buf = info[1].As<Napi::Buffer<uint8_t>>();
  int32_t *index = nullptr;
  size_t rows = 0;
  size_t hdrLen = 0;
  if (info.Length() > 3 && info[2].IsTypedArray()) {
    Napi::Int32Array ia = info[2].As<Napi::Int32Array>();
    index = ia.Data();
    rows = ia.ElementLength() / (2 * INDEX_SLOTS);
    hdrLen = info[3].As<Napi::Number>().Uint32Value();
  }
  uint8_t *out = buf.Data();
  size_t cap = buf.Length();
  ssize_t n;
  do n = recv(fd, out, cap, MSG_TRUNC);
  while (n < 0 && errno == EINTR);
  if (n < 0) throw ErrnoError(env, "recv(netlink)", errno);
  if ((size_t)n > cap) throw ErrnoError(env, "recv(netlink): reply larger than the buffer, truncated", EMSGSIZE);
  size_t kept = 0, msgs = 0;
  for (size_t p = 0; p + NLMSG_HDRLEN <= (size_t)n;) {
    struct nlmsghdr *m = (struct nlmsghdr *)(out + p);
    if (m->nlmsg_len < NLMSG_HDRLEN || p + m->nlmsg_len > (size_t)n) break;
    size_t step = NLMSG_ALIGN(m->nlmsg_len);
    if (m->nlmsg_seq == 1) {
      size_t len = m->nlmsg_len;
      if (kept != p) memmove(out + kept, m, len);
      if (msgs < rows) {
        // The same walk as the kernel's nla_for_each_attr: stop at the first malformed header.
        int32_t *row = index + msgs * 2 * INDEX_SLOTS;
        memset(row, 0, sizeof(int32_t) * 2 * INDEX_SLOTS);
        size_t end = kept + len;
        for (size_t a = kept + NLMSG_HDRLEN + NLMSG_ALIGN(hdrLen); a + 4 <= end;) {
          uint16_t alen = (uint16_t)(out[a] | (out[a + 1] << 8));
          uint16_t atype = (uint16_t)((out[a + 2] | (out[a + 3] << 8)) & 0x3fff);
          if (alen < 4 || a + alen > end) break;
          if (atype < INDEX_SLOTS) {
            row[2 * atype] = (int32_t)(a + 4);
            row[2 * atype + 1] = (int32_t)(a + alen);
          }
          a += NLMSG_ALIGN(alen);
        }
      }
      msgs++;
      kept += step;
    }
    p += step;
  }
  return Napi::Number::New(env, (double)kept);
}

void InitLinkJson(Napi::Env env, Napi::Object exports);  // link_json.cc: the same one-shot dump, as JSON

void InitNetlinkDump(Napi::Env env, Napi::Object exports) {
  InitLinkJson(env, exports);
  exports.Set("netlinkDumpOpen", Napi::Function::New(env, NetlinkDumpOpen));
  exports.Set("netlinkDumpRead", Napi::Function::New(env, NetlinkDumpRead));
}
