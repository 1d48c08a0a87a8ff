// How validation scales with the number of problems: files with N interfaces that each have
// one meaning problem (an unknown lower device) and one schema problem (mtu 10), N doubling.
// Linear work shows as a time ratio near 2 per doubling; the quadratic scan this replaced gave
// ~4 (20,000 problems took over 60 s). Prints the YAML parse (the `yaml` package, needed to
// place problems) apart from nodectl's own checks.
import { LineCounter, parseDocument } from 'yaml';
import { ConfigSource, configProblems } from '../src/config/load.js';

function text(n: number): string {
  const lines = ['interfaces:'];
  for (let i = 0; i < n; i++) lines.push(`  - {name: m${i}, kind: macvlan, link: nope${i}, mtu: 10}`);
  return lines.join('\n') + '\n';
}

const ms = (t0: number): number => performance.now() - t0;
// warm the JIT on a small file first: the first call would otherwise be charged to N=2500
configProblems(new ConfigSource('w', text(2000)));
let prev = 0;
for (const n of [2500, 5000, 10_000, 20_000]) {
  const t = text(n);
  let t0 = performance.now();
  parseDocument(t, { lineCounter: new LineCounter(), uniqueKeys: true, prettyErrors: false });
  const parse = ms(t0);
  const src = new ConfigSource('bench.yaml', t);
  void src.doc; // the parse, paid once, out of the figure below
  t0 = performance.now();
  const problems = configProblems(src).length;
  const checks = ms(t0);
  console.log(`${String(n).padStart(6)} interfaces, ${problems} problems: yaml parse ${parse.toFixed(0)} ms, checks ${checks.toFixed(0)} ms${prev ? ` (×${(checks / prev).toFixed(2)} for ×2 problems)` : ''}`);
  prev = checks;
}
