// One definition per command: the fast paths (bin/run.js without oclif) take a command's flags
// and arguments from its oclif class, through the table generated at build time
// (src/cli/generated/fast-commands.ts). Checked here against oclif's own parser, for every
// fast-pathed command: every flag of the class, in every spelling oclif takes, is accepted by
// the fast path with the same value; a flag taken out of the class is refused by it; and for
// a few thousand random command lines the fast path either declines or agrees with oclif.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Parser, type Command } from '@oclif/core';
import { parseFastArgv, type FastTable } from '../../src/cli/fast-parse.js';
import { FAST_PATHED, fastSpecOf, loadFastPathedClasses, renderFastCommands } from '../../src/cli/fast-spec-gen.js';

const classes = await loadFastPathedClasses();
const require = createRequire(import.meta.url);
// oclif's own combination of --json, baseFlags and flags (what Command.parse hands its parser)
const { aggregateFlags } = require(join(dirname(require.resolve('@oclif/core')), 'util/aggregate-flags.js')) as {
  aggregateFlags: (flags: unknown, baseFlags: unknown, json: unknown) => Record<string, Def>;
};

type Def = Record<string, unknown> & { type: string; char?: string; options?: string[]; multiple?: boolean; delimiter?: string; min?: number; env?: string };
type Parsed = { flags: Record<string, unknown>; args: Record<string, unknown> } | null;

const definitionOf = (cls: Command.Class): Record<string, Def> => aggregateFlags(cls.flags, cls.baseFlags, cls.enableJsonFlag);

/** What oclif's parser makes of argv (after the command id), or null when it refuses it. */
async function oclif(cls: Command.Class, argv: string[]): Promise<Parsed> {
  // as NodectlCommand.init() sets them: arguments never come from stdin
  const args = Object.fromEntries(Object.entries(cls.args ?? {}).map(([k, a]) => [k, { ...a, ignoreStdin: true }]));
  try {
    const r = await Parser.parse(argv.slice(2), { flags: definitionOf(cls) as never, args, strict: cls.strict ?? true, context: {} as never });
    return { flags: r.flags, args: r.args };
  } catch {
    return null;
  }
}

function fast(argv: string[], table?: FastTable): Parsed {
  const p = table ? parseFastArgv(argv, table) : parseFastArgv(argv);
  return p && { flags: p.flags, args: Object.fromEntries(Object.entries(p.args).filter(([, v]) => v !== undefined)) };
}

const integer = (f: Def): boolean => String(f.parse).includes('Expected an integer');

/** Two valid values of a flag. */
function values(f: Def): [string, string] {
  if (f.options) return [f.options[0]!, f.options.at(-1)!];
  if (integer(f)) return [String(f.min ?? 1), String((f.min ?? 1) + 7)];
  return ['v1', 'w/2.yaml'];
}

/** Every way oclif takes a flag: --name v, --name=v, -c v, -cv, -c=v; repeated and delimited lists. */
function spellings(name: string, f: Def): string[][] {
  if (f.type === 'boolean') return [[`--${name}`], ...(f.char ? [[`-${f.char}`]] : [])];
  const [a, b] = values(f);
  const out = [[`--${name}`, a], [`--${name}=${b}`]];
  if (f.char) out.push([`-${f.char}`, a], [`-${f.char}${b}`], [`-${f.char}=${a}`]);
  if (f.multiple) out.push([`--${name}`, a, `--${name}`, b]);
  if (f.multiple && f.delimiter) out.push([`--${name}`, `${a}${f.delimiter}${b}`]);
  return out;
}

/** The words of a command line before its flags: the id and each required argument. */
function head(id: string, cls: Command.Class): string[] {
  return [...id.split(' '), ...Object.values(cls.args ?? {}).filter((a) => a.required).map((_, i) => `arg${i}`)];
}

