// Reading a config file the way `config apply` (at every boot), `plan` and `validate` do: a valid
// file in the usual YAML subset is read and checked without loading the `yaml` package or
// TypeBox (src/config/quick-yaml.ts, src/config/schema-check.ts). Anything else — a problem of
// any kind, or a text outside the subset — goes through the full loader (src/config/load.ts),
// which reports every problem with file:line:col. Both paths accept exactly the same files
// (test/unit/config-read.test.ts).
import { readFile } from 'node:fs/promises';
import { NotFoundError } from '../errors.js';
import { quickYaml } from './quick-yaml.js';
import { KIND_CHECKS, MGMT_CHECK } from './schema-check.js';
import type { NodeConfig } from './schema.js';
import type { ConfigSource } from './load.js';
import { semanticProblems } from './semantic.js';

/** The text of a config file; a missing one is NOT_FOUND (exit 4), not an internal error. */
export async function readConfigText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('config file', file);
    throw err;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True only when the full loader would find no problem at all in this value. */
export function quickValid(value: unknown): value is NodeConfig {
  if (!isObject(value) || !Array.isArray(value.interfaces)) return false;
  for (const key of Object.keys(value)) if (key !== 'interfaces' && key !== 'mgmt' && key !== '$schema') return false;
  if ('$schema' in value && typeof value.$schema !== 'string') return false;
  if ('mgmt' in value && value.mgmt !== undefined && !MGMT_CHECK(value.mgmt)) return false;
  for (const item of value.interfaces as unknown[]) {
    if (!isObject(item) || typeof item.kind !== 'string' || !Object.hasOwn(KIND_CHECKS, item.kind) || !KIND_CHECKS[item.kind]!(item)) return false;
  }
  // The meaning checks only need a position when they find a problem: any call means "invalid".
  let found = false;
  const probe = {
    problem: () => { found = true; return { file: '', line: 0, column: 0, path: '', reason: '' }; },
    locate: () => { found = true; return { line: 0, column: 0 }; },
  } as unknown as ConfigSource;
  try {
    return semanticProblems(probe, value as unknown as NodeConfig, new Set()).length === 0 && !found;
  } catch {
    return false;
  }
}

/** Read and validate a config file; throws ConfigError listing every problem. */
export async function readConfig(file: string): Promise<NodeConfig> {
  const text = await readConfigText(file);
  const value = quickYaml(text);
  if (value !== undefined && quickValid(value)) return value;
  const { parseConfig } = await import('./load.js');
  return parseConfig(text, file).config;
}
