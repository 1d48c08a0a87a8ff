// `nodectl link list --json` written natively: a link dump decoded straight into the JSON text
// the TypeScript path prints (src/netlink/link.ts + linkinfo.ts decode, src/interfaces/model.ts
// toViews, src/interfaces/link-json.ts linksJson: iproute2's keys, JSON.stringify in
// src/cli/output.ts writeJson), byte for byte: same keys in the same order, same numbers, same
// string escaping, same indentation. A fresh Node process spends more
// on decoding 4,000 links in cold JavaScript, building their objects and stringifying them than
// on the dump itself (bench/link-dump); here that is a few milliseconds. The TypeScript decoder
// stays the reference: test/unit/link-json.test.ts compares both on recorded and crafted bytes,
// test/netns/link-json.test.ts on live namespaces. Whatever this writer cannot render exactly as
// JSON.stringify would (strings that are not valid UTF-8, attributes shorter than their type,
// no address space for the text, a refused dump) makes it answer null, and the caller runs the
// TypeScript path instead.
// What each link kind's IFLA_INFO_DATA / IFLA_INFO_SLAVE_DATA holds, and the keys and order of a
// link's members and of stats64, are not written here: they come from the tables of
// src/netlink/link-kinds.ts (kind tables, LINK_JSON_FIELDS, LINK_JSON_STATS64), rendered into
// generated/link_kinds.h by scripts/gen-link-kinds (run by `npm run build:native`), the same
// tables the TypeScript path walks. Still written by hand here: how each top-level value is read
// from its attribute (one case per LinkView member), the value formats of the kind tables'
// types, the linkinfo nest's four keys and the holes filled in by finish().
#include "addon.h"
#include "generated/link_kinds.h"
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <linux/netlink.h>
#include <memory>
#include <new>
#include <poll.h>
#include <string>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace {

namespace lk = link_kinds;
const int RTM_NEWLINK_ = 16;
const int AF_INET6_ = 10;
const size_t IFINFOMSG_LEN = 16;
const int SLOTS = 72;  // every IFLA type read here is below this (IFLA_GRO_IPV4_MAX_SIZE is 64)

// The top-level attributes of one message by type (the last of a type wins, as in the
// TypeScript index): only the presence mask is cleared per message, not the whole table.
struct Attrs {
  const uint8_t *base;
  uint64_t mask[2] = {0, 0};
  uint32_t off[SLOTS];
  uint32_t len[SLOTS];
  void set(int t, uint32_t o, uint32_t l) {
    mask[t >> 6] |= 1ULL << (t & 63);
    off[t] = o;
    len[t] = l;
  }
  bool has(int t) const { return (mask[t >> 6] >> (t & 63)) & 1; }
  const uint8_t *p(int t) const { return base + off[t]; }
  size_t n(int t) const { return len[t]; }
};

inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
inline uint16_t rd16be(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
inline uint32_t rd32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

// Thrown (and caught in this file) when the output could differ from the TypeScript path's.
struct Unrenderable {};

// A UTF-8 check as strict as the decoder Buffer.toString('utf8') uses: anything it would
// replace with U+FFFD (overlong forms, surrogates, > U+10FFFF, truncated sequences) is refused.
bool validUtf8(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t need;
    uint8_t lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c == 0xe0) { need = 2; lo = 0xa0; }
    else if (c >= 0xe1 && c <= 0xec) need = 2;
    else if (c == 0xed) { need = 2; hi = 0x9f; }
    else if (c >= 0xee && c <= 0xef) need = 2;
    else if (c == 0xf0) { need = 3; lo = 0x90; }
    else if (c >= 0xf1 && c <= 0xf3) need = 3;
    else if (c == 0xf4) { need = 3; hi = 0x8f; }
    else return false;
    if (i + need >= n) return false;
    for (size_t k = 1; k <= need; k++) {
      uint8_t b = s[i + k];
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf)) return false;
    }
    i += need + 1;
  }
  return true;
}

class Json {
 public:
  int indent;
  char *p = nullptr;
  size_t len = 0, cap = 0;

  explicit Json(int ind) : indent(ind) {}
  // A writer over `reserve` bytes of address space mapped up front: it never moves (so the
  // final write can point into it) and nothing is copied as it grows; only the pages written are
  // ever touched. (MADV_HUGEPAGE was tried: a fault may then wait for compaction, 400 ms once.)
  Json(int ind, size_t reserve) : indent(ind) {
    void *m = mmap(nullptr, reserve, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) throw Unrenderable();
    map = m;
    mapLen = reserve;
    p = (char *)m;
    cap = reserve;
  }
  ~Json() {
    if (map) munmap(map, mapLen);
    else free(p);
  }
  Json(const Json &) = delete;
  Json &operator=(const Json &) = delete;

