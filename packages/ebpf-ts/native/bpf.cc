// libbpf 1.1 and bpf(2) for ebpf-ts (src/). Only mechanism lives here: every choice (tcx or clsact,
// which namespace, how to decode a value, what an errno means to the user) is made in TypeScript.
//
// Errors are JS Errors with `errno`, `code` and `syscall` (see ErrnoError); a failed object load
// also carries `program` (the one the kernel refused), `verifierLog` and `libbpfLog`.
#include "addon.h"
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <cstddef>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <map>
#include <memory>
#include <sys/stat.h>
#include <sched.h>
#include <string>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>
#include <vector>

// ---------------------------------------------------------------------------------------------
// libbpf's own messages: kept (not printed) so a failure can tell what libbpf saw. Printing to
// stderr is opt-in from TS (a library must not write to the user's terminal on its own).

static int g_print_level = LIBBPF_WARN;
static bool g_print_echo = false;
static std::string g_libbpf_log;

static int PrintFn(enum libbpf_print_level lvl, const char *fmt, va_list ap) {
  if ((int)lvl > g_print_level) return 0;
  char buf[4096];
  int n = vsnprintf(buf, sizeof(buf), fmt, ap);
  g_libbpf_log += buf;
  if (g_libbpf_log.size() > 65536) g_libbpf_log.erase(0, g_libbpf_log.size() - 65536);
  if (g_print_echo) fputs(buf, stderr);
  return n;
}

static Napi::Error BpfErr(Napi::Env env, const std::string &what, int err) {
  auto e = ErrnoError(env, what, err);
  if (!g_libbpf_log.empty()) e.Set("libbpfLog", Napi::String::New(env, g_libbpf_log));
  return e;
}

// libbpf 1.x returns NULL and sets errno for pointer-returning calls.
static int PtrErr(const void *p) { return p ? 0 : (errno ? errno : EINVAL); }

static Napi::Buffer<uint8_t> Copy(Napi::Env env, const void *p, size_t n) {
  return Napi::Buffer<uint8_t>::Copy(env, static_cast<const uint8_t *>(p), n);
}

static int OptFd(const Napi::CallbackInfo &info, size_t i) {
  return info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().Int32Value() : -1;
}

// Enters the network namespace open at `fd` (when fd >= 0) for the lifetime of the scope:
// ifindex-based attaches resolve the interface in the calling thread's namespace, and tc's
// netlink socket is created there.
class NetnsScope {
 public:
  int Enter(int fd) {
    if (fd < 0) return 0;
    orig_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (orig_ < 0) return errno;
    if (setns(fd, CLONE_NEWNET) != 0) {
      int err = errno;
      close(orig_);
      orig_ = -1;
      return err;
    }
    return 0;
  }
  ~NetnsScope() {
    if (orig_ < 0) return;
    if (setns(orig_, CLONE_NEWNET) != 0) {
      // A main thread left in a foreign namespace would act on the wrong node.
      perror("ebpf: cannot return the main thread to its network namespace");
      abort();
    }
    close(orig_);
  }

 private:
  int orig_ = -1;
};

// ---------------------------------------------------------------------------------------------
// Links: a libbpf bpf_link (tracepoints, XDP, tp_btf, …) or a raw link fd (tcx via
// bpf_link_create). The kernel detaches a link when its last fd closes, so a crashed process
// leaves nothing behind.

class BpfLinkWrap : public Napi::ObjectWrap<BpfLinkWrap> {
 public:
  static Napi::FunctionReference ctor;
  static void Init(Napi::Env env, Napi::Object exports) {
    Napi::Function f = DefineClass(env, "BpfLink", {
      InstanceMethod("fd", &BpfLinkWrap::Fd),
      InstanceMethod("pin", &BpfLinkWrap::Pin),
      InstanceMethod("destroy", &BpfLinkWrap::Destroy),
    });
    ctor = Napi::Persistent(f);
    exports.Set("BpfLink", f);
  }
  static Napi::Object FromLibbpf(Napi::Env env, struct bpf_link *l) {
    Napi::Object o = ctor.New({});
    Unwrap(o)->link_ = l;
    return o;
  }
  static Napi::Object FromFd(Napi::Env env, int fd) {
    Napi::Object o = ctor.New({});
    Unwrap(o)->fd_ = fd;
    return o;
  }
  BpfLinkWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<BpfLinkWrap>(info) {}
  ~BpfLinkWrap() { Release(); }

 private:
  struct bpf_link *link_ = nullptr;
  int fd_ = -1;

  void Release() {
    if (link_) bpf_link__destroy(link_);
    link_ = nullptr;
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  int LinkFd() const { return link_ ? bpf_link__fd(link_) : fd_; }
  Napi::Value Fd(const Napi::CallbackInfo &info) { return Napi::Number::New(info.Env(), LinkFd()); }
  Napi::Value Pin(const Napi::CallbackInfo &info) {
    std::string path = info[0].As<Napi::String>();
    if (LinkFd() < 0) throw BpfErr(info.Env(), "bpf_obj_pin(link)", EBADF);
    if (bpf_obj_pin(LinkFd(), path.c_str()) != 0) throw BpfErr(info.Env(), "bpf_obj_pin(" + path + ")", errno);
    return info.Env().Undefined();
  }
  Napi::Value Destroy(const Napi::CallbackInfo &info) {
    Release();
    return info.Env().Undefined();
  }
};
Napi::FunctionReference BpfLinkWrap::ctor;

// ---------------------------------------------------------------------------------------------
// tc (clsact) filters: not links, they outlive the process, so they must be detached explicitly
// and in the namespace they were attached in (remembered as an fd taken at attach time).

class TcFilterWrap : public Napi::ObjectWrap<TcFilterWrap> {
 public:
  static Napi::FunctionReference ctor;
  static void Init(Napi::Env env, Napi::Object exports) {
    Napi::Function f = DefineClass(env, "TcFilter", {
      InstanceMethod("info", &TcFilterWrap::Info),
      InstanceMethod("detach", &TcFilterWrap::Detach),
    });
    ctor = Napi::Persistent(f);
    exports.Set("TcFilter", f);
  }
  TcFilterWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<TcFilterWrap>(info) {}
  ~TcFilterWrap() {
    // Dropped without detach: the filter stays (like `tc filter add`); only our fd goes.
    if (netns_ >= 0) close(netns_);
  }
  int ifindex = 0, point = BPF_TC_INGRESS, netns_ = -1;
  __u32 handle = 0, priority = 0, progId = 0;
  bool hookCreated = false, attached = false;

