// How every command writes its JSON and ends on an error, whether oclif runs it
// (src/cli/base-command.ts) or bin/run.js runs a fast entry without oclif (fast-read, config
// apply, mgmt run): one definition, so the two paths cannot drift. No oclif here.
import { ConfigError, NodectlError, permissionDenied } from '../errors.js';
import { EXIT } from './exit-codes.js';

/** JSON as iproute2 users expect it: BigInt counters as numbers, Buffers as hex. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return value;
}

/** One JSON document on stdout, indented on a terminal. */
export function writeJson(v: unknown): void {
  const indent = process.stdout.isTTY === true ? 2 : undefined;
  let text: string;
  try {
    // A replacer makes JSON.stringify call back into JS for every value (~4× slower on a
    // 4,000-link list); results are plain data, so it is needed only if a BigInt shows up.
    text = JSON.stringify(v, null, indent);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    text = JSON.stringify(v, jsonReplacer, indent);
  }
  process.stdout.write(text + '\n');
}

/** The `{"error": {code, errno, extack, …}}` document of --json. */
export function errorJson(err: unknown): unknown {
  if (err instanceof NodectlError) return { error: err.toJSON() };
  if (err instanceof Error) return { error: { code: 'INTERNAL', message: err.message } };
  return { error: { code: 'INTERNAL', message: String(err) } };
}

/** Say why a command failed (stdout under --json, else stderr) and return its exit status. */
export function reportError(raw: unknown, json: boolean): number {
  const err = permissionDenied(raw) ?? raw;
  if (json) {
    writeJson(errorJson(err));
  } else if (err instanceof ConfigError && err.problems.length > 0) {
    // Every problem on its own line, in the FILE:LINE:COL form editors and CI annotate.
    for (const p of err.problems) process.stderr.write(`${p.file}:${p.line}:${p.column}: ${p.path || '/'}: ${p.reason}\n`);
    const n = err.problems.length;
    process.stderr.write(`nodectl: invalid configuration (${n} problem${n === 1 ? '' : 's'}); nothing was changed\n`);
  } else {
    process.stderr.write(`nodectl: ${err instanceof Error ? err.message : String(err)}\n`);
    if (!(err instanceof NodectlError) && err instanceof Error && err.stack && process.env.NODECTL_DEBUG) process.stderr.write(`${err.stack}\n`);
  }
  return err instanceof NodectlError ? EXIT[err.code] : EXIT.INTERNAL;
}
