// Static routes in the config file (issue 18), against the real kernel with iproute2 as the
// oracle: applied after their link and addresses, a no-op re-apply changes nothing, prune
// removes only nodectl's routes (protocol 110), a failure at any step leaves `ip -j route show
// table all` (and the rest of the namespace) exactly as before, a route the kernel would refuse
// is refused at its file:line:col with nothing changed, and export → apply is a no-op.
import { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyConfig, planConfig } from '../../src/config/apply.js';
import { exportConfig } from '../../src/config/export.js';
import { parseConfig } from '../../src/config/load.js';
import { ApplyError, StateError } from '../../src/errors.js';
import { assertSameSnapshot, ipSnapshot } from '../helpers/ip-snapshot.js';
import { type Netns, netnsFor, standInNic, stateDir } from '../helpers/netns.js';
import { patient } from '../helpers/patience.js';
import { testIf } from '../helpers/require.js';

const CLI = new URL('../../bin/run.js', import.meta.url).pathname;
const cfg = (text: string) => parseConfig(text, 'test.yaml').config;

/** A namespace with the stand-in NIC eth0. */
const lab = (t: ExecutionContext): Netns => standInNic(netnsFor(t));

interface IpRoute { dst: string; gateway?: string; dev?: string; metric?: number; table?: string; protocol?: string; scope?: string; flags?: string[] }