 private:
  Napi::Value Info(const Napi::CallbackInfo &info) {
    auto o = Napi::Object::New(info.Env());
    o.Set("ifindex", ifindex);
    o.Set("direction", point == BPF_TC_EGRESS ? "egress" : "ingress");
    o.Set("handle", handle);
    o.Set("priority", priority);
    o.Set("progId", progId);
    o.Set("hookCreated", hookCreated);
    o.Set("attached", attached);
    return o;
  }
  // detach(destroyHookIfEmpty) -> {detached, hookDestroyed}
  Napi::Value Detach(const Napi::CallbackInfo &info);
};
Napi::FunctionReference TcFilterWrap::ctor;

// clsact hooks this process created, per (namespace inode, ifindex), with how many of our filters
// still use them: the qdisc is removed only with the last of them, and only if it was ours.
struct HookState {
  bool created = false;
  int refs = 0;
};
static std::map<std::pair<unsigned long, int>, HookState> g_hooks;

static unsigned long NetnsIno(int nsfd) {
  struct stat st;
  return fstat(nsfd, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

// Does the clsact qdisc on ifindex still hold any filter (ours or anyone's)? Asked over rtnetlink
// because libbpf's bpf_tc_query needs a known handle and priority.
static int TcHasFilters(int ifindex, bool *has) {
  *has = false;
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (s < 0) return errno;
  int rc = 0;
  const __u32 parents[2] = {0xFFFFFFF2u /* clsact ingress */, 0xFFFFFFF3u /* clsact egress */};
  for (int i = 0; i < 2 && !*has && rc == 0; i++) {
    struct {
      struct nlmsghdr nh;
      struct tcmsg tc;
    } req;
    memset(&req, 0, sizeof(req));
    req.nh.nlmsg_len = sizeof(req);
    req.nh.nlmsg_type = RTM_GETTFILTER;
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.nh.nlmsg_seq = i + 1;
    req.tc.tcm_family = AF_UNSPEC;
    req.tc.tcm_ifindex = ifindex;
    req.tc.tcm_parent = parents[i];
    if (send(s, &req, sizeof(req), 0) < 0) { rc = errno; break; }
    bool done = false;
    while (!done) {
      char buf[16384];
      ssize_t n = recv(s, buf, sizeof(buf), 0);
      if (n < 0) { rc = errno; break; }
      for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
        if (nh->nlmsg_type == NLMSG_DONE) { done = true; break; }
        if (nh->nlmsg_type == NLMSG_ERROR) {
          auto *e = (struct nlmsgerr *)NLMSG_DATA(nh);
          // No qdisc at all counts as "no filters".
          if (e->error && e->error != -EINVAL && e->error != -ENOENT) rc = -e->error;
          done = true;
          break;
        }
        if (nh->nlmsg_type == RTM_NEWTFILTER) *has = true;
      }
    }
  }
  close(s);
  return rc;
}

Napi::Value TcFilterWrap::Detach(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  bool destroyIfEmpty = info.Length() > 0 && info[0].ToBoolean();
  auto res = Napi::Object::New(env);
  res.Set("detached", false);
  res.Set("hookDestroyed", false);
  if (!attached) return res;
  NetnsScope ns;
  int err = ns.Enter(netns_);
  if (err) throw BpfErr(env, "setns(tc filter namespace)", err);
  g_libbpf_log.clear();
  struct bpf_tc_hook hook;
  memset(&hook, 0, sizeof(hook));
  hook.sz = sizeof(hook);
  hook.ifindex = ifindex;
  hook.attach_point = (enum bpf_tc_attach_point)point;
  struct bpf_tc_opts opts;
  memset(&opts, 0, sizeof(opts));
  opts.sz = sizeof(opts);
  opts.handle = handle;
  opts.priority = priority;
  err = bpf_tc_detach(&hook, &opts);
  // ENOENT: already gone (someone ran `tc filter del`, or the interface went away).
  if (err && err != -ENOENT && err != -ENODEV && err != -EINVAL) throw BpfErr(env, "bpf_tc_detach", err);
  attached = false;
  res.Set("detached", err == 0);
  auto key = std::make_pair(NetnsIno(netns_), ifindex);
  auto it = g_hooks.find(key);
  bool ours = false;
  if (it != g_hooks.end() && --it->second.refs <= 0) {
    ours = it->second.created;
    g_hooks.erase(it);
  }
  if (destroyIfEmpty && ours) {
    bool has = true;
    if (TcHasFilters(ifindex, &has) == 0 && !has) {
      // Destroying the hook removes the whole clsact qdisc: only when it is ours and empty.
      hook.attach_point = (enum bpf_tc_attach_point)(BPF_TC_INGRESS | BPF_TC_EGRESS);
      if (bpf_tc_hook_destroy(&hook) == 0) res.Set("hookDestroyed", true);
    }
  }
  if (netns_ >= 0) close(netns_);
  netns_ = -1;
  return res;
}

// bpfTcAttach(progFd, ifindex, 'ingress'|'egress', priority, handle, netnsFd) -> TcFilter
static Napi::Value TcAttach(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int progFd = info[0].As<Napi::Number>().Int32Value();
  int ifindex = info[1].As<Napi::Number>().Int32Value();
  std::string dir = info[2].As<Napi::String>();
  __u32 prio = info[3].As<Napi::Number>().Uint32Value();
  __u32 handle = info[4].As<Napi::Number>().Uint32Value();
  NetnsScope ns;
  int err = ns.Enter(OptFd(info, 5));
  if (err) throw BpfErr(env, "setns", err);
  g_libbpf_log.clear();
  struct bpf_tc_hook hook;
  memset(&hook, 0, sizeof(hook));
  hook.sz = sizeof(hook);
  hook.ifindex = ifindex;
  hook.attach_point = dir == "egress" ? BPF_TC_EGRESS : BPF_TC_INGRESS;
  err = bpf_tc_hook_create(&hook);
  // -EEXIST: the clsact qdisc is already there (e.g. we attached the other direction).
  if (err && err != -EEXIST) throw BpfErr(env, "bpf_tc_hook_create", err);
  bool created = err == 0;
  struct bpf_tc_opts opts;
  memset(&opts, 0, sizeof(opts));
  opts.sz = sizeof(opts);
  opts.prog_fd = progFd;
  opts.priority = prio;
  opts.handle = handle;
  err = bpf_tc_attach(&hook, &opts);
  if (err) {
    if (created) {
      hook.attach_point = (enum bpf_tc_attach_point)(BPF_TC_INGRESS | BPF_TC_EGRESS);
      bpf_tc_hook_destroy(&hook);
    }
    throw BpfErr(env, "bpf_tc_attach", err);
  }
  Napi::Object o = TcFilterWrap::ctor.New({});
  TcFilterWrap *w = TcFilterWrap::Unwrap(o);
  w->ifindex = ifindex;
  w->point = hook.attach_point;
  w->handle = opts.handle;
  w->priority = opts.priority;
  w->progId = opts.prog_id;
  w->hookCreated = created;
  w->attached = true;
  w->netns_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  HookState &h = g_hooks[std::make_pair(NetnsIno(w->netns_), ifindex)];
  if (created) h.created = true;
  h.refs++;
  return o;
}

// bpfLinkCreate(progFd, targetFdOrIfindex, attachType, netnsFd) -> BpfLink. tcx (46/47) goes
// through here because libbpf 1.1 predates bpf_program__attach_tcx().
static Napi::Value LinkCreate(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int progFd = info[0].As<Napi::Number>().Int32Value();
  int target = info[1].As<Napi::Number>().Int32Value();
  int type = info[2].As<Napi::Number>().Int32Value();
  NetnsScope ns;
  int err = ns.Enter(OptFd(info, 3));
  if (err) throw BpfErr(env, "setns", err);
  int fd = bpf_link_create(progFd, target, (enum bpf_attach_type)type, nullptr);
  if (fd < 0) throw ErrnoError(env, "bpf_link_create", -fd);
  return BpfLinkWrap::FromFd(env, fd);
}

// ---------------------------------------------------------------------------------------------
// Objects

class BpfObjectWrap : public Napi::ObjectWrap<BpfObjectWrap> {
 public:
  static Napi::FunctionReference ctor;
  static void Init(Napi::Env env, Napi::Object exports) {
    Napi::Function f = DefineClass(env, "BpfObject", {
      InstanceMethod("name", &BpfObjectWrap::Name),
      InstanceMethod("programs", &BpfObjectWrap::Programs),
      InstanceMethod("maps", &BpfObjectWrap::Maps),
      InstanceMethod("globals", &BpfObjectWrap::Globals),
      InstanceMethod("mapInitialValue", &BpfObjectWrap::MapInitialValue),
      InstanceMethod("setMapInitialValue", &BpfObjectWrap::SetMapInitialValue),
      InstanceMethod("setMapMaxEntries", &BpfObjectWrap::SetMapMaxEntries),
      InstanceMethod("setAutoload", &BpfObjectWrap::SetAutoload),
      InstanceMethod("load", &BpfObjectWrap::Load),
      InstanceMethod("attach", &BpfObjectWrap::Attach),
      InstanceMethod("close", &BpfObjectWrap::Close),
    });
    ctor = Napi::Persistent(f);
    exports.Set("BpfObject", f);
  }

  // new BpfObject(pathOrBuffer, name?, logSize)
  BpfObjectWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<BpfObjectWrap>(info) {
    Napi::Env env = info.Env();
    std::string name = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
    logSize_ = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().Uint32Value() : (1u << 20);
    struct bpf_object_open_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.sz = sizeof(opts);
    if (!name.empty()) opts.object_name = name.c_str();
    g_libbpf_log.clear();
    errno = 0;
    if (info[0].IsBuffer()) {
      auto b = info[0].As<Napi::Buffer<uint8_t>>();
      obj_ = bpf_object__open_mem(b.Data(), b.Length(), &opts);
    } else {
      std::string path = info[0].As<Napi::String>();
      obj_ = bpf_object__open_file(path.c_str(), &opts);
    }
    int err = PtrErr(obj_);
    if (err) {
      obj_ = nullptr;
      throw BpfErr(env, "bpf_object__open", err);
    }
  }
  ~BpfObjectWrap() {
    if (obj_) bpf_object__close(obj_);
  }

 private:
  struct bpf_object *obj_ = nullptr;
  size_t logSize_;
  std::vector<std::unique_ptr<char[]>> logs_;

  struct bpf_object *Obj(Napi::Env env) {
    if (!obj_) throw BpfErr(env, "bpf object", EBADF);
    return obj_;
  }
  struct bpf_program *Prog(Napi::Env env, const Napi::Value &v) {
    std::string n = v.As<Napi::String>();
    struct bpf_program *p = bpf_object__find_program_by_name(Obj(env), n.c_str());
    if (!p) throw ErrnoError(env, "program " + n, ENOENT);
    return p;
  }
  struct bpf_map *Map(Napi::Env env, const Napi::Value &v) {
    std::string n = v.As<Napi::String>();
    struct bpf_map *m = bpf_object__find_map_by_name(Obj(env), n.c_str());
    if (!m) throw ErrnoError(env, "map " + n, ENOENT);
    return m;
  }

  Napi::Value Name(const Napi::CallbackInfo &info) {
    return Napi::String::New(info.Env(), bpf_object__name(Obj(info.Env())));
  }

  Napi::Value Programs(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto arr = Napi::Array::New(env);
    struct bpf_program *p;
    uint32_t i = 0;
    bpf_object__for_each_program(p, Obj(env)) {
      auto o = Napi::Object::New(env);
      o.Set("name", bpf_program__name(p));
      o.Set("section", bpf_program__section_name(p));
      o.Set("type", (int)bpf_program__type(p));
      o.Set("expectedAttachType", (int)bpf_program__expected_attach_type(p));
      o.Set("autoload", bpf_program__autoload(p));
      o.Set("fd", bpf_program__fd(p));
      arr.Set(i++, o);
    }
    return arr;
  }

  Napi::Value Maps(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto arr = Napi::Array::New(env);
    struct bpf_map *m;
    uint32_t i = 0;
    bpf_object__for_each_map(m, Obj(env)) {
      auto o = Napi::Object::New(env);
      o.Set("name", bpf_map__name(m));
      o.Set("type", (int)bpf_map__type(m));
      o.Set("keySize", bpf_map__key_size(m));
      o.Set("valueSize", bpf_map__value_size(m));
      o.Set("maxEntries", bpf_map__max_entries(m));
      o.Set("flags", bpf_map__map_flags(m));
      o.Set("internal", bpf_map__is_internal(m));
      o.Set("fd", bpf_map__fd(m));
      arr.Set(i++, o);
    }
    return arr;
  }

  // Variables of the object's data sections (.rodata, .data, .bss, .rodata.*) from its BTF, so
  // TS can set `const volatile` globals by name before load.
  Napi::Value Globals(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto arr = Napi::Array::New(env);
    struct btf *btf = bpf_object__btf(Obj(env));
    if (!btf) return arr;
    uint32_t k = 0;
    __u32 n = btf__type_cnt(btf);
    for (__u32 id = 1; id < n; id++) {
      const struct btf_type *t = btf__type_by_id(btf, id);
      if (!btf_is_datasec(t)) continue;
      const char *sec = btf__name_by_offset(btf, t->name_off);
      const struct btf_var_secinfo *vs = btf_var_secinfos(t);
      for (__u16 j = 0; j < btf_vlen(t); j++, vs++) {
        const struct btf_type *var = btf__type_by_id(btf, vs->type);
        if (!btf_is_var(var)) continue;
        auto o = Napi::Object::New(env);
        o.Set("name", btf__name_by_offset(btf, var->name_off));
        o.Set("section", sec);
        o.Set("offset", vs->offset);
        o.Set("size", vs->size);
        // Resolve typedefs/const/volatile to say whether a JS number fits it directly.
        __s32 tid = btf__resolve_type(btf, var->type);
        const struct btf_type *rt = tid > 0 ? btf__type_by_id(btf, tid) : nullptr;
        std::string kind = "other";
        bool isSigned = false;
        if (rt && btf_is_int(rt)) {
          __u8 enc = btf_int_encoding(rt);
          kind = (enc & BTF_INT_BOOL) ? "bool" : "int";
          isSigned = enc & BTF_INT_SIGNED;
        } else if (rt && btf_is_enum(rt)) {
          kind = "int";
        } else if (rt && btf_is_array(rt)) {
          kind = "array";
        } else if (rt && btf_is_composite(rt)) {
          kind = "struct";
        }
        o.Set("kind", kind);
        o.Set("signed", isSigned);
        arr.Set(k++, o);
      }
    }
    return arr;
  }

  Napi::Value MapInitialValue(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    struct bpf_map *m = Map(env, info[0]);
    size_t sz = 0;
    const void *p = bpf_map__initial_value(m, &sz);
    if (!p) return env.Null();
    return Copy(env, p, sz);
  }

  Napi::Value SetMapInitialValue(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    struct bpf_map *m = Map(env, info[0]);
    auto b = info[1].As<Napi::Buffer<uint8_t>>();
    int err = bpf_map__set_initial_value(m, b.Data(), b.Length());
    if (err) throw BpfErr(env, "bpf_map__set_initial_value", err);
    return env.Undefined();
  }

  Napi::Value SetMapMaxEntries(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    struct bpf_map *m = Map(env, info[0]);
    int err = bpf_map__set_max_entries(m, info[1].As<Napi::Number>().Uint32Value());
    if (err) throw BpfErr(env, "bpf_map__set_max_entries", err);
    return env.Undefined();
  }

  Napi::Value SetAutoload(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    int err = bpf_program__set_autoload(Prog(env, info[0]), info[1].ToBoolean());
    if (err) throw BpfErr(env, "bpf_program__set_autoload", err);
    return env.Undefined();
  }

  // load(): each program gets its own log buffer at log level 0, so the kernel writes a log
  // only when it refuses the program (libbpf then retries at level 1 into our buffer); the
  // program whose buffer holds text is the one that failed.
  Napi::Value Load(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    struct bpf_object *obj = Obj(env);
    struct bpf_program *p;
    logs_.clear();
    bpf_object__for_each_program(p, obj) {
      logs_.emplace_back(new char[logSize_]);
      logs_.back()[0] = 0;
      bpf_program__set_log_buf(p, logs_.back().get(), logSize_);
    }
    g_libbpf_log.clear();
    int err = bpf_object__load(obj);
    if (err) {
      auto e = BpfErr(env, "bpf_object__load", err);
      size_t i = 0;
      bpf_object__for_each_program(p, obj) {
        const char *log = logs_[i++].get();
        if (log[0]) {
          e.Set("program", bpf_program__name(p));
          e.Set("verifierLog", Napi::String::New(env, log));
          break;
        }
      }
      logs_.clear();
      throw e;
    }
    // The buffers are only needed during load; libbpf keeps the pointers, so unset them first.
    bpf_object__for_each_program(p, obj) bpf_program__set_log_buf(p, nullptr, 0);
    logs_.clear();
    return env.Undefined();
  }

  // attach(progName, kind, ...args) -> BpfLink. kinds: 'auto' | 'xdp'(ifindex, netnsFd) |
  // 'tracepoint'(category, name) | 'raw_tracepoint'(name) | 'trace'(tp_btf/fentry/fexit/lsm) |
  // 'kprobe'(func, retprobe) | 'uprobe'(binary, func, offset, pid, retprobe)
  Napi::Value Attach(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    struct bpf_program *p = Prog(env, info[0]);
    std::string kind = info[1].As<Napi::String>();
    if (bpf_program__fd(p) < 0) throw ErrnoError(env, std::string("program ") + bpf_program__name(p) + " is not loaded", EBADF);
    g_libbpf_log.clear();
    errno = 0;
    struct bpf_link *l = nullptr;
    std::string what;
    if (kind == "auto") {
      what = "bpf_program__attach";
      l = bpf_program__attach(p);
    } else if (kind == "xdp") {
      what = "bpf_program__attach_xdp";
      NetnsScope ns;
      int err = ns.Enter(OptFd(info, 3));
      if (err) throw BpfErr(env, "setns", err);
      l = bpf_program__attach_xdp(p, info[2].As<Napi::Number>().Int32Value());
    } else if (kind == "tracepoint") {
      what = "bpf_program__attach_tracepoint";
      std::string cat = info[2].As<Napi::String>(), name = info[3].As<Napi::String>();
      l = bpf_program__attach_tracepoint(p, cat.c_str(), name.c_str());
    } else if (kind == "raw_tracepoint") {
      what = "bpf_program__attach_raw_tracepoint";
      std::string name = info[2].As<Napi::String>();
      l = bpf_program__attach_raw_tracepoint(p, name.c_str());
    } else if (kind == "trace") {
      what = "bpf_program__attach_trace";
      l = bpf_program__attach_trace(p);
    } else if (kind == "kprobe") {
      what = "bpf_program__attach_kprobe";
      std::string fn = info[2].As<Napi::String>();
      l = bpf_program__attach_kprobe(p, info[3].ToBoolean(), fn.c_str());
    } else if (kind == "uprobe") {
      // 'uprobe'(binaryPath, funcName ('' for none), offset, pid (-1: every process), retprobe)
      what = "bpf_program__attach_uprobe_opts";
      std::string bin = info[2].As<Napi::String>(), fn = info[3].As<Napi::String>();
      struct bpf_uprobe_opts uo;
      memset(&uo, 0, sizeof(uo));
      uo.sz = sizeof(uo);
      uo.retprobe = info[6].ToBoolean();
      uo.func_name = fn.empty() ? nullptr : fn.c_str();
      l = bpf_program__attach_uprobe_opts(p, info[5].As<Napi::Number>().Int32Value(), bin.c_str(),
                                          (size_t)info[4].As<Napi::Number>().Int64Value(), &uo);
    } else {
      throw ErrnoError(env, "attach kind " + kind, EINVAL);
    }
    int err = PtrErr(l);
    if (err) throw BpfErr(env, what, err);
    return BpfLinkWrap::FromLibbpf(env, l);
  }

  Napi::Value Close(const Napi::CallbackInfo &info) {
    if (obj_) bpf_object__close(obj_);
    obj_ = nullptr;
    return info.Env().Undefined();
  }
};
Napi::FunctionReference BpfObjectWrap::ctor;

// ---------------------------------------------------------------------------------------------
// Maps, by fd (works for maps of an object and for pinned maps alike)

static int Fd(const Napi::CallbackInfo &info, size_t i = 0) { return info[i].As<Napi::Number>().Int32Value(); }
static Napi::Buffer<uint8_t> Buf(const Napi::CallbackInfo &info, size_t i) { return info[i].As<Napi::Buffer<uint8_t>>(); }

// bpfMapLookup(fd, key, valueSize) -> Buffer | null
static Napi::Value MapLookup(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  auto key = Buf(info, 1);
  size_t vs = info[2].As<Napi::Number>().Uint32Value();
  auto val = Napi::Buffer<uint8_t>::New(env, vs ? vs : 1);
  if (bpf_map_lookup_elem(Fd(info), key.Data(), val.Data()) != 0) {
    if (errno == ENOENT) return env.Null();
    throw ErrnoError(env, "bpf_map_lookup_elem", errno);
  }
  return val;
}

// bpfMapUpdate(fd, key, value, flags)
static Napi::Value MapUpdate(const Napi::CallbackInfo &info) {
  auto key = Buf(info, 1), val = Buf(info, 2);
  __u64 flags = info[3].As<Napi::Number>().Int64Value();
  if (bpf_map_update_elem(Fd(info), key.Data(), val.Data(), flags) != 0) throw ErrnoError(info.Env(), "bpf_map_update_elem", errno);
  return info.Env().Undefined();
}

// bpfMapDelete(fd, key) -> existed
static Napi::Value MapDelete(const Napi::CallbackInfo &info) {
  auto key = Buf(info, 1);
  if (bpf_map_delete_elem(Fd(info), key.Data()) != 0) {
    if (errno == ENOENT) return Napi::Boolean::New(info.Env(), false);
    throw ErrnoError(info.Env(), "bpf_map_delete_elem", errno);
  }
  return Napi::Boolean::New(info.Env(), true);
}

// bpfMapNextKey(fd, key | null, keySize) -> Buffer | null (null: no more keys)
static Napi::Value MapNextKey(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  size_t ks = info[2].As<Napi::Number>().Uint32Value();
  auto next = Napi::Buffer<uint8_t>::New(env, ks);
  const void *cur = info[1].IsBuffer() ? info[1].As<Napi::Buffer<uint8_t>>().Data() : nullptr;
  if (bpf_map_get_next_key(Fd(info), cur, next.Data()) != 0) {
    if (errno == ENOENT) return env.Null();
    throw ErrnoError(env, "bpf_map_get_next_key", errno);
  }
  return next;
}

// A malloc'd block handed to JS as the memory of a Buffer (freed when the Buffer is collected).
struct DumpBuf {
  uint8_t *p = nullptr;
  size_t cap = 0;  // elements
  size_t elem;
  explicit DumpBuf(size_t e) : elem(e) {}
  ~DumpBuf() { free(p); }
  bool Reserve(size_t n) {
    if (n <= cap) return true;
    size_t bytes = n * elem;
    void *q = realloc(p, bytes ? bytes : 1);
    if (!q) return false;
    p = static_cast<uint8_t *>(q);
    cap = n;
    return true;
  }
  Napi::Buffer<uint8_t> Release(Napi::Env env, size_t count) {
    if (count == 0) return Napi::Buffer<uint8_t>::New(env, 0);
    uint8_t *q = p;
    p = nullptr;
    cap = 0;
    return Napi::Buffer<uint8_t>::New(env, q, count * elem, [](Napi::Env, uint8_t *d) { free(d); });
  }
};

// bpfMapDump(fd, keySize, valueSize, chunk, useBatch) -> {count, keys, values, batched}
// The whole map in one call: BPF_MAP_LOOKUP_BATCH where the kernel has it for this map type,
// else get_next_key + lookup. chunk 0 asks the kernel for the whole map in one syscall: the
// buffers are sized from max_entries up front (malloc'd pages the kernel does not write are
// never touched, so a mostly empty map costs no memory) and become the Buffers' memory, with
// no copy (100,000 SCTP associations are 74 MB: growing vectors and copying them into JS
// was most of the time of `sctp stats`).
static Napi::Value MapDump(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = Fd(info);
  size_t ks = info[1].As<Napi::Number>().Uint32Value(), vs = info[2].As<Napi::Number>().Uint32Value();
  __u32 chunk = info[3].As<Napi::Number>().Uint32Value();
  bool useBatch = info[4].ToBoolean();
  size_t maxEntries = 0;
  {
    struct bpf_map_info mi;
    memset(&mi, 0, sizeof(mi));
    __u32 len = sizeof(mi);
    if (bpf_obj_get_info_by_fd(fd, &mi, &len) == 0) maxEntries = mi.max_entries;
  }
  bool whole = chunk == 0;
  if (whole) chunk = maxEntries ? maxEntries : 4096;
  DumpBuf keys(ks), vals(vs);
  size_t count = 0;
  bool batched = false;
  if (useBatch) {
    // The batch token is opaque (a bucket index for hash maps); size it generously.
    std::vector<uint8_t> inb(ks > 8 ? ks : 8), outb(inb.size());
    bool first = true;
    for (;;) {
      if (!keys.Reserve(count + chunk) || !vals.Reserve(count + chunk)) throw ErrnoError(env, "bpf_map_lookup_batch", ENOMEM);
      __u32 n = chunk;
      DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, o);
      int rc = bpf_map_lookup_batch(fd, first ? nullptr : inb.data(), outb.data(), keys.p + count * ks,
                                    vals.p + count * vs, &n, &o);
      int err = rc ? errno : 0;
      if (rc && err == ENOSPC && n == 0) {
        chunk *= 2;  // one hash bucket holds more entries than a chunk
        continue;
      }
      if (rc && err != ENOENT) {
        if (first && (err == EINVAL || err == ENOTSUP || err == EOPNOTSUPP || err == 524)) break;  // not for this map
        throw ErrnoError(env, "bpf_map_lookup_batch", err);
      }
      count += n;
      batched = true;
      first = false;
      if (rc) break;  // ENOENT: that was the last batch
      inb = outb;
    }
  }
  if (!batched) {
    count = 0;
    std::vector<uint8_t> cur(ks), next(ks);
    bool have = false;
    while (bpf_map_get_next_key(fd, have ? cur.data() : nullptr, next.data()) == 0) {
      if (!keys.Reserve(count + 1 > keys.cap ? (count + 1) * 2 : count + 1) || !vals.Reserve(keys.cap))
        throw ErrnoError(env, "bpf_map_lookup_elem", ENOMEM);
      if (bpf_map_lookup_elem(fd, next.data(), vals.p + count * vs) == 0) {
        memcpy(keys.p + count * ks, next.data(), ks);
        count++;
      } else if (errno != ENOENT) {
        throw ErrnoError(env, "bpf_map_lookup_elem", errno);
      }
      cur.swap(next);
      have = true;
    }
    if (errno != ENOENT) throw ErrnoError(env, "bpf_map_get_next_key", errno);
  }
  auto o = Napi::Object::New(env);
  o.Set("count", (double)count);
  o.Set("keys", keys.Release(env, count));
  o.Set("values", vals.Release(env, count));
  o.Set("batched", batched);
  return o;
}

// bpfMapUpdateBatch(fd, keys, values, count, flags) -> number written
static Napi::Value MapUpdateBatch(const Napi::CallbackInfo &info) {
  auto keys = Buf(info, 1), vals = Buf(info, 2);
  __u32 n = info[3].As<Napi::Number>().Uint32Value();
  DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, o);
  o.elem_flags = info[4].As<Napi::Number>().Int64Value();
  if (bpf_map_update_batch(Fd(info), keys.Data(), vals.Data(), &n, &o) != 0) throw ErrnoError(info.Env(), "bpf_map_update_batch", errno);
  return Napi::Number::New(info.Env(), n);
}

