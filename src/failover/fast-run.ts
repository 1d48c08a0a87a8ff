// `nodectl mgmt run` without oclif: bin/run.js sends it here. A daemon lives for months, and
// oclif's command loader stays resident (~15 MB) for nothing once the flags are parsed. The
// flags are those of the oclif command (src/commands/mgmt/run.ts), read from it at build time
// (src/cli/fast-parse.ts); the work is this module's action, which that command's run() calls
// too. A command line the fast parser cannot answer exactly as oclif would (--help, a typo, a
// bad value) returns null and oclif handles it.
import { runFast, type Action, type Actions } from '../cli/fast-entry.js';
import { runMgmtDaemon } from './service.js';

export const mgmtRun: Action<'mgmt run', { stoppedBy: string; holder: string | null }> = async (flags) => {
  const r = await runMgmtDaemon({
    configFile: flags.config, netns: flags.netns, stateFile: flags['state-file'], controlSocket: flags.socket, rcvbuf: flags.rcvbuf, metrics: flags.metrics,
  });
  return { result: r, text: () => `stopped by ${r.stoppedBy || 'request'}; addresses left on ${r.holder ?? 'no interface'}` };
};

export function fastRun(argv: readonly string[]): Promise<number | null> {
  return runFast(argv, { 'mgmt run': mgmtRun } satisfies Actions<'failover/fast-run'>);
}
