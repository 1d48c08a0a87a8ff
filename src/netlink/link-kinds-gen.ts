// The C++ header the native JSON writer (native/src/link_json.cc) reads its link kinds from,
// rendered from the tables of link-kinds.ts, so that both writers of `link list --json` know the
// same attributes, types, keys and defaults. scripts/gen-link-kinds writes it to
// native/src/generated/link_kinds.h (`npm run build:native` runs it first); test/unit/link-kinds
// fails when the file on disk is not what this renders.
import {
  ATTR_TYPE_SIZE, type AttrDef, type AttrType, IFLA, IFLA_INET6, IFLA_INFO, IFLA_PROTO_DOWN_REASON, jsonKeyOf, jsonKeys, KIND_TABLES, type KindTable,
  LINK_JSON_FIELDS, LINK_JSON_STATS64, LINK_STATS_KEYS, SLAVE_TABLES,
} from './link-kinds.js';

const TYPES = Object.keys(ATTR_TYPE_SIZE) as AttrType[];
const cType = (t: AttrType): string => `T_${t.toUpperCase()}`;
const cStr = (s: string): string => JSON.stringify(s); // ASCII only: a C string literal as well
const ident = (t: KindTable): string => (t.attrs[0]?.name.replace(/^(IFLA_[A-Z]+(?:_SLAVE)?)_.*$/, '$1') ?? t.kinds[0]!.toUpperCase()).replace(/^IFLA_/, '');

function enumBlock(comment: string, prefix: string, o: Readonly<Record<string, number>>): string {
  const lines = Object.entries(o).map(([k, v]) => `  ${prefix}${k} = ${v},`);
  return `// ${comment}\nenum : int {\n${lines.join('\n')}\n};\n`;
}

function tableBlock(t: KindTable, id: string, label: string): string {
  const out: string[] = [`// ${label}`];
  // an attribute holding several values has several entries (one name, one id)
  const names = [...new Set(t.attrs.map((d) => d.name))];
  if (t.attrs.length) out.push(`enum : int {\n${names.map((n) => `  ${n} = ${t.attrs.find((d) => d.name === n)!.id},`).join('\n')}\n};`);
  const shared = (d: AttrDef): boolean => t.attrs.filter((x) => x.name === d.name).length > 1;
  const arr = (d: AttrDef): string => (shared(d) ? `${d.name}_${d.key}` : d.name);
  for (const d of t.attrs) {
    if (d.names) out.push(`static const char *const ${arr(d)}_NAMES[] = {${d.names.map(cStr).join(', ')}};`);
    if (d.values) out.push(`static const uint32_t ${arr(d)}_VALUES[] = {${d.values.join(', ')}};`);
  }
  if (t.attrs.length) {
    out.push(`static const Attr ${id}_ATTRS[] = {\n${t.attrs.map((d) => `    {${d.name}, ${cType(d.type)}, ${cStr(jsonKeyOf(d))}, ${d.names ? `${arr(d)}_NAMES` : 'nullptr'}, ${d.names?.length ?? 0}, ${d.values ? `${arr(d)}_VALUES` : 'nullptr'}, ${d.bit ?? 0}},`).join('\n')}\n};`);
  }
  if (t.defaults.length) {
    const keys = jsonKeys(t);
    out.push(`static const Default ${id}_DEFAULTS[] = {\n${t.defaults.map(([k, v]) => `    {${cStr(keys.get(k)!)}, ${cStr(JSON.stringify(v))}},`).join('\n')}\n};`);
  }
  return out.join('\n') + '\n';
}

function tablesOf(name: string, tables: readonly KindTable[], ids: Map<KindTable, string>): string {
  const rows: string[] = [];
  for (const t of tables) {
    const id = ids.get(t)!;
    const defs = t.defaults.length ? `${id}_DEFAULTS, ${t.defaults.length}` : 'nullptr, 0';
    const attrs = t.attrs.length ? `${id}_ATTRS, ${t.attrs.length}` : 'nullptr, 0';
    for (const k of t.kinds) rows.push(`    {${cStr(k)}, ${defs}, ${attrs}},`);
  }
  return `static const Table ${name}[] = {\n${rows.join('\n')}\n};\nstatic const size_t ${name}_COUNT = ${rows.length};\n`;
}

