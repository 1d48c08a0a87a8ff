// Derives what the fast paths know of a command (src/cli/fast-spec.ts) from its oclif class, and
// renders src/cli/generated/fast-commands.ts from it. The class's `static flags`/`args` (with
// the base command's flags and oclif's --json) are the one definition; `npm run build:ts` runs
// scripts/gen-fast-commands first, so a flag added to a command is on its fast path too.
// A flag property the fast parser does not implement (a custom parse, aliases, allowNo,
// exclusive, a computed default, …) stops the build here with the command and flag named,
// rather than leaving the two paths to disagree. Only scripts/gen-fast-commands and the unit
// test import this module (it loads oclif and the command classes).
import { Args, Flags, type Command } from '@oclif/core';
import type { FastArg, FastCommand, FastFlag } from './fast-spec.js';

/**
 * The commands bin/run.js answers without oclif, each with the dist/ module that does it: the
 * read commands scripts call in loops (oclif's loader costs ~100 ms of CPU before any work),
 * `config apply` (run at every boot; oclif costs more than a no-op apply) and `mgmt run` (a
 * daemon: without oclif it stays ~15 MB smaller).
 */
export const FAST_PATHED: Readonly<Record<string, string>> = {
  'link list': 'cli/fast-read',
  'link show': 'cli/fast-read',
  'link tree': 'cli/fast-read',
  'addr list': 'cli/fast-read',
  'neigh list': 'cli/fast-read',
  'config apply': 'config/fast-apply',
  'mgmt run': 'failover/fast-run',
};

/** The oclif classes of FAST_PATHED, by id (a command's id is its path under src/commands). */
export async function loadFastPathedClasses(): Promise<Record<string, Command.Class>> {
  const out: Record<string, Command.Class> = {};
  for (const id of Object.keys(FAST_PATHED)) {
    const mod = (await import(`../commands/${id.replaceAll(' ', '/')}.js`)) as { default: Command.Class };
    out[id] = mod.default;
  }
  return out;
}

type Def = Record<string, unknown>;

// oclif's parse functions, to tell Flags.string from Flags.integer from a custom parse: integer's
// is one shared function; string's and Args.string's are made afresh per flag, so by their text.
const INTEGER_PARSE = Flags.integer().parse;
const STRING_PARSE = String(Flags.string().parse);
const BOOLEAN_PARSE = String(Flags.boolean().parse);
const ARG_STRING_PARSE = String(Args.string().parse);

/** Properties that only document a flag or argument, or that oclif sets itself. */
const DOC_ONLY = new Set(['summary', 'description', 'helpGroup', 'hidden', 'helpLabel', 'helpValue', 'name', 'input', 'noCacheDefault', 'ignoreStdin']);

/** Every flag of a command as oclif's parse() combines them: --json, the base flags, its own. */
export function allFlags(cls: Command.Class): Record<string, Def> {
  return { ...(cls.enableJsonFlag ? { json: Flags.boolean({}) } : {}), ...(cls.baseFlags ?? {}), ...(cls.flags ?? {}) } as Record<string, Def>;
}

