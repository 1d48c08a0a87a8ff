// `nodectl config apply FILE` without oclif: the boot unit runs it on every start and operators
// re-run it after every edit, and oclif's command loader costs more CPU than a no-op apply of
// 1,000 interfaces. bin/run.js tries this first. Only the command's exact flags are accepted
// here; anything else (--help, a typo, a repeated flag, a bad value) returns null and oclif
// handles it with its usual help and usage errors. Output and exit statuses are those of the
// oclif command (src/commands/config/apply.ts, errors as in src/cli/base-command.ts);
// test/netns/config-fast.test.ts runs both and compares.
import { reportError, writeJson } from '../cli/output.js';
import { takeValueFlag } from '../cli/fast-argv.js';
import { applyConfig } from './apply.js';
import { applyText, progressOnTty } from './apply-text.js';
import { readConfig } from './read.js';

export interface FastApplyArgs {
  file: string;
  netns?: string;
  stateDir?: string;
  confirm?: number;
  prune: boolean;
  json: boolean;
}

const VALUE_FLAGS: Record<string, 'netns' | 'stateDir' | 'confirm'> = { '--netns': 'netns', '-n': 'netns', '--state-dir': 'stateDir', '--confirm': 'confirm' };

/** argv (after the script) when it is exactly a `config apply` oclif would run; else null. */
export function parseFastApply(argv: string[]): FastApplyArgs | null {
  if (argv[0] !== 'config' || argv[1] !== 'apply') return null;
  const out: Partial<FastApplyArgs> & { prune: boolean; json: boolean } = { prune: true, json: false };
  const seen = new Set<string>();
  const files: string[] = [];
  for (let i = 2; i < argv.length; i++) {
    const tok = argv[i]!;
    if (!tok.startsWith('-')) { files.push(tok); continue; }
    if (tok === '--json' || tok === '--no-prune') {
      if (seen.has(tok)) return null;
      seen.add(tok);
      if (tok === '--json') out.json = true;
      else out.prune = false;
      continue;
    }
    const f = takeValueFlag(argv, i, VALUE_FLAGS, seen);
    if (!f) return null;
    i = f.last;
    const { key, value } = f;
    if (key === 'confirm') {
      if (!/^[0-9]+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) return null;
      out.confirm = Number(value);
    } else {
      out[key] = value;
    }
  }
  if (files.length !== 1) return null;
  out.file = files[0]!;
  return out as FastApplyArgs;
}

/** Run `config apply` if argv is exactly that; the exit status, or null to let oclif do it. */
export async function fastApply(argv: string[]): Promise<number | null> {
  const p = parseFastApply(argv);
  if (!p) return null;
  try {
    const config = await readConfig(p.file);
    const r = await applyConfig(config, {
      netns: p.netns, stateDir: p.stateDir, file: p.file, prune: p.prune, confirmSeconds: p.confirm, onStep: progressOnTty(p.json),
    });
    if (p.json) writeJson(r);
    else process.stdout.write(applyText(r, p.netns).map((l) => `${l}\n`).join(''));
    return 0;
  } catch (err) {
    return reportError(err, p.json);
  }
}
