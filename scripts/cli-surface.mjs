#!/usr/bin/env node
// Prints the CLI surface (every command id with its flags and arguments) from the oclif
// manifest, in a stable order. `--write` updates test/fixtures/cli-surface.json, which
// test/unit/cli-surface.test.ts compares against: a changed flag is a deliberate act.
import { readFileSync, writeFileSync } from 'node:fs';

export function cliSurface(manifest) {
  const out = {};
  for (const id of Object.keys(manifest.commands).sort()) {
    const c = manifest.commands[id];
    if (c.pluginName && c.pluginName !== 'nodectl') continue;
    out[id] = {
      args: Object.keys(c.args ?? {}),
      flags: Object.keys(c.flags ?? {}).sort().map((f) => {
        const d = c.flags[f];
        return `${f}${d.char ? `/-${d.char}` : ''}${d.type === 'option' ? '=' : ''}`;
      }),
    };
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const manifest = JSON.parse(readFileSync(new URL('../oclif.manifest.json', import.meta.url), 'utf8'));
  const text = JSON.stringify(cliSurface(manifest), null, 2) + '\n';
  if (process.argv.includes('--write')) writeFileSync(new URL('../test/fixtures/cli-surface.json', import.meta.url), text);
  else process.stdout.write(text);
}
