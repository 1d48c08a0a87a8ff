// Runs the built CLI (bin/run.js) as a user would, synchronously.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const NODECTL_BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function nodectl(...args: string[]): CliRun {
  const r = spawnSync(process.execPath, [NODECTL_BIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `s` as a RegExp source that matches exactly `s`, for building patterns around a path or name. */
export function literal(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