export function fastSpecOf(id: string, cls: Command.Class, entry: string): FastCommand {
  const no = (what: string): Error => new Error(`${id}: ${what}: the fast path (src/cli/fast-parse.ts) does not implement it; teach it there or take "${id}" out of FAST_PATHED`);
  if (cls.strict === false) throw no('strict = false');
  const flags: Record<string, FastFlag> = {};
  for (const [name, def] of Object.entries(allFlags(cls))) {
    if (name === 'help' || name === 'version' || def.char === 'h') throw no(`--${name} (oclif handles help and version before parsing)`);
    const out: { -readonly [K in keyof FastFlag]: FastFlag[K] } = { type: 'string' };
    if (def.type === 'boolean') {
      if (String(def.parse) !== BOOLEAN_PARSE) throw no(`--${name} has its own parse function`);
      out.type = 'boolean';
    } else if (def.type === 'option') {
      if (def.parse === INTEGER_PARSE) out.type = 'integer';
      else if (String(def.parse) !== STRING_PARSE) throw no(`--${name} has its own parse function`);
    } else {
      throw no(`--${name} of type ${String(def.type)}`);
    }
    for (const [k, v] of Object.entries(def)) {
      if (v === undefined || DOC_ONLY.has(k) || k === 'type' || k === 'parse') continue;
      if (k === 'char' && typeof v === 'string') out.char = v;
      else if (k === 'options' && Array.isArray(v)) out.options = v.map(String);
      else if (k === 'multiple' && typeof v === 'boolean') { if (v) out.multiple = true; }
      else if (k === 'delimiter' && typeof v === 'string') out.delimiter = v;
      else if ((k === 'min' || k === 'max') && typeof v === 'number') out[k] = v;
      else if (k === 'env' && typeof v === 'string') out.env = v;
      else if (k === 'required' && typeof v === 'boolean') { if (v) out.required = true; }
      else if (k === 'default' && ['string', 'number', 'boolean'].includes(typeof v)) out.default = v as string | number | boolean;
      else if (k === 'default' && Array.isArray(v) && v.every((x) => typeof x === 'string')) out.default = [...(v as string[])];
      else if (v === false || (Array.isArray(v) && v.length === 0)) continue; // allowNo: false, aliases: [], …
      else throw no(`--${name} has ${k}`);
    }
    if (out.env !== undefined && (out.type === 'boolean' || out.multiple)) throw no(`--${name} reads ${out.env} as a ${out.type === 'boolean' ? 'boolean' : 'list'}`);
    flags[name] = out;
  }
  const args: FastArg[] = [];
  for (const [name, def] of Object.entries((cls.args ?? {}) as Record<string, Def>)) {
    if (String(def.parse) !== ARG_STRING_PARSE) throw no(`argument ${name} is not an Args.string`);
    const out: { -readonly [K in keyof FastArg]: FastArg[K] } = { name, required: def.required === true };
    for (const [k, v] of Object.entries(def)) {
      if (v === undefined || DOC_ONLY.has(k) || k === 'type' || k === 'parse' || k === 'required') continue;
      if (k === 'options' && Array.isArray(v)) out.options = v.map(String);
      else if (v === false) continue;
      else throw no(`argument ${name} has ${k}`);
    }
    args.push(out);
  }
  return { entry, flags, args };
}

export function fastTable(classes: Record<string, Command.Class>): Record<string, FastCommand> {
  return Object.fromEntries(Object.entries(FAST_PATHED).map(([id, entry]) => {
    const cls = classes[id];
    if (!cls) throw new Error(`${id}: no command class`);
    return [id, fastSpecOf(id, cls, entry)];
  }));
}

export function renderFastCommands(classes: Record<string, Command.Class>): string {
  return [
    '// GENERATED by scripts/gen-fast-commands (npm run build:ts runs it) from the oclif command',
    '// classes in src/commands, through src/cli/fast-spec-gen.ts: DO NOT EDIT. The flags and arguments',
    '// the fast paths (src/cli/fast-parse.ts) accept; the command class is their one definition.',
    "import type { FastCommand } from '../fast-spec.js';",
    '',
    'export const FAST_COMMANDS = {',
    ...Object.entries(fastTable(classes)).map(([id, c]) => [
      `  ${JSON.stringify(id)}: {`,
      `    entry: ${JSON.stringify(c.entry)},`,
      '    flags: {',
      ...Object.entries(c.flags).map(([name, f]) => `      ${JSON.stringify(name)}: ${JSON.stringify(f)},`),
      '    },',
      `    args: ${JSON.stringify(c.args)},`,
      '  },',
    ].join('\n')),
    '} as const satisfies Record<string, FastCommand>;',
    '',
  ].join('\n');
}