  std::string string() const { return std::string(p, len); }
  inline char *room(size_t n) {
    if (cap - len < n) grow(n);
    return p + len;
  }
  void raw(const char *t, size_t n) {
    memcpy(room(n), t, n);
    len += n;
  }
  void raw(const char *t) { raw(t, strlen(t)); }
  void append(const std::string &t) { raw(t.data(), t.size()); }
  void ch(char c) {
    *room(1) = c;
    len++;
  }
  void nl(int level) {
    if (indent == 0) return;
    size_t n = (size_t)(level * indent);
    char *d = room(n + 1);
    d[0] = '\n';
    memset(d + 1, ' ', n);
    len += n + 1;
  }
  // The key of an object member at nesting level `level`; first: no comma before it.
  template <size_t N>
  void key(bool first, int level, const char (&k)[N]) {
    keyn(first, level, k, N - 1);
  }
  void keyn(bool first, int level, const char *k, size_t n) {
    size_t pad = indent ? 1 + (size_t)(level * indent) : 0;
    char *d = room(n + pad + 5);
    char *o = d;
    if (!first) *o++ = ',';
    if (pad) {
      *o++ = '\n';
      memset(o, ' ', pad - 1);
      o += pad - 1;
    }
    *o++ = '"';
    memcpy(o, k, n);
    o += n;
    *o++ = '"';
    *o++ = ':';
    if (indent) *o++ = ' ';
    len += (size_t)(o - d);
  }
  void i64(int64_t v) {
    char *d = room(24);
    auto r = std::to_chars(d, d + 24, v);
    len += (size_t)(r.ptr - d);
  }
  // A u64 counter as JavaScript prints the Number lo + hi * 2^32: exact up to 2^53, beyond
  // that the nearest double (one rounding, as both the addition and this cast do), printed as
  // the shortest digits that round-trip, padded with zeros (no exponent below 1e21).
  void counter(uint64_t v) {
    if (v <= (1ULL << 53)) {
      i64((int64_t)v);
      return;
    }
    double d = (double)v;
    char b[40];
    auto r = std::to_chars(b, b + sizeof b, d, std::chars_format::scientific);
    std::string t(b, (size_t)(r.ptr - b));
    size_t e = t.find('e');
    int exp = std::stoi(t.substr(e + 1));
    std::string digits;
    for (size_t i = 0; i < e; i++)
      if (t[i] != '.') digits.push_back(t[i]);
    if ((int)digits.size() > exp + 1) throw Unrenderable();  // not an integer: cannot happen
    digits.append((size_t)(exp + 1) - digits.size(), '0');
    append(digits);
  }
  void boolean(bool v) { v ? raw("true", 4) : raw("false", 5); }
  void null() { raw("null", 4); }
  // A string as JSON.stringify writes it: ", \ and control characters escaped, the rest as is.
  void str(const uint8_t *s, size_t n) {
    if (!validUtf8(s, n)) throw Unrenderable();
    char *d = room(6 * n + 2);
    char *o = d;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
      uint8_t c = s[i];
      if (c >= 0x20 && c != '"' && c != '\\') {
        *o++ = (char)c;
        continue;
      }
      *o++ = '\\';
      switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default: {
          static const char hex[] = "0123456789abcdef";
          *o++ = 'u';
          *o++ = '0';
          *o++ = '0';
          *o++ = hex[c >> 4];
          *o++ = hex[c & 15];
        }
      }
    }
    *o++ = '"';
    len += (size_t)(o - d);
  }
  void str(const char *t) { str((const uint8_t *)t, strlen(t)); }
  // formatLladdr: aa:bb:…, '' for an empty value.
  void lladdr(const uint8_t *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    char *d = room(3 * n + 2);
    char *o = d;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
      if (i) *o++ = ':';
      *o++ = hex[s[i] >> 4];
      *o++ = hex[s[i] & 15];
    }
    *o++ = '"';
    len += (size_t)(o - d);
  }
  void strArray(const std::vector<std::string> &items, int level) {
    if (items.empty()) {
      raw("[]", 2);
      return;
    }
    ch('[');
    for (size_t i = 0; i < items.size(); i++) {
      if (i) ch(',');
      nl(level + 1);
      str((const uint8_t *)items[i].data(), items[i].size());
    }
    nl(level);
    ch(']');
  }

 private:
  void *map = nullptr;
  size_t mapLen = 0;
  void grow(size_t n) {
    if (map) throw Unrenderable();  // a GiB of JSON: let the TypeScript path try
    size_t want = cap * 2 > len + n ? cap * 2 : len + n + 256;
    char *q = (char *)realloc(p, want);
    if (!q) throw std::bad_alloc();
    p = q;
    cap = want;
  }
};

// A member's value that only the whole dump knows: the name of the link with this ifindex
// (ifname32). HOLE, then the index in decimal; no JSON text starts with a control character.
const char HOLE = '\x01';
// Where a link's body leaves out a value only the whole dump knows: the body offset, and the
// ifindex whose name goes there (master, link, parent, peer, ifname32 members of info_data), or
// whose ports do (ports).
struct Hole {
  size_t at;
  int64_t index;
  bool ports;
};
using Holes = std::vector<Hole>;

// An object whose optional members appear in the order their attributes come in the message
// (the TypeScript decoders assign them as they meet them); a repeated attribute keeps its
// first place and its last value, as a repeated property assignment does.
struct OrderedObject {
  std::vector<std::pair<const char *, std::string>> members;
  void set(const char *k, std::string v) {
    for (auto &m : members)
      if (strcmp(m.first, k) == 0) {  // by text: equal literals need not share an address
        m.second = std::move(v);
        return;
      }
    members.emplace_back(k, std::move(v));
  }
  // holes: where the values that name a link go (nullptr: there are none, as in a nested object).
  void write(Json &j, int level, Holes *holes = nullptr) const {
    if (members.empty()) {
      j.raw("{}");
      return;
    }
    j.ch('{');
    bool first = true;
    for (auto &m : members) {
      j.keyn(first, level + 1, m.first, strlen(m.first));
      if (holes && !m.second.empty() && m.second[0] == HOLE) holes->push_back({j.len, std::stoll(m.second.substr(1)), false});
      else j.append(m.second);
      first = false;
    }
    j.nl(level);
    j.ch('}');
  }
};

template <typename F>
void forEachAttr(const uint8_t *buf, size_t s, size_t e, F fn) {
  while (s + 4 <= e) {
    size_t len = rd16(buf + s);
    if (len < 4 || s + len > e) return;
    fn((int)(rd16(buf + s + 2) & 0x3fff), buf + s + 4, len - 4);
    s += (len + 3) & ~(size_t)3;
  }
}

inline void need(size_t have, size_t want) {
  if (have < want) throw Unrenderable();
}

std::string num(int indent, int64_t v) {
  Json j(indent);
  j.i64(v);
  return j.string();
}
std::string boolean(bool v) { return v ? "true" : "false"; }
std::string quoted(int indent, const char *t) {
  Json j(indent);
  j.str(t);
  return j.string();
}
std::string nameOr(int indent, const char *const *names, size_t count, uint32_t v) {
  if (v < count) return quoted(indent, names[v]);
  return quoted(indent, std::to_string(v).c_str());
}

// as ip prints them (operstate, linkmode): the kernel's words in upper case
const char *const OPERSTATES_UPPER[] = {"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"};
const char *const LINKMODES_UPPER[] = {"DEFAULT", "DORMANT", "TESTING"};
const char *const ADDR_GEN_MODES[] = {"eui64", "none", "stable_secret", "random"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

std::string vlanProtocol(int indent, uint16_t p) { return quoted(indent, p == 0x88a8 ? "802.1ad" : "802.1Q"); }

std::string bridgeIdOf(int indent, const uint8_t *v, size_t n) {
  if (n < 8) return quoted(indent, "");
  static const char hex[] = "0123456789abcdef";
  std::string t;
  for (int i = 0; i < 2; i++) {
    t.push_back(hex[v[i] >> 4]);
    t.push_back(hex[v[i] & 15]);
  }
  t.push_back('.');
  Json j(indent);
  j.lladdr(v + 2, 6);
  return "\"" + t + j.string().substr(1);
}

// formatIPv4 of src/netlink/attr.ts: dotted quad.
std::string ipv4Text(const uint8_t *a) {
  return std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) + "." + std::to_string(a[3]);
}

