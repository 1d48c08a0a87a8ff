// What the failover daemon keeps resident (issue 19: RSS <= 60 MB steady). The daemon runs for
// months, and every module it loads stays: TypeBox (~250 modules) and `yaml` only explain a
// config problem, node:http serves --metrics, crypto was used for three random bytes. With a
// valid config and no --metrics, none of them may be loaded. (child_process is not among them:
// net.Server#listen, for the control socket, loads cluster and with it child_process.)
//
// JSON configs (multi-line, as tools write them) too.
//
// The built daemon as installed (bin/run.js mgmt run, dist/) is watched from the outside by a
// preload (fixtures/module-witness.mjs): a loader hook records every ES module and CommonJS
// entry it loads, process.moduleLoadList at exit every built-in. A count of modules, not a time.
// The control case (a config with a problem) shows that the witness does see `yaml` and TypeBox
// when the full loader runs.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { unitNodeFlags } from '../../bench/failover/sandbox.js';
import { literal } from '../helpers/cli.js';
import { testIf } from '../helpers/require.js';
import { makeLab, ROOT, startDaemon, START_MS, V4, V6, waitHolder, writeConfig, type Lab } from './failover-lab.js';

const test = testIf('root');
const WITNESS = join(ROOT, 'test/netns/fixtures/module-witness.mjs');
// the systemd unit's flags, as the daemon runs in production
const UNIT_FLAGS = unitNodeFlags();

const PACKAGES = /\/node_modules\/(@sinclair\/typebox|yaml)\//;
const BUILTINS = ['http', '_http_server', '_http_client', 'crypto'];

interface Seen { loads: string[]; builtins: string[] }

function witnessed(file: string): Seen {
  const lines = readFileSync(file, 'utf8').split('\n');
  return {
    loads: lines.filter((l) => l.startsWith('load ')).map((l) => l.slice(5)),
    builtins: lines.filter((l) => l.startsWith('builtin NativeModule ')).map((l) => l.slice(21)),
  };
}

async function runWatched(t: ExecutionContext, lab: Lab, config: string, tag: string): Promise<Seen> {
  const out = join(lab.dir, `${tag}.modules`);
  const d = startDaemon(t, lab, config, [], tag, { dist: true, nodeFlags: [...UNIT_FLAGS, '--import', WITNESS], env: { NODECTL_MODULE_WITNESS: out } });
  await d.waitLog((e) => e.event === 'place', START_MS, 'first placement');
  await waitHolder(lab, 'eth0');
  t.is(await d.stop(), 0, 'SIGTERM stops it cleanly (the witness writes at exit)');
  // what node itself writes goes to the journal at every start: with the unit's flags, nothing
  // (--lite-mode alone printed "Warning: disabling flag --expose_wasm due to conflicting flags")
  t.deepEqual(d.stderr.filter((l) => /warning/i.test(l) && !l.startsWith('{')), [], 'node prints no warning with the unit\'s flags');
  const seen = witnessed(out);
  // the witness saw this daemon: its own modules and the built-ins every run needs
  t.true(seen.loads.some((u) => /\/dist\/failover\/(fast-run\.bundle|daemon)\.js$/.test(u)), 'the witness recorded the daemon\'s modules');
  t.true(seen.builtins.includes('net'), 'the witness recorded the built-ins');
  return seen;
}

function assertLean(t: ExecutionContext, seen: Seen, what: string): void {
  t.deepEqual(seen.loads.filter((u) => PACKAGES.test(u)).slice(0, 5), [], `${what}: no TypeBox or yaml module`);
  t.deepEqual(BUILTINS.filter((b) => seen.builtins.includes(b)), [], `${what}: no node:http or crypto without --metrics`);
}

const REALISTIC = [
  '  gateway: { ipv4: 192.0.2.1, ipv6: "2001:db8::1", default_route: true }',
  '  health: { arp_probe: { interval_ms: 100, allowed_misses: 3 } }',
];

test('a valid config: the daemon loads neither TypeBox nor yaml, nor node:http or crypto; node warns of nothing', async (t) => {
  t.timeout(10 * 60_000);
  // a file holding only `mgmt:` (the lab's), with the realistic config of the soak
  const lab = makeLab(t, 2);
  const mgmtOnly = writeConfig(lab, { probe: { intervalMs: 100, allowedMisses: 3 } }, 'mgmt.yaml');
  assertLean(t, await runWatched(t, lab, mgmtOnly, 'only'), 'mgmt-only YAML');
  // the whole node file, as the unit reads /etc/nodectl/node.yaml (a fresh lab: the first
  // daemon left the addresses in place, and each run waits for its first placement)
  const lab2 = makeLab(t, 2);
  const node = join(lab2.dir, 'node.yaml');
  writeFileSync(node, [
    'interfaces:',
    '  - { name: eth0, kind: device }',
    '  - { name: eth1, kind: device }',
    'mgmt:',
    `  addresses: [${V4}/24, ${V6}/64]`,
    '  candidates: [eth0, eth1]',
    ...REALISTIC,
    '  announce: { count: 3, interval_ms: 50, refresh_ms: 0 }',
    '',
  ].join('\n'));
  assertLean(t, await runWatched(t, lab2, node, 'node'), 'whole node YAML');
  // JSON (YAML 1.2 reads it; this one spans lines, as tools write it)
  const lab3 = makeLab(t, 2);
  const json = join(lab3.dir, 'node.json');
  writeFileSync(json, `${JSON.stringify({
    interfaces: [{ name: 'eth0', kind: 'device' }, { name: 'eth1', kind: 'device' }],
    mgmt: {
      addresses: [`${V4}/24`, `${V6}/64`], candidates: ['eth0', 'eth1'],
      gateway: { ipv4: '192.0.2.1', ipv6: '2001:db8::1', default_route: true },
      health: { arp_probe: { interval_ms: 100, allowed_misses: 3 } },
      announce: { count: 3, interval_ms: 50, refresh_ms: 0 },
    },
  }, null, 2)}\n`);
  assertLean(t, await runWatched(t, lab3, json, 'json'), 'whole node JSON');
});

test('control: a config with a problem is placed at file:line:col by the full loader, which the witness sees', async (t) => {
  t.timeout(10 * 60_000);
  const lab = makeLab(t, 2);
  const bad = writeConfig(lab, { candidates: ['eth0', 'eth0'] }, 'bad.yaml');
  const out = join(lab.dir, 'bad.modules');
  const d = startDaemon(t, lab, bad, [], 'bad', { dist: true, nodeFlags: [...UNIT_FLAGS, '--import', WITNESS], env: { NODECTL_MODULE_WITNESS: out } });
  t.is(await d.exited, 3, 'CONFIG_INVALID');
  t.regex(d.stderr.join('\n'), new RegExp(`${literal(bad)}:3:\\d+`));
  const seen = witnessed(out);
  t.true(seen.loads.some((u) => /\/node_modules\/yaml\//.test(u)), 'the full loader brought yaml');
  t.true(seen.loads.some((u) => /\/node_modules\/@sinclair\/typebox\//.test(u)), 'and TypeBox');
});
