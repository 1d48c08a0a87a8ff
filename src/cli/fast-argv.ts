// Argument parsing shared by the entries bin/run.js runs without oclif (config apply, mgmt run).
// They accept exactly their command's flags; anything unusual returns null so that oclif
// handles the whole command line with its usual help and usage errors.

/**
 * The value flag at argv[i] (`--flag value`, `--flag=value`, `-f value`): its key, its value and
 * the index of the last token it used; null when the token is not one of `flags`, repeats a
 * flag already seen, or has no value or an empty one.
 */
export function takeValueFlag<K extends string>(
  argv: readonly string[],
  i: number,
  flags: Readonly<Record<string, K>>,
  seen: Set<string>,
): { key: K; value: string; last: number } | null {
  let tok = argv[i]!;
  let value: string | undefined;
  const eq = tok.startsWith('--') ? tok.indexOf('=') : -1;
  if (eq > 0) {
    value = tok.slice(eq + 1);
    tok = tok.slice(0, eq);
  }
  const key = Object.hasOwn(flags, tok) ? flags[tok] : undefined;
  if (!key || seen.has(key)) return null;
  seen.add(key);
  let last = i;
  if (value === undefined) {
    value = argv[++last];
    if (value === undefined || value.startsWith('-')) return null;
  }
  if (value === '') return null;
  return { key, value, last };
}