// formatIPv6 of src/netlink/attr.ts: RFC 5952 (the longest run of two or more zero groups
// compressed, lowercase), IPv4-mapped with a dotted tail. Not inet_ntop: glibc's also dots
// IPv4-compatible addresses (::1.2.3.4), which the TypeScript decoder does not.
std::string ipv6Text(const uint8_t *a) {
  uint16_t g[8];
  for (int i = 0; i < 8; i++) g[i] = (uint16_t)((a[2 * i] << 8) | a[2 * i + 1]);
  if (!g[0] && !g[1] && !g[2] && !g[3] && !g[4] && g[5] == 0xffff)
    return "::ffff:" + ipv4Text(a + 12);
  int bestStart = -1, bestLen = 0;
  for (int i = 0; i < 8;) {
    if (g[i]) { i++; continue; }
    int j = i;
    while (j < 8 && !g[j]) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  char h[8];
  auto hex = [&](int i) { snprintf(h, sizeof h, "%x", g[i]); return std::string(h); };
  std::string out;
  if (bestStart < 0) {
    for (int i = 0; i < 8; i++) out += (i ? ":" : "") + hex(i);
    return out;
  }
  for (int i = 0; i < bestStart; i++) out += (i ? ":" : "") + hex(i);
  out += "::";
  for (int i = bestStart + bestLen; i < 8; i++) out += (i > bestStart + bestLen ? ":" : "") + hex(i);
  return out;
}

// One attribute's value as JSON text, read as its table entry says (decodeValue in
// src/netlink/linkinfo.ts). level: the nesting level of the member it is the value of.
std::string attrValue(const lk::Attr &d, const uint8_t *v, size_t n, int indent, int level) {
  need(n, lk::TYPE_SIZE[d.type]);
  switch (d.type) {
    case lk::T_U8: return num(indent, v[0]);
    case lk::T_U16: return num(indent, rd16(v));
    case lk::T_U32: return num(indent, rd32(v));
    // named in LinkListWriter::finish, which knows every link of the dump
    case lk::T_IFNAME32: return std::string(1, HOLE) + std::to_string(rd32(v));
    case lk::T_U64: {
      uint64_t x;
      memcpy(&x, v, 8);
      Json j(indent);
      j.counter(x);
      return j.string();
    }
    case lk::T_S32: return num(indent, (int32_t)rd32(v));
    case lk::T_BE16: return num(indent, rd16be(v));
    case lk::T_FLAG8: return boolean(v[0] != 0);
    case lk::T_FLAG32: return boolean(rd32(v) != 0);
    case lk::T_ENUM8: return nameOr(indent, d.names, d.count, v[0]);
    case lk::T_ENUM32: return nameOr(indent, d.names, d.count, rd32(v));
    case lk::T_CHOICE8: return quoted(indent, d.names[v[0] ? 1 : 0]);
    case lk::T_VALUES32: {
      uint32_t x = rd32(v);
      for (size_t i = 0; i < d.count; i++)
        if (d.values[i] == x) return quoted(indent, d.names[i]);
      return quoted(indent, std::to_string(x).c_str());
    }
    case lk::T_BITS8:
    case lk::T_BITS16:
    case lk::T_BITS32: {
      uint32_t x = d.type == lk::T_BITS8 ? v[0] : d.type == lk::T_BITS16 ? rd16(v) : rd32(v);
      std::vector<std::string> items;
      for (size_t i = 0; i < d.count; i++)
        if (x & d.values[i]) items.emplace_back(d.names[i]);
      Json j(indent);
      j.strArray(items, level);
      return j.string();
    }
    // maskWords in linkinfo.ts: ip's _bitmask2str
    case lk::T_MASK16: {
      uint32_t x = rd16(v);
      std::string words;
      char h[12];
      for (uint32_t bit = 1; bit <= x; bit <<= 1) {
        if (!(x & bit)) continue;
        const char *name = nullptr;
        for (size_t i = 0; i < d.count; i++)
          if (d.values[i] == bit) name = d.names[i];
        if (!name) {
          snprintf(h, sizeof h, "0x%x", bit);
          name = h;
        }
        words += (words.empty() ? "" : ",") + std::string(name);
      }
      return quoted(indent, words.empty() ? "0x0" : words.c_str());
    }
    case lk::T_BIT32: return boolean(((rd32(v) >> d.bit) & 1) != 0);
    case lk::T_PROTO16: return vlanProtocol(indent, rd16be(v));
    case lk::T_LLADDR: {
      Json j(indent);
      j.lladdr(v, n);
      return j.string();
    }
    case lk::T_BRIDGEID: return bridgeIdOf(indent, v, n);
    case lk::T_IPV4LIST: {
      std::vector<std::string> targets;
      forEachAttr(v, 0, n, [&](int, const uint8_t *a, size_t an) {
        if (an == 4) targets.push_back(ipv4Text(a));
      });
      Json j(indent);
      j.strArray(targets, level);
      return j.string();
    }
    case lk::T_IPV6LIST: {
      std::vector<std::string> targets;
      forEachAttr(v, 0, n, [&](int, const uint8_t *a, size_t an) {
        if (an == 16) targets.push_back(ipv6Text(a));
      });
      Json j(indent);
      j.strArray(targets, level);
      return j.string();
    }
    case lk::T_LLADDRLIST: {
      std::vector<std::string> macs;
      forEachAttr(v, 0, n, [&](int, const uint8_t *a, size_t an) {
        Json m(0);
        m.lladdr(a, an);
        std::string t = m.string();
        macs.push_back(t.substr(1, t.size() - 2));
      });
      Json j(indent);
      j.strArray(macs, level);
      return j.string();
    }
    case lk::T_QOSMAP: {
      // [{from, to}] from struct ifla_vlan_qos_mapping entries
      Json j(indent);
      size_t items = 0;
      forEachAttr(v, 0, n, [&](int, const uint8_t *a, size_t an) {
        if (an < 8) return;
        j.ch(items++ ? ',' : '[');
        j.nl(level + 1);
        j.ch('{');
        j.key(true, level + 2, "from"); j.i64(rd32(a));
        j.key(false, level + 2, "to"); j.i64(rd32(a + 4));
        j.nl(level + 1);
        j.ch('}');
      });
      if (!items) return "[]";
      j.nl(level);
      j.ch(']');
      return j.string();
    }
    case lk::T_ADINFO: {
      // IFLA_BOND_AD_INFO_*: the members in message order, a repeated one keeping its first place
      static const char *const KEYS[] = {"aggregator", "num_ports", "actor_key", "partner_key", "partner_mac"};
      OrderedObject o;
      forEachAttr(v, 0, n, [&](int t, const uint8_t *a, size_t an) {
        if (t >= 1 && t <= 4 && an >= 2) o.set(KEYS[t - 1], num(indent, rd16(a)));
        else if (t == 5) {
          Json m(indent);
          m.lladdr(a, an);
          o.set(KEYS[4], m.string());
        }
      });
      Json j(indent);
      o.write(j, level);
      return j.string();
    }
    case lk::T_QUERIER4:
    case lk::T_QUERIER6: {
      // IFLA_BR_MCAST_QUERIER_STATE, one family's half as ip prints it (the running other
      // timer left out): BRIDGE_QUERIER_IP_ADDRESS 1 / _PORT 2, the IPv6 ones 5 / 6
      bool v6 = d.type == lk::T_QUERIER6;
      OrderedObject o;
      forEachAttr(v, 0, n, [&](int t, const uint8_t *a, size_t an) {
        if (t == (v6 ? 5 : 1) && an == (v6 ? 16u : 4u)) {
          std::string ip = v6 ? ipv6Text(a) : ipv4Text(a);
          o.set(v6 ? "mcast_querier_ipv6_addr" : "mcast_querier_ipv4_addr", quoted(indent, ip.c_str()));
        } else if (t == (v6 ? 6 : 2) && an >= 4) {
          o.set(v6 ? "mcast_querier_ipv6_port" : "mcast_querier_ipv4_port", num(indent, rd32(a)));
        }
      });
      Json j(indent);
      o.write(j, level);
      return j.string();
    }
  }
  throw Unrenderable();  // a type this writer does not know: let the TypeScript path print it
}

// decodeKindData / decodeSlaveData (decodeWith in linkinfo.ts) as link-json.ts prints them in
// info_data / info_slave_data: the table's defaults, then each attribute the table knows in
// message order, by their JSON keys (`kind` is info_kind); false (null) when no table has the
// kind or the table has no attributes (veth, dummy).
bool decodeWith(const lk::Table *tables, size_t count, const std::string &kind, const uint8_t *buf, long s, long e, int indent, int level, OrderedObject &o) {
  const lk::Table *t = nullptr;
  for (size_t i = 0; i < count && !t; i++)
    if (kind == tables[i].kind) t = &tables[i];
  if (!t || !t->nattrs) return false;
  for (size_t i = 0; i < t->ndefaults; i++) o.set(t->defaults[i].key, t->defaults[i].json);
  if (s >= 0 && t->nattrs) forEachAttr(buf, s, e, [&](int id, const uint8_t *v, size_t n) {
    for (size_t i = 0; i < t->nattrs; i++)
      if (t->attrs[i].id == id)  // several entries when one attribute holds several values
        o.set(t->attrs[i].key, attrValue(t->attrs[i], v, n, indent, level + 1));
  });
  return true;
}

bool kindData(const std::string &kind, const uint8_t *buf, long ds, long de, int indent, int level, OrderedObject &o) {
  return decodeWith(lk::KIND_TABLES, lk::KIND_TABLES_COUNT, kind, buf, ds, de, indent, level, o);
}

bool slaveData(const std::string &kind, const uint8_t *buf, long s, long e, int indent, OrderedObject &o) {
  return decodeWith(lk::SLAVE_TABLES, lk::SLAVE_TABLES_COUNT, kind, buf, s, e, indent, 3, o);
}

const uint32_t IFF_BITS[] = {0x8, 0x2, 0x10, 0x1000, 0x80, 0x200, 0x100, 0x400, 0x800, 0x4, 0x8000, 0x4000, 0x2000, 0x20, 0x1, 0x10000, 0x20000, 0x40000};
const char *const IFF_NAMES[] = {"LOOPBACK", "BROADCAST", "POINTOPOINT", "MULTICAST", "NOARP", "ALLMULTI", "PROMISC", "MASTER", "SLAVE", "DEBUG",
                                 "DYNAMIC", "AUTOMEDIA", "PORTSEL", "NOTRAILERS", "UP", "LOWER_UP", "DORMANT", "ECHO"};

const char *arphrdName(uint16_t t) {
  switch (t) {
    case 1: return "ether";
    case 772: return "loopback";
    case 768: return "ipip";
    case 776: return "sit";
    case 778: return "gre";
    case 65534: return "none";
    case 823: return "ip6gre";
    case 769: return "tunnel6";
  }
  return nullptr;
}

// What the second pass (names of master, lower device, peer, ports) needs of each link.
struct Ref {
  int64_t index;
  std::string name;
  int64_t master = 0;  // 0: none
  size_t bodyStart = 0, bodyEnd = 0;
  Holes holes;  // in the order they are in the body
};

class LinkListWriter {
 public:
  // Address space only: pages are used as the JSON is written.
  explicit LinkListWriter(int indent) : body(indent, 1ull << 30), tails(indent, 256ull << 20), indent(indent) {}

  // One RTM_NEWLINK payload (ifinfomsg + attributes) at m[0, len), the message 4-aligned.
  void add(const uint8_t *m, size_t len) {
    if (len < IFINFOMSG_LEN) throw Unrenderable();
    Attrs a;
    a.base = m;
    for (size_t p = IFINFOMSG_LEN; p + 4 <= len;) {
      size_t alen = rd16(m + p);
      if (alen < 4 || p + alen > len) break;
      int t = rd16(m + p + 2) & 0x3fff;
      if (t < SLOTS) a.set(t, (uint32_t)(p + 4), (uint32_t)(alen - 4));
      p += (alen + 3) & ~(size_t)3;
    }
    uint16_t type = rd16(m + 2);
    int32_t index = (int32_t)rd32(m + 4);
    uint32_t ifflags = rd32(m + 8);
    auto u32of = [&](int t) -> uint32_t {
      need(a.n(t), 4);
      return rd32(a.p(t));
    };

    // LINKINFO first: the kind decides parentIndex, which is printed before it.
    std::string kind = type == 772 ? "loopback" : "device";
    bool hasKindData = false, hasSlave = false, hasSlaveKind = false;
    OrderedObject kd, sd;
    std::string slaveKind;
    bool isVeth = false;
    if (a.has(lk::IFLA_LINKINFO)) {
      const uint8_t *li = a.p(lk::IFLA_LINKINFO);
      long ds = -1, de = -1, ss = -1, se = -1;
      bool hasKind = false;
      std::string infoKind;
      forEachAttr(li, 0, a.n(lk::IFLA_LINKINFO), [&](int t, const uint8_t *v, size_t n) {
        if (t == lk::IFLA_INFO_KIND) {
          size_t z = 0;
          while (z < n && v[z]) z++;
          infoKind.assign((const char *)v, z);
          hasKind = true;
        } else if (t == lk::IFLA_INFO_DATA) { ds = v - li; de = v - li + (long)n; }
        else if (t == lk::IFLA_INFO_SLAVE_KIND) {
          size_t z = 0;
          while (z < n && v[z]) z++;
          slaveKind.assign((const char *)v, z);
          hasSlaveKind = true;
        } else if (t == lk::IFLA_INFO_SLAVE_DATA) { ss = v - li; se = v - li + (long)n; }
      });
      if (hasKind && !infoKind.empty()) {
        kind = infoKind;
        // veth (most links of a big host) has no info_data: its peer is link / link_index.
        if (kind != "veth") hasKindData = kindData(infoKind, li, ds, de, indent, 3, kd);
      }
      if (hasSlaveKind && !slaveKind.empty() && ss >= 0) hasSlave = slaveData(slaveKind, li, ss, se, indent, sd);
    }
    isVeth = kind == "veth";

    bool hasLink = a.has(lk::IFLA_LINK);
    int32_t linkIndex = hasLink ? (int32_t)u32of(lk::IFLA_LINK) : 0;
    bool hasNetnsId = a.has(lk::IFLA_LINK_NETNSID);
    // A link pointing into another namespace gets that namespace's name and its peer's name
    // from TypeScript (query.ts nameForeignEnds: RTM_GETNSID per /run/netns entry, a dump
    // there): nothing this writer can do from one dump, so it leaves the whole list to it.
    if (hasNetnsId) throw Unrenderable();
    int32_t netnsId = hasNetnsId ? (int32_t)u32of(lk::IFLA_LINK_NETNSID) : 0;
    bool hasParent = !isVeth && hasLink && linkIndex != 0 && !hasNetnsId && linkIndex != index;

    Ref ref;
    ref.index = index;
    ref.bodyStart = body.len;
    if (a.has(lk::IFLA_IFNAME)) {
      size_t z = 0;
      while (z < a.n(lk::IFLA_IFNAME) && a.p(lk::IFLA_IFNAME)[z]) z++;
      ref.name.assign((const char *)a.p(lk::IFLA_IFNAME), z);
    }
    uint32_t master = a.has(lk::IFLA_MASTER) ? u32of(lk::IFLA_MASTER) : 0;
    ref.master = master;
    // toViews: the peer of a veth whose other end is in this namespace
    bool hasPeer = isVeth && hasLink && !hasNetnsId;
    // linkinfo is there for a kind the kernel named or a port kind (link-json.ts linkinfoJson)
    bool hasInfoKind = kind != "device" && kind != "loopback";
    Json &j = body;
    const int L = 2;  // members of a link: inside the array (1), inside the object (2)
    // A member naming a link by its index: left for finish(), which knows the whole dump.
    auto hole = [&](bool has, int64_t idx) {
      if (has) ref.holes.push_back({j.len, idx, false});
      else j.null();
    };
    auto optU32 = [&](int t) {
      if (a.has(t)) j.i64(u32of(t));
      else j.null();
    };
    // readString: up to the first NUL; orNull: '' is null as well (`|| null`)
    auto cstr = [&](int t, bool orNull) {
      size_t z = 0;
      if (a.has(t))
        while (z < a.n(t) && a.p(t)[z]) z++;
      if (!a.has(t) || (orNull && z == 0)) return j.null();
      j.str(a.p(t), z);
    };
    // a u8 attribute by its name in names (its number past them), or absent (null if absent is null)
    auto u8Name = [&](int t, const char *const *names, size_t count, const char *absent) {
      if (!a.has(t)) return absent ? j.str(absent) : j.null();
      need(a.n(t), 1);
      uint8_t v = a.p(t)[0];
      if (v < count) j.str(names[v]);
      else j.str(std::to_string(v).c_str());
    };
    j.ch(refs.empty() ? '[' : ',');
    j.nl(1);
    j.ch('{');
    // The members in LINK_JSON_FIELDS' order (generated from src/netlink/link-kinds.ts), each
    // as src/interfaces/link-json.ts makes it from the LinkView.
    bool first = true;
    for (size_t fi = 0; fi < lk::LINK_JSON_FIELDS_COUNT; fi++) {
      const lk::Field &f = lk::LINK_JSON_FIELDS[fi];
      // the only optional member is link_netns, on a link whose IFLA_LINK is in another
      // namespace: such lists are left to TypeScript (above)
      if (f.optional) continue;
      j.keyn(first, L, f.key, strlen(f.key));
      first = false;
      switch (f.as) {
        case lk::AS_LINK: hole(hasPeer || hasParent, linkIndex); continue;
        case lk::AS_GROUP: {
          uint32_t g = a.has(lk::IFLA_GROUP) ? u32of(lk::IFLA_GROUP) : 0;
          if (g == 0) j.raw("\"default\"", 9);
          else j.str(std::to_string(g).c_str());
          continue;
        }
        case lk::AS_UPPER:
          if (f.from == lk::F_oper) u8Name(lk::IFLA_OPERSTATE, OPERSTATES_UPPER, COUNT(OPERSTATES_UPPER), "UNKNOWN");
          else if (f.from == lk::F_linkMode) u8Name(lk::IFLA_LINKMODE, LINKMODES_UPPER, COUNT(LINKMODES_UPPER), nullptr);
          else throw Unrenderable();
          continue;
        case lk::AS_LINKINFO:
          if (!hasInfoKind && !hasSlaveKind) {
            j.null();
            continue;
          }
          j.ch('{');
          j.key(true, L + 1, "info_kind");
          if (hasInfoKind) j.str((const uint8_t *)kind.data(), kind.size());
          else j.null();
          j.key(false, L + 1, "info_data");
          if (hasInfoKind && hasKindData) kd.write(j, L + 1, &ref.holes);
          else j.null();
          j.key(false, L + 1, "info_slave_kind");
          if (hasSlaveKind) j.str((const uint8_t *)slaveKind.data(), slaveKind.size());
          else j.null();
          j.key(false, L + 1, "info_slave_data");
          if (hasSlave) sd.write(j, L + 1, &ref.holes);
          else j.null();
          j.nl(L);
          j.ch('}');
          continue;
        case lk::AS_STATS64: {
          // struct rtnl_link_stats64 (LinkStats in src/netlink/link.ts): the first ten 0 when the
          // kernel sends no counters, the others null where the payload ends before them
          // (rx_nohandler came in 4.6, rx_otherhost_dropped in 6.0; the u32 struct has no otherhost).
          uint64_t v[25] = {};
          int have = 10;  // counters read (or zero), the rest null
          if (a.has(lk::IFLA_STATS64) && a.n(lk::IFLA_STATS64) >= 80) {
            size_t n = a.n(lk::IFLA_STATS64);
            have = n >= 200 ? 25 : n >= 192 ? 24 : n >= 184 ? 23 : 10;
            memcpy(v, a.p(lk::IFLA_STATS64), 8 * (size_t)have);
          } else if (a.has(lk::IFLA_STATS) && a.n(lk::IFLA_STATS) >= 40) {
            size_t n = a.n(lk::IFLA_STATS);
            have = n >= 96 ? 24 : n >= 92 ? 23 : 10;
            for (int i = 0; i < have; i++) v[i] = rd32(a.p(lk::IFLA_STATS) + 4 * i);
          }
          auto dir = [&](const char *k, bool firstDir, const lk::StatsField *fs, size_t count) {
            j.keyn(firstDir, L + 1, k, 2);
            j.ch('{');
            for (size_t i = 0; i < count; i++) {
              j.keyn(i == 0, L + 2, fs[i].key, strlen(fs[i].key));
              if (fs[i].counter == lk::STATS_CARRIER_CHANGES) optU32(lk::IFLA_CARRIER_CHANGES);
              else if (fs[i].counter < have) j.counter(v[fs[i].counter]);
              else j.null();
            }
            j.nl(L + 1);
            j.ch('}');
          };
          j.ch('{');
          dir("rx", true, lk::STATS64_RX, lk::STATS64_RX_COUNT);
          dir("tx", false, lk::STATS64_TX, lk::STATS64_TX_COUNT);
          j.nl(L);
          j.ch('}');
          continue;
        }
        case lk::AS_SAME: break;
      }
      switch (f.from) {
        case lk::F_index: j.i64(index); break;
        case lk::F_name: j.str((const uint8_t *)ref.name.data(), ref.name.size()); break;
        case lk::F_kind: j.str((const uint8_t *)kind.data(), kind.size()); break;
        case lk::F_admin: j.raw(ifflags & 0x1 ? "\"up\"" : "\"down\""); break;
        case lk::F_carrier: {
          bool carrier = (ifflags & 0x10000) != 0;
          if (a.has(lk::IFLA_CARRIER)) {
            need(a.n(lk::IFLA_CARRIER), 1);
            carrier = a.p(lk::IFLA_CARRIER)[0] != 0;
          }
          j.boolean(carrier);
          break;
        }
        case lk::F_carrierUpCount: optU32(lk::IFLA_CARRIER_UP_COUNT); break;
        case lk::F_carrierDownCount: optU32(lk::IFLA_CARRIER_DOWN_COUNT); break;
        case lk::F_protoDown:
          if (a.has(lk::IFLA_PROTO_DOWN)) {
            need(a.n(lk::IFLA_PROTO_DOWN), 1);
            j.boolean(a.p(lk::IFLA_PROTO_DOWN)[0] != 0);
          } else {
            j.null();
          }
          break;
        case lk::F_protoDownReason: {
          // IFLA_PROTO_DOWN_REASON -> IFLA_PROTO_DOWN_REASON_VALUE, the last one wins
          int64_t reason = -1;
          if (a.has(lk::IFLA_PROTO_DOWN_REASON)) forEachAttr(a.p(lk::IFLA_PROTO_DOWN_REASON), 0, a.n(lk::IFLA_PROTO_DOWN_REASON), [&](int t, const uint8_t *v, size_t n) {
            if (t == lk::IFLA_PROTO_DOWN_REASON_VALUE) { need(n, 4); reason = rd32(v); }
          });
          if (reason < 0) j.null();
          else j.i64(reason);
          break;
        }
        case lk::F_flags:
          if (ifflags == flagsOf && flagsLen) {
            // The links of a dump share a handful of flag sets: copy the last one written.
            j.raw(body.p + flagsAt, flagsLen);
          } else {
            size_t at = j.len;
            bool any = false;
            auto item = [&](const char *n) {
              j.ch(any ? ',' : '[');
              j.nl(L + 1);
              j.ch('"');
              j.raw(n);
              j.ch('"');
              any = true;
            };
            if ((ifflags & 0x1) && !(ifflags & 0x40)) item("NO-CARRIER");
            for (size_t i = 0; i < COUNT(IFF_BITS); i++)
              if (ifflags & IFF_BITS[i]) item(IFF_NAMES[i]);
            if (any) {
              j.nl(L);
              j.ch(']');
            } else {
              j.raw("[]", 2);
            }
            flagsOf = ifflags;
            flagsAt = at;
            flagsLen = j.len - at;
          }
          break;
        case lk::F_mtu: j.i64(a.has(lk::IFLA_MTU) ? u32of(lk::IFLA_MTU) : 0); break;
        case lk::F_minMtu: optU32(lk::IFLA_MIN_MTU); break;
        case lk::F_maxMtu: optU32(lk::IFLA_MAX_MTU); break;
        case lk::F_mac: if (a.has(lk::IFLA_ADDRESS)) j.lladdr(a.p(lk::IFLA_ADDRESS), a.n(lk::IFLA_ADDRESS)); else j.null(); break;
        case lk::F_broadcast: if (a.has(lk::IFLA_BROADCAST)) j.lladdr(a.p(lk::IFLA_BROADCAST), a.n(lk::IFLA_BROADCAST)); else j.null(); break;
        case lk::F_permMac: if (a.has(lk::IFLA_PERM_ADDRESS)) j.lladdr(a.p(lk::IFLA_PERM_ADDRESS), a.n(lk::IFLA_PERM_ADDRESS)); else j.null(); break;
        case lk::F_linkType:
          if (const char *lt = arphrdName(type)) j.str(lt);
          else j.str(std::to_string(type).c_str());
          break;
        case lk::F_master: hole(master != 0, master); break;
        case lk::F_masterIndex: if (master) j.i64(master); else j.null(); break;
        case lk::F_parent: hole(hasParent, linkIndex); break;
        case lk::F_peer: hole(hasPeer, linkIndex); break;
        case lk::F_ports: ref.holes.push_back({j.len, index, true}); break;
        case lk::F_linkIndex: if (hasLink) j.i64(linkIndex); else j.null(); break;
        case lk::F_linkNetnsId: if (hasNetnsId) j.i64(netnsId); else j.null(); break;
        case lk::F_alias: cstr(lk::IFLA_IFALIAS, true); break;
        case lk::F_altNames: {
          std::vector<std::string> alt;
          if (a.has(lk::IFLA_PROP_LIST)) forEachAttr(a.p(lk::IFLA_PROP_LIST), 0, a.n(lk::IFLA_PROP_LIST), [&](int t, const uint8_t *v, size_t n) {
            if (t == lk::IFLA_ALT_IFNAME) {
              size_t z = 0;
              while (z < n && v[z]) z++;
              alt.emplace_back((const char *)v, z);
            }
          });
          j.strArray(alt, L);
          break;
        }
        case lk::F_txqlen: j.i64(a.has(lk::IFLA_TXQLEN) ? u32of(lk::IFLA_TXQLEN) : 0); break;
        case lk::F_promiscuity: j.i64(a.has(lk::IFLA_PROMISCUITY) ? u32of(lk::IFLA_PROMISCUITY) : 0); break;
        case lk::F_allmulti: optU32(lk::IFLA_ALLMULTI); break;
        case lk::F_qdisc: cstr(lk::IFLA_QDISC, true); break;
        case lk::F_numTxQueues: optU32(lk::IFLA_NUM_TX_QUEUES); break;
        case lk::F_numRxQueues: optU32(lk::IFLA_NUM_RX_QUEUES); break;
        case lk::F_gsoMaxSize: optU32(lk::IFLA_GSO_MAX_SIZE); break;
        case lk::F_gsoMaxSegs: optU32(lk::IFLA_GSO_MAX_SEGS); break;
        case lk::F_groMaxSize: optU32(lk::IFLA_GRO_MAX_SIZE); break;
        case lk::F_tsoMaxSize: optU32(lk::IFLA_TSO_MAX_SIZE); break;
        case lk::F_tsoMaxSegs: optU32(lk::IFLA_TSO_MAX_SEGS); break;
        case lk::F_gsoIpv4MaxSize: optU32(lk::IFLA_GSO_IPV4_MAX_SIZE); break;
        case lk::F_groIpv4MaxSize: optU32(lk::IFLA_GRO_IPV4_MAX_SIZE); break;
        case lk::F_parentDev: cstr(lk::IFLA_PARENT_DEV_NAME, false); break;
        case lk::F_parentBus: cstr(lk::IFLA_PARENT_DEV_BUS_NAME, false); break;
        case lk::F_addrGenMode: {
          // IFLA_AF_SPEC -> AF_INET6 -> IFLA_INET6_ADDR_GEN_MODE, the last one wins
          int mode = -1;
          if (a.has(lk::IFLA_AF_SPEC)) forEachAttr(a.p(lk::IFLA_AF_SPEC), 0, a.n(lk::IFLA_AF_SPEC), [&](int t, const uint8_t *v, size_t n) {
            if (t == AF_INET6_) forEachAttr(v, 0, n, [&](int t2, const uint8_t *w, size_t wn) {
              if (t2 == lk::IFLA_INET6_ADDR_GEN_MODE) { need(wn, 1); mode = w[0]; }
            });
          });
          if (mode < 0) j.null();
          else if (mode < (int)COUNT(ADDR_GEN_MODES)) j.str(ADDR_GEN_MODES[mode]);
          else j.str(std::to_string(mode).c_str());
          break;
        }
        default: throw Unrenderable();  // a member this writer does not know: TypeScript prints it
      }
    }
    j.nl(1);
    j.ch('}');
    ref.bodyEnd = body.len;
    refs.push_back(std::move(ref));
  }

  // The rest of the document: the values each link's body left out (holes: names of links
  // and lists of ports, as toViews makes them from the whole dump), the end. iov gets the whole
  // document in order: each link's body, cut where its holes are, each filled in, then the end.
  void finish(std::vector<struct iovec> &iov) {
    if (refs.empty()) {
      static const char empty[] = "[]\n";
      iov.push_back({(void *)empty, 3});
      return;
    }
    std::unordered_map<int64_t, size_t> byIndex;  // a Map: the last link of an index wins
    std::unordered_map<int64_t, std::vector<size_t>> ports;
    byIndex.reserve(refs.size() * 2);
    for (size_t i = 0; i < refs.size(); i++) {
      byIndex[refs[i].index] = i;
      if (refs[i].master) ports[refs[i].master].push_back(i);
    }
    Json &out = tails;
    const int L = 2;
    std::vector<std::pair<size_t, size_t>> holeTexts;  // in tails, the refs' holes in order
    for (size_t i = 0; i < refs.size(); i++) {
      for (auto &h : refs[i].holes) {
        size_t s = out.len;
        if (h.ports) {
          auto it = ports.find(h.index);
          if (it == ports.end()) {
            out.raw("[]", 2);
          } else {
            out.ch('[');
            for (size_t k = 0; k < it->second.size(); k++) {
              if (k) out.ch(',');
              out.nl(L + 1);
              const std::string &n = refs[it->second[k]].name;
              out.str((const uint8_t *)n.data(), n.size());
            }
            out.nl(L);
            out.ch(']');
          }
        } else {
          auto it = byIndex.find(h.index);
          if (it == byIndex.end()) {
            out.null();
          } else {
            const std::string &n = refs[it->second].name;
            out.str((const uint8_t *)n.data(), n.size());
          }
        }
        holeTexts.emplace_back(s, out.len);
      }
    }
    size_t endAt = out.len;
    out.nl(0);
    out.raw("]\n", 2);
    // Pointers only now: the tails no longer grow.
    iov.reserve(refs.size() + 2 * holeTexts.size() + 1);
    size_t hk = 0;
    for (size_t i = 0; i < refs.size(); i++) {
      size_t b = refs[i].bodyStart;
      for (auto &h : refs[i].holes) {
        iov.push_back({body.p + b, h.at - b});
        iov.push_back({tails.p + holeTexts[hk].first, holeTexts[hk].second - holeTexts[hk].first});
        hk++;
        b = h.at;
      }
      iov.push_back({body.p + b, refs[i].bodyEnd - b});
    }
    iov.push_back({tails.p + endAt, tails.len - endAt});
  }

  Json body, tails;
  int indent;
  std::vector<Ref> refs;
  uint32_t flagsOf = 0;
  size_t flagsAt = 0, flagsLen = 0;
};

}  // namespace

