#!/usr/bin/env node
// debian/copyright (machine-readable format 1.0) for the .deb: nodectl itself, the Node runtime
// bundled under node/, and one paragraph per npm package under node_modules/ with the license
// its package.json declares; each license's text once, from the first package that ships it.
// Usage: copyright.mjs LIBDIR NODE_LICENSE_FILE > copyright   (LIBDIR = the staged /usr/lib/nodectl)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const [lib, nodeLicense] = process.argv.slice(2);
if (!lib || !nodeLicense) {
  process.stderr.write('usage: copyright.mjs LIBDIR NODE_LICENSE_FILE\n');
  process.exit(2);
}

/** A license text as a DEP-5 continuation: one space in front, empty lines as " .". */
const body = (text) => text.replace(/\r/g, '').trim().split('\n').map((l) => (l.trim() === '' ? ' .' : ` ${l}`)).join('\n');
// SPDX identifiers the way the format spells them (MIT is "Expat" in Debian's vocabulary).
const dep5 = (spdx) => spdx.replace(/^\((.*)\)$/, '$1').replace(/\s+OR\s+/g, ' or ').replace(/\s+AND\s+/g, ' and ').replace(/\bMIT\b/g, 'Expat').replace(/\bBSD-3-Clause\b/g, 'BSD-3-clause').replace(/\bBSD-2-Clause\b/g, 'BSD-2-clause');

/** In /usr/share/common-licenses on every Debian system (base-files). */
const COMMON = new Set(['Apache-2.0', 'CC0-1.0', 'MPL-2.0', 'GPL-2', 'GPL-3', 'LGPL-2.1', 'LGPL-3']);

const packages = [];
const walk = (dir) => {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const p = path.join(dir, name);
    if (name.startsWith('@')) { walk(p); continue; }
    const pj = path.join(p, 'package.json');
    if (!existsSync(pj)) continue;
    const meta = JSON.parse(readFileSync(pj, 'utf8'));
    const licFile = readdirSync(p).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    const author = typeof meta.author === 'string' ? meta.author : meta.author?.name;
    packages.push({ dir: path.relative(lib, p), name: meta.name, version: meta.version, license: dep5(meta.license ?? 'UNKNOWN'), author, licText: licFile ? readFileSync(path.join(p, licFile), 'utf8') : null });
    walk(path.join(p, 'node_modules'));
  }
};
walk(path.join(lib, 'node_modules'));

const out = [];
out.push(`Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: nodectl
Comment: Built from the nodectl sources by scripts/package/build-deb. The Node runtime under
 /usr/lib/nodectl/node is the official Linux x64 build; the JavaScript packages under
 /usr/lib/nodectl/node_modules are the production dependencies from package-lock.json.

Files: *
Copyright: nodectl authors
License: Expat

Files: usr/lib/nodectl/node/*
Copyright: Node.js contributors and the authors of the components it bundles
License: Node.js
Comment: Node ${process.env.NODE_VERSION ?? ''}; its LICENSE, below, lists every bundled component and its terms.`);

const texts = new Map([['Node.js', readFileSync(nodeLicense, 'utf8')]]);
for (const p of packages) {
  // The holder line of the license file ("Copyright (c) 2015 Jane"), not its prose about copyright notices.
  const who = p.licText?.match(/^\s*Copyright\s+(?:\(c\)\s*|©\s*)?((?:\d{4}|[A-Z]).*)$/m)?.[1]?.trim() ?? p.author ?? `the ${p.name} authors`;
  out.push(`Files: usr/lib/nodectl/${p.dir}/*\nCopyright: ${who}\nLicense: ${p.license}\nComment: npm package ${p.name}@${p.version}`);
  if (p.licText && !texts.has(p.license) && p.license !== 'Expat' && !COMMON.has(p.license)) texts.set(p.license, p.licText);
}
// Expat (nodectl's own license, and most packages'): the plain text once, the holders are above.
texts.set('Expat', 'Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated documentation files (the "Software"), to deal in the Software without restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the following conditions:\n\nThe above copyright notice and this permission notice shall be included in all copies or substantial portions of the Software.\n\nTHE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.');
const used = new Set(['Expat', 'Node.js', ...packages.flatMap((p) => p.license.split(/\s+(?:or|and|OR|AND)\s+|[()]/).filter(Boolean))]);
for (const lic of [...used].sort()) {
  // Licenses that base-files ships are referred to, not repeated (Debian policy 12.5).
  const text = COMMON.has(lic) ? `On Debian systems, the complete text of ${lic} is in /usr/share/common-licenses/${lic}.` : texts.get(lic);
  if (!text) throw new Error(`no license text for ${lic}: which package declares it without shipping it?`);
  out.push(`License: ${lic}\n${body(text)}`);
}
process.stdout.write(`${out.join('\n\n')}\n`);
