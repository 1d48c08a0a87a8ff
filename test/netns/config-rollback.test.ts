// The equality contract of config apply, case by case (issue 17): after a failed apply the
// namespace is IDENTICAL to before, as iproute2 sees it (test/helpers/ip-snapshot.ts): same
// ifindexes and MACs, same MTUs of untouched children, same address flags and routes.
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyConfig, planConfig } from '../../src/config/apply.js';
import { parseConfig } from '../../src/config/load.js';
import { ApplyError } from '../../src/errors.js';
import { assertSameSnapshot, ipSnapshot } from '../helpers/ip-snapshot.js';
import { isRoot, type Netns, netnsFor } from '../helpers/netns.js';

const root = isRoot();
const cfg = (text: string) => parseConfig(text, 'test.yaml').config;

function stateDir(t: ExecutionContext): string {
  const d = mkdtempSync(join(tmpdir(), 'nctl-state-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A namespace with a stand-in NIC (eth0, one end of a veth pair, up). */
function lab(t: ExecutionContext): Netns {
  const ns = netnsFor(t);
  ns.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p');
  ns.ip('link', 'set', 'eth0', 'up');
  ns.ip('link', 'set', 'eth0p', 'up');
  return ns;
}

/** Fail at every step k of the plan from the current state to `file`; each time, the namespace is identical. */
async function failEveryStep(t: ExecutionContext, ns: Netns, sd: string, file: string): Promise<number> {
  const before = await ipSnapshot(ns.name);
  const n = (await planConfig(cfg(file), { netns: ns.name, stateDir: sd })).steps.length;
  for (let k = 1; k <= n; k++) {
    const err = await t.throwsAsync(applyConfig(cfg(file), { netns: ns.name, stateDir: sd, failAtStep: k }), { instanceOf: ApplyError }, `k=${k}`);
    t.deepEqual(err?.rollbackErrors, [], `k=${k}`);
    assertSameSnapshot(t, before, await ipSnapshot(ns.name), `after a failure at step ${k}/${n}`);
  }
  return n;
}

test('case 1: a deleted owned bridge comes back as the SAME link (ifindex, MAC, link-local) when a later step fails', async (t) => {
  if (!root) { t.log('SKIP: needs root (network namespaces)'); t.pass(); return; }
  const ns = lab(t);
  const sd = stateDir(t);
  await applyConfig(cfg(`
interfaces:
  - {name: eth0, kind: device}
  - {name: br1, kind: bridge, addresses: [10.3.0.1/24, "2001:db8:3::1/64"]}
  - {name: mv1, kind: macvlan, link: eth0, macvlan: {mode: bridge}, addresses: [10.4.0.1/24]}
`), { netns: ns.name, stateDir: sd });
  ns.ip('link', 'add', 'p1', 'type', 'veth', 'peer', 'name', 'p1b');
  ns.ip('link', 'set', 'p1', 'master', 'br1');
  ns.ip('link', 'set', 'p1', 'up');
  ns.ip('route', 'add', '10.30.0.0/16', 'via', '10.3.0.9', 'dev', 'br1', 'metric', '5');
  ns.ip('neigh', 'add', '10.3.0.9', 'lladdr', '02:00:00:00:00:09', 'dev', 'br1', 'nud', 'permanent');
  const n = await failEveryStep(t, ns, sd, `
interfaces:
  - {name: eth0, kind: device, addresses: [10.9.0.1/24]}
  - {name: mv2, kind: macvlan, link: eth0, macvlan: {mode: bridge}}
`);
  t.true(n >= 3, `plan has ${n} steps`);
});

test('case 2: the MTU of untouched macvlans the kernel lowered with their NIC is put back', async (t) => {
  if (!root) { t.log('SKIP: needs root (network namespaces)'); t.pass(); return; }
  const ns = lab(t);
  const sd = stateDir(t);
  for (const m of ['mva', 'mvb', 'mvc']) {
    ns.ip('link', 'add', 'link', 'eth0', 'name', m, 'type', 'macvlan', 'mode', 'bridge');
    ns.ip('link', 'set', m, 'up');
  }
  const n = await failEveryStep(t, ns, sd, `
interfaces:
  - {name: eth0, kind: device, mtu: 1400, addresses: [10.9.0.1/24]}
  - {name: br9, kind: bridge}
`);
  t.true(n >= 2, `plan has ${n} steps`);
});

test('case 3: deleted addresses come back with noprefixroute, metric and nodad: routes identical', async (t) => {
  if (!root) { t.log('SKIP: needs root (network namespaces)'); t.pass(); return; }
  const ns = lab(t);
  const sd = stateDir(t);
  ns.ip('addr', 'add', '10.9.7.1/24', 'dev', 'eth0', 'noprefixroute');
  ns.ip('addr', 'add', '10.9.8.1/24', 'dev', 'eth0', 'metric', '77');
  ns.ip('addr', 'add', '2001:db8:6::1/64', 'dev', 'eth0', 'nodad', 'noprefixroute');
  ns.ip('addr', 'add', '10.9.9.1/24', 'dev', 'eth0', 'valid_lft', '3000', 'preferred_lft', '2000');
  const n = await failEveryStep(t, ns, sd, `
interfaces:
  - {name: eth0, kind: device, addresses: [10.9.0.1/24]}
  - {name: br9, kind: bridge}
`);
  t.true(n >= 5, `plan has ${n} steps`);
});