namespace {

// The reply messages of a dump on fd, as dump-once.ts reads them: seq 1 only, until
// NLMSG_DONE, an NLMSG_ERROR, or a message without NLM_F_MULTI. false: the kernel refused, or
// marked the dump interrupted (NLM_F_DUMP_INTR: links changed during it, so some may be missing
// or repeated); the TypeScript path then reads again until a dump is whole.
bool readDump(Napi::Env env, int fd, LinkListWriter &w) {
  std::vector<uint64_t> store((64 << 10) / 8);  // per call: worker threads may each run a dump
  uint8_t *buf = (uint8_t *)store.data();
  size_t cap = store.size() * 8;
  for (;;) {
    ssize_t n;
    do n = recv(fd, buf, cap, MSG_TRUNC);
    while (n < 0 && errno == EINTR);
    if (n < 0) throw ErrnoError(env, "recv(netlink)", errno);
    if ((size_t)n > cap) throw ErrnoError(env, "recv(netlink): reply larger than the buffer, truncated", EMSGSIZE);
    for (size_t p = 0; p + NLMSG_HDRLEN <= (size_t)n;) {
      struct nlmsghdr *m = (struct nlmsghdr *)(buf + p);
      if (m->nlmsg_len < NLMSG_HDRLEN || p + m->nlmsg_len > (size_t)n) break;
      const uint8_t *payload = buf + p + NLMSG_HDRLEN;
      p += NLMSG_ALIGN(m->nlmsg_len);
      if (m->nlmsg_seq != 1) continue;
      if (m->nlmsg_flags & NLM_F_DUMP_INTR) return false;
      if (m->nlmsg_type == NLMSG_DONE || m->nlmsg_type == NLMSG_ERROR) {
        int32_t err = 0;
        if (m->nlmsg_len >= NLMSG_HDRLEN + 4) memcpy(&err, payload, 4);
        return err == 0;
      }
      if (m->nlmsg_type == RTM_NEWLINK_) w.add((const uint8_t *)NLMSG_DATA(m), m->nlmsg_len - NLMSG_HDRLEN);
      if (!(m->nlmsg_flags & NLM_F_MULTI)) return true;
    }
  }
}

// All of iov to fd, in writev calls of at most IOV_MAX pieces: a pipe may have been left
// non-blocking by whoever made it; a reader that went away (`| head`) ends the output quietly,
// as process.stdout's EPIPE handler does.
void writeAll(Napi::Env env, int fd, std::vector<struct iovec> &iov) {
  size_t i = 0;
  while (i < iov.size()) {
    int count = (int)std::min<size_t>(iov.size() - i, IOV_MAX);
    ssize_t k = writev(fd, &iov[i], count);
    if (k < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd pfd = {fd, POLLOUT, 0};
        poll(&pfd, 1, -1);
        continue;
      }
      if (errno == EPIPE) return;
      throw ErrnoError(env, "write", errno);
    }
    size_t left = (size_t)k;
    while (i < iov.size() && left >= iov[i].iov_len) left -= iov[i++].iov_len;
    if (left > 0) {
      iov[i].iov_base = (char *)iov[i].iov_base + left;
      iov[i].iov_len -= left;
    }
  }
}

}  // namespace

