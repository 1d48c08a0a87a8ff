// The command lines the executable answers without oclif (bin/run.js → src/cli/fast-read.ts,
// fast-link-json.ts, src/config/fast-apply.ts, src/failover/fast-run.ts), parsed as oclif would
// parse them, from the same definition: the table src/cli/generated/fast-commands.ts is derived
// from each command's `static flags`/`args` at build time. A command line this parser cannot
// answer exactly as oclif would (help, unknown or repeated flags, bad values, wrong argument
// counts, values that look like flags, `--`) is null and goes to oclif, which gives the usual
// help and usage errors: declining is always safe, answering differently never is
// (test/unit/fast-parse.test.ts compares with oclif's parser flag by flag). No imports but
// the table: the entry for `link list --json` loads this and the native writer only.
import { FAST_COMMANDS } from './generated/fast-commands.js';
import type { ArgsOf, FastCommand, FastFlag, FlagsOf, FlagValue } from './fast-spec.js';

export type FastTable = Readonly<Record<string, FastCommand>>;
export type FastId = keyof typeof FAST_COMMANDS;
export type FastFlags<Id extends FastId> = FlagsOf<(typeof FAST_COMMANDS)[Id]>;
export type FastArgs<Id extends FastId> = ArgsOf<(typeof FAST_COMMANDS)[Id]>;

export interface FastParsed<Id extends string = FastId> {
  id: Id;
  /** As oclif's parse() returns them: kebab-case names, absent flags absent, json: true under --json. */
  flags: Record<string, FlagValue>;
  args: Record<string, string | undefined>;
}

/** argv (after the script) parsed as oclif would, or null to let oclif decide. */
export function parseFastArgv(argv: readonly string[]): FastParsed | null;
export function parseFastArgv(argv: readonly string[], table: FastTable): FastParsed<string> | null;
export function parseFastArgv(argv: readonly string[], table: FastTable = FAST_COMMANDS): FastParsed<string> | null {
  const id = `${argv[0]} ${argv[1]}`;
  if (!Object.hasOwn(table, id)) return null;
  // oclif also turns --json on from NODECTL_CONTENT_TYPE=json; rare enough to leave to it.
  if (process.env.NODECTL_CONTENT_TYPE !== undefined) return null;
  const cmd = table[id]!;
  const raw = new Map<string, string[]>();
  const flags: Record<string, FlagValue> = {};
  const words: string[] = [];
  // oclif gives the bare words after a multiple option flag to that flag (`--nud stale x`)
  let lastOption: FastFlag | undefined;
  for (let i = 2; i < argv.length; i++) {
    const tok = argv[i]!;
    let name: string | undefined;
    let value: string | undefined;
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      name = eq < 0 ? tok.slice(2) : tok.slice(2, eq);
      if (eq >= 0) value = tok.slice(eq + 1);
    } else if (tok.startsWith('-') && tok.length > 1) {
      name = charToName(cmd, tok[1]!);
      if (tok.length > 2) value = tok.slice(tok[2] === '=' ? 3 : 2);
    } else {
      if (lastOption?.multiple) return null;
      words.push(tok);
      continue;
    }
    const f = name !== undefined && Object.hasOwn(cmd.flags, name) ? cmd.flags[name]! : undefined;
    if (!f || name === undefined) return null;
    if (f.type === 'boolean') {
      // `--json=x` and bundled short flags (`-ab`) mean other things to oclif
      if (value !== undefined) return null;
      flags[name] = true;
      continue;
    }
    if (value === undefined) value = argv[++i];
    // A missing value, an empty one, or one that oclif might read as a flag.
    if (value === undefined || value === '' || value.startsWith('-')) return null;
    const seen = raw.get(name);
    if (seen && !f.multiple) return null;
    if (seen) seen.push(value);
    else raw.set(name, [value]);
    lastOption = f;
  }
  for (const [name, f] of Object.entries(cmd.flags)) {
    if (f.type === 'boolean') {
      if (flags[name] === undefined && f.default !== undefined) flags[name] = f.default as boolean;
      continue;
    }
    let given = raw.get(name);
    const env = f.env === undefined ? undefined : process.env[f.env];
    if (!given && env) {
      const v = parseValue(f, env);
      if (v === null) return null;
      flags[name] = v;
      continue;
    }
    if (!given) {
      if (f.default !== undefined) flags[name] = (Array.isArray(f.default) ? [...f.default] : f.default) as FlagValue;
      else if (f.required) return null;
      continue;
    }
    if (f.multiple && f.delimiter !== undefined) {
      // oclif trims, unquotes and unescapes the pieces; such values go to it
      given = given.flatMap((v) => v.split(f.delimiter!));
      if (given.some((v) => v !== v.trim() || /["'\\]/.test(v))) return null;
    }
    const values: (string | number)[] = [];
    for (const v of given) {
      const parsed = parseValue(f, v);
      if (parsed === null) return null;
      values.push(parsed);
    }
    flags[name] = (f.multiple ? values : values[0]!) as FlagValue;
  }
  if (words.length > cmd.args.length) return null;
  const args: Record<string, string | undefined> = {};
  for (const [i, a] of cmd.args.entries()) {
    const w = words[i];
    if (w === undefined) {
      if (a.required) return null;
    } else {
      if (a.options && !a.options.includes(w)) return null;
      args[a.name] = w;
    }
  }
  return { id, flags, args };
}

function charToName(cmd: FastCommand, char: string): string | undefined {
  for (const [name, f] of Object.entries(cmd.flags)) if (f.char === char) return name;
  return undefined;
}

/** One value as oclif's Flags.string/integer parse it (options first), or null where oclif fails. */
function parseValue(f: FastFlag, v: string): string | number | null {
  if (f.options && !f.options.includes(v)) return null;
  if (f.type !== 'integer') return v;
  if (!/^-?\d+$/.test(v)) return null;
  const n = Number.parseInt(v, 10);
  if ((f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max)) return null;
  return n;
}

