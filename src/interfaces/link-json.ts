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

/** kindData / slaveData by the table's JSON keys, in their order, without `kind` (info_kind says it); null for a table without attributes (veth, dummy: ip prints no info_data). */
function tableJson(data: { kind: string } | null, tables: ReadonlyMap<string, KindTable>): Record<string, unknown> | null {
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

function stats64Json(v: LinkView): Record<string, unknown> {
  const s = v.stats as unknown as Record<string, number | null>;
  const dir = (entries: readonly (readonly [string, string])[]): Record<string, number | null> => {
    const o: Record<string, number | null> = {};
    for (const [k, from] of entries) o[k] = from === 'carrierChanges' ? v.carrierChanges : s[from]!;
    return o;
  };
  return { rx: dir(LINK_JSON_STATS64.rx), tx: dir(LINK_JSON_STATS64.tx) };
}

/** The JSON of one link view (see LINK_JSON_FIELDS for each member). */
export function linkJson(v: LinkView): LinkJson {
  const src = v as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of LINK_JSON_FIELDS) {
    const x = src[f.from];
    switch (f.as) {
      case 'same':
        if (f.optional && x === undefined) continue;
        out[f.key] = x ?? null;
        break;
      case 'upper': out[f.key] = typeof x === 'string' ? x.toUpperCase() : null; break;
      case 'group': out[f.key] = x === 0 ? 'default' : String(x); break;
      case 'link':
        out[f.key] = v.kind === 'veth' ? (v.linkNetnsId === null ? v.peer : null) : v.parent;
        break;
      case 'linkinfo': out[f.key] = linkinfoJson(v); break;
      case 'stats64': out[f.key] = stats64Json(v); break;
    }
  }
  return out as LinkJson;
}

export function linksJson(views: readonly LinkView[]): LinkJson[] {
  return views.map(linkJson);
}
