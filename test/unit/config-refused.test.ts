import test from 'ava';
import { ConfigError } from '../../src/errors.js';
import { parseConfig } from '../../src/config/load.js';
import { quickYaml } from '../../src/config/quick-yaml.js';
import { quickValid } from '../../src/config/read.js';
import { corpus, EDGE, mutations, REFUSED } from './config-corpus.js';
import { decodeUtf8, firstInvalidUtf8, nestingProblem } from '../../src/config/limits.js';

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

test('the UTF-8 scan that places a bad byte agrees with the platform decoder', (t) => {
  let seed = 1;
  const r = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % 256;
  for (let k = 0; k < 20000; k++) {
    const b = Buffer.from(Array.from({ length: 1 + (k % 12) }, () => { const x = r(); return k % 3 ? x : (x & 0x7f) | (x & 0x80 ? 0xc0 : 0); }));
    let ok = true;
    try { new TextDecoder('utf-8', { fatal: true }).decode(b); } catch { ok = false; }
    if (ok !== (firstInvalidUtf8(b) < 0)) { t.fail(`disagree on ${b.toString('hex')}`); return; }
  }
  const p = decodeUtf8(Buffer.from('a: 1\nb: "x\xff"\n', 'latin1'));
  t.deepEqual(p, { line: 2, column: 6, reason: 'invalid UTF-8 (byte 0xff at byte offset 10): a config file must be UTF-8' });
});

test('deep block nesting: the quick parser declines it (no stack overflow), the loader refuses it', (t) => {
  const deep = (n: number): string => Array.from({ length: n }, (_, k) => `${' '.repeat(k)}k${k}:`).join('\n') + ' 1\n';
  t.is(quickYaml(deep(100)), undefined);
  t.is(quickYaml(deep(3000)), undefined);
  const err = t.throws(() => parseConfig(deep(3000), 'n.yaml'), { instanceOf: ConfigError });
  t.regex(err!.problems[0]!.reason, /nesting deeper than 64 levels/);
  t.not(quickYaml(deep(30)), undefined);
});

test('what the quick reader accepts at 32 levels or fewer is under the nesting limit (readConfig skips the scan for it)', (t) => {
  let n = 0;
  for (const text of [...corpus(), ...EDGE, ...mutations()]) {
    if (quickYaml(text) === undefined) continue;
    n++;
    t.is(nestingProblem(text), null, text);
  }
  t.true(n > 1000, `${n} texts`);
});

test('routes the kernel takes are accepted: a gateway behind a link route, link-local, onlink, an unmanaged device (checked on the node)', (t) => {
  t.notThrows(() => parseConfig(`
interfaces:
  - name: eth0
    kind: device
    addresses: [10.1.0.1/24, "2001:db8::1/64"]
    routes:
      - {to: 10.20.0.0/16}
      - {to: 10.16.0.0/16, via: 10.20.0.1}
      - {to: default, via: "fe80::1"}
      - {to: 10.21.0.0/16, via: 10.99.0.1, onlink: true}
      - {to: "2001:dba::/64", onlink: true}
      - {to: 10.9.0.0/16, via: 10.1.0.254, metric: 5}
      - {to: 10.9.0.0/16, via: 10.1.0.253, metric: 6}
      - {to: 10.9.0.0/16, via: 10.1.0.253, table: 100}
      - {to: 10.30.0.0/16, scope: global}
      - {to: 192.0.2.7, via: 10.1.0.254}
  - name: eth1
    kind: device
    routes: [{to: 10.40.0.0/16, via: 10.50.0.1}]
`, 'n.yaml'));
});
