// journald priorities for the daemon's JSON lines. When stderr is the journal's stream, systemd
// reads a leading `<N>` (sd-daemon(3)) as the line's syslog priority, so `journalctl -p warning
// -u nodectl-mgmt` keeps the warnings and errors. systemd says stderr is its stream by setting
// JOURNAL_STREAM to the stream's "device:inode"; anywhere else (a terminal, a pipe, a test) the
// lines stay plain JSON.
import { fstatSync } from 'node:fs';

const PRIORITY: Record<string, number> = { emerg: 0, alert: 1, crit: 2, err: 3, error: 3, warning: 4, warn: 4, notice: 5, info: 6, debug: 7 };

/** The `<N>` priority of a level name (unknown names are info). */
export function priorityOf(level: unknown): number {
  return PRIORITY[String(level)] ?? 6;
}

/** Whether fd 2 is the stream JOURNAL_STREAM names. */
export function stderrIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  const js = env.JOURNAL_STREAM;
  if (!js) return false;
  const m = /^(\d+):(\d+)$/.exec(js);
  if (!m) return false;
  try {
    const st = fstatSync(2, { bigint: true });
    return st.dev === BigInt(m[1]!) && st.ino === BigInt(m[2]!);
  } catch {
    return false;
  }
}
