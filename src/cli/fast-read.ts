// The read commands (link list/show/tree, addr list, neigh list) without oclif: they are what
// scripts and monitoring call in loops, and loading oclif costs ~100 ms of CPU before any work.
// bin/run.js sends them here (src/cli/generated/fast-commands.ts says which entry answers which
// command); a command line the fast parser cannot answer exactly as oclif would returns null and
// goes to oclif. The oclif commands call these same actions; test/netns/fast-read.test.ts
// checks both paths print the same.
import { readAddrList, readLinkList, readLinkShow, readLinkTree, readNeighList, type FamilyName, type TreeFormat } from '../interfaces/read.js';
import { runFast, type Actions } from './fast-entry.js';

export const READ_ACTIONS = {
  'link list': (f, _a, _json) => readLinkList({ netns: f.netns }),
  'link show': (f, a, _json) => readLinkShow({ netns: f.netns, iface: a.iface }),
  'link tree': (f, _a, json) => readLinkTree({ netns: f.netns, format: f.format as TreeFormat | undefined, json }),
  'addr list': (f, _a, _json) => readAddrList({ netns: f.netns, dev: f.dev, family: f.family as FamilyName | undefined }),
  'neigh list': (f, _a, _json) => readNeighList({ netns: f.netns, dev: f.dev, family: f.family as FamilyName | undefined, nud: f.nud }),
} satisfies Actions<'cli/fast-read'>;

/** Run argv if it is a read command as oclif would parse it; the exit status, or null. */
export function fastRun(argv: readonly string[]): Promise<number | null> {
  return runFast(argv, READ_ACTIONS, { ignoreEpipe: true });
}
