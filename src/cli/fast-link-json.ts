// The executable's entry for `nodectl link list --json` (bin/run.js tries it before the other
// read commands): the command scripts poll on hosts with thousands of links, answered by the
// native writer (src/netlink/link-json.ts) with nothing else loaded. null: not this command
// line, or the native writer declined or failed before writing; the caller goes on to
// src/cli/fast-read.ts, whose TypeScript path prints the same list, or the same error.
import { writeLinkListJson } from '../netlink/link-json.js';
import { parseFastArgv } from './fast-parse.js';

export function fastLinkJson(argv: readonly string[]): number | null {
  const p = parseFastArgv(argv);
  if (!p || p.id !== 'link list' || p.flags.json !== true) return null;
  try {
    // Indented on a terminal, as writeJson does (asked natively of fd 1: node:tty or process.stdout
    // would load some 30 modules of streams and sockets for one isatty()).
    return writeLinkListJson(p.flags.netns as string | undefined, -1, 1) ? 0 : null;
  } catch (err) {
    // stdout itself failed (ENOSPC, EIO; a closed pipe is no error): part of the list may be out,
    // so it is not printed again; the error ends the command as it ends the TypeScript path.
    if ((err as NodeJS.ErrnoException).syscall === 'write') throw err;
    return null;
  }
}
