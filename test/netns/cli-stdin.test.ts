// Arguments come from the command line only: oclif would take a missing one from a piped stdin,
// and under ssh -c, Vagrant or Ansible whatever feeds stdin became the interface name.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isRoot, netnsFor } from '../helpers/netns.js';
import { patient } from '../helpers/patience.js';
import { testIf } from '../helpers/require.js';

const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

testIf('root', 'cli')(isRoot() ? 'a piped stdin never stands in for a missing argument' : 'piped stdin vs arguments (skipped: needs root)', (t) => {
  const ns = netnsFor(t);
  const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args, '-n', ns.name], { encoding: 'utf8', input: 'lo\n', env: { ...process.env, NODECTL_NO_FAST: '1' }, timeout: patient(60_000) });
  // required: a usage error, not `link show lo`
  const show = run(['link', 'show']);
  t.is(show.status, 2, show.stdout);
  t.regex(show.stderr, /^nodectl: link show: missing argument IFACE/);
  // optional: every interface, not just the one named on stdin
  ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
  const arp = run(['arp', 'show', '--json']);
  t.is(arp.status, 0, arp.stderr);
  const names = (JSON.parse(arp.stdout) as { interfaces: { ifname: string }[] }).interfaces.map((i) => i.ifname).sort();
  t.deepEqual(names, ['lo', 'va', 'vb']);
});
