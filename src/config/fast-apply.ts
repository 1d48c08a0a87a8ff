// `nodectl config apply FILE` without oclif: the boot unit runs it on every start and operators
// re-run it after every edit, and oclif's command loader costs more CPU than a no-op apply of
// 1,000 interfaces. bin/run.js sends it here; the flags are those of the oclif command
// (src/commands/config/apply.ts), read from it at build time (src/cli/fast-parse.ts), and the
// work is this module's action, which that command's run() calls too. A command line the fast
// parser cannot answer exactly as oclif would (--help, a typo, a repeated flag, a bad value)
// returns null and oclif handles it; test/netns/config-fast.test.ts runs both and compares.
import { runFast, type Action, type Actions } from '../cli/fast-entry.js';
import { applyConfig, type ApplyResult } from './apply.js';
import { applyText, progressOnTty } from './apply-text.js';
import { readConfig } from './read.js';

export const configApply: Action<'config apply', ApplyResult> = async (flags, args, json) => {
  const config = await readConfig(args.file);
  const r = await applyConfig(config, {
    netns: flags.netns, stateDir: flags['state-dir'], file: args.file, prune: !flags['no-prune'], confirmSeconds: flags.confirm,
    refuseDisruption: !flags['allow-disruption'],
    onStep: progressOnTty(json),
  });
  return { result: r, text: () => applyText(r, flags.netns).join('\n') };
};

/** Run `config apply` if argv is exactly that; the exit status, or null to let oclif do it. */
export function fastRun(argv: readonly string[]): Promise<number | null> {
  return runFast(argv, { 'config apply': configApply } satisfies Actions<'config/fast-apply'>);
}
