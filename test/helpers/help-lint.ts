// What "ragged" means for help text, concretely. Each line has a text column: where its last
// table cell starts (after a run of 2+ spaces), else where the text after a list marker starts,
// else its indentation. The next line continues it when it is indented exactly to that column
// (and, for a plain line, the line itself sits at a section's own indentation, 0 or 2: deeper
// plain lines are samples laid out by hand). A line is ragged when the first word of its
// continuation would have fitted at its end: the sign of text wrapped twice. (A flag's
// `<options: …>` line is oclif's own layout, never a continuation.)

export interface Ragged {
  line: string;
  next: string;
}

function indentOf(line: string): number {
  return /^ */.exec(line)![0].length;
}

/** The column where a continuation of `line` starts, or null if nothing continues it. */
function textColumn(line: string): number | null {
  const indent = indentOf(line);
  const body = line.slice(indent);
  const cell = /^(.*\S)( {2,})\S/.exec(body);
  if (cell) return indent + cell[1]!.length + cell[2]!.length;
  const item = /^((?:\d+[.)]|[-*•])\s+)\S/.exec(body);
  if (item) return indent + item[1]!.length;
  return indent <= 2 ? indent : null;
}

export function raggedLines(text: string, width: number): Ragged[] {
  const lines = text.split('\n');
  const out: Ragged[] = [];
  // The column continuations of the current block start at (a table cell, a list item).
  let col: number | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') {
      col = null;
      continue;
    }
    const isContinuation = col !== null && indentOf(line) === col;
    if (!isContinuation) col = textColumn(line);
    const next = lines[i + 1];
    if (col === null || next === undefined || next.trim() === '' || indentOf(next) !== col) continue;
    if (/^\s*(?:\d+[.)]|[-*•])\s/.test(next) && indentOf(next) === indentOf(line)) continue;
    // oclif lists a flag's choices on a line of their own, on purpose.
    if (next.trimStart().startsWith('<options:')) continue;
    const word = next.trim().split(/\s+/)[0]!;
    if (line.trimEnd().length + 1 + word.length <= width) out.push({ line, next });
  }
  return out;
}
