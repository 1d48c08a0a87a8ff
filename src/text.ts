// Wording shared by every layer: counted nouns read as English ("1 operation", "2 operations")
// in every message nodectl prints, and the one column-aligned table every text view uses. No imports.

/** `n noun`, with the noun in the plural unless n is 1 (plural: noun + 's' unless given). */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/**
 * Columns separated by two spaces, each as wide as its widest cell counted in code points (so
 * `↔` and `→/←` take one column), the last column unpadded and no trailing blanks, as `ip -br`
 * and `ss` print. widths: at least these (and updated to what was used), so a refreshing table
 * keeps its columns in place.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], widths?: number[]): string {
  const width = header.map((h, i) => Math.max([...h].length, widths?.[i] ?? 0, ...rows.map((r) => [...(r[i] ?? '')].length)));
  if (widths) width.forEach((w, i) => (widths[i] = w));
  const line = (r: readonly string[]) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(width[i]! - [...c].length))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