// bpfMapMmap(fd, length) -> Buffer over the value area of a BPF_F_MMAPABLE array, read-only.
// The mapping holds its own reference to the map (it outlives the fd) and is unmapped when the
// Buffer is collected. Values are read in place while programs update them: no syscall, no copy.
static Napi::Value MapMmap(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  size_t len = (size_t)info[1].As<Napi::Number>().Int64Value();
  void *p = mmap(nullptr, len, PROT_READ, MAP_SHARED, Fd(info), 0);
  if (p == MAP_FAILED) throw ErrnoError(env, "mmap(bpf map)", errno);
  return Napi::Buffer<uint8_t>::New(env, (uint8_t *)p, len, [len](Napi::Env, uint8_t *q) { munmap(q, len); });
}

// bpfProgTestRun(progFd, data, repeat) -> {retval, durationNs}: BPF_PROG_TEST_RUN on one frame.
static Napi::Value ProgTestRun(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  auto data = Buf(info, 1);
  DECLARE_LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data.Data(), .data_size_in = (__u32)data.Length(),
                      .repeat = (int)info[2].As<Napi::Number>().Uint32Value());
  if (bpf_prog_test_run_opts(Fd(info), &o) != 0) throw ErrnoError(env, "bpf_prog_test_run", errno);
  auto r = Napi::Object::New(env);
  r.Set("retval", (double)(int32_t)o.retval);
  r.Set("durationNs", (double)o.duration);
  return r;
}

