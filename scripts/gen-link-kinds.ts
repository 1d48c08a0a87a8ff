// Writes native/src/generated/link_kinds.h (see src/netlink/link-kinds-gen.ts). `--check`: exit 1
// when the file on disk differs from what the current link kind tables render to.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { renderLinkKindsHeader } from '../src/netlink/link-kinds-gen.js';

const out = new URL('../native/src/generated/link_kinds.h', import.meta.url);
const text = renderLinkKindsHeader();
if (process.argv.includes('--check')) {
  let cur = '';
  try { cur = readFileSync(out, 'utf8'); } catch { /* missing counts as stale */ }
  if (cur !== text) {
    process.stderr.write('native/src/generated/link_kinds.h is out of date: run scripts/gen-link-kinds\n');
    process.exit(1);
  }
} else {
  mkdirSync(new URL('.', out), { recursive: true });
  writeFileSync(out, text);
}
