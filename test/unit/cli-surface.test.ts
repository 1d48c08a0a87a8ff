import test from 'ava';
import { readFileSync } from 'node:fs';
// @ts-expect-error plain ESM script without types
import { cliSurface } from '../../scripts/cli-surface.mjs';

// The CLI surface is frozen: operators script against it. A change must update the snapshot
// on purpose (node scripts/cli-surface.mjs --write) and show up in review.
test('commands and flags match the committed snapshot', (t) => {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8'));
  } catch {
    t.fail('oclif.manifest.json is missing: run npm run build:ts first (npm test does)');
    return;
  }
  const expected = JSON.parse(readFileSync(new URL('../fixtures/cli-surface.json', import.meta.url), 'utf8'));
  t.deepEqual(cliSurface(manifest), expected);
});

test('every command documents itself with a summary and examples', (t) => {
  const manifest = JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8')) as {
    commands: Record<string, { pluginName?: string; summary?: string; description?: string; examples?: unknown[] }>;
  };
  const own = Object.entries(manifest.commands).filter(([, c]) => c.pluginName === 'nodectl');
  t.true(own.length > 0);
  for (const [id, c] of own) {
    t.truthy(c.summary ?? c.description, `${id} has no summary`);
    t.true((c.examples?.length ?? 0) > 0, `${id} has no examples in --help`);
  }
});
