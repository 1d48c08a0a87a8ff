import test from 'ava';
import { readFileSync } from 'node:fs';
import { renderConfigReference } from '../../src/config/reference.js';

test('docs/config-reference.md is generated from the current schema (run scripts/gen-config-docs)', (t) => {
  const onDisk = readFileSync(new URL('../../docs/config-reference.md', import.meta.url), 'utf8');
  t.is(onDisk, renderConfigReference());
  t.regex(onDisk, /\| `vlan.id` \| integer \| yes \| VLAN id, 1-4094\. 1–4094 \|/);
});
