import test from 'ava';
import { readFileSync } from 'node:fs';
import { EXIT } from '../../src/cli/exit-codes.js';

// The README's table of codes and exit statuses is what operators script against; it must say
// exactly what src/cli/exit-codes.ts does.
test('README exit-status table matches the code', (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const rows = [...readme.matchAll(/^\| ([A-Z_]+) \| (\d+) \|/gm)].map((m) => [m[1], Number(m[2])] as const);
  t.true(rows.length > 0, 'no exit-status table in README.md');
  t.deepEqual(Object.fromEntries(rows), { ...EXIT });
});