test('the generated table is what the command classes derive to (npm run build:ts regenerates it)', (t) => {
  const onDisk = readFileSync(new URL('../../src/cli/generated/fast-commands.ts', import.meta.url), 'utf8');
  t.is(onDisk, renderFastCommands(classes), 'src/cli/generated/fast-commands.ts is stale: run scripts/gen-fast-commands');
});

for (const id of Object.keys(FAST_PATHED)) {
  const cls = classes[id]!;

  test(`${id}: every flag of the oclif definition, in every spelling, means the same on the fast path`, async (t) => {
    const def = definitionOf(cls);
    t.true(Object.keys(def).length > 1);
    for (const [name, f] of Object.entries(def)) {
      for (const sp of spellings(name, f)) {
        const argv = [...head(id, cls), ...sp];
        const want = await oclif(cls, argv);
        t.not(want, null, `oclif takes ${argv.join(' ')}`);
        t.deepEqual(fast(argv), want, argv.join(' '));
      }
    }
    // all of them at once, in the first spelling of each
    const argv = [...head(id, cls), ...Object.entries(def).flatMap(([name, f]) => spellings(name, f)[0]!)];
    t.deepEqual(fast(argv), await oclif(cls, argv), argv.join(' '));
  });

  test(`${id}: a flag taken out of the definition is refused by the fast path`, async (t) => {
    for (const [name, f] of Object.entries(definitionOf(cls))) {
      // the class without it, wherever it was declared: its own flags, the base command's, or oclif's --json
      const without = (o: Record<string, unknown> | undefined): Record<string, unknown> | undefined => o && Object.fromEntries(Object.entries(o).filter(([k]) => k !== name));
      const Less = class extends (cls as unknown as new () => object) {} as unknown as Command.Class;
      Object.assign(Less, { flags: without(cls.flags), baseFlags: without(cls.baseFlags), enableJsonFlag: name === 'json' ? false : cls.enableJsonFlag, args: cls.args });
      const table: FastTable = { [id]: fastSpecOf(id, Less, FAST_PATHED[id]!) };
      for (const sp of spellings(name, f)) {
        const argv = [...head(id, cls), ...sp];
        t.not(fast(argv, { [id]: fastSpecOf(id, cls, FAST_PATHED[id]!) }), null, `${argv.join(' ')} with --${name}`);
        t.is(await oclif(Less, argv), null, `oclif refuses ${argv.join(' ')} without --${name}`);
        t.is(fast(argv, table), null, `${argv.join(' ')} without --${name}`);
      }
    }
  });

  test(`${id}: on random command lines the fast path declines or agrees with oclif`, async (t) => {
    const def = definitionOf(cls);
    // words oclif reads in many ways: every spelling, bad values, lookalikes, separators, help
    const vocab = [
      ...Object.entries(def).flatMap(([name, f]) => [...spellings(name, f).flat(), `--${name}`, `--${name}=`, ...(f.char ? [`-${f.char}`] : [])]),
      'eth0', 'x', '-', '--', '-5', '0', '300', 'inet4', 'all,bogus', ' stale', '--help', '-h', '--no-json', '--jso', '-nx', '-=', '--=x',
    ];
    let seed = 0x2323;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let agreed = 0;
    for (let i = 0; i < 800; i++) {
      const argv = [...(rnd(2) ? head(id, cls) : id.split(' ')), ...Array.from({ length: rnd(6) }, () => vocab[rnd(vocab.length)]!)];
      const got = fast(argv);
      if (got === null) continue;
      t.deepEqual(got, await oclif(cls, argv), argv.join(' '));
      agreed++;
    }
    t.log(`${agreed} of 800 answered by the fast path`);
  });
}

