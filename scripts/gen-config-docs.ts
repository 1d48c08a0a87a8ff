// Renders the config file reference from the schema itself, so the docs cannot drift from what
// `config validate` accepts. Output: docs/config-reference.md (DO NOT EDIT by hand).
import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfigReference } from '../src/config/reference.js';

const out = new URL('../docs/config-reference.md', import.meta.url);
const text = renderConfigReference();
if (process.argv.includes('--check')) {
  let cur = '';
  try { cur = readFileSync(out, 'utf8'); } catch { /* missing counts as stale */ }
  if (cur !== text) {
    process.stderr.write('docs/config-reference.md is out of date: run scripts/gen-config-docs\n');
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
}
