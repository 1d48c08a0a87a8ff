// scripts/vm/load-crashes.mjs on recorded guest output: the files whose node died loading them
// (the 7.x TCG emulator fault) are named only when they are the run's only failures, so CI's
// second run of them can never hide a failed test, another exception, or a crash mid-file.
import test from 'ava';
// @ts-expect-error: a plain .mjs script without type declarations
import { loadCrashes } from '../../scripts/vm/load-crashes.mjs';

const crashes = loadCrashes as (out: string) => { files: string[]; other: string[] };

// stop 30's CI run, test/vm on 7.2.13 (the guest's ASCII marks), abridged
const LEXER = `
  √ arp-vlan-bond › VLAN: an announcement on va.100 leaves tagged with VLAN 100 (13.7s)

  Uncaught exception in test/vm/config-rehearse.test.ts

  Error {
    idx: 168,
    message: 'Parse error /check/work/main/node_modules/@sinclair/typebox/build/esm/type/type/index.mjs:4:10',
  }

  × test/vm/config-rehearse.test.ts exited with a non-zero exit code: 1
  √ config-kinds › failing at every step of the bond/vlan/dummy plan restores the exact snapshot (24.6s)
  √ deb-install › apt installs the .deb, nodectl runs without a node on PATH, apt purge leaves nothing (2m 3.2s)
  ─

  19 tests passed
  1 uncaught exception
`;

// session 14's 7.2 run, one file per ava run, with the console's carriage returns
const SEGV = [
  '=== test/netns/dump-once.test.ts',
  '  √ listLinksOnce returns what listLinks over a Handle returns, in ifindex order (10.6s)',
  '  2 tests passed',
  '=== test/netns/link-del-cascade.test.ts',
  '',
  '  × test/netns/link-del-cascade.test.ts exited due to SIGSEGV',
  '  ─',
  '=== test/netns/link-veth-netns.test.ts',
  '',
  '  × test/netns/link-veth-netns.test.ts exited due to SIGSEGV',
  '  ─',
].join('\r\n');

test('the lexer fault at load: the file is named, and nothing else failed', (t) => {
  t.deepEqual(crashes(LEXER), { files: ['test/vm/config-rehearse.test.ts'], other: [] });
});

test('workers killed by SIGSEGV before their first test: both files, in the order they died', (t) => {
  t.deepEqual(crashes(SEGV).files, ['test/netns/link-del-cascade.test.ts', 'test/netns/link-veth-netns.test.ts']);
});

test('the host\'s Unicode marks read the same', (t) => {
  t.deepEqual(crashes(LEXER.replace(/×/g, '✘').replace(/√/g, '✔')).files, ['test/vm/config-rehearse.test.ts']);
});

test('a failed test anywhere in the run: nothing is run again', (t) => {
  const r = crashes(`${LEXER}\n  × [fail]: config-kinds › link add vlan/bond/dummy Rejected promise returned by test\n`);
  t.deepEqual(r.files, []);
  t.regex(r.other.join('\n'), /\[fail\]: config-kinds/);
});

test('an uncaught exception of another kind is a failure, not the load fault', (t) => {
  const other = LEXER.replace(/message: 'Parse error [^']*'/, "message: 'Cannot read properties of undefined (reading \\'ifindex\\')'");
  const r = crashes(other);
  t.deepEqual(r.files, []);
  t.true(r.other.some((o) => o.includes('Uncaught exception in test/vm/config-rehearse.test.ts')));
});

test('a lexer fault in the file under test, not in node_modules, is a failure', (t) => {
  t.deepEqual(crashes(LEXER.replace('/check/work/main/node_modules/@sinclair/typebox/build/esm/type/type/index.mjs', '/check/work/main/src/config/schema.ts')).files, []);
});

test('a worker that died after one of its tests reported had started running: not the load fault', (t) => {
  const r = crashes(`  √ config-kinds › failing at every step restores the exact snapshot (24.6s)\n  × test/vm/config-kinds.test.ts exited due to SIGSEGV\n  √ guest-kernel › kprobes are available (384ms)\n`);
  t.deepEqual(r.files, []);
  t.deepEqual(r.other, ['test/vm/config-kinds.test.ts died after some of its tests reported']);
});

test('a file whose name is another\'s suffix is told apart (link vs. config-link)', (t) => {
  const r = crashes(`  √ config-link › a test (1s)\n  × test/netns/link.test.ts exited due to SIGSEGV\n`);
  t.deepEqual(r.files, ['test/netns/link.test.ts']);
});

test('a non-zero exit without the lexer fault, and a timeout, are failures', (t) => {
  t.deepEqual(crashes('  × test/vm/config-kinds.test.ts exited with a non-zero exit code: 1\n').files, []);
  t.deepEqual(crashes(`${SEGV}\r\n  ✘ Timed out while running tests\r\n`).files, []);
});

test('a passing run: nothing to run again', (t) => {
  t.deepEqual(crashes('  √ guest-kernel › kprobes are available (384ms)\n  1 test passed\n'), { files: [], other: [] });
});
