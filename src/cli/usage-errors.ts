// oclif's parser speaks in multi-line ` ›   Error:` blocks with a usage dump; a nodectl usage
// error is one line, `nodectl: COMMAND: what is wrong (did you mean …?)`, exit 2, and under
// --json the error object. This turns oclif's parse failures and unknown command ids into
// UsageErrors, with a suggestion where one is close. Used by the base command (flag and argument
// errors) and the command_not_found hook (src/cli/command-not-found.ts).
import { UsageError } from '../errors.js';

/** Edit distance (insert, delete, substitute, swap neighbours): how far a typo is. */
export function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate, if it is close enough to be the word meant (or starts with it). */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = c.startsWith(word) && word.length >= 2 ? 0.5 : distance(word, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return best !== undefined && bestD <= limit ? best : undefined;
}

/** A usage error that may carry the suggestion separately, for --json readers. */
export function usage(where: string, what: string, suggestion?: string): UsageError {
  return new UsageError(`${where ? `${where}: ` : ''}${what}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`, suggestion);
}

interface FlagDef {
  name: string;
  char?: string;
  allowNo?: boolean;
  type?: string;
}
interface ArgDef {
  name: string;
  description?: string;
  options?: readonly string[];
}
export interface CommandShape {
  /** `link list`, with spaces. */
  id: string;
  flags: Record<string, FlagDef>;
  args: Record<string, ArgDef>;
}

/** Every spelling of the command's flags: --name, --no-name, -c. */
function flagSpellings(cmd: CommandShape): string[] {
  const out: string[] = [];
  for (const [name, f] of Object.entries(cmd.flags)) {
    out.push(`--${name}`);
    if (f.allowNo) out.push(`--no-${name}`);
    if (f.char) out.push(`-${f.char}`);
  }
  return out;
}

/**
 * One of oclif's parse errors (told apart by class name: the classes are not exported), or any
 * other oclif CLIError, as a UsageError. `argv` is what the command was given.
 */
export function fromParseError(err: Error & Record<string, unknown>, cmd: CommandShape, argv: readonly string[]): UsageError {
  const where = cmd.id;
  switch (err.constructor.name) {
    case 'NonExistentFlagsError': {
      const flags = (err.flags as string[] | undefined) ?? [];
      const first = flags[0] ?? '';
      const bare = first.split('=')[0]!;
      const s = didYouMean(bare, flagSpellings(cmd));
      return usage(where, `unknown flag ${flags.join(', ')}`, s);
    }
    case 'UnexpectedArgsError':
      return unexpectedArgs(cmd, ((err.args as unknown[] | undefined) ?? []).map(String));
    case 'RequiredArgsError': {
      const missing = ((err.args as ArgDef[] | undefined) ?? []).map((a) => `${a.name.toUpperCase()}${a.description ? ` (${a.description})` : ''}`);
      return usage(where, `missing argument${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`);
    }
    case 'ArgInvalidOptionError': {
      const m = /^Expected (.*) to be one of: (.*)$/s.exec(firstLine(err.message));
      if (!m) break;
      const [given, list] = [m[1]!, m[2]!.split(/,\s*/)];
      const args = Object.values(cmd.args);
      const arg = args.find((a) => a.options?.length === list.length && a.options.every((o) => list.includes(o)));
      // `link add x0 bridge`: the literal word ("type") left out, the kind given in its place.
      if (arg && list.length === 1) {
        const next = args[args.indexOf(arg) + 1];
        if (next?.options?.includes(given)) {
          const i = argv.indexOf(given);
          const fixed = i >= 0 ? [...argv.slice(0, i), list[0]!, ...argv.slice(i)] : argv;
          return usage(where, `expected the word "${list[0]}" before ${next.name.toUpperCase()} "${given}"`, `nodectl ${where} ${fixed.join(' ')}`);
        }
      }
      const name = arg ? arg.name.toUpperCase() : 'argument';
      return usage(where, `${name} "${given}" is not one of ${list.join(', ')}`, didYouMean(given, list));
    }
    case 'FlagInvalidOptionError': {
      const m = /^Expected --([^=]*)=(.*) to be one of: (.*)$/s.exec(firstLine(err.message));
      if (!m) break;
      const list = m[3]!.split(/,\s*/);
      return usage(where, `--${m[1]} "${m[2]}" is not one of ${list.join(', ')}`, didYouMean(m[2]!, list));
    }
    case 'FailedFlagValidationError':
    case 'ViolatedFlagConstraintError': {
      const reasons = lines(err.message).slice(1).map((l) => l.replace(/^Missing required flag (\S+)$/, 'missing required flag --$1'));
      return usage(where, reasons.join('; ') || oneLine(err.message));
    }
    default:
      break;
  }
  return usage(where, oneLine(err.message));
}

/** `addr list vB`: extra words after a command; ip users mean `dev vB`. */
export function unexpectedArgs(cmd: CommandShape, extra: readonly string[]): UsageError {
  const what = `unexpected argument${extra.length === 1 ? '' : 's'} ${extra.map((a) => `"${a}"`).join(' ')}`;
  const hint = extra.length === 1 && 'dev' in cmd.flags ? `--dev ${extra[0]}` : undefined;
  const none = Object.keys(cmd.args).length === 0 && !hint ? ' (it takes none)' : '';
  return usage(cmd.id, `${what}${none}`, hint);
}

// oclif colours some reasons (dim); ESC, built so that the pattern needs no control character.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** oclif's message lines, without colours and its "See more help" trailer. */
function lines(message: string): string[] {
  return message.replace(ANSI, '').split('\n').map((l) => l.trim()).filter((l) => l && !/^See more help/.test(l));
}

function firstLine(message: string): string {
  return lines(message)[0] ?? message;
}

/** `Parsing --count \n Expected an integer…` → `parsing --count: expected an integer…`. */
function oneLine(message: string): string {
  const text = lines(message).join(': ') || message;
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/**
 * An id oclif found no command for. `words` is the command line's leading words (oclif joins
 * them into the id until a flag). The longest prefix that is a command means the rest are extra
 * arguments; otherwise suggest the nearest command, word by word.
 */
export function unknownCommand(words: readonly string[], commands: readonly CommandShape[], topics: readonly string[]): UsageError {
  const byId = new Map(commands.map((c) => [c.id, c]));
  for (let n = words.length - 1; n > 0; n--) {
    const cmd = byId.get(words.slice(0, n).join(' '));
    if (cmd) return unexpectedArgs(cmd, words.slice(n));
  }
  const typed = words.join(' ');
  const ids = [...byId.keys()];
  // Whole id first (`link lst` → `link list`), then the topic alone (`lnk` → `link`).
  const whole = didYouMean(typed, ids);
  const s = whole ?? (words.length === 1 ? didYouMean(typed, [...topics, ...ids]) : fixTopic(words, ids, topics));
  return usage('', `unknown command "${typed}"`, s ? `nodectl ${s}` : undefined);
}

function fixTopic(words: readonly string[], ids: string[], topics: readonly string[]): string | undefined {
  const topic = didYouMean(words[0]!, topics);
  if (!topic) return undefined;
  const rest = words.slice(1).join(' ');
  return didYouMean(`${topic} ${rest}`, ids) ?? topic;
}