// The members of a link's JSON (LINK_JSON_FIELDS), in print order: an enumerator per LinkView
// member a value comes from (the writer has a case for each: a member it lacks makes it give up,
// and the byte-for-byte tests fail), the key and the format.
function fieldsBlock(): string {
  const fromIds = [...new Set(LINK_JSON_FIELDS.map((f) => f.from))];
  const formats = [...new Set(LINK_JSON_FIELDS.map((f) => f.as))];
  const stat = (from: string): number => (from === 'carrierChanges' ? LINK_STATS_KEYS.length : LINK_STATS_KEYS.indexOf(from as (typeof LINK_STATS_KEYS)[number]));
  const stats = (dir: 'rx' | 'tx'): string => `static const StatsField STATS64_${dir.toUpperCase()}[] = {${LINK_JSON_STATS64[dir].map(([k, from]) => `{${cStr(k)}, ${stat(from)}}`).join(', ')}};`;
  return `// A link's JSON members (LINK_JSON_FIELDS): which LinkView member each comes from, how it is written.
enum From { ${fromIds.map((f) => `F_${f}`).join(', ')} };
enum As { ${formats.map((f) => `AS_${f.toUpperCase()}`).join(', ')} };
struct Field {
  From from;
  As as;
  const char *key;
  bool optional;
};
static const Field LINK_JSON_FIELDS[] = {
${LINK_JSON_FIELDS.map((f) => `    {F_${f.from}, AS_${f.as.toUpperCase()}, ${cStr(f.key)}, ${f.optional ? 'true' : 'false'}},`).join('\n')}
};
static const size_t LINK_JSON_FIELDS_COUNT = ${LINK_JSON_FIELDS.length};
// stats64's members (LINK_JSON_STATS64): the key and the counter, by its place in struct
// rtnl_link_stats64 (LINK_STATS_KEYS); ${LINK_STATS_KEYS.length} is the link's IFLA_CARRIER_CHANGES.
struct StatsField {
  const char *key;
  int counter;
};
static const int STATS_CARRIER_CHANGES = ${LINK_STATS_KEYS.length};
${stats('rx')}
${stats('tx')}
static const size_t STATS64_RX_COUNT = ${LINK_JSON_STATS64.rx.length}, STATS64_TX_COUNT = ${LINK_JSON_STATS64.tx.length};
`;
}

export function renderLinkKindsHeader(): string {
  const ids = new Map<KindTable, string>();
  for (const t of [...KIND_TABLES, ...SLAVE_TABLES]) ids.set(t, ident(t));
  return `// GENERATED by scripts/gen-link-kinds from the link kind tables of src/netlink/link-kinds.ts,
// through src/netlink/link-kinds-gen.ts: DO NOT EDIT. \`npm run build:native\` regenerates it;
// test/unit/link-kinds.test.ts fails when it is out of date.
#pragma once
#include <cstddef>
#include <cstdint>

namespace link_kinds {

${enumBlock('Top-level attributes of an RTM_NEWLINK message', 'IFLA_', IFLA)}
${enumBlock('Inside IFLA_LINKINFO', 'IFLA_INFO_', IFLA_INFO)}
${enumBlock('Inside IFLA_PROTO_DOWN_REASON', 'IFLA_PROTO_DOWN_REASON_', IFLA_PROTO_DOWN_REASON)}
${enumBlock("Inside IFLA_AF_SPEC's AF_INET6 block", 'IFLA_INET6_', IFLA_INET6)}
// How a value is read (AttrType in link-kinds.ts) and the bytes it needs at least.
enum AttrType { ${TYPES.map(cType).join(', ')} };
static const size_t TYPE_SIZE[] = {${TYPES.map((t) => ATTR_TYPE_SIZE[t]).join(', ')}};

struct Attr {
  int id;
  AttrType type;
  const char *key;  // in info_data / info_slave_data: ip's, else nodectl's in snake_case (jsonKeyOf)
  const char *const *names;
  size_t count;
  const uint32_t *values;
  int bit;  // bit32: which bit
};
// A member every decoded object has, with its value (as JSON text) when the kernel sends none.
struct Default {
  const char *key;
  const char *json;
};
struct Table {
  const char *kind;
  const Default *defaults;
  size_t ndefaults;
  const Attr *attrs;
  size_t nattrs;
};

${KIND_TABLES.map((t) => tableBlock(t, ids.get(t)!, t.kinds.join(', '))).join('\n')}
${SLAVE_TABLES.map((t) => tableBlock(t, ids.get(t)!, `a port of a ${t.kinds.join(', ')}`)).join('\n')}
${fieldsBlock()}
// IFLA_INFO_KIND -> table (info_data)
${tablesOf('KIND_TABLES', KIND_TABLES, ids)}
// IFLA_INFO_SLAVE_KIND -> table (info_slave_data)
${tablesOf('SLAVE_TABLES', SLAVE_TABLES, ids)}
}  // namespace link_kinds
`;
}
