// The reaper in test/helpers/netns.ts removes the namespaces of SIGKILLed test runs: it must
// recognise every name the tests make, and never one of a live run or of a user's lab.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { orphanedTestNamespaces, uniqueName } from '../helpers/netns.js';

test('orphans are the test namespaces of dead processes, lab tests included; nothing else', (t) => {
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const live = process.pid;
  const names = [
    `nctl-t-${dead}-0a1b2c`, `nctl-probe-${dead}-ffee00`, `nctl-lt-${dead}-abc123-node`, `nctl-lt-${dead}-abc123-sctp-peer`,
    `nctl-t-${live}-0a1b2c`, `nctl-lt-${live}-abc123-switch`,
    'nctl-lab-node', 'nctl-vagrant', 'nctl-lt-abc123-node', 'mylab',
  ];
  t.deepEqual(orphanedTestNamespaces(names), names.slice(0, 4));
  t.regex(uniqueName(), new RegExp(`^nctl-t-${live}-[0-9a-f]{6}$`));
});
