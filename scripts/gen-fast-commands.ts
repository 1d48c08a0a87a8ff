// Writes src/cli/generated/fast-commands.ts (see src/cli/fast-spec-gen.ts). `--check`: exit 1
// when the file on disk differs from what the command classes derive to.
import { readFileSync, writeFileSync } from 'node:fs';
import { loadFastPathedClasses, renderFastCommands } from '../src/cli/fast-spec-gen.js';

const out = new URL('../src/cli/generated/fast-commands.ts', import.meta.url);
let text: string;
try {
  text = renderFastCommands(await loadFastPathedClasses());
} catch (err) {
  // a flag the fast parser does not implement: the sentence says which and what to do
  process.stderr.write(`scripts/gen-fast-commands: ${(err as Error).message}\n`);
  process.exit(1);
}
let cur = '';
try { cur = readFileSync(out, 'utf8'); } catch { /* missing counts as stale */ }
if (process.argv.includes('--check')) {
  if (cur !== text) {
    process.stderr.write('src/cli/generated/fast-commands.ts is out of date: run scripts/gen-fast-commands\n');
    process.exit(1);
  }
} else if (cur !== text) {
  // unchanged files keep their mtime, so tsc and the bundles are not redone for nothing
  writeFileSync(out, text);
}