/** Every route of every table, as `ip -j route show table all` prints it, one line each. */
function routes(ns: Netns, filter: (r: IpRoute) => boolean = () => true): string[] {
  const all = [...ns.ipJson<IpRoute[]>('-4', 'route', 'show', 'table', 'all'), ...ns.ipJson<IpRoute[]>('-6', 'route', 'show', 'table', 'all')];
  return all.filter(filter).map((r) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''} dev ${r.dev ?? '-'}${r.metric ? ` metric ${r.metric}` : ''}${r.table && r.table !== 'main' ? ` table ${r.table}` : ''} proto ${r.protocol ?? 'boot'}${r.scope && r.scope !== 'global' ? ` scope ${r.scope}` : ''}${r.flags?.includes('onlink') ? ' onlink' : ''}`).sort();
}
const ours = (ns: Netns): string[] => routes(ns, (r) => r.protocol === '110');

const FIRST = `
interfaces:
  - name: eth0
    kind: device
    addresses: [10.1.0.1/24, "2001:db8::1/64"]
    routes:
      - {to: 10.9.0.0/16, via: 10.1.0.254}
      - {to: default, via: 10.1.0.254, metric: 100}
      - {to: 10.20.0.0/16, table: 100}
      - {to: 10.21.0.0/16, via: 10.99.0.1, onlink: true}
      - {to: "2001:db9::/48", via: "2001:db8::fe"}
      - {to: default, via: "fe80::1", metric: 5}
  - {name: br0, kind: bridge, addresses: [10.5.0.1/24], routes: [{to: 10.55.0.0/16, via: 10.5.0.9}]}
`;

const FIRST_ROUTES = [
  '10.20.0.0/16 dev eth0 table 100 proto 110 scope link',
  '10.21.0.0/16 via 10.99.0.1 dev eth0 proto 110 onlink',
  '10.55.0.0/16 via 10.5.0.9 dev br0 proto 110',
  '10.9.0.0/16 via 10.1.0.254 dev eth0 proto 110',
  '2001:db9::/48 via 2001:db8::fe dev eth0 metric 1024 proto 110',
  'default via 10.1.0.254 dev eth0 metric 100 proto 110',
  'default via fe80::1 dev eth0 metric 5 proto 110',
];

testIf('root')('routes are applied with protocol 110, and re-applying the file changes nothing', async (t) => {
  const ns = lab(t);
  const sd = stateDir(t);
  const r = await applyConfig(cfg(FIRST), { netns: ns.name, stateDir: sd });
  // routes come after the link and the addresses they need
  const kinds = r.steps.map((s) => s.op.op);
  t.true(kinds.lastIndexOf('addr-add') < kinds.indexOf('route-add') && kinds.indexOf('link-add') < kinds.indexOf('route-add'), kinds.join(' '));
  t.deepEqual(ours(ns), FIRST_ROUTES);
  const before = await ipSnapshot(ns.name);
  const again = await applyConfig(cfg(FIRST), { netns: ns.name, stateDir: sd });
  t.false(again.changed);
  t.deepEqual(again.steps, []);
  assertSameSnapshot(t, before, await ipSnapshot(ns.name), 'a no-op re-apply changed the namespace');
});

testIf('root')('prune removes only the routes nodectl installed; ip\'s, `nodectl route add`\'s (proto static) and the kernel\'s stay', async (t) => {
  const ns = lab(t);
  const sd = stateDir(t);
  await applyConfig(cfg(FIRST), { netns: ns.name, stateDir: sd });
  ns.ip('route', 'add', '10.77.0.0/16', 'via', '10.1.0.254', 'dev', 'eth0');
  ns.ip('route', 'add', '10.78.0.0/16', 'via', '10.1.0.254', 'dev', 'eth0', 'proto', 'static');
  ns.ip('route', 'add', '10.79.0.0/16', 'via', '10.5.0.9', 'dev', 'br0', 'table', '100');
  await ipSnapshot(ns.name); // settled: link-local addresses and their routes are all there
  const others = routes(ns, (r) => r.protocol !== '110');
  const r = await applyConfig(cfg(`
interfaces:
  - name: eth0
    kind: device
    addresses: [10.1.0.1/24, "2001:db8::1/64"]
    routes:
      - {to: 10.9.0.0/16, via: 10.1.0.254}
`), { netns: ns.name, stateDir: sd });
  t.true(r.deleted.includes('br0'));
  t.deepEqual(ours(ns), ['10.9.0.0/16 via 10.1.0.254 dev eth0 proto 110']);
  // br0's routes went with br0 (the kernel's and the one ip added to table 100); nothing else did
  t.deepEqual(routes(ns, (r) => r.protocol !== '110'), others.filter((x) => !x.includes(' dev br0 ')));
  t.true(routes(ns).includes('10.78.0.0/16 via 10.1.0.254 dev eth0 proto static'));
  t.true(routes(ns).includes('10.77.0.0/16 via 10.1.0.254 dev eth0 proto boot'));
});

/** Fail at every step k of the plan from the current state to `file`; each time the namespace is identical. */
async function failEveryStep(t: ExecutionContext, ns: Netns, sd: string, file: string): Promise<string[]> {
  const before = await ipSnapshot(ns.name);
  const steps = (await planConfig(cfg(file), { netns: ns.name, stateDir: sd })).steps;
  for (let k = 1; k <= steps.length; k++) {
    const err = await t.throwsAsync(applyConfig(cfg(file), { netns: ns.name, stateDir: sd, failAtStep: k }), { instanceOf: ApplyError }, `k=${k}`);
    t.deepEqual(err?.rollbackErrors, [], `k=${k}`);
    t.deepEqual(err?.differences, [], `k=${k}`);
    assertSameSnapshot(t, before, await ipSnapshot(ns.name), `after a failure at step ${k}/${steps.length} (${steps[k - 1]!.text})`);
  }
  return steps.map((s) => s.text);
}

testIf('root')('a failure at any step puts every route back exactly (ip -j route show table all), routes added, removed and changed', async (t) => {
  const ns = lab(t);
  const sd = stateDir(t);
  // from nothing: every route step of the first apply
  const first = await failEveryStep(t, ns, sd, FIRST);
  t.true(first.filter((s) => s.startsWith('route add')).length === FIRST_ROUTES.length, first.join('\n'));
  await applyConfig(cfg(FIRST), { netns: ns.name, stateDir: sd });
  ns.ip('route', 'add', '10.77.0.0/16', 'via', '10.1.0.254', 'dev', 'eth0', 'metric', '3');
  // then a change of everything: a gateway moved, routes gone, a new prefix the new routes need,
  // an address removed (which takes its routes with it), a link deleted with its routes
  const second = await failEveryStep(t, ns, sd, `
interfaces:
  - name: eth0
    kind: device
    addresses: [10.1.0.1/24, 10.2.0.1/24]
    routes:
      - {to: 10.9.0.0/16, via: 10.2.0.254}
      - {to: 10.20.0.0/16, table: 100, metric: 9}
      - {to: 10.30.0.0/16, via: 10.1.0.254, table: 4000000000}
      - {to: default, via: "fe80::2", metric: 5}
`);
  t.true(second.some((s) => s.startsWith('route del')) && second.some((s) => s.startsWith('route add')) && second.some((s) => s.startsWith('addr del')), second.join('\n'));
  t.deepEqual(ours(ns), FIRST_ROUTES, 'after all the failures the first apply\'s routes are there');
});

testIf('root', 'cli')('a route the kernel would refuse is refused at FILE:LINE:COL before anything changes (validate and apply, exit 3)', async (t) => {
  const ns = lab(t);
  const sd = stateDir(t);
  await applyConfig(cfg(FIRST), { netns: ns.name, stateDir: sd });
  const before = await ipSnapshot(ns.name);
  const d = mkdtempSync(join(tmpdir(), 'nctl-routes-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  const f = join(d, 'bad.yaml');
  writeFileSync(f, `interfaces:
  - name: eth0
    kind: device
    addresses: [10.1.0.1/24]
    routes:
      - {to: 10.9.0.0/16, via: 10.1.0.254}
      - {to: 10.40.0.0/16, via: 10.2.0.254}
      - {to: 10.41.1.0/16, via: 10.1.0.254}
      - {to: 10.42.0.0/16, via: 10.1.0.254, table: 255}
      - {to: 10.9.0.0/16, via: 10.1.0.253}
      - {to: 10.43.0.0/16, via: 10.1.0.254, scope: link}
`);
  const want = [
    `${f}:7:33: /interfaces/0/routes/1/via: gateway 10.2.0.254 is not on-link through eth0 (its IPv4 prefixes: 10.1.0.1/24): the kernel refuses it (ENETUNREACH); add an address in its prefix, or onlink: true`,
    `${f}:8:14: /interfaces/0/routes/2/to: 10.41.1.0/16 has host bits set: the route's destination is 10.41.0.0/16`,
    `${f}:9:52: /interfaces/0/routes/3/table: table 255 is not a table routes can be added to (1-4294967295, not 255 "local")`,
    `${f}:10:14: /interfaces/0/routes/4/to: duplicate route 10.9.0.0/16 table 254 metric 0 (also at line 6): the kernel keeps one route per destination, metric and table`,
    `${f}:11:52: /interfaces/0/routes/5/scope: a route via a gateway cannot have scope link: the kernel refuses it (the gateway must be reached through a link route)`,
  ];
  for (const cmd of [['config', 'validate', f], ['config', 'apply', f, '--netns', ns.name, '--state-dir', sd], ['config', 'plan', f, '--netns', ns.name, '--state-dir', sd]]) {
    const r = spawnSync(process.execPath, [CLI, ...cmd], { encoding: 'utf8', timeout: patient(60_000) });
    t.is(r.status, 3, `${cmd.join(' ')}: ${r.stderr}`);
    t.deepEqual(r.stderr.split('\n').filter((l) => l.startsWith(f)), want, cmd.join(' '));
  }
  assertSameSnapshot(t, before, await ipSnapshot(ns.name), 'a refused file changed the namespace');
});

