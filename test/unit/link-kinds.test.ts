// The link kind tables (src/netlink/link-kinds.ts) are the one place a kind's attributes are
// described; the native JSON writer reads a header generated from them.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { renderLinkKindsHeader } from '../../src/netlink/link-kinds-gen.js';
import { ATTR_TYPE_SIZE, IFLA, jsonKeys, KIND_TABLES, LINK_JSON_FIELDS, LINK_JSON_STATS64, SLAVE_TABLES } from '../../src/netlink/link-kinds.js';
import { LINK_STATS_KEYS } from '../../src/netlink/link.js';

test('native/src/generated/link_kinds.h is rendered from the current tables (run scripts/gen-link-kinds)', (t) => {
  t.is(readFileSync(new URL('../../native/src/generated/link_kinds.h', import.meta.url), 'utf8'), renderLinkKindsHeader());
});

test('each table names its attributes once, by a uapi name, with what its type needs', (t) => {
  for (const table of [...KIND_TABLES, ...SLAVE_TABLES]) {
    const what = table.kinds.join('/');
    // one entry per attribute id, but for an attribute holding several values: the bits of
    // struct br_boolopt_multi (bit32, distinct bits), a number and its bits by name (u8 + bits8),
    // or a nest read per family (querier4 + querier6)
    const byId = new Map<number, typeof table.attrs[number][]>();
    for (const a of table.attrs) byId.set(a.id, [...(byId.get(a.id) ?? []), a]);
    for (const [id, group] of byId) {
      t.is(new Set(group.map((a) => a.name)).size, 1, `${what}: id ${id} has one uapi name`);
      if (group.length === 1) continue;
      const types = group.map((a) => a.type).sort().join(',');
      const ok = (group.every((a) => a.type === 'bit32') && new Set(group.map((a) => a.bit)).size === group.length)
        || types === 'bits8,u8' || types === 'bits16,u16' || types === 'mask16,u16'
        || (types === 'ifname32,u32' && group.find((a) => a.type === 'ifname32')!.of === group.find((a) => a.type === 'u32')!.key)
        // IFLA_BR_MCAST_QUERIER_STATE: one nest, its IPv4 and its IPv6 half
        || types === 'querier4,querier6';
      t.true(ok, `${what}: id ${id} has several entries only as bits, a number and its bits, an ifindex and its name (of: the ifindex's key), or the querier state's two families (${types})`);
    }
    t.is(new Set(table.attrs.map((a) => a.key)).size, table.attrs.length, `${what}: one entry per key`);
    for (const a of table.attrs) {
      t.regex(a.name, /^IFLA_[A-Z0-9_]+$/, `${what}.${a.key}: a uapi name`);
      t.true(a.type in ATTR_TYPE_SIZE, `${what}.${a.key}: a known type`);
      if (['enum8', 'enum32', 'choice8', 'values32', 'bits8', 'bits16', 'mask16', 'bits32', 'proto16'].includes(a.type)) t.truthy(a.names?.length, `${what}.${a.key}: names`);
      if (a.type === 'bit32') t.true(Number.isInteger(a.bit) && a.bit! >= 0 && a.bit! < 32, `${what}.${a.key}: a bit`);
      if (['values32', 'bits8', 'bits16', 'mask16', 'bits32'].includes(a.type)) t.is(a.values?.length, a.names?.length, `${what}.${a.key}: a value per name`);
    }
    for (const [k] of table.defaults) t.truthy(table.attrs.find((a) => a.key === k), `${what}: default ${k} is an attribute's`);
    for (const k of table.create?.keys ?? []) t.truthy(table.attrs.find((a) => a.key === k), `${what}: create key ${k} is an attribute's`);
  }
  t.is(new Set(Object.values(IFLA)).size, Object.keys(IFLA).length, 'top-level IFLA ids are distinct');
});

test('the JSON tables give each member one key, and every stats64 member a LinkStats counter', (t) => {
  const keys = LINK_JSON_FIELDS.map((f) => f.key);
  t.is(new Set(keys).size, keys.length, 'top-level keys are unique');
  for (const k of keys) t.regex(k, /^[a-z0-9_]+$/, `${k}: ip's style`);
  for (const dir of ['rx', 'tx'] as const) {
    const names = LINK_JSON_STATS64[dir].map(([k]) => k);
    t.is(new Set(names).size, names.length, `stats64.${dir}: unique`);
    for (const [k, from] of LINK_JSON_STATS64[dir]) t.true((LINK_STATS_KEYS as readonly string[]).includes(from) || from === 'carrierChanges', `stats64.${dir}.${k} from ${from}`);
  }
  // every LinkStats counter is printed once
  const used = [...LINK_JSON_STATS64.rx, ...LINK_JSON_STATS64.tx].map(([, from]) => from).filter((f) => f !== 'carrierChanges').sort();
  t.deepEqual(used, [...LINK_STATS_KEYS].sort());
  for (const table of [...KIND_TABLES, ...SLAVE_TABLES]) {
    const m = jsonKeys(table);
    const out = [...m.values()];
    t.is(new Set(out).size, out.length, `${table.kinds.join('/')}: info_data keys are unique`);
    for (const k of out) t.regex(k, /^[a-z0-9_]+$/, `${table.kinds.join('/')}.${k}: ip's style`);
  }
});
