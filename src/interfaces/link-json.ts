// A link as `link list/show --json` and `monitor` print it: iproute2's keys and nesting (`ip -j
// -d -s -s link show`), so that `| jq '.[].ifname'` works on both. The decoded LinkView keeps its
// camelCase members for the rest of the code; this is the one projection, driven by the tables
// of src/netlink/link-kinds.ts (LINK_JSON_FIELDS, LINK_JSON_STATS64, the kind tables' `ip`
// keys). The native writer of `link list --json` (native/src/link_json.cc) walks the same tables
// and must give the same bytes (test/unit/link-json.test.ts, test/netns/link-json.test.ts).
import { jsonKeys, KIND_TABLE, type KindTable, LINK_JSON_FIELDS, LINK_JSON_STATS64, SLAVE_TABLE } from '../netlink/link-kinds.js';
import type { LinkView } from './model.js';

/** A link's JSON: ip's keys (ifindex, ifname, operstate, linkinfo, stats64 …) and nodectl's own (snake_case). */
export type LinkJson = Record<string, unknown> & { ifindex: number; ifname: string };

/** nodectl key -> JSON key, per table (a kind's table has a few dozen entries; links share a few tables). */
const keyCache = new Map<KindTable, ReadonlyMap<string, string>>();

/**
 * kindData / slaveData by the table's JSON keys, in their order, without `kind` (info_kind says it); null for a table without attributes (veth, dummy: ip prints no info_data).
 * Also the words of `link show`'s kind and port lines (render.ts), so text and JSON name a member alike.
 */
export function tableJson(data: { kind: string } | null, tables: ReadonlyMap<string, KindTable>): Record<string, unknown> | null {
  const table = data && tables.get(data.kind);
  if (!data || !table || table.attrs.length === 0) return null;
  let keys = keyCache.get(table);
  if (!keys) keyCache.set(table, (keys = jsonKeys(table)));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    const j = keys.get(k);
    if (j !== undefined) out[j] = v;
  }
  return out;
}

/** A link whose kind came from no IFLA_INFO_KIND (link.ts names those 'device' and 'loopback'). */
const NO_INFO_KIND = new Set(['device', 'loopback']);

function linkinfoJson(v: LinkView): Record<string, unknown> | null {
  const infoKind = NO_INFO_KIND.has(v.kind) ? null : v.kind;
  if (infoKind === null && v.slaveKind === null) return null;
  return {
    info_kind: infoKind,
    info_data: infoKind === null ? null : tableJson(v.kindData, KIND_TABLE),
    info_slave_kind: v.slaveKind,
    info_slave_data: tableJson(v.slaveData, SLAVE_TABLE),
  };
}

/**
 * One function that builds a link's JSON as one object literal, compiled once from
 * LINK_JSON_FIELDS: a cold process projects thousands of links before V8 optimizes anything,
 * and a loop over the table with a keyed store per member took ~37 µs a link (72–79 ms for
 * 2,001 links, as long as the dump), the literal 18–43 ms (fresh processes, load 5–7). Keys and member names come from
 * the table only (JSON.stringify-quoted), never from input.
 */
type Projector = (v: LinkView, h: typeof helpers) => LinkJson;
const helpers = {
  upper: (x: unknown): string | null => (typeof x === 'string' ? x.toUpperCase() : null),
  group: (x: unknown): string => (x === 0 ? 'default' : String(x)),
  link: (v: LinkView): string | null => (v.kind === 'veth' ? (v.linkNetnsId === null ? v.peer : null) : v.parent),
  linkinfo: linkinfoJson,
};

/** stats64 ({rx, tx} by LINK_JSON_STATS64) as a literal over the LinkStats `s` and the link's carrierChanges, for compile(). */
function stats64Literal(s: string): string {
  const dir = (entries: readonly (readonly [string, string])[]): string =>
    `{${entries.map(([k, from]) => `${JSON.stringify(k)}: ${from === 'carrierChanges' ? 'v.carrierChanges' : `${s}[${JSON.stringify(from)}]`}`).join(', ')}}`;
  return `{"rx": ${dir(LINK_JSON_STATS64.rx)}, "tx": ${dir(LINK_JSON_STATS64.tx)}}`;
}

function compile(): Projector {
  const members: string[] = [];
  const optional: string[] = [];
  for (const f of LINK_JSON_FIELDS) {
    const k = JSON.stringify(f.key);
    const from = `v[${JSON.stringify(f.from)}]`;
    const value = f.as === 'same' ? `${from} ?? null` : f.as === 'upper' || f.as === 'group' ? `h.${f.as}(${from})` : f.as === 'stats64' ? stats64Literal(from) : `h.${f.as}(v)`;
    // an optional member only when the view has it (link_netns): last in the table, added after the literal
    if (f.optional) optional.push(`if (${from} !== undefined) o[${k}] = ${from};`);
    else if (optional.length) throw new Error(`LINK_JSON_FIELDS: ${f.key} after an optional member`);
    else members.push(`${k}: ${value}`);
  }
  return new Function('v', 'h', `const o = {${members.join(', ')}};\n${optional.join('\n')}\nreturn o;`) as Projector;
}
let projector: Projector | undefined;

/** The JSON of one link view (see LINK_JSON_FIELDS for each member). */
export function linkJson(v: LinkView): LinkJson {
  return (projector ??= compile())(v, helpers);
}

export function linksJson(views: readonly LinkView[]): LinkJson[] {
  return views.map(linkJson);
}
