// The lab's config file must stay valid against the real schema (it is what `lab up` applies
// and what the demo plans): every variant, with and without the kinds some kernels lack.
import test from 'ava';
import { parseConfig } from '../../src/config/load.js';
import { renderLabConfig } from '../../src/lab/config-file.js';

for (const variant of ['base', 'changed'] as const) {
  for (const has of [true, false]) {
    test(`lab config (${variant}, vlan/bond/dummy ${has ? 'present' : 'absent'}) validates`, (t) => {
      const text = renderLabConfig({ kinds: { vlan: has, bond: has, dummy: has }, variant }, has ? [] : [{ kind: 'vlan', why: 'test' }]);
      const { config } = parseConfig(text, 'lab.yaml');
      const names = config.interfaces.map((i) => i.name);
      t.true(names.includes('br-int'));
      t.is(names.includes('eth2.100'), has);
      t.is(names.includes('bond0'), has);
      t.is(names.includes('svc0'), has);
      t.deepEqual(config.mgmt?.candidates, ['eth0', 'eth1']);
      const br = config.interfaces.find((i) => i.name === 'br-int');
      t.is(br?.mtu, variant === 'changed' ? 1400 : undefined);
    });
  }
}
