// Help is wrapped once, at the terminal's width: every command's --help, rendered in this
// process through the help class package.json names (one oclif Config, no process per command),
// fits 80 and 120 columns and has no ragged line. New commands are covered: the list comes from
// the manifest.
import test from 'ava';
import { Config, type Help } from '@oclif/core';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { reflow, shellWords, wrapCommand } from '../../src/cli/help-text.js';
import { raggedLines } from '../helpers/help-lint.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let manifest: { commands: Record<string, { flags: Record<string, { options?: string[]; hidden?: boolean }> }> } | undefined;
function choicesOf(id: string): string[] {
  manifest ??= JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8'));
  const c = manifest!.commands[id.replaceAll(' ', ':')];
  return Object.values(c?.flags ?? {}).flatMap((f) => (f.hidden ? [] : (f.options ?? [])));
}

async function helpOf(width: number): Promise<Map<string, string>> {
  const saved = process.env.COLUMNS;
  process.env.COLUMNS = String(width);
  try {
    const config = await Config.load(ROOT);
    const { loadHelpClass } = await import('@oclif/core');
    // The class package.json names (oclif.helpClass), as `nodectl CMD --help` loads it.
    const HelpClass = (await loadHelpClass(config)) as unknown as typeof Help;
    const out = new Map<string, string>();
    for (const c of config.commands.filter((c) => c.pluginName === 'nodectl')) {
      const lines: string[] = [];
      const help = new HelpClass(config, { stripAnsi: true });
      (help as unknown as { log: (...a: string[]) => void }).log = (...a: string[]) => lines.push(a.join(' '));
      await help.showCommandHelp(c);
      out.set(c.id.replaceAll(':', ' '), lines.join('\n'));
    }
    const lines: string[] = [];
    const root = new HelpClass(config, { stripAnsi: true });
    (root as unknown as { log: (...a: string[]) => void }).log = (...a: string[]) => lines.push(a.join(' '));
    await root.showHelp([]);
    out.set('(root)', lines.join('\n'));
    return out;
  } finally {
    if (saved === undefined) delete process.env.COLUMNS;
    else process.env.COLUMNS = saved;
  }
}

for (const width of [80, 120]) {
  test.serial(`every command's --help fits ${width} columns with no ragged line`, async (t) => {
    const helps = await helpOf(width);
    t.true(helps.size > 30, `only ${helps.size} commands in the manifest`);
    const problems: string[] = [];
    for (const [id, text] of helps) {
      for (const line of text.split('\n')) if (line.length > width) problems.push(`${id}: ${line.length} > ${width}: ${line}`);
      for (const r of raggedLines(text, width)) problems.push(`${id}: ragged: "${r.line}" / "${r.next}"`);
      // Every choice of every flag is shown whole (oclif split `heartbeat` as `heart` / `beat`).
      const words = new Set(text.split(/[\s|<>]+/));
      for (const choice of choicesOf(id)) if (!words.has(choice)) problems.push(`${id}: choice "${choice}" is not shown whole`);
    }
    t.deepEqual(problems, []);
  });
}

test('a flag whose description is too long for two columns is stacked within the width', async (t) => {
  const saved = process.env.COLUMNS;
  process.env.COLUMNS = '80';
  try {
    const config = await Config.load(ROOT);
    const { loadHelpClass } = await import('@oclif/core');
    const HelpClass = (await loadHelpClass(config)) as unknown as typeof Help;
    const real = config.findCommand('sctp:trace')!;
    const long = 'A description long enough for six lines in the two-column layout, which makes oclif stack every label over its description. '.repeat(3);
    const cmd = { ...real, flags: { ...real.flags, attach: { ...real.flags.attach!, summary: long } } };
    const lines: string[] = [];
    const help = new HelpClass(config, { stripAnsi: true });
    (help as unknown as { log: (...a: string[]) => void }).log = (...a: string[]) => lines.push(a.join(' '));
    await help.showCommandHelp(cmd as typeof real);
    const text = lines.join('\n');
    t.regex(text, /^ {2}--attach=<option>\n {6}\[default: auto\] A description/m, 'stacked: the description under its label');
    t.deepEqual(text.split('\n').filter((l) => l.length > 80), [], 'no line past 80 columns');
    t.deepEqual(raggedLines(text, 80), []);
  } finally {
    if (saved === undefined) delete process.env.COLUMNS;
    else process.env.COLUMNS = saved;
  }
});

test('paragraphs are reflowed; lists, tables and indented samples keep their layout', (t) => {
  const src = 'One two three\nfour five.\n\nList:\n1. alpha beta\ngamma\n2. delta\n\n  {"json": 1}\n  key   a long cell text\n        that goes on';
  t.is(
    reflow(src, 30),
    ['One two three four five.', '', 'List:', '1. alpha beta gamma', '2. delta', '', '  {"json": 1}', '  key   a long cell text that', '        goes on'].join('\n'),
  );
  // A cell narrower than 20 columns is not squeezed: the row stays whole.
  t.is(reflow('  key   a long cell text that goes on', 24), '  key   a long cell text that goes on');
});

test('example commands break only between shell words', (t) => {
  t.deepEqual(shellWords(`a --json | jq '.x[] | "\\(.a) b"' "c d" e\\ f`), ['a', '--json', '|', 'jq', `'.x[] | "\\(.a) b"'`, '"c d"', 'e\\ f']);
  const lines = wrapCommand(`$ nodectl sctp stats -n blue --dev veth0 --json | jq '.associations[] | select(.health.conditions | index("stalled"))'`, 78, 2);
  t.deepEqual(lines, [
    '  $ nodectl sctp stats -n blue --dev veth0 --json | jq \\',
    `    '.associations[] | select(.health.conditions | index("stalled"))'`,
  ]);
});