// bpfMapCreate(type, name, keySize, valueSize, maxEntries, flags) -> fd
static Napi::Value MapCreate(const Napi::CallbackInfo &info) {
  std::string name = info[1].As<Napi::String>();
  DECLARE_LIBBPF_OPTS(bpf_map_create_opts, o);
  o.map_flags = info[5].As<Napi::Number>().Uint32Value();
  int fd = bpf_map_create((enum bpf_map_type)info[0].As<Napi::Number>().Int32Value(), name.c_str(),
                          info[2].As<Napi::Number>().Uint32Value(), info[3].As<Napi::Number>().Uint32Value(),
                          info[4].As<Napi::Number>().Uint32Value(), &o);
  if (fd < 0) throw ErrnoError(info.Env(), "bpf_map_create", -fd);
  return Napi::Number::New(info.Env(), fd);
}

// bpfMapInfo(fd) -> {id, type, name, keySize, valueSize, maxEntries, flags}
static Napi::Value MapInfo(const Napi::CallbackInfo &info) {
  struct bpf_map_info mi;
  memset(&mi, 0, sizeof(mi));
  __u32 len = sizeof(mi);
  if (bpf_obj_get_info_by_fd(Fd(info), &mi, &len) != 0) throw ErrnoError(info.Env(), "bpf_obj_get_info_by_fd", errno);
  auto o = Napi::Object::New(info.Env());
  o.Set("id", mi.id);
  o.Set("type", mi.type);
  o.Set("name", mi.name);
  o.Set("keySize", mi.key_size);
  o.Set("valueSize", mi.value_size);
  o.Set("maxEntries", mi.max_entries);
  o.Set("flags", mi.map_flags);
  return o;
}