// linkListJson(source, indent, outFd?) -> the JSON document of `link list --json` (with its
// newline) for the links in source: an fd from netlinkDumpOpen (RTM_GETLINK dump, read to its
// end here) or recorded bytes (nlmsghdr-framed messages, every RTM_NEWLINK taken). indent is
// JSON.stringify's (-1: 2 when outFd is a terminal, else 0). With outFd it is written there and
// the answer is true; else a Buffer.
// null: this writer cannot print these links exactly as the TypeScript path would, or the
// kernel refused the dump; the caller runs the TypeScript path, which says why.
static Napi::Value LinkListJson(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int indent = info[1].As<Napi::Number>().Int32Value();
  int outFd = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : -1;
  // -1: as writeJson does for stdout, 2 on a terminal, else none (node:tty would load ~30 modules).
  if (indent < 0) indent = outFd >= 0 && isatty(outFd) ? 2 : 0;
  if (indent > 10) indent = 10;
  std::unique_ptr<LinkListWriter> writer;
  std::vector<struct iovec> doc;
  try {
    writer = std::make_unique<LinkListWriter>(indent);
    LinkListWriter &w = *writer;
    if (info[0].IsNumber()) {
      if (!readDump(env, info[0].As<Napi::Number>().Int32Value(), w)) return env.Null();
    } else {
      Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
      const uint8_t *b = bytes.Data();
      size_t n = bytes.ByteLength();
      // Copied to an aligned store: a recorded file's bytes may start anywhere.
      std::vector<uint64_t> store(n / 8 + 1);
      memcpy(store.data(), b, n);
      const uint8_t *d = (const uint8_t *)store.data();
      for (size_t p = 0; p + NLMSG_HDRLEN <= n;) {
        const struct nlmsghdr *m = (const struct nlmsghdr *)(d + p);
        if (m->nlmsg_len < NLMSG_HDRLEN || p + m->nlmsg_len > n) break;
        if (m->nlmsg_type == RTM_NEWLINK_) w.add(d + p + NLMSG_HDRLEN, m->nlmsg_len - NLMSG_HDRLEN);
        p += NLMSG_ALIGN(m->nlmsg_len);
      }
    }
    w.finish(doc);
  } catch (const Unrenderable &) {
    return env.Null();
  }
  if (outFd >= 0) {
    writeAll(env, outFd, doc);
    return Napi::Boolean::New(env, true);
  }
  size_t total = 0;
  for (auto &v : doc) total += v.iov_len;
  Napi::Buffer<char> out = Napi::Buffer<char>::New(env, total);
  char *d = out.Data();
  for (auto &v : doc) {
    memcpy(d, v.iov_base, v.iov_len);
    d += v.iov_len;
  }
  return out;
}

void InitLinkJson(Napi::Env env, Napi::Object exports) {
  exports.Set("linkListJson", Napi::Function::New(env, LinkListJson));
}
