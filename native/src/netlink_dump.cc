// A blocking, one-shot netlink dump for short-lived readers (the CLI's read commands). Going
// through the `netlink` package costs a module load, a libuv poll per receive, a Buffer and a
// message object per reply and a promise chain; for a 4,000-link dump that was most of
// nodectl's time next to iproute2's. Here the whole reply lands in one buffer, read with plain
// recv() like iproute2 does; the JS side walks the messages in place (src/netlink/dump-once.ts).
// The socket is created in the calling thread's namespace: call it inside withNetns.
#include "addon.h"
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

// Each recv() asks for 64 KiB: the kernel sizes dump skbs after the largest receive buffer it
// has seen (capped at 32 KiB), so this keeps every skb full and the syscall count low.
static const size_t RECV_CHUNK = 64 << 10;

namespace {
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};
}  // namespace

static void FreeBuffer(Napi::Env, uint8_t *data) { free(data); }

// netlinkDump(protocol, type, flags, payload) -> Buffer holding every reply message as the
// kernel sent it (nlmsghdr included), ending with the NLMSG_DONE or NLMSG_ERROR that ended it.
static Napi::Value NetlinkDump(const Napi::CallbackInfo &info) {
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

  size_t cap = 1 << 20, used = 0;
  uint8_t *out = (uint8_t *)malloc(cap);
  if (!out) throw ErrnoError(env, "malloc", ENOMEM);
  bool done = false;
  while (!done) {
    if (cap - used < RECV_CHUNK) {
      uint8_t *grown = (uint8_t *)realloc(out, cap * 2);
      if (!grown) {
        free(out);
        throw ErrnoError(env, "realloc", ENOMEM);
      }
      out = grown;
      cap *= 2;
    }
    ssize_t n = recv(s.fd, out + used, RECV_CHUNK, MSG_TRUNC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      free(out);
      throw ErrnoError(env, "recv(netlink)", err);
    }
    if ((size_t)n > RECV_CHUNK) {
      free(out);
      throw ErrnoError(env, "recv(netlink): message larger than 64 KiB truncated", EMSGSIZE);
    }
    // Only replies to our request (seq 1) are kept; the last one of a dump is DONE or ERROR.
    size_t kept = used;
    for (size_t p = used; p + NLMSG_HDRLEN <= used + (size_t)n;) {
      struct nlmsghdr *m = (struct nlmsghdr *)(out + p);
      if (m->nlmsg_len < NLMSG_HDRLEN || p + m->nlmsg_len > used + (size_t)n) break;
      size_t step = NLMSG_ALIGN(m->nlmsg_len);
      if (m->nlmsg_seq == 1) {
        if (kept != p) memmove(out + kept, m, m->nlmsg_len);
        kept += step;
        if (m->nlmsg_type == NLMSG_DONE || m->nlmsg_type == NLMSG_ERROR) done = true;
        if (!(m->nlmsg_flags & NLM_F_MULTI) && m->nlmsg_type != NLMSG_ERROR) done = true;
      }
      if (done) break;
      p += step;
    }
    used = kept;
  }
  return Napi::Buffer<uint8_t>::New(env, out, used, FreeBuffer);
}

void InitNetlinkDump(Napi::Env env, Napi::Object exports) {
  exports.Set("netlinkDump", Napi::Function::New(env, NetlinkDump));
}