// bpfProgInfo(fd) -> {id, type, name, tag, recursionMisses}; recursionMisses is null when the
// kernel's bpf_prog_info ends before that field (before 5.12): "none" and "not counted" differ
static Napi::Value ProgInfo(const Napi::CallbackInfo &info) {
  struct bpf_prog_info pi;
  memset(&pi, 0, sizeof(pi));
  __u32 len = sizeof(pi);
  if (bpf_obj_get_info_by_fd(Fd(info), &pi, &len) != 0) throw ErrnoError(info.Env(), "bpf_obj_get_info_by_fd", errno);
  auto o = Napi::Object::New(info.Env());
  o.Set("id", pi.id);
  o.Set("type", pi.type);
  o.Set("name", pi.name);
  char tag[2 * BPF_TAG_SIZE + 1];
  for (int i = 0; i < BPF_TAG_SIZE; i++) snprintf(tag + 2 * i, 3, "%02x", pi.tag[i]);
  o.Set("tag", tag);
  if (len >= offsetof(struct bpf_prog_info, recursion_misses) + sizeof(pi.recursion_misses))
    o.Set("recursionMisses", Napi::Number::New(info.Env(), (double)pi.recursion_misses));
  else
    o.Set("recursionMisses", info.Env().Null());
  return o;
}

