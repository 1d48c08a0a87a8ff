// Issue 18: a bridge the file wants BELOW its ports' MTU. A bridge whose MTU nobody set follows
// its ports (each enslavement, release or port MTU change sets it to the smallest port's MTU,
// 1500 with none), and one created with IFLA_MTU counts as unset: the apply used to fail its
// verification ("link set br0 mtu 9000 → 1500") and roll back. Checked with iproute2.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyConfig, planConfig } from '../../src/config/apply.js';
import { parseConfig } from '../../src/config/load.js';
import { ApplyError } from '../../src/errors.js';
import { assertSameSnapshot, ipSnapshot } from '../helpers/ip-snapshot.js';
import { nodectl } from '../helpers/cli.js';
import { type Netns, netnsFor, rootTitle, standInNic, stateDir } from '../helpers/netns.js';
import { testIf } from '../helpers/require.js';

const cfg = (text: string) => parseConfig(text, 'test.yaml').config;
const mtus = (ns: Netns): Record<string, number> =>
  Object.fromEntries(ns.ipJson<{ ifname: string; mtu: number }[]>('link', 'show').filter((l) => l.ifname !== 'lo').map((l) => [l.ifname, l.mtu]));

testIf('root')(rootTitle('a bridge below its ports keeps the file\'s MTU through creation, a new port and a port\'s MTU raised'), async (t) => {
  const ns = netnsFor(t);
  const sd = stateDir(t);
  const where = { netns: ns.name, stateDir: sd };
  // jumbo ports under a 1500 bridge; a 1400 bridge over a new veth (1500 by default)
  const A = `interfaces:
  - {name: br0, kind: bridge, mtu: 1500, ports: [ve0]}
  - {name: ve0, kind: veth, veth: {peer: ve0p}, mtu: 9000}
  - {name: br1, kind: bridge, mtu: 1400, ports: [ve1]}
  - {name: ve1, kind: veth, veth: {peer: ve1p}}
`;
  await applyConfig(cfg(A), where);
  t.like(mtus(ns), { br0: 1500, ve0: 9000, br1: 1400, ve1: 1500 });
  t.false((await planConfig(cfg(A), where)).changed);
  // one more jumbo port, and ve1 raised: the bridges stay where the file says
  const B = `interfaces:
  - {name: br0, kind: bridge, mtu: 1500, ports: [ve0, ve2]}
  - {name: ve0, kind: veth, veth: {peer: ve0p}, mtu: 9000}
  - {name: ve2, kind: veth, veth: {peer: ve2p}, mtu: 9000}
  - {name: br1, kind: bridge, mtu: 1400, ports: [ve1]}
  - {name: ve1, kind: veth, veth: {peer: ve1p}, mtu: 9000}
`;
  // a failure at the last step (after the bridges' MTUs were set again) rolls all back
  const steps = (await planConfig(cfg(B), where)).steps;
  t.true(steps.some((s) => s.text === 'link set br0 mtu 1500 (kept)'), steps.map((s) => s.text).join('; '));
  const before = await ipSnapshot(ns.name);
  await t.throwsAsync(applyConfig(cfg(B), { ...where, failAtStep: steps.length }), { instanceOf: ApplyError });
  assertSameSnapshot(t, before, await ipSnapshot(ns.name), 'the rollback left the namespace changed');
  await applyConfig(cfg(B), where);
  t.like(mtus(ns), { br0: 1500, ve0: 9000, ve2: 9000, br1: 1400, ve1: 9000 });
  t.false((await planConfig(cfg(B), where)).changed);
});

testIf('root')(rootTitle('a bridge above a port whose MTU the node gives (an existing NIC, a veth made with its default) is refused before step 1, nothing changed'), async (t) => {
  const ns = standInNic(netnsFor(t)); // eth0 at 1500
  const sd = stateDir(t);
  const before = await ipSnapshot(ns.name);
  for (const [text, port, at] of [
    ['interfaces:\n  - {name: eth0, kind: device}\n  - {name: br0, kind: bridge, mtu: 9000, ports: [eth0], addresses: [10.3.0.1/24]}\n', 'eth0', 1],
    ['interfaces:\n  - {name: br0, kind: bridge, mtu: 9000, ports: [ve0], addresses: [10.3.0.1/24]}\n  - {name: ve0, kind: veth, veth: {peer: ve0p}}\n', 've0', 0],
  ] as const) {
    const f = join(sd, 'node.yaml');
    writeFileSync(f, text);
    t.is(nodectl('config', 'validate', f).status, 0, 'the file alone does not say the port\'s MTU');
    for (const cmd of ['plan', 'apply'] as const) {
      const r = nodectl('config', cmd, f, '-n', ns.name, '--state-dir', sd);
      t.is(r.status, 1, `${cmd}: ${r.stdout}${r.stderr}`);
      t.is(r.stderr, `nodectl: the file cannot be applied to this node: /interfaces/${at}/mtu: bridge br0 mtu 9000 is above the mtu 1500 of its port ${port} on this node: the kernel lowers a bridge to the MTU of its smallest port\n`);
    }
    assertSameSnapshot(t, before, await ipSnapshot(ns.name), `${port}: the refused apply changed the namespace`);
  }
});
