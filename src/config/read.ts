// Reading a config file the way `config apply` (at every boot), `plan` and `validate` do: a valid
// file in the usual YAML subset (or JSON) is read and checked without loading the `yaml` package or
// TypeBox (src/config/quick-yaml.ts, src/config/schema-check.ts). Anything else — a problem of
// any kind, or a text outside the subset — goes through the full loader (src/config/load.ts),
// which reports every problem with file:line:col. Both paths accept exactly the same files
// (test/unit/config-read.test.ts). The failover daemon reads its `mgmt:` section the same way
// (readMgmtConfig), and keeps neither package resident for a file that did not need them.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { ConfigError, IoError, NotFoundError, UsageError } from '../errors.js';
import { decodeUtf8, MAX_CONFIG_BYTES, nestingProblem, type TextProblem } from './limits.js';
import { quickYaml } from './quick-yaml.js';
import { KIND_CHECKS, MGMT_CHECK } from './schema-check.js';
import type { NodeConfig } from './schema.js';
import type { ConfigSource } from './load.js';
import { type MgmtConfig, resolve as resolveMgmt } from './mgmt-rules.js';
import type { MgmtDecl } from './mgmt-schema.js';
import { semanticProblems } from './semantic.js';

/** The name a config file goes by in messages: `-` is standard input. */
export function configFileName(file: string): string {
  return file === '-' ? '<stdin>' : file;
}

function textError(file: string, p: TextProblem): ConfigError {
  return new ConfigError([{ file: configFileName(file), line: p.line, column: p.column, path: '', reason: p.reason }]);
}

const tooBig = (file: string, size: number | 'more'): ConfigError =>
  textError(file, { line: 1, column: 1, reason: `the file is ${size === 'more' ? `over ${MAX_CONFIG_BYTES}` : size} bytes: a config file may have at most ${MAX_CONFIG_BYTES} (16 MiB)` });

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_CONFIG_BYTES) { process.stdin.destroy(); throw tooBig('-', 'more'); }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The bytes of a config file: a regular file, or `-` for standard input. Anything else (a
 * directory, /dev/zero, a FIFO) is refused before a byte is read, so nothing can hang or run
 * out of memory; a missing file is NOT_FOUND (exit 4), not an internal error.
 */
async function readConfigBytes(file: string): Promise<Buffer> {
  if (file === '-') return readStdin();
  let fh;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below)
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOENT') throw new NotFoundError('config file', file);
    throw new IoError(`cannot open config file ${file}: ${(err as Error).message.replace(/^[A-Z]+: /, '')}`, code, { syscall: 'open', cause: err });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new UsageError(`${file} is ${kindOf(st)}: give a regular config file, or - for standard input`);
    if (st.size > MAX_CONFIG_BYTES) throw tooBig(file, st.size);
    const b = await fh.readFile();
    if (b.length > MAX_CONFIG_BYTES) throw tooBig(file, b.length);
    return b;
  } finally {
    await fh.close();
  }
}

/** The text of a config file, refused (with its position) where it is not UTF-8. */
export async function readConfigText(file: string): Promise<string> {
  const text = decodeUtf8(await readConfigBytes(file));
  if (typeof text !== 'string') throw textError(file, text);
  return text;
}

/** Refuses a text no parser should be given (see src/config/limits.ts). */
export function checkTextLimits(text: string, file: string): void {
  const deep = nestingProblem(text);
  if (deep) throw textError(file, deep);
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

function depthOf(v: unknown, d: number): number {
  if (typeof v !== 'object' || v === null || d > 32) return d;
  let m = d + 1;
  for (const x of Array.isArray(v) ? v : Object.values(v)) {
    if (typeof x === 'object' && x !== null) m = Math.max(m, depthOf(x, d + 1));
  }
  return m;
}

/**
 * The value of a text in the quick parser's subset, or undefined (outside it, or nested too
 * deep to skip the scan of the text). A value the quick parser accepts (it caps its own
 * nesting) with at most 32 levels was written with at most ~34 in the count of
 * src/config/limits.ts (one indentation level per block collection, one "- " per line, one per
 * flow bracket): under its limit of 64, so the scan of the text is only paid when the full
 * loader is needed.
 */
function quickValue(text: string): unknown {
  const value = quickYaml(text);
  return value !== undefined && depthOf(value, 0) <= 32 ? value : undefined;
}

/** Read and validate a config file; throws ConfigError listing every problem. */
export async function readConfig(file: string): Promise<NodeConfig> {
  const text = await readConfigText(file);
  const value = quickValue(text);
  if (value !== undefined && quickValid(value)) return value;
  checkTextLimits(text, file);
  const { parseConfig } = await import('./load.js');
  return parseConfig(text, configFileName(file)).config;
}

/**
 * The `mgmt:` section of a text, resolved, when the full loader (src/config/mgmt-file.ts) would
 * find no problem in it; undefined otherwise, and then only the full loader can say why. The
 * same two shapes: a whole node config (valid as a whole, with `mgmt:`), or a file holding only
 * `mgmt:` (and `$schema`).
 */
export function quickMgmtConfig(text: string): MgmtConfig | undefined {
  const value = quickValue(text);
  if (!isObject(value) || value.mgmt === undefined) return undefined;
  if ('interfaces' in value) {
    if (!quickValid(value)) return undefined;
  } else {
    for (const key of Object.keys(value)) if (key !== 'mgmt' && key !== '$schema') return undefined;
    if (!MGMT_CHECK(value.mgmt)) return undefined;
  }
  // a problem needs a position only to be reported, and the full loader places it: resolve
  // returns every problem it makes, so an unplaced one is enough to say "invalid"
  const { config, problems } = resolveMgmt(value.mgmt as MgmtDecl, () => ({ file: '', line: 0, column: 0, path: '', reason: '' }));
  return problems.length ? undefined : config;
}

/** Read and check a file's `mgmt:` section; throws ConfigError listing every problem. */
export async function readMgmtConfig(file: string): Promise<MgmtConfig> {
  const text = await readConfigText(file);
  const quick = quickMgmtConfig(text);
  if (quick) return quick;
  const { parseMgmtConfig } = await import('./mgmt-file.js');
  return parseMgmtConfig(text, configFileName(file));
}
