// The daemon's timeline: one JSON object per line on stderr (or to a sink a test or embedding
// passes). This is the operator's record of what the daemon saw and did, so its format is part
// of the interface: `ts` and `level` on every line, `event` naming what happened.
//
// Under systemd each line gets its syslog priority as a `<N>` prefix (journal.ts) so that
// `journalctl -p warning` works on JSON lines.
import { priorityOf, stderrIsJournal } from './journal.js';

export type LogEntry = Record<string, unknown>;
export type LogSink = (entry: LogEntry) => void;

export class Timeline {
  private readonly sink: LogSink | undefined;
  /** stderr goes to journald: prefix each line with its priority (see journal.ts). */
  private readonly journal: boolean;

  constructor(sink?: LogSink, journal = stderrIsJournal()) {
    this.sink = sink;
    this.journal = journal;
  }

  log(entry: LogEntry): void {
    const line = { ts: new Date().toISOString(), level: 'info', ...entry };
    if (this.sink) this.sink(line);
    else process.stderr.write(`${this.journal ? `<${priorityOf(line.level)}>` : ''}${JSON.stringify(line)}\n`);
  }
}