testIf('root')('a route whose key someone else holds (same destination, metric, table) is refused before step 1; nothing changes', async (t) => {
  const ns = lab(t);
  const sd = stateDir(t);
  ns.ip('addr', 'add', '10.1.0.1/24', 'dev', 'eth0');
  ns.ip('route', 'add', 'default', 'via', '10.1.0.9', 'dev', 'eth0', 'metric', '100', 'proto', 'static');
  const before = await ipSnapshot(ns.name);
  const file = cfg(`
interfaces:
  - {name: br9, kind: bridge}
  - {name: eth0, kind: device, addresses: [10.1.0.1/24], routes: [{to: default, via: 10.1.0.254, metric: 100}]}
`);
  const err = await t.throwsAsync(applyConfig(file, { netns: ns.name, stateDir: sd }), { instanceOf: StateError });
  t.regex(err!.message, /default table 254 metric 100 already exists \(proto static, dev eth0\), not installed by nodectl/);
  assertSameSnapshot(t, before, await ipSnapshot(ns.name), 'a refused apply changed the namespace');
});

testIf('root')('config export writes nodectl\'s routes; applying the export is a no-op', async (t) => {
  const ns = lab(t);
  const sd = stateDir(t);
  await applyConfig(cfg(FIRST), { netns: ns.name, stateDir: sd });
  ns.ip('route', 'add', '10.78.0.0/16', 'via', '10.1.0.254', 'dev', 'eth0', 'proto', 'static');
  const ex = await exportConfig({ netns: ns.name, stateDir: sd });
  const eth0 = ex.config.interfaces.find((d) => d.name === 'eth0');
  t.is(eth0?.routes?.length, 6, ex.text);
  t.false(ex.text.includes('10.78.0.0'), 'a route nodectl did not install is not exported');
  const before = await ipSnapshot(ns.name);
  const r = await applyConfig(parseConfig(ex.text, 'export.yaml').config, { netns: ns.name, stateDir: sd });
  t.deepEqual(r.steps.map((s) => s.text), []);
  assertSameSnapshot(t, before, await ipSnapshot(ns.name), 'applying the export changed the namespace');
});
