// Running a command line without oclif: parsed from the command's own definition
// (src/cli/fast-parse.ts), handed to the same action function the oclif command's run() calls,
// printed and ended as NodectlCommand does (src/cli/output.ts). So a fast path holds no copy of
// a command's flags, of what they mean, or of how the result is printed.
import { parseFastArgv, type FastArgs, type FastFlags, type FastId } from './fast-parse.js';
import type { FAST_COMMANDS } from './generated/fast-commands.js';
import { reportError, writeJson } from './output.js';

/** What a command produces: the typed result (its --json output) and, unless null, its text. */
export interface CommandOutput<T> {
  result: T;
  /** Text for people; null when the result itself is what is printed (link tree --format json). */
  text: (() => string) | null;
}

/** A command's work after parsing, shared by its oclif class and its fast path. */
export type Action<Id extends FastId, T = unknown> = (flags: FastFlags<Id>, args: FastArgs<Id>, json: boolean) => Promise<CommandOutput<T>>;

/** The fast-pathed commands that the dist/ module E answers. */
export type IdsOf<E extends string> = { [K in FastId]: (typeof FAST_COMMANDS)[K]['entry'] extends E ? K : never }[FastId];

/** One action for each command of an entry: a command the table sends there without one is a type error. */
export type Actions<E extends string> = { [K in IdsOf<E>]: Action<K> };

/** Run argv if it is one of `actions`' commands as oclif would parse it: the exit status, or null to let oclif do it. */
export async function runFast(argv: readonly string[], actions: { readonly [K in FastId]?: Action<K> }, o: { ignoreEpipe?: boolean } = {}): Promise<number | null> {
  const p = parseFastArgv(argv);
  if (!p || !Object.hasOwn(actions, p.id)) return null;
  // As under oclif: a reader that went away (`| head`) ends the output, not the command.
  if (o.ignoreEpipe) {
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
  const json = p.flags.json === true;
  try {
    const action = actions[p.id] as Action<FastId>;
    const out = await action(p.flags as FastFlags<FastId>, p.args as FastArgs<FastId>, json);
    if (json || !out.text) writeJson(out.result);
    else process.stdout.write(`${out.text()}\n`);
    return 0;
  } catch (err) {
    return reportError(err, json);
  }
}
