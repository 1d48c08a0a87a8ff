// A fast dispatcher for the read commands (link list/show/tree, addr list, neigh list): they are
// what scripts and monitoring call in loops, and loading oclif costs ~100 ms of CPU before any
// work. bin/run.js tries this first; anything it does not recognise exactly (help, unknown or
// repeated flags, bad values, other commands) returns null and goes to oclif, which then gives
// the usual help and usage errors. Behaviour is shared with the oclif commands through
// src/interfaces/read.ts; test/netns/fast-read.test.ts checks both paths print the same.
import { isatty } from 'node:tty';
import { readAddrList, readLinkList, readLinkShow, readLinkTree, readNeighList, type ReadOutput } from '../interfaces/read.js';
import { writeLinkListJson } from '../netlink/link.js';
import { reportError, writeJson } from './output.js';

interface FlagSpec {
  char?: string;
  options?: readonly string[];
}
interface FastCommand {
  flags: Record<string, FlagSpec>;
  args: number;
  run: (flags: Record<string, string | undefined>, args: string[]) => Promise<ReadOutput<unknown>>;
}

const NETNS: FlagSpec = { char: 'n' };
const FAMILY: FlagSpec = { char: 'f', options: ['inet', 'inet6'] };

const COMMANDS: Record<string, FastCommand> = {
  'link list': { flags: { netns: NETNS }, args: 0, run: (f) => readLinkList({ netns: f.netns }) },
  'link show': { flags: { netns: NETNS }, args: 1, run: (f, a) => readLinkShow({ netns: f.netns, iface: a[0]! }) },
  'link tree': {
    flags: { netns: NETNS, format: { char: 'f', options: ['text', 'json', 'dot'] } }, args: 0,
    run: (f) => readLinkTree({ netns: f.netns, format: (f.format ?? 'text') as 'text' | 'json' | 'dot' }),
  },
  'addr list': {
    flags: { netns: NETNS, dev: { char: 'd' }, family: FAMILY }, args: 0,
    run: (f) => readAddrList({ netns: f.netns, dev: f.dev, family: f.family as 'inet' | 'inet6' | undefined }),
  },
  'neigh list': {
    flags: { netns: NETNS, dev: { char: 'd' }, family: FAMILY }, args: 0,
    run: (f) => readNeighList({ netns: f.netns, dev: f.dev, family: f.family as 'inet' | 'inet6' | undefined }),
  },
};

interface Parsed {
  cmd: FastCommand;
  json: boolean;
  flags: Record<string, string | undefined>;
  args: string[];
}

/** Parse exactly what oclif would accept for these commands, or return null to let oclif decide. */
export function parseFast(argv: string[]): Parsed | null {
  const cmd = COMMANDS[`${argv[0]} ${argv[1]}`];
  if (!cmd) return null;
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
    if (!name || !(name in cmd.flags) || name in flags) return null;
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith('-')) return null;
    }
    const opts = cmd.flags[name]!.options;
    if (opts && !opts.includes(value)) return null;
    flags[name] = value;
  }
  if (args.length !== cmd.args) return null;
  return { cmd, json, flags, args };
}

/** Run argv if it is a read command this dispatcher knows; returns the exit status, or null. */
export async function fastRead(argv: string[]): Promise<number | null> {
  const p = parseFast(argv);
  if (!p) return null;
  // As under oclif: a reader that went away (`| head`) ends the output, not the command.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  try {
    // `link list --json` is the one scripts poll on hosts with thousands of links: written
    // natively, the same bytes (writeLinkListJson), unless the links hold something only the
    // TypeScript path renders. The indentation rule is writeJson's, asked of fd 1 directly
    // (process.stdout costs a stream set-up this path does not need).
    if (p.json && p.cmd === COMMANDS['link list'] && !process.env.NODECTL_NO_NATIVE_JSON) {
      if (writeLinkListJson(p.flags.netns, isatty(1) ? 2 : 0, 1)) return 0;
    }
    const out = await p.cmd.run(p.flags, p.args);
    if (p.json || !out.text) writeJson(out.result);
    else process.stdout.write(out.text() + '\n');
    return 0;
  } catch (err) {
    return reportError(err, p.json);
  }
}
