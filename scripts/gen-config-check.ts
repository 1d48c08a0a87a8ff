// Writes src/config/schema-check.ts (see src/config/schema-check-gen.ts). `--check`: exit 1 when
// the file on disk differs from what the current schemas compile to.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderSchemaCheck } from '../src/config/schema-check-gen.js';

const out = new URL('../src/config/schema-check.ts', import.meta.url);
const text = renderSchemaCheck();
if (process.argv.includes('--check')) {
  let cur = '';
  try { cur = readFileSync(out, 'utf8'); } catch { /* missing counts as stale */ }
  if (cur !== text) {
    process.stderr.write('src/config/schema-check.ts is out of date: run scripts/gen-config-check\n');
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
}