// ---------------------------------------------------------------------------------------------
// pinning, fds, mounts

static Napi::Value ObjPin(const Napi::CallbackInfo &info) {
  std::string path = info[1].As<Napi::String>();
  if (bpf_obj_pin(Fd(info), path.c_str()) != 0) throw ErrnoError(info.Env(), "bpf_obj_pin(" + path + ")", errno);
  return info.Env().Undefined();
}

static Napi::Value ObjGet(const Napi::CallbackInfo &info) {
  std::string path = info[0].As<Napi::String>();
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) throw ErrnoError(info.Env(), "bpf_obj_get(" + path + ")", errno);
  return Napi::Number::New(info.Env(), fd);
}

static Napi::Value CloseFd(const Napi::CallbackInfo &info) {
  int fd = Fd(info);
  if (fd >= 0) close(fd);
  return info.Env().Undefined();
}

// bpfStatfsType(path) -> f_type (BPF_FS_MAGIC 0xcafe4a11, TRACEFS_MAGIC 0x74726163)
static Napi::Value StatfsType(const Napi::CallbackInfo &info) {
  std::string path = info[0].As<Napi::String>();
  struct statfs st;
  if (statfs(path.c_str(), &st) != 0) throw ErrnoError(info.Env(), "statfs(" + path + ")", errno);
  return Napi::Number::New(info.Env(), (double)(unsigned long)st.f_type);
}

// bpfMount(source, target, fstype, data)
static Napi::Value Mount(const Napi::CallbackInfo &info) {
  std::string src = info[0].As<Napi::String>(), target = info[1].As<Napi::String>(), type = info[2].As<Napi::String>(),
              data = info[3].As<Napi::String>();
  if (mount(src.c_str(), target.c_str(), type.c_str(), 0, data.empty() ? nullptr : data.c_str()) != 0)
    throw ErrnoError(info.Env(), "mount(" + type + " on " + target + ")", errno);
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------------
// feature probes: the kernel's own answer (supported, or the errno it gave)

static Napi::Value ProbeProgType(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), libbpf_probe_bpf_prog_type((enum bpf_prog_type)info[0].As<Napi::Number>().Int32Value(), nullptr));
}
static Napi::Value ProbeMapType(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), libbpf_probe_bpf_map_type((enum bpf_map_type)info[0].As<Napi::Number>().Int32Value(), nullptr));
}
static Napi::Value ProbeHelper(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), libbpf_probe_bpf_helper((enum bpf_prog_type)info[0].As<Napi::Number>().Int32Value(),
                                                               (enum bpf_func_id)info[1].As<Napi::Number>().Int32Value(), nullptr));
}

// bpfProbeLoad(progType, expectedAttachType, attachBtfFunc) -> {fd} | {errno, log}
// Loads `r0 = 0; exit` with the given type (and BTF target for tracing programs). The caller
// owns the fd (to try an attach with it) and closes it.
static Napi::Value ProbeLoad(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int type = info[0].As<Napi::Number>().Int32Value();
  int eat = info[1].As<Napi::Number>().Int32Value();
  std::string fn = info.Length() > 2 && info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "";
  struct bpf_insn insns[2];
  memset(insns, 0, sizeof(insns));
  insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;  // r0 = 0
  insns[1].code = BPF_JMP | BPF_EXIT;
  static char log[65536];
  log[0] = 0;
  DECLARE_LIBBPF_OPTS(bpf_prog_load_opts, o);
  o.expected_attach_type = (enum bpf_attach_type)eat;
  o.log_buf = log;
  o.log_size = sizeof(log);
  o.log_level = 1;
  auto res = Napi::Object::New(env);
  if (!fn.empty()) {
    int id = libbpf_find_vmlinux_btf_id(fn.c_str(), (enum bpf_attach_type)eat);
    if (id < 0) {
      res.Set("errno", -id);
      res.Set("code", "ENOENT");
      res.Set("log", "no BTF id for " + fn + " in the kernel's BTF");
      return res;
    }
    o.attach_btf_id = id;
  }
  int fd = bpf_prog_load((enum bpf_prog_type)type, "probe", "GPL", insns, 2, &o);
  if (fd < 0) {
    res.Set("errno", -fd);
    res.Set("log", log);
    return res;
  }
  res.Set("fd", fd);
  return res;
}

// bpfBtfFuncId(name) -> BTF id of kernel function `name` in vmlinux BTF, or -errno: tells which
// kernel code exists where trying it would touch a real interface.
static Napi::Value BtfFuncId(const Napi::CallbackInfo &info) {
  std::string fn = info[0].As<Napi::String>();
  return Napi::Number::New(info.Env(), libbpf_find_vmlinux_btf_id(fn.c_str(), BPF_TRACE_FENTRY));
}

// bpfProbeKprobe(func) -> 0 | errno: the perf kprobe PMU exists and takes a probe on func.
static Napi::Value ProbeKprobe(const Napi::CallbackInfo &info) {
  std::string fn = info[0].As<Napi::String>();
  FILE *f = fopen("/sys/bus/event_source/devices/kprobe/type", "r");
  if (!f) return Napi::Number::New(info.Env(), ENOENT);
  int type = -1;
  if (fscanf(f, "%d", &type) != 1) type = -1;
  fclose(f);
  if (type < 0) return Napi::Number::New(info.Env(), EINVAL);
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  attr.type = type;
  attr.config1 = (__u64)(unsigned long)fn.c_str();
  int pfd = syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
  if (pfd < 0) return Napi::Number::New(info.Env(), errno);
  close(pfd);
  return Napi::Number::New(info.Env(), 0);
}

