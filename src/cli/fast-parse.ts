// The command lines the executable answers without oclif (src/cli/fast-read.ts, and
// src/cli/fast-link-json.ts for `link list --json`), parsed exactly as oclif would accept them or
// not at all: anything else (help, unknown or repeated flags, bad values, wrong argument counts)
// is null and goes to oclif, which gives the usual help and usage errors. No imports: the entry
// for `link list --json` loads this and the native writer only.

export interface FlagSpec {
  char?: string;
  options?: readonly string[];
}
export interface CommandSpec {
  flags: Record<string, FlagSpec>;
  args: number;
}

const NETNS: FlagSpec = { char: 'n' };
const FAMILY: FlagSpec = { char: 'f', options: ['inet', 'inet6'] };

/** The read commands by id, with the flags and argument count of their oclif definitions. */
export const READ_COMMANDS = {
  'link list': { flags: { netns: NETNS }, args: 0 },
  'link show': { flags: { netns: NETNS }, args: 1 },
  'link tree': { flags: { netns: NETNS, format: { char: 'f', options: ['text', 'json', 'dot'] } }, args: 0 },
  'addr list': { flags: { netns: NETNS, dev: { char: 'd' }, family: FAMILY }, args: 0 },
  // --nud once, one state (oclif takes it repeated or comma-separated: those lines go there)
  'neigh list': { flags: { netns: NETNS, dev: { char: 'd' }, family: FAMILY, nud: { options: ['permanent', 'noarp', 'reachable', 'stale', 'delay', 'probe', 'failed', 'incomplete', 'none', 'all'] } }, args: 0 },
} as const satisfies Record<string, CommandSpec>;

export type ReadCommandId = keyof typeof READ_COMMANDS;

export interface ParsedArgv {
  id: ReadCommandId;
  json: boolean;
  flags: Record<string, string | undefined>;
  args: string[];
}

/** Parse exactly what oclif would accept for these commands, or return null to let oclif decide. */
export function parseReadArgv(argv: string[]): ParsedArgv | null {
  const id = `${argv[0]} ${argv[1]}`;
  if (!Object.hasOwn(READ_COMMANDS, id)) return null;
  const cmd: CommandSpec = READ_COMMANDS[id as ReadCommandId];
  const flags: Record<string, string | undefined> = {};
  const args: string[] = [];
  let json = false;
  const byChar = new Map(Object.entries(cmd.flags).filter(([, s]) => s.char).map(([n, s]) => [s.char!, n]));
  for (let i = 2; i < argv.length; i++) {
    const tok = argv[i]!;
    let name: string | undefined;
    let value: string | undefined;
    if (tok === '--json') {
      if (json) return null;
      json = true;
      continue;
    } else if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      name = eq >= 0 ? tok.slice(2, eq) : tok.slice(2);
      if (eq >= 0) value = tok.slice(eq + 1);
    } else if (tok.startsWith('-') && tok.length >= 2) {
      name = byChar.get(tok[1]!);
      if (tok.length > 2) value = tok.slice(2).replace(/^=/, '');
    } else {
      args.push(tok);
      continue;
    }
    if (!name || !Object.hasOwn(cmd.flags, name) || name in flags) return null;
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith('-')) return null;
    }
    const opts = cmd.flags[name]!.options;
    if (opts && !opts.includes(value)) return null;
    flags[name] = value;
  }
  if (args.length !== cmd.args) return null;
  return { id: id as ReadCommandId, json, flags, args };
}
