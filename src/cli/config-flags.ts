import { Flags } from '@oclif/core';
import { ConfigError } from '../errors.js';
import { type LoadedConfig, loadConfig } from '../config/load.js';

/** Flags shared by the config commands that read or write nodectl's state. */
export const stateDirFlag = Flags.string({
  summary: 'State directory (journal, ownership records); default /var/lib/nodectl or $NODECTL_STATE_DIR.',
  env: 'NODECTL_STATE_DIR',
});

/**
 * Load a config file for a command; an invalid file prints EVERY problem (one per line,
 * FILE:LINE:COL: /path: reason) on stderr before the usual error handling (exit 3).
 */
export async function loadConfigFor(cmd: { jsonEnabled(): boolean }, file: string): Promise<LoadedConfig> {
  try {
    return await loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError && !cmd.jsonEnabled()) {
      for (const p of err.problems) process.stderr.write(`${p.file}:${p.line}:${p.column}: ${p.path || '/'}: ${p.reason}\n`);
    }
    throw err;
  }
}