// ---------------------------------------------------------------------------------------------
// Event buffers on the libuv loop: a ring buffer (5.8+) or, on older kernels, a perf buffer (one
// ring per CPU). Both give libbpf an epoll fd; it is watched with uv_poll, and when it is readable
// records are drained without blocking and handed to JS in one call per pass: one Buffer with the
// records back to back and a Uint32Array of where each ends (one JS Buffer per record cost about
// a microsecond each, more than everything else together; bench/ebpf-maps). What differs
// (create, consume, free, the sample callback's shape, lost-sample counts) is in the subclasses;
// the polling, the hand-over to JS and the keep-alive rules are written once, here.

template <class Derived>
class PolledReaderWrap : public Napi::ObjectWrap<Derived> {
 public:
  static void Init(Napi::Env env, Napi::Object exports, const char *name) {
    exports.Set(name, Napi::ObjectWrap<Derived>::DefineClass(env, name, {
      Napi::ObjectWrap<Derived>::InstanceMethod("start", &PolledReaderWrap::Start),
      Napi::ObjectWrap<Derived>::InstanceMethod("stop", &PolledReaderWrap::Stop),
      Napi::ObjectWrap<Derived>::InstanceMethod("consume", &PolledReaderWrap::Consume),
      Napi::ObjectWrap<Derived>::InstanceMethod("ref", &PolledReaderWrap::Ref),
      Napi::ObjectWrap<Derived>::InstanceMethod("unref", &PolledReaderWrap::Unref),
      Napi::ObjectWrap<Derived>::InstanceMethod("lost", &PolledReaderWrap::Lost),
      Napi::ObjectWrap<Derived>::InstanceMethod("close", &PolledReaderWrap::Close),
    }));
  }

 protected:
  // Records handed over per pass (src/ringbuf.ts's SLICE).
  static constexpr size_t kSlice = 4096;

  PolledReaderWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Derived>(info) {
    env_ = info.Env();
    cb_ = Napi::Persistent(info[1].As<Napi::Function>());
  }

  // Called by the subclass's constructor once its reader exists.
  void Watch(Napi::Env env, int epollFd) {
    uv_loop_t *loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    poll_ = new uv_poll_t;
    poll_->data = this;
    int rc = uv_poll_init(loop, poll_, epollFd);
    if (rc != 0) {
      delete poll_;
      poll_ = nullptr;
      static_cast<Derived *>(this)->FreeReader();
      throw ErrnoError(env, "uv_poll_init", -rc);
    }
  }

  // A record from libbpf's callback: copied, since the memory is the kernel ring's.
  bool Keep(const void *data, size_t size) {
    auto *p = static_cast<const uint8_t *>(data);
    bytes_.insert(bytes_.end(), p, p + size);
    ends_.push_back((uint32_t)bytes_.size());
    return ends_.size() < kSlice;
  }

  void Release() {
    if (poll_) {
      uv_poll_stop(poll_);
      // The handle's memory must outlive libuv's close; free it in the close callback.
      uv_close(reinterpret_cast<uv_handle_t *>(poll_), [](uv_handle_t *h) { delete reinterpret_cast<uv_poll_t *>(h); });
      poll_ = nullptr;
    }
    static_cast<Derived *>(this)->FreeReader();
    active_ = false;
  }

  uint64_t lost_ = 0;

 private:
  Napi::Env env_ = nullptr;
  Napi::FunctionReference cb_;
  uv_poll_t *poll_ = nullptr;
  bool active_ = false;
  std::vector<uint8_t> bytes_;
  std::vector<uint32_t> ends_;

  // Copies the pass's records out first, then calls JS once: the callback may close this reader
  // (the JS side stops handing out records when it does).
  int Drain(bool fromLoop) {
    if (!static_cast<Derived *>(this)->Open()) return 0;
    int n = static_cast<Derived *>(this)->ConsumeNow();
    std::vector<uint8_t> bytes;
    std::vector<uint32_t> ends;
    bytes.swap(bytes_);
    ends.swap(ends_);
    if (n < 0 && ends.empty()) return n;
    // Closed by an earlier callback: calling the empty reference failed with napi_invalid_arg,
    // which surfaced as an uncaught '[Error: Invalid argument]' when `sctp trace` stopped.
    if (ends.empty() || cb_.IsEmpty()) return (int)ends.size();
    Napi::HandleScope scope(env_);
    auto buf = Copy(env_, bytes.data(), bytes.size());
    auto ab = Napi::ArrayBuffer::New(env_, ends.size() * sizeof(uint32_t));
    memcpy(ab.Data(), ends.data(), ends.size() * sizeof(uint32_t));
    auto endArr = Napi::Uint32Array::New(env_, ends.size(), ab, 0);
    if (fromLoop) {
      try {
        cb_.MakeCallback(env_.Global(), {buf, endArr});
      } catch (const Napi::Error &e) {
        // Nobody up the stack can catch it here: surface it like any uncaught exception.
        napi_fatal_exception(env_, e.Value());
      }
    } else {
      cb_.Call({buf, endArr});
    }
    return (int)ends.size();
  }

  static void OnPoll(uv_poll_t *h, int status, int events) {
    auto *self = static_cast<PolledReaderWrap *>(h->data);
    if (!self || status < 0) return;
    self->Drain(true);
  }

  // While polling, the JS object is kept alive like a socket with a 'data' listener: records
  // keep coming even if the caller dropped its reference.
  Napi::Value Start(const Napi::CallbackInfo &info) {
    if (poll_ && !active_) {
      int rc = uv_poll_start(poll_, UV_READABLE, OnPoll);
      if (rc != 0) throw ErrnoError(info.Env(), "uv_poll_start", -rc);
      active_ = true;
      Napi::ObjectWrap<Derived>::Ref();
    }
    return info.Env().Undefined();
  }
  void StopPolling() {
    if (!active_) return;
    if (poll_) uv_poll_stop(poll_);
    active_ = false;
    Napi::ObjectWrap<Derived>::Unref();
  }
  Napi::Value Stop(const Napi::CallbackInfo &info) {
    StopPolling();
    return info.Env().Undefined();
  }
  // consume() -> records delivered now (synchronously, through the same callback)
  Napi::Value Consume(const Napi::CallbackInfo &info) {
    int n = Drain(false);
    if (n < 0) throw ErrnoError(info.Env(), Derived::kConsumeName, -n);
    return Napi::Number::New(info.Env(), n);
  }
  Napi::Value Ref(const Napi::CallbackInfo &info) {
    if (poll_) uv_ref(reinterpret_cast<uv_handle_t *>(poll_));
    return info.Env().Undefined();
  }
  Napi::Value Unref(const Napi::CallbackInfo &info) {
    if (poll_) uv_unref(reinterpret_cast<uv_handle_t *>(poll_));
    return info.Env().Undefined();
  }
  // lost() -> samples the kernel dropped for want of room (perf buffers report them; a ring
  // buffer's producer sees its reserve fail instead, so there it stays 0)
  Napi::Value Lost(const Napi::CallbackInfo &info) { return Napi::Number::New(info.Env(), (double)lost_); }
  Napi::Value Close(const Napi::CallbackInfo &info) {
    StopPolling();
    Release();
    cb_.Reset();
    return info.Env().Undefined();
  }
};

