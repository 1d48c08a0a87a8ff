// Parser errors are nodectl errors: one line `nodectl: …`, exit 2 (USAGE), a "did you mean"
// when something close exists, and the documented error object under --json. Every command
// line here fails in parsing; `-n` names a namespace that does not exist, so that even a
// parser that accepted one could not touch this machine's interfaces.
import test from 'ava';
import { nodectl } from '../helpers/cli.js';
import { didYouMean, unknownCommand, type CommandShape } from '../../src/cli/usage-errors.js';
import { testIf } from '../helpers/require.js';

const NS = ['-n', 'nctl-no-such-namespace'];

test('did you mean: the nearest word, only when it is near', (t) => {
  t.is(didYouMean('--jsn', ['--json', '--netns']), '--json');
  t.is(didYouMean('brige', ['bridge', 'bond']), 'bridge');
  t.is(didYouMean('xyz', ['bridge', 'bond']), undefined);
  const cmds: CommandShape[] = [{ id: 'link list', flags: {}, args: {} }, { id: 'addr list', flags: { dev: { name: 'dev' } }, args: {} }];
  t.like(unknownCommand(['addr', 'list', 'vB'], cmds, ['link', 'addr']), { code: 'USAGE', suggestion: '--dev vB' });
  t.like(unknownCommand(['link', 'lst'], cmds, ['link', 'addr']), { suggestion: 'nodectl link list' });
  t.like(unknownCommand(['lnk', 'list'], cmds, ['link', 'addr']), { suggestion: 'nodectl link list' });
});

const cases: Array<{ argv: string[]; line: RegExp }> = [
  { argv: ['addr', 'list', 'vB', ...NS], line: /^nodectl: addr list: unexpected argument "vB" \(did you mean --dev vB\?\)$/ },
  { argv: ['link', 'add', 'x0', 'bridge', ...NS], line: /^nodectl: link add: expected the word "type" before KIND "bridge" \(did you mean nodectl link add x0 type bridge/ },
  { argv: ['link', 'list', '--jsn', ...NS], line: /^nodectl: link list: unknown flag --jsn \(did you mean --json\?\)$/ },
  { argv: ['link', 'lst', ...NS], line: /^nodectl: unknown command "link lst" \(did you mean nodectl link list\?\)$/ },
  { argv: ['link', 'show', ...NS], line: /^nodectl: link show: missing argument IFACE/ },
  { argv: ['link', 'tree', '--format', 'svg', ...NS], line: /^nodectl: link tree: --format "svg" is not one of text, json, dot$/ },
  { argv: ['monitor', '--count', 'x', ...NS], line: /^nodectl: monitor: .*integer/ },
  { argv: ['config', 'apply', '--bogus'], line: /^nodectl: config apply: unknown flag --bogus$/ },
  { argv: ['mgmt', 'run', '--bogus'], line: /^nodectl: mgmt run: unknown flag --bogus$/ },
];

for (const { argv, line } of cases) {
  testIf('cli')(`${argv.join(' ')}: one line, exit 2`, (t) => {
    const r = nodectl(...argv);
    t.is(r.status, 2, r.stderr);
    t.is(r.stdout, '');
    t.regex(r.stderr.trimEnd(), line);
    t.is(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
    const j = nodectl(...argv, '--json');
    t.is(j.status, 2, j.stderr);
    t.is(j.stderr, '');
    const doc = JSON.parse(j.stdout) as { error: { code: string; message: string } };
    t.is(doc.error.code, 'USAGE');
    t.regex(`nodectl: ${doc.error.message}`, line);
  });
}

testIf('cli')('help CMD is the help of CMD', (t) => {
  const r = nodectl('help', 'link', 'add');
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^USAGE\n {2}\$ nodectl link add NAME TYPE KIND/m);
  // -h too, as most tools take it (it was "unknown flag -h")
  for (const argv of [['link', 'list', '-h'], ['mgmt', 'run', '-h'], ['config', 'apply', '-h']]) {
    const h = nodectl(...argv);
    t.is(h.status, 0, `${argv.join(' ')}: ${h.stderr}`);
    t.regex(h.stdout, new RegExp(`^USAGE\\n {2}\\$ nodectl ${argv[0]} ${argv[1]}`, 'm'));
  }
});
