// A fast dispatcher for the read commands (link list/show/tree, addr list, neigh list): they are
// what scripts and monitoring call in loops, and loading oclif costs ~100 ms of CPU before any
// work. bin/run.js tries this first; anything it does not recognise exactly (help, unknown or
// repeated flags, bad values, other commands) returns null and goes to oclif, which then gives
// the usual help and usage errors. Behaviour is shared with the oclif commands through
// src/interfaces/read.ts; test/netns/fast-read.test.ts checks both paths print the same.
import { readAddrList, readLinkList, readLinkShow, readLinkTree, readNeighList, type ReadOutput } from '../interfaces/read.js';
import { parseReadArgv, type ParsedArgv, type ReadCommandId } from './fast-parse.js';
import { reportError, writeJson } from './output.js';

type Runner = (flags: Record<string, string | undefined>, args: string[], json: boolean) => Promise<ReadOutput<unknown>>;

const RUN: Record<ReadCommandId, Runner> = {
  'link list': (f) => readLinkList({ netns: f.netns }),
  'link show': (f, a) => readLinkShow({ netns: f.netns, iface: a[0]! }),
  'link tree': (f, _a, json) => readLinkTree({ netns: f.netns, format: f.format as 'text' | 'json' | 'dot' | undefined, json }),
  'addr list': (f) => readAddrList({ netns: f.netns, dev: f.dev, family: f.family as 'inet' | 'inet6' | undefined }),
  'neigh list': (f) => readNeighList({ netns: f.netns, dev: f.dev, family: f.family as 'inet' | 'inet6' | undefined, nud: f.nud === undefined ? undefined : [f.nud] }),
};

interface Parsed extends ParsedArgv {
  run: Runner;
}

/** Parse exactly what oclif would accept for these commands (src/cli/fast-parse.ts), or return null to let oclif decide. */
export function parseFast(argv: string[]): Parsed | null {
  const p = parseReadArgv(argv);
  return p && { ...p, run: RUN[p.id] };
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
    const out = await p.run(p.flags, p.args, p.json);
    if (p.json || !out.text) writeJson(out.result);
    else process.stdout.write(out.text() + '\n');
    return 0;
  } catch (err) {
    return reportError(err, p.json);
  }
}
