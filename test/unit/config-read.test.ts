import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parseConfig } from '../../src/config/load.js';
import { quickYaml } from '../../src/config/quick-yaml.js';
import { quickMgmtConfig, quickValid, readConfig, readMgmtConfig } from '../../src/config/read.js';
import { parseMgmtConfig } from '../../src/config/mgmt-file.js';
import { KIND_CHECKS, MGMT_CHECK } from '../../src/config/schema-check.js';
import { renderSchemaCheck } from '../../src/config/schema-check-gen.js';
import { KIND_SCHEMAS } from '../../src/config/schema.js';
import { MgmtDecl } from '../../src/config/mgmt-schema.js';
import { ConfigError } from '../../src/errors.js';
import { corpus, EDGE, mutations } from './config-corpus.js';

test('src/config/schema-check.ts is compiled from the current schemas (run scripts/gen-config-check)', (t) => {
  t.is(readFileSync(new URL('../../src/config/schema-check.ts', import.meta.url), 'utf8'), renderSchemaCheck());
});

// What would the full loader say? null when it accepts, else the number of problems.
function fullProblems(text: string): { config: unknown } | { problems: number } {
  try {
    return { config: parseConfig(text, 't.yaml').config };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { problems: err.problems.length };
  }
}

// Files that parse but are wrong in meaning or shape: the quick reader must send them all on.
const INVALID = [
  'interfaces:\n  - {name: eth0, kind: device}\n  - {name: eth0, kind: device}\n',
  'interfaces:\n  - {name: mv0, kind: macvlan, link: eth9}\n',
  'interfaces:\n  - {name: v, kind: vlan, link: v, vlan: {id: 5000}}\n',
  'interfaces:\n  - {name: b0, kind: bridge, ports: [b1]}\n  - {name: b1, kind: bridge, ports: [b0]}\n',
  'interfaces:\n  - {name: e, kind: device, addresses: [10.0.0.1/33]}\n',
  'interfaces:\n  - {name: e, kind: device, adresses: [10.0.0.1/24]}\n',
  'interfaces:\n  - {name: e, kind: devise}\n',
  'interfaces:\n  - {name: e}\n',
  'interfaces: {}\n',
  'interface: []\n',
  'interfaces: []\nmgmt: {addresses: 5}\n',
  'interfaces: []\n$schema: 5\n',
  'interfaces:\n  - {name: e, kind: device, mac: "01:00:00:00:00:01"}\n',
  'interfaces:\n  - {name: e, kind: device, arp: {arp_ignore: 4}}\n',
  'interfaces:\n  - {name: e, kind: device, mtu: 1000, addresses: ["2001:db8::1/64"]}\n',
];

test('the quick reader accepts a file only when the full loader finds no problem, and reads the same value', (t) => {
  let quick = 0;
  let valid = 0;
  const texts = [...corpus(), ...EDGE, ...INVALID, ...mutations()];
  for (const text of texts) {
    const full = fullProblems(text);
    const v = quickYaml(text);
    const ok = v !== undefined && quickValid(v);
    if ('config' in full) valid++;
    if (!ok) continue;
    quick++;
    if (!('config' in full)) { t.fail(`the quick reader accepted a file with ${full.problems} problems:\n${text}`); continue; }
    t.deepEqual(v, full.config);
  }
  for (const text of INVALID) t.false(quickValid(quickYaml(text)), text);
  t.log(`${texts.length} texts: ${valid} valid, ${quick} of them accepted by the quick reader`);
  t.true(quick > valid / 2, `${quick} of ${valid}`);
});

test('the compiled checks agree with TypeBox on every interface and mgmt section in the corpus', (t) => {
  let n = 0;
  for (const text of [...corpus(), ...EDGE, ...INVALID, ...mutations()]) {
    const v = quickYaml(text) as { interfaces?: unknown; mgmt?: unknown } | undefined;
    if (typeof v !== 'object' || v === null) continue;
    for (const item of Array.isArray(v.interfaces) ? v.interfaces : []) {
      for (const [kind, schema] of Object.entries(KIND_SCHEMAS)) {
        if (KIND_CHECKS[kind]!(item) !== Value.Check(schema, item)) t.fail(`${kind}: ${JSON.stringify(item)}`);
        n++;
      }
    }
    if (v.mgmt !== undefined) { t.is(MGMT_CHECK(v.mgmt), Value.Check(MgmtDecl, v.mgmt), JSON.stringify(v.mgmt)); n++; }
  }
  t.true(n > 1000, `${n} comparisons`);
});

test('readConfig reports problems with their positions, like the full loader', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nctl-read-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'interfaces:\n  - {name: eth0, kind: device}\n  - {name: mv0, kind: macvlan, link: eth9}\n');
  const err = await t.throwsAsync(readConfig(bad), { instanceOf: ConfigError });
  t.deepEqual(err!.problems.map((p) => `${p.line}:${p.column} ${p.path}`), ['3:38 /interfaces/1/link']);
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'interfaces:\n  - {name: eth0, kind: device}\n  - {name: mv0, kind: macvlan, link: eth0}\n');
  t.deepEqual(await readConfig(good), parseConfig(readFileSync(good, 'utf8'), good).config);
});

// What `mgmt run` reads (src/failover/config.ts): the quick path must resolve exactly what the
// full one does, and send every file with a problem on to it.
function fullMgmt(text: string): { config: unknown } | { problems: number } {
  try {
    return { config: parseMgmtConfig(text, 't.yaml') };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { problems: err.problems.length };
  }
}

test('the quick mgmt reader accepts a file only when the full mgmt loader finds no problem, and resolves the same', (t) => {
  let quick = 0;
  let valid = 0;
  // mgmt-only shapes too: the corpus's `interfaces:` files with only their mgmt section left
  const mgmtOnly = corpus().filter((x) => x.startsWith('mgmt:'));
  const texts = [...corpus(), ...EDGE, ...INVALID, ...mutations(), ...mgmtOnly.map((x) => `$schema: x\n${x}`), 'mgmt: null\n', 'mgmt:\n', '$schema: 5\nmgmt:\n  addresses: [192.0.2.10/24]\n  candidates: [eth0]\n', 'other: 1\nmgmt:\n  addresses: [192.0.2.10/24]\n  candidates: [eth0]\n'];
  for (const text of texts) {
    const full = fullMgmt(text);
    const q = quickMgmtConfig(text);
    if ('config' in full) valid++;
    if (q === undefined) continue;
    quick++;
    if (!('config' in full)) { t.fail(`the quick mgmt reader accepted a file with ${full.problems} problems:\n${text}`); continue; }
    t.deepEqual(q, full.config, text);
  }
  t.log(`${texts.length} texts: ${valid} with a valid mgmt section, ${quick} of them accepted by the quick reader`);
  t.true(valid > 20 && quick > valid / 2, `${quick} of ${valid}`);
});

test('readMgmtConfig reports problems with their positions, like the full mgmt loader', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nctl-read-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'mgmt:\n  addresses: [192.0.2.10/24]\n  candidates: [eth0, eth0]\n');
  const err = await t.throwsAsync(readMgmtConfig(bad), { instanceOf: ConfigError });
  t.deepEqual(err!.problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.path}`), [`${bad}:3:${err!.problems[0]!.column} /mgmt/candidates/1`]);
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'mgmt:\n  addresses: [192.0.2.10/24, "2001:db8::10/64"]\n  candidates: [eth0, eth1]\n');
  t.deepEqual(await readMgmtConfig(good), parseMgmtConfig(readFileSync(good, 'utf8'), good));
});
