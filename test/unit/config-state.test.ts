import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootTimeMs, StateDir } from '../../src/config/state.js';
import { StateError } from '../../src/errors.js';

// Journal and ownership record are written without fsync: a power loss may leave one torn. A
// torn file from before this boot describes kernel state that is gone and must not block the
// boot-time apply; a torn file written in this boot is a real problem and must be reported.
test('an unreadable record from before this boot is stale; one from this boot is an error', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'nctl-state-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  t.true(bootTimeMs() > 0 && bootTimeMs() < Date.now());
  const sd = new StateDir(root, undefined);
  mkdirSync(sd.dir, { recursive: true });
  const before = new Date(bootTimeMs() - 60_000);
  for (const name of ['owned.json', 'journal.json']) {
    const read = (): unknown => (name === 'owned.json' ? sd.readOwned() : sd.readJournal());
    writeFileSync(sd.path(name), '{"bootId": "x", "li');
    t.throws(read, { instanceOf: StateError }, `${name} torn in this boot`);
    utimesSync(sd.path(name), before, before);
    t.deepEqual(read(), name === 'owned.json' ? [] : null, `${name} torn before this boot`);
  }
  t.false(existsSync(sd.path('journal.json')), 'the stale journal is removed');
  sd.writeOwned([{ name: 'mv0', ifindex: 5, kind: 'macvlan' }]);
  t.deepEqual(sd.readOwned(), [{ name: 'mv0', ifindex: 5, kind: 'macvlan' }]);
});
