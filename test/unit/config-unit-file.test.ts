import test from 'ava';
import { readFileSync } from 'node:fs';

// The boot unit's choice about disruption (docs/config.md, "Disruption"), frozen: at boot a
// refusal would leave the node without its network, on reload a running node is protected.
test('nodectl-config.service: ExecStart allows disruption, ExecReload does not', (t) => {
  const unit = readFileSync(new URL('../../contrib/systemd/nodectl-config.service', import.meta.url), 'utf8');
  const exec = (key: string): string[] => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!);
  t.deepEqual(exec('ExecStart'), ['/usr/bin/nodectl config apply /etc/nodectl/node.yaml --allow-disruption']);
  t.deepEqual(exec('ExecReload'), ['/usr/bin/nodectl config apply /etc/nodectl/node.yaml']);
});