test.serial('a flag read from the environment when absent (config apply --state-dir: NODECTL_STATE_DIR) reads the same', async (t) => {
  const saved = process.env.NODECTL_STATE_DIR;
  process.env.NODECTL_STATE_DIR = '/tmp/from-env';
  try {
    for (const argv of [['config', 'apply', 'n.yaml'], ['config', 'apply', 'n.yaml', '--state-dir', '/tmp/given']]) {
      const want = await oclif(classes['config apply']!, argv);
      t.deepEqual(fast(argv), want, argv.join(' '));
    }
    t.like(fast(['config', 'apply', 'n.yaml']), { flags: { 'state-dir': '/tmp/from-env' } });
  } finally {
    if (saved === undefined) delete process.env.NODECTL_STATE_DIR;
    else process.env.NODECTL_STATE_DIR = saved;
  }
});

test('what the fast paths take in the spellings that used to differ between them', (t) => {
  // -nlab was refused by config apply's and mgmt run's own parsers while fast-read took -nblue
  t.like(fast(['config', 'apply', 'n.yaml', '-nlab']), { flags: { netns: 'lab' }, args: { file: 'n.yaml' } });
  t.like(fast(['mgmt', 'run', '-nlab', '-cf.yaml']), { flags: { netns: 'lab', config: 'f.yaml' } });
  t.like(fast(['link', 'list', '-nblue']), { flags: { netns: 'blue' } });
  // --nud as oclif takes it: repeated or comma-separated
  t.like(fast(['neigh', 'list', '--nud', 'stale,delay', '--nud', 'probe']), { flags: { nud: ['stale', 'delay', 'probe'] } });
  t.like(fast(['config', 'apply', 'n.yaml', '--confirm', '030', '--no-prune']), { flags: { confirm: 30, 'no-prune': true } });
  t.like(fast(['config', 'apply', 'n.yaml', '--allow-disruption']), { flags: { 'allow-disruption': true }, args: { file: 'n.yaml' } });
  t.like(fast(['mgmt', 'run', '--rcvbuf', '4096', '--json']), { flags: { rcvbuf: 4096, json: true } });
});

test('leaves to oclif what it would refuse or read another way', (t) => {
  for (const argv of [
    [], ['link'], ['link', 'list', '--help'], ['link', 'list', '-h'], ['link', 'list', '--bogus'],
    ['link', 'list', '--netns'], ['link', 'list', '--netns', 'a', '--netns', 'b'], ['link', 'list', '--json=true'],
    ['link', 'show'], ['link', 'show', 'a', 'b'], ['link', 'list', 'extra'], ['link', 'tree', '--format', 'svg'],
    ['addr', 'list', '--family', 'inet4'], ['link', 'list', '-n', '--json'], ['monitor'], ['lab', 'up'], ['link:list'],
    ['addr', 'add', '10.0.0.1/24'], ['neigh', 'list', '--nud', 'stale', 'x'], ['neigh', 'list', '--nud', 'stale, delay'],
    ['config', 'plan', 'n.yaml'], ['config', 'apply'], ['config', 'apply', 'a.yaml', 'b.yaml'], ['config', 'apply', 'n.yaml', '--confirm', '0'],
    ['config', 'apply', 'n.yaml', '--confirm', '1.5'], ['config', 'apply', 'n.yaml', '--prune'], ['config', 'apply', 'n.yaml', '--state-dir='],
    ['config', 'apply', '--', 'n.yaml'], ['mgmt', 'status'], ['mgmt', 'run', '--config', '-n'], ['mgmt', 'run', '--rcvbuf', '12'],
    ['mgmt', 'run', '--rcvbuf', 'x'], ['mgmt', 'run', 'extra'],
  ]) {
    t.is(parseFastArgv(argv), null, argv.join(' '));
  }
});

test.serial('leaves to oclif a --json that comes from NODECTL_CONTENT_TYPE', (t) => {
  process.env.NODECTL_CONTENT_TYPE = 'json';
  try {
    t.is(parseFastArgv(['link', 'list']), null);
  } finally {
    delete process.env.NODECTL_CONTENT_TYPE;
  }
});
