// The suite's own hygiene: a test process that was SIGKILLed cannot run its teardown, so the
// next run must remove the namespaces it left, and only those.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { reapOrphans, sh, uniqueName } from '../helpers/netns.js';
import { testIf } from '../helpers/require.js';

testIf('root')('namespaces of a killed test process are reaped; those of a live one are kept', async (t) => {
  const child = spawn('sleep', ['60']);
  const dead = `nctl-t-${child.pid}-${randomBytes(3).toString('hex')}`;
  const alive = uniqueName();
  sh('ip', ['netns', 'add', dead]);
  sh('ip', ['netns', 'add', alive]);
  t.teardown(() => {
    spawnSync('ip', ['netns', 'del', dead]);
    spawnSync('ip', ['netns', 'del', alive]);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;

  reapOrphans();
  t.false(existsSync(`/run/netns/${dead}`), `${dead} (owner ${child.pid} is gone) should have been removed`);
  t.true(existsSync(`/run/netns/${alive}`), `${alive} belongs to this live process and must stay`);
});
