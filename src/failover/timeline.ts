// The daemon's timeline: one JSON object per line on stderr (or to a sink a test or embedding
// passes). This is the operator's record of what the daemon saw and did, so its format is part
// of the interface: `ts` and `level` on every line, `event` naming what happened.
//
// Every line has `seq`, counting from 1 at each start: lines are written in seq order, so a gap
// or a reordering by a log shipper is visible. Lines that belong to one decision (the probe
// results and health changes that caused it, the decision, the kernel's answer, the
// announcements) carry the same `decision` number, so a reader can follow one move with
//   journalctl -u nodectl-mgmt -o cat | jq -c 'select(.decision == 7)'
// A decision's announcement burst finishes after the decision (it is never awaited), so its
// `announced` line may come after the next decision's first lines; its `decision` says whose.
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
  private seq = 0;

  constructor(sink?: LogSink, journal = stderrIsJournal()) {
    this.sink = sink;
    this.journal = journal;
  }

  /** Write the line; returns it as written (with ts and seq). */
  log(entry: LogEntry): LogEntry {
    const line = { ts: new Date().toISOString(), seq: ++this.seq, level: 'info', ...entry };
    if (this.sink) this.sink(line);
    else process.stderr.write(`${this.journal ? `<${priorityOf(line.level)}>` : ''}${JSON.stringify(line)}\n`);
    return line;
  }
}
