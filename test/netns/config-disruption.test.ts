// Issue 18, "a plan that predicts disruption", through the built CLI: `config plan` tags each
// step with its effect; `config apply` refuses, before step 1 and with the whole namespace
// unchanged (iproute2's view, ifindexes and MACs kept), a plan that re-creates, bounces or
// re-enslaves links that are up, unless --allow-disruption; a boot-time apply on a fresh node
// (creates, a first enslavement of a NIC that is up) needs no flag.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodectl } from '../helpers/cli.js';
import { assertSameSnapshot, ipSnapshot } from '../helpers/ip-snapshot.js';
import { netnsFor, rootTitle, standInNic, stateDir } from '../helpers/netns.js';
import { testIf } from '../helpers/require.js';

const BOOT = `interfaces:
  - {name: eth0, kind: device}
  - {name: br0, kind: bridge, ports: [eth0], addresses: [10.8.0.1/24]}
  - {name: br1, kind: bridge}
  - {name: mv0, kind: macvlan, link: br1, addresses: [10.9.0.1/24]}
`;
// br0 gets STP (re-created), eth0 moves to br1 (re-enslaved), mv0 to mode bridge (re-created)
const CHANGED = `interfaces:
  - {name: eth0, kind: device}
  - {name: br0, kind: bridge, bridge: {stp: true}, addresses: [10.8.0.1/24]}
  - {name: br1, kind: bridge, ports: [eth0]}
  - {name: mv0, kind: macvlan, link: br1, macvlan: {mode: bridge}, addresses: [10.9.0.1/24]}
`;

testIf('root')(rootTitle('a fresh node applies without the flag; a disruptive change is refused before step 1, nothing changed, until allowed'), async (t) => {
  const ns = standInNic(netnsFor(t)); // eth0 is up: its first enslavement is not disruption
  const sd = stateDir(t);
  const boot = join(sd, 'boot.yaml');
  const changed = join(sd, 'changed.yaml');
  writeFileSync(boot, BOOT);
  writeFileSync(changed, CHANGED);
  const scope = ['-n', ns.name, '--state-dir', sd];

  const first = nodectl('config', 'apply', boot, ...scope);
  t.is(first.status, 0, first.stderr);

  const plan = nodectl('config', 'plan', changed, ...scope, '--json');
  t.is(plan.status, 100, plan.stderr); // drift (src/cli/exit-codes.ts PLAN_DRIFT)
  const p = JSON.parse(plan.stdout) as { steps: { effect: string; text: string }[]; disruption: { name: string; effects: string[] }[] };
  t.deepEqual(p.steps.map((s) => `${s.effect} ${s.text}`), [
    're-enslave link set eth0 nomaster (was br0)',
    'recreate link del br0',
    'recreate link del mv0',
    'recreate link add br0 type bridge stp on up',
    'recreate link add mv0 link br1 type macvlan mode bridge up',
    'enslave link set eth0 master br1',
    'recreate addr add 10.8.0.1/24 dev br0',
    'recreate addr add 10.9.0.1/24 dev mv0',
  ]);
  t.deepEqual(p.disruption.map((d) => `${d.name}: ${d.effects.join()}`), ['eth0: re-enslave', 'br0: recreate', 'mv0: recreate']);
  const text = nodectl('config', 'plan', changed, ...scope);
  t.true(text.stdout.includes('1 ~ re-enslave link set eth0 nomaster (was br0)'), text.stdout);
  t.true(text.stdout.includes('disruption: eth0 (re-enslave, step 1), br0 (recreate, steps 2, 4, 7), mv0 (recreate, steps 3, 5, 8); "config apply" needs --allow-disruption'), text.stdout);

  const before = await ipSnapshot(ns.name);
  const refused = nodectl('config', 'apply', changed, ...scope);
  t.is(refused.status, 1, refused.stdout + refused.stderr);
  t.is(refused.stdout, '');
  t.is(refused.stderr, 'nodectl: the plan would disrupt 3 links that are up: eth0 (re-enslave, step 1), br0 (recreate, steps 2, 4, 7), mv0 (recreate, steps 3, 5, 8); nothing was changed (see "nodectl config plan"; --allow-disruption applies it)\n');
  const json = nodectl('config', 'apply', changed, ...scope, '--json');
  t.is(json.status, 1);
  const e = (JSON.parse(json.stdout) as { error: { code: string; disruption: { name: string }[] } }).error;
  t.is(e.code, 'STATE');
  t.deepEqual(e.disruption.map((d) => d.name), ['eth0', 'br0', 'mv0']);
  assertSameSnapshot(t, before, await ipSnapshot(ns.name), 'a refused apply changed the namespace');

  const allowed = nodectl('config', 'apply', changed, ...scope, '--allow-disruption');
  t.is(allowed.status, 0, allowed.stderr);
  t.is(nodectl('config', 'plan', changed, ...scope).status, 0);
});
