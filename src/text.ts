// Wording shared by every layer: counted nouns read as English ("1 operation", "2 operations")
// in every message nodectl prints. No imports.

/** `n noun`, with the noun in the plural unless n is 1 (plural: noun + 's' unless given). */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