// new RingBuffer(mapFd, onRecords(records, ends))
class RingBufferWrap : public PolledReaderWrap<RingBufferWrap> {
 public:
  static constexpr const char *kConsumeName = "ring_buffer__consume";
  static void Init(Napi::Env env, Napi::Object exports) { PolledReaderWrap::Init(env, exports, "RingBuffer"); }
  RingBufferWrap(const Napi::CallbackInfo &info) : PolledReaderWrap(info) {
    g_libbpf_log.clear();
    errno = 0;
    rb_ = ring_buffer__new(Fd(info), OnSample, this, nullptr);
    int err = PtrErr(rb_);
    if (err) {
      rb_ = nullptr;
      throw BpfErr(info.Env(), "ring_buffer__new", err);
    }
    Watch(info.Env(), ring_buffer__epoll_fd(rb_));
  }
  ~RingBufferWrap() { Release(); }
  bool Open() const { return rb_ != nullptr; }
  int ConsumeNow() { return ring_buffer__consume(rb_); }
  void FreeReader() {
    if (rb_) ring_buffer__free(rb_);
    rb_ = nullptr;
  }

 private:
  struct ring_buffer *rb_ = nullptr;
  // A negative return stops this pass, so one busy producer cannot hold the loop for long; the
  // ring fd stays readable (level-triggered) and the loop comes back.
  static int OnSample(void *ctx, void *data, size_t size) {
    return static_cast<RingBufferWrap *>(ctx)->Keep(data, size) ? 0 : -EAGAIN;
  }
};

// new PerfBuffer(mapFd, onRecords(records, ends), pagesPerCpu): a BPF_MAP_TYPE_PERF_EVENT_ARRAY read through
// libbpf's perf_buffer (one mmap'ed ring per CPU), for kernels without ring buffers (before 5.8).
class PerfBufferWrap : public PolledReaderWrap<PerfBufferWrap> {
 public:
  static constexpr const char *kConsumeName = "perf_buffer__consume";
  static void Init(Napi::Env env, Napi::Object exports) { PolledReaderWrap::Init(env, exports, "PerfBuffer"); }
  PerfBufferWrap(const Napi::CallbackInfo &info) : PolledReaderWrap(info) {
    size_t pages = info[2].As<Napi::Number>().Uint32Value();
    g_libbpf_log.clear();
    errno = 0;
    pb_ = perf_buffer__new(Fd(info), pages, OnSample, OnLost, this, nullptr);
    int err = PtrErr(pb_);
    if (err) {
      pb_ = nullptr;
      throw BpfErr(info.Env(), "perf_buffer__new", err);
    }
    Watch(info.Env(), perf_buffer__epoll_fd(pb_));
  }
  ~PerfBufferWrap() { Release(); }
  bool Open() const { return pb_ != nullptr; }
  // perf_buffer__consume reads every CPU's ring to its end; the callback has no way to stop a
  // pass early, so a pass may hand over more than kSlice records (bounded by the rings' size).
  int ConsumeNow() { return perf_buffer__consume(pb_); }
  void FreeReader() {
    if (pb_) perf_buffer__free(pb_);
    pb_ = nullptr;
  }

 private:
  struct perf_buffer *pb_ = nullptr;
  static void OnSample(void *ctx, int cpu, void *data, __u32 size) { static_cast<PerfBufferWrap *>(ctx)->Keep(data, size); }
  static void OnLost(void *ctx, int cpu, __u64 cnt) { static_cast<PerfBufferWrap *>(ctx)->lost_ += cnt; }
};

// ---------------------------------------------------------------------------------------------

static Napi::Value SetPrint(const Napi::CallbackInfo &info) {
  g_print_level = info[0].As<Napi::Number>().Int32Value();
  g_print_echo = info[1].ToBoolean();
  return info.Env().Undefined();
}

static Napi::Value LibbpfVersion(const Napi::CallbackInfo &info) {
  return Napi::String::New(info.Env(), std::to_string(libbpf_major_version()) + "." + std::to_string(libbpf_minor_version()));
}

// bpfTypeName('prog'|'map'|'attach', value) -> libbpf's name ('sched_cls', 'ringbuf', …) or null
static Napi::Value TypeName(const Napi::CallbackInfo &info) {
  std::string kind = info[0].As<Napi::String>();
  int v = info[1].As<Napi::Number>().Int32Value();
  const char *s = nullptr;
  if (kind == "prog") s = libbpf_bpf_prog_type_str((enum bpf_prog_type)v);
  else if (kind == "map") s = libbpf_bpf_map_type_str((enum bpf_map_type)v);
  else if (kind == "attach") s = libbpf_bpf_attach_type_str((enum bpf_attach_type)v);
  return s ? Napi::Value(Napi::String::New(info.Env(), s)) : info.Env().Null();
}

static Napi::Value NumPossibleCpus(const Napi::CallbackInfo &info) {
  int n = libbpf_num_possible_cpus();
  if (n < 0) throw ErrnoError(info.Env(), "libbpf_num_possible_cpus", -n);
  return Napi::Number::New(info.Env(), n);
}

void InitBpf(Napi::Env env, Napi::Object exports) {
  libbpf_set_print(PrintFn);
  BpfLinkWrap::Init(env, exports);
  TcFilterWrap::Init(env, exports);
  BpfObjectWrap::Init(env, exports);
  RingBufferWrap::Init(env, exports);
  PerfBufferWrap::Init(env, exports);
  exports.Set("bpfTcAttach", Napi::Function::New(env, TcAttach));
  exports.Set("bpfLinkCreate", Napi::Function::New(env, LinkCreate));
  exports.Set("bpfMapLookup", Napi::Function::New(env, MapLookup));
  exports.Set("bpfMapUpdate", Napi::Function::New(env, MapUpdate));
  exports.Set("bpfMapDelete", Napi::Function::New(env, MapDelete));
  exports.Set("bpfMapNextKey", Napi::Function::New(env, MapNextKey));
  exports.Set("bpfMapDump", Napi::Function::New(env, MapDump));
  exports.Set("bpfMapUpdateBatch", Napi::Function::New(env, MapUpdateBatch));
  exports.Set("bpfMapCreate", Napi::Function::New(env, MapCreate));
  exports.Set("bpfMapMmap", Napi::Function::New(env, MapMmap));
  exports.Set("bpfProgTestRun", Napi::Function::New(env, ProgTestRun));
  exports.Set("bpfMapInfo", Napi::Function::New(env, MapInfo));
  exports.Set("bpfProgInfo", Napi::Function::New(env, ProgInfo));
  exports.Set("bpfObjPin", Napi::Function::New(env, ObjPin));
  exports.Set("bpfObjGet", Napi::Function::New(env, ObjGet));
  exports.Set("bpfCloseFd", Napi::Function::New(env, CloseFd));
  exports.Set("bpfStatfsType", Napi::Function::New(env, StatfsType));
  exports.Set("bpfMount", Napi::Function::New(env, Mount));
  exports.Set("bpfProbeProgType", Napi::Function::New(env, ProbeProgType));
  exports.Set("bpfProbeMapType", Napi::Function::New(env, ProbeMapType));
  exports.Set("bpfProbeHelper", Napi::Function::New(env, ProbeHelper));
  exports.Set("bpfProbeLoad", Napi::Function::New(env, ProbeLoad));
  exports.Set("bpfBtfFuncId", Napi::Function::New(env, BtfFuncId));
  exports.Set("bpfProbeKprobe", Napi::Function::New(env, ProbeKprobe));
  exports.Set("bpfSetPrint", Napi::Function::New(env, SetPrint));
  exports.Set("libbpfVersion", Napi::Function::New(env, LibbpfVersion));
  exports.Set("bpfTypeName", Napi::Function::New(env, TypeName));
  exports.Set("bpfNumPossibleCpus", Napi::Function::New(env, NumPossibleCpus));
}
