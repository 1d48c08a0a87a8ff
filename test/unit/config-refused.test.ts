import test from 'ava';
import { ConfigError } from '../../src/errors.js';
import { parseConfig } from '../../src/config/load.js';
import { quickYaml } from '../../src/config/quick-yaml.js';
import { quickValid } from '../../src/config/read.js';
import { corpus, REFUSED } from './config-corpus.js';
import { nestingProblem } from '../../src/config/limits.js';

// Issue 18: everything `config apply` and `mgmt run` would refuse that the file alone shows is
// refused by the loader `config validate` runs, at its position — and the quick reader (the
// other path to a config) never accepts it.
for (const r of REFUSED) {
  test(`refused: ${r.what}`, (t) => {
    const err = t.throws(() => parseConfig(r.text, 'n.yaml'), { instanceOf: ConfigError });
    const hit = err!.problems.find((p) => p.path === r.path && r.reason.test(p.reason));
    t.truthy(hit, `expected ${r.path} ${String(r.reason)}, got:\n${err!.problems.map((p) => `${p.line}:${p.column} ${p.path} ${p.reason}`).join('\n')}`);
    t.true(hit!.line >= 1 && hit!.column >= 1);
    const q = quickYaml(r.text);
    t.false(q !== undefined && quickValid(q), 'the quick reader accepted it');
  });
}

test('the nesting limit refuses no config text written in this repository', (t) => {
  for (const text of corpus()) t.is(nestingProblem(text), null, text);
});

test('a refused address is reported at the address, in a file that is otherwise valid', (t) => {
  const err = t.throws(() => parseConfig('interfaces:\n  - name: br0\n    kind: bridge\n    addresses:\n      - 192.0.2.1/24\n      - 127.0.0.5/8\n', 'n.yaml'), { instanceOf: ConfigError });
  t.deepEqual(err!.problems.map((p) => `${p.line}:${p.column}`), ['6:9']);
});

test('loopback addresses are fine on lo', (t) => {
  t.notThrows(() => parseConfig('interfaces:\n  - {name: lo, kind: device, addresses: [127.0.0.5/8, "::1/128"]}\n'));
});
