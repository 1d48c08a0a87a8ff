// AF_PACKET sockets: the few syscalls behind gratuitous ARP, ARP probes and the SCTP traffic
// generator. A socket is bound to one interface and one ethertype; the JS side creates it
// inside withNetns (the namespace sticks to the socket for life). Receiving never blocks the
// event loop: a uv_poll on the libuv loop drains the socket and calls JS once per frame.
#include "addon.h"
#include <arpa/inet.h>
#include <cerrno>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cstring>
#include <uv.h>
#include <memory>
#include <vector>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

namespace {

// Frames larger than this are reported truncated (the `length` argument says how long they
// were); 64 KiB covers every MTU plus GSO-less jumbo frames.
constexpr size_t kMaxFrame = 65536;
// Upper bound of frames handed to JS per wake-up, so a flood cannot starve the loop.
constexpr int kBurst = 256;

class PacketSocket : public Napi::ObjectWrap<PacketSocket> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "PacketSocket", {
      InstanceMethod("send", &PacketSocket::Send),
      InstanceMethod("start", &PacketSocket::Start),
      InstanceMethod("stop", &PacketSocket::Stop),
      InstanceMethod("close", &PacketSocket::Close),
      InstanceMethod("setRef", &PacketSocket::SetRef),
      InstanceAccessor("fd", &PacketSocket::GetFd, nullptr),
    });
  }

  // new PacketSocket(ifindex, protocol, {ignoreOutgoing?})
  explicit PacketSocket(const Napi::CallbackInfo &info) : Napi::ObjectWrap<PacketSocket>(info) {
    Napi::Env env = info.Env();
    int ifindex = info[0].As<Napi::Number>().Int32Value();
    int protocol = info[1].As<Napi::Number>().Int32Value();
    bool ignoreOutgoing = false;
    if (info.Length() > 2 && info[2].IsObject()) {
      Napi::Value v = info[2].As<Napi::Object>().Get("ignoreOutgoing");
      ignoreOutgoing = v.IsBoolean() && v.As<Napi::Boolean>().Value();
    }
    // Created with protocol 0 (receives nothing) and given its ethertype only at bind(), so
    // no frame from another interface can slip into the queue in between.
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw ErrnoError(env, "socket(AF_PACKET)", errno);
    if (ignoreOutgoing) {
      int one = 1;
      if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) != 0) {
        int err = errno;
        ::close(fd);
        throw ErrnoError(env, "setsockopt(PACKET_IGNORE_OUTGOING)", err);
      }
    }
    struct sockaddr_ll sll = {};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons((uint16_t)protocol);
    sll.sll_ifindex = ifindex;
    if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
      int err = errno;
      ::close(fd);
      throw ErrnoError(env, "bind(AF_PACKET)", err);
    }
    fd_ = fd;
    ifindex_ = ifindex;
  }

  ~PacketSocket() override {
    // Reached only when JS dropped the object without close(); a started socket is pinned by
    // a reference, so no poll can be active here.
    if (cleanupHook_) napi_remove_env_cleanup_hook(Env(), OnEnvCleanup, this);
    if (poll_) {
      uv_poll_stop(poll_);
      poll_->data = nullptr;
      uv_close((uv_handle_t *)poll_, [](uv_handle_t *h) { delete reinterpret_cast<uv_poll_t *>(h); });
    }
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  int fd_ = -1;
  int ifindex_ = 0;
  uv_poll_t *poll_ = nullptr;
  bool polling_ = false;
  bool refed_ = true;
  bool shuttingDown_ = false;
  bool cleanupHook_ = false;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
  // The receive buffer exists only while the socket can receive: allocated by the first
  // start(), released by close(). It is 64 KiB of memory V8 does not see, so a closed socket
  // must not keep it until the garbage collector happens to finalize the wrapper: the failover
  // daemon opens a probe socket every 100 ms, and the wrappers of closed ones were reclaimed
  // far more slowly than that (issue 19: the daemon's RSS grew by ~280 kB per move).
  std::vector<uint8_t> buf_;

  Napi::Value GetFd(const Napi::CallbackInfo &info) { return Napi::Number::New(info.Env(), fd_); }

  // send(frame: Buffer) -> bytes sent. The frame is complete from the Ethernet header on.
  Napi::Value Send(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) throw ErrnoError(env, "send(AF_PACKET)", EBADF);
    auto frame = info[0].As<Napi::Uint8Array>();
    ssize_t n;
    do {
      n = ::send(fd_, frame.Data(), frame.ByteLength(), 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw ErrnoError(env, "send(AF_PACKET)", errno);
    return Napi::Number::New(env, (double)n);
  }

  // start(cb: (frame: Buffer, pkttype: number, length: number) => void)
  Napi::Value Start(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) throw ErrnoError(env, "uv_poll_start", EBADF);
    callback_ = Napi::Persistent(info[0].As<Napi::Function>());
    if (!asyncContext_) asyncContext_ = std::make_unique<Napi::AsyncContext>(env, "nodectl:PacketSocket");
    if (buf_.empty()) buf_.resize(kMaxFrame);
    if (!poll_) {
      uv_loop_t *loop = nullptr;
      if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no libuv loop");
      poll_ = new uv_poll_t;
      int rc = uv_poll_init(loop, poll_, fd_);
      if (rc != 0) {
        delete poll_;
        poll_ = nullptr;
        throw Napi::Error::New(env, std::string("uv_poll_init: ") + uv_strerror(rc));
      }
      poll_->data = this;
    }
    if (!cleanupHook_) {
      if (napi_add_env_cleanup_hook(env, OnEnvCleanup, this) == napi_ok) cleanupHook_ = true;
    }
    if (!polling_) {
      int rc = uv_poll_start(poll_, UV_READABLE, OnReadable);
      if (rc != 0) throw Napi::Error::New(env, std::string("uv_poll_start: ") + uv_strerror(rc));
      polling_ = true;
      Ref();  // pin the JS object while the loop may call into it
    }
    if (refed_) uv_ref((uv_handle_t *)poll_); else uv_unref((uv_handle_t *)poll_);
    return env.Undefined();
  }

  void StopPolling() {
    if (!polling_) return;
    uv_poll_stop(poll_);
    polling_ = false;
    Unref();
  }

  Napi::Value Stop(const Napi::CallbackInfo &info) {
    StopPolling();
    return info.Env().Undefined();
  }

  // setRef(false): a started socket no longer keeps the process alive by itself.
  Napi::Value SetRef(const Napi::CallbackInfo &info) {
    refed_ = info[0].As<Napi::Boolean>().Value();
    if (poll_) {
      if (refed_) uv_ref((uv_handle_t *)poll_); else uv_unref((uv_handle_t *)poll_);
    }
    return info.Env().Undefined();
  }

  void RemoveCleanupHook() {
    if (cleanupHook_) napi_remove_env_cleanup_hook(Env(), OnEnvCleanup, this);
    cleanupHook_ = false;
  }

  Napi::Value Close(const Napi::CallbackInfo &info) {
    StopPolling();
    RemoveCleanupHook();
    if (poll_) {
      // The handle's memory must outlive libuv's close; the fd is closed after it, because
      // libuv forbids closing a descriptor under a live poll handle.
      poll_->data = reinterpret_cast<void *>(static_cast<intptr_t>(fd_));
      uv_close((uv_handle_t *)poll_, [](uv_handle_t *h) {
        ::close(static_cast<int>(reinterpret_cast<intptr_t>(h->data)));
        delete reinterpret_cast<uv_poll_t *>(h);
      });
      poll_ = nullptr;
    } else if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = -1;
    callback_.Reset();
    std::vector<uint8_t>().swap(buf_);
    return info.Env().Undefined();
  }

  static void OnReadable(uv_poll_t *handle, int status, int events) {
    auto *self = static_cast<PacketSocket *>(handle->data);
    if (self && !self->shuttingDown_) self->Drain(status);
  }

  // Node tears the environment down with libuv handles still open; a frame arriving then must
  // not call into JS (it would throw from a C callback and abort the process).
  static void OnEnvCleanup(void *arg) {
    auto *self = static_cast<PacketSocket *>(arg);
    self->shuttingDown_ = true;
    self->cleanupHook_ = false;
    if (self->polling_) {
      uv_poll_stop(self->poll_);
      self->polling_ = false;
    }
  }

  // Everything below runs from a libuv callback: no C++ exception may escape, so it uses the
  // plain N-API calls and gives up quietly when the environment cannot run JS any more.
  void Drain(int status) {
    napi_env env = Env();
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return;
    if (status < 0) {
      DeliverError("packet socket poll", std::string(uv_strerror(status)), "EIO");
    } else {
      for (int i = 0; i < kBurst && polling_ && fd_ >= 0 && !shuttingDown_; i++) {
        struct sockaddr_ll from = {};
        socklen_t fromlen = sizeof(from);
        ssize_t n = recvfrom(fd_, buf_.data(), buf_.size(), MSG_TRUNC, (struct sockaddr *)&from, &fromlen);
        if (n < 0) {
          if (errno == EINTR) continue;
          if (errno != EAGAIN && errno != EWOULDBLOCK) DeliverError("recvfrom(AF_PACKET)", strerror(errno), errnoCode(errno));
          break;
        }
        size_t len = (size_t)n < buf_.size() ? (size_t)n : buf_.size();
        napi_handle_scope inner;
        if (napi_open_handle_scope(env, &inner) != napi_ok) break;
        napi_value args[4];
        void *data;
        bool ok = napi_get_null(env, &args[0]) == napi_ok &&
                  napi_create_buffer_copy(env, len, buf_.data(), &data, &args[1]) == napi_ok &&
                  napi_create_uint32(env, from.sll_pkttype, &args[2]) == napi_ok &&
                  napi_create_double(env, (double)n, &args[3]) == napi_ok;
        bool alive = ok && Call(args, 4);
        napi_close_handle_scope(env, inner);
        if (!alive) break;
      }
    }
    napi_close_handle_scope(env, scope);
  }

  static const char *errnoCode(int err) {
    switch (err) {
      case ENETDOWN: return "ENETDOWN";
      case ENOBUFS: return "ENOBUFS";
      case ENXIO: return "ENXIO";
      case ENODEV: return "ENODEV";
      default: return "EIO";
    }
  }

  void DeliverError(const char *what, const std::string &text, const char *code) {
    napi_env env = Env();
    napi_value msg, codeV, err;
    std::string m = std::string(what) + ": " + text;
    if (napi_create_string_utf8(env, m.c_str(), m.size(), &msg) != napi_ok) return;
    if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &codeV) != napi_ok) return;
    if (napi_create_error(env, codeV, msg, &err) != napi_ok) return;
    napi_set_named_property(env, err, "code", codeV);
    napi_value syscall;
    if (napi_create_string_utf8(env, what, NAPI_AUTO_LENGTH, &syscall) == napi_ok) napi_set_named_property(env, err, "syscall", syscall);
    Call(&err, 1);
  }

  // Calls the JS callback as an async resource (microtasks run after it); a throwing callback
  // becomes an uncaught exception of the process, like any event listener's. Returns false
  // when JS cannot be called (environment going away).
  bool Call(napi_value *args, size_t argc) {
    if (callback_.IsEmpty() || !asyncContext_) return false;
    napi_env env = Env();
    napi_value fn = callback_.Value();
    napi_value recv = Value();
    napi_value result;
    napi_status st = napi_make_callback(env, *asyncContext_, recv, fn, argc, args, &result);
    if (st == napi_ok) return true;
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value exc;
      if (napi_get_and_clear_last_exception(env, &exc) == napi_ok) napi_fatal_exception(env, exc);
      return true;
    }
    return false;
  }
};

// ifNameToIndex(name) -> ifindex, or 0 when this namespace has no such interface.
Napi::Value IfNameToIndex(const Napi::CallbackInfo &info) {
  std::string name = info[0].As<Napi::String>().Utf8Value();
  return Napi::Number::New(info.Env(), if_nametoindex(name.c_str()));
}

}  // namespace

void InitPacket(Napi::Env env, Napi::Object exports) {
  exports.Set("PacketSocket", PacketSocket::Define(env));
  exports.Set("ifNameToIndex", Napi::Function::New(env, IfNameToIndex));
}
