import test from 'ava';
import { LineCounter, parseDocument } from 'yaml';
import { quickYaml } from '../../src/config/quick-yaml.js';
import { corpus, EDGE, JSON_TEXTS, mutations, written } from './config-corpus.js';

// The quick parser may decline anything, but what it accepts must be exactly what the `yaml`
// package reads (with the options src/config/load.ts uses), and it must never accept a text
// the package rejects.
function full(text: string): { ok: true; value: unknown } | { ok: false } {
  const doc = parseDocument(text, { lineCounter: new LineCounter(), uniqueKeys: true, prettyErrors: false });
  return doc.errors.length ? { ok: false } : { ok: true, value: doc.toJS() };
}

function agrees(text: string): { accepted: boolean; problem: string | null } {
  const q = quickYaml(text);
  if (q === undefined) return { accepted: false, problem: null };
  const f = full(text);
  if (!f.ok) return { accepted: true, problem: 'accepted a text the yaml package rejects' };
  if (!same(q, f.value)) return { accepted: true, problem: `read ${JSON.stringify(q)}, the package reads ${JSON.stringify(f.value)}` };
  return { accepted: true, problem: null };
}

/** Equal values, with keys in the same order and -0 distinct from 0 (as JSON output shows). */
function same(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  if (Array.isArray(a) !== Array.isArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

test('the quick parser reads every config text of the repository as the yaml package does', (t) => {
  const texts = corpus();
  t.true(texts.length > 20, `corpus of ${texts.length}`);
  let accepted = 0;
  for (const text of [...texts, ...EDGE]) {
    const r = agrees(text);
    if (r.problem) t.fail(`${r.problem}:\n${text}`);
    if (r.accepted && texts.includes(text)) accepted++;
  }
  // it must actually serve the files people write, not decline everything
  t.true(accepted > texts.length * 0.9, `accepted ${accepted} of ${texts.length}`);
  t.not(quickYaml(written), undefined, written);
  // JSON files as tools write them (pretty or compact): read without the package too
  for (const j of JSON_TEXTS.slice(0, 6)) t.deepEqual(quickYaml(j), JSON.parse(j), j);
  t.deepEqual(quickYaml('interfaces:\n  - {name: eth0, kind: device, mtu: 1500}\n'), { interfaces: [{ name: 'eth0', kind: 'device', mtu: 1500 }] });
});

test('the quick parser never disagrees with the yaml package on mutated texts', (t) => {
  let tried = 0;
  for (const text of mutations()) {
    const r = agrees(text);
    tried++;
    if (r.problem) { t.fail(`${r.problem}:\n${JSON.stringify(text)}`); return; }
  }
  t.true(tried > 1000);
});
