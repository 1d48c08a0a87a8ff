// The Debian package's man pages and shell completions are generated from the command tree
// (scripts/package/gen-docs.ts): every command of the manifest, and every one of its visible
// flags, must be in them, so a new command cannot ship undocumented or uncompletable.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { completions, manPages, type Manifest, type PackageInfo } from '../../scripts/package/gen-docs.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const manifestFile = `${root}oclif.manifest.json`;
const built = existsSync(manifestFile) && existsSync(`${root}dist/commands`);
const manifest = built ? (JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest) : { commands: {} };
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as PackageInfo;
const visible = Object.values(manifest.commands).filter((c) => !c.hidden);

test('the manifest is built (npm run build:ts) and lists the command tree', (t) => {
  t.true(built, 'oclif.manifest.json or dist/ missing: run npm run build:ts');
  t.true(visible.length >= 30, `only ${visible.length} commands in the manifest`);
});

test('man pages: nodectl(8) names every topic page; each command is a section with all its flags', (t) => {
  const pages = manPages(manifest, pkg, '2026-01-01');
  const main = pages.get('nodectl.8');
  if (!main) return t.fail('no nodectl.8');
  const topics = [...new Set(visible.filter((c) => c.id.includes(':')).map((c) => c.id.split(':')[0]!))];
  t.deepEqual([...pages.keys()].sort(), ['nodectl.8', ...topics.map((x) => `nodectl-${x}.8`)].sort());
  for (const topic of topics) t.true(main.includes(`\\fBnodectl\\-${topic}\\fR(8)`), `nodectl.8 does not name nodectl-${topic}(8)`);
  for (const c of visible) {
    const words = c.id.split(':');
    const page = pages.get(words.length > 1 ? `nodectl-${words[0]}.8` : 'nodectl.8')!;
    const head = `.SS "nodectl ${words.join(' ').replace(/-/g, '\\-')}"\n`;
    const at = page.indexOf(head);
    t.true(at >= 0, `${c.id}: no section in its man page`);
    const next = page.indexOf('.SS ', at + head.length);
    const section = page.slice(at, next < 0 ? undefined : next);
    for (const f of Object.values(c.flags).filter((x) => !x.hidden)) {
      t.true(section.includes(`\\-\\-${f.allowNo ? '[no\\-]' : ''}${f.name.replace(/-/g, '\\-')}`), `${c.id}: flag --${f.name} missing from its man page section`);
    }
  }
  // No line a formatter would take for a request it does not know: text never starts with . or '
  for (const [name, text] of pages) {
    for (const line of text.split('\n')) {
      if (/^[.']/.test(line)) t.regex(line, /^\.(\\"|(TH|SH|SS|TP|PP|RS|RE|nf|fi|br)\b)/, `${name}: stray request ${line}`);
    }
  }
});

test('completions: bash lists every command with its flags, zsh offers every command word', (t) => {
  if (!built) return t.fail('not built');
  const { bash, zsh } = completions(root);
  const bashLines = new Set(bash.split('\n'));
  for (const c of visible) {
    const line = [...bashLines].find((l) => l === c.id || l.startsWith(`${c.id} `));
    t.truthy(line, `bash completion lacks ${c.id}`);
    for (const f of Object.values(c.flags).filter((x) => !x.hidden)) t.true(line?.split(' ').includes(`--${f.name}`), `bash completion of ${c.id} lacks --${f.name}`);
    const word = c.id.split(':').at(-1)!;
    t.true(zsh.includes(`"${word}[`), `zsh completion does not offer ${c.id}`);
  }
  t.regex(bash, /complete -F _nodectl_autocomplete nodectl/);
  t.regex(zsh, /^#compdef nodectl/);
});
