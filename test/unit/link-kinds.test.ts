// The link kind tables (src/netlink/link-kinds.ts) are the one place a kind's attributes are
// described; the native JSON writer reads a header generated from them.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { renderLinkKindsHeader } from '../../src/netlink/link-kinds-gen.js';
import { ATTR_TYPE_SIZE, IFLA, KIND_TABLES, SLAVE_TABLES } from '../../src/netlink/link-kinds.js';

test('native/src/generated/link_kinds.h is rendered from the current tables (run scripts/gen-link-kinds)', (t) => {
  t.is(readFileSync(new URL('../../native/src/generated/link_kinds.h', import.meta.url), 'utf8'), renderLinkKindsHeader());
});

test('each table names its attributes once, by a uapi name, with what its type needs', (t) => {
  for (const table of [...KIND_TABLES, ...SLAVE_TABLES]) {
    const what = table.kinds.join('/');
    t.is(new Set(table.attrs.map((a) => a.id)).size, table.attrs.length, `${what}: one entry per attribute id`);
    t.is(new Set(table.attrs.map((a) => a.key)).size, table.attrs.length, `${what}: one entry per key`);
    for (const a of table.attrs) {
      t.regex(a.name, /^IFLA_[A-Z0-9_]+$/, `${what}.${a.key}: a uapi name`);
      t.true(a.type in ATTR_TYPE_SIZE, `${what}.${a.key}: a known type`);
      if (['enum8', 'enum32', 'choice8', 'values32', 'bits32', 'proto16'].includes(a.type)) t.truthy(a.names?.length, `${what}.${a.key}: names`);
      if (['values32', 'bits32'].includes(a.type)) t.is(a.values?.length, a.names?.length, `${what}.${a.key}: a value per name`);
    }
    for (const [k] of table.defaults) t.truthy(table.attrs.find((a) => a.key === k), `${what}: default ${k} is an attribute's`);
    for (const k of table.create?.keys ?? []) t.truthy(table.attrs.find((a) => a.key === k), `${what}: create key ${k} is an attribute's`);
  }
  t.is(new Set(Object.values(IFLA)).size, Object.keys(IFLA).length, 'top-level IFLA ids are distinct');
});
