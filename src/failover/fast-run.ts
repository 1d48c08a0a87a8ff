// `nodectl mgmt run` without oclif: bin/run.js tries this first. A daemon lives for months, and
// oclif's command loader stays resident (~15 MB) for nothing once the flags are parsed. Only
// the exact flags of `mgmt run` are accepted here; anything else (--help, a typo, a bad value)
// returns null and oclif handles it with its usual help and errors. Errors are printed and
// mapped to exit codes by the same code as NodectlCommand (src/cli/output.ts).
import { reportError, writeJson } from '../cli/output.js';
import { takeValueFlag } from '../cli/fast-argv.js';
import { runMgmtDaemon, type RunOptions } from './service.js';
import { parseListen } from './metrics.js';

const VALUE_FLAGS: Record<string, keyof RunOptions> = {
  '--config': 'configFile', '-c': 'configFile', '--state-file': 'stateFile', '--socket': 'controlSocket', '--netns': 'netns', '-n': 'netns', '--rcvbuf': 'rcvbuf',
  '--metrics': 'metrics',
};

export function parseMgmtRun(argv: string[]): { opts: RunOptions; json: boolean } | null {
  if (argv[0] !== 'mgmt' || argv[1] !== 'run') return null;
  const opts: RunOptions = {};
  const seen = new Set<string>();
  let json = false;
  for (let i = 2; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok === '--json') {
      if (json) return null;
      json = true;
      continue;
    }
    const f = takeValueFlag(argv, i, VALUE_FLAGS, seen);
    if (!f) return null;
    i = f.last;
    const { key, value } = f;
    if (key === 'rcvbuf') {
      if (!/^\d+$/.test(value) || Number(value) < 256) return null;
      opts.rcvbuf = Number(value);
    } else if (key === 'metrics') {
      // A bad value goes to oclif, which says what is wrong in its usual way.
      if (typeof parseListen(value) === 'string') return null;
      opts.metrics = value;
    } else {
      (opts as Record<string, string>)[key] = value;
    }
  }
  return { opts, json };
}

/** Run `mgmt run` if argv is exactly that; the exit code, or null to let oclif do it. */
export async function fastMgmtRun(argv: string[]): Promise<number | null> {
  const p = parseMgmtRun(argv);
  if (!p) return null;
  try {
    const r = await runMgmtDaemon(p.opts);
    if (p.json) writeJson(r);
    else process.stdout.write(`stopped by ${r.stoppedBy || 'request'}; addresses left on ${r.holder ?? 'no interface'}\n`);
    return 0;
  } catch (err) {
    return reportError(err, p.json);
  }
}
