// A parser for the plain subset of YAML that node files are written in (block mappings and
// sequences, one-line flow collections, simple quoted and plain scalars) and for JSON files,
// returning the same value the `yaml` package's `toJS()` gives — or `undefined` for anything
// outside that subset, which then goes to the full parser. Why: in a fresh process the `yaml` package needs several
// hundred milliseconds for a 1,000-interface file (cold JIT on a general-purpose composer),
// which is most of a no-op `config apply` at boot. Positions are not needed for a valid file;
// when any problem is found, the full parser is run to place it (src/config/load.ts).
//
// The rule that keeps this safe: whenever in doubt, give up. It never accepts a text that the
// `yaml` package would reject or read differently (test/unit/config-quick-yaml.test.ts
// compares both on every config text in the repository and on edge cases).

/** Returned for a text outside the subset. */
class Outside extends Error {}
const outside = (): never => {
  throw new Outside();
};

interface Line {
  indent: number;
  text: string;
}

// YAML 1.2 core schema resolution of plain scalars (the `yaml` package's defaults).
const NULL_RE = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL_RE = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_RE = /^[-+]?[0-9]+$/;
// octal, hex, floats, infinities and NaN: rare in node files, so left to the full parser
const OTHER_NUMBER_RE = /^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$/;
const KEY_RE = /^[A-Za-z_$][A-Za-z0-9_$.-]*$/;
// characters that start something other than a plain scalar (or may, depending on what follows)
const INDICATOR = new Set(['-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`']);

function plainValue(s: string): unknown {
  // most values are names: a letter other than those of null/true/false starts only strings
  const c = s.charCodeAt(0);
  if (((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) && !'nNtTfF'.includes(s[0]!)) return s;
  if (NULL_RE.test(s)) return null;
  if (BOOL_RE.test(s)) return s[0] === 't' || s[0] === 'T';
  if (INT_RE.test(s)) {
    const n = parseInt(s, 10);
    // beyond 2^53 the package's own rounding is what counts: leave it to the package
    if (!Number.isSafeInteger(n)) outside();
    return n;
  }
  if (OTHER_NUMBER_RE.test(s)) outside();
  return s;
}

function checkPlain(s: string, flow: boolean): string {
  if (s === '') outside();
  const c = s[0]!;
  // "-1" is a plain scalar; "- x", "-" and every other indicator are not (or are not simple)
  if (INDICATOR.has(c) && !(c === '-' && s.length > 1 && s[1] !== ' ' && !flow)) outside();
  if (c === '-' && flow) outside();
  if (s.includes(': ') || s.endsWith(':') || s.includes(' #') || s.includes('\t')) outside();
  if (flow && /[[\]{},]/.test(s)) outside();
  return s;
}

const key = (s: string): string => {
  if (!KEY_RE.test(s) || s === '__proto__' || NULL_RE.test(s) || BOOL_RE.test(s)) outside();
  return s;
};

/** A quoted scalar without escapes or line breaks at s[pos]; returns [value, end]. */
function quoted(s: string, pos: number): [string, number] {
  const q = s[pos]!;
  let out = '';
  let i = pos + 1;
  for (;;) {
    const j = s.indexOf(q, i);
    if (j < 0) outside();
    out += s.slice(i, j);
    if (q === "'" && s[j + 1] === "'") { out += "'"; i = j + 2; continue; }
    i = j + 1;
    break;
  }
  if (q === '"' && out.includes('\\')) outside();
  return [out, i];
}

function setKey(obj: Record<string, unknown>, k: string, v: unknown): void {
  // the `yaml` package is run with uniqueKeys: a repeated key is an error to report there
  if (Object.prototype.hasOwnProperty.call(obj, k)) outside();
  obj[k] = v;
}

// YAML separates with spaces only: String.prototype.trim would also eat U+00A0 and friends,
// which are content in YAML
const trimSpaces = (s: string): string => {
  let e = s.length;
  while (e > 0 && s.charCodeAt(e - 1) === 32) e--;
  return e === s.length ? s : s.slice(0, e);
};

const skipSpaces = (s: string, i: number): number => {
  while (s[i] === ' ') i++;
  return i;
};

/** A one-line flow collection at s[pos]; returns [value, end]. */
function flow(s: string, pos: number, depth = 0): [unknown, number] {
  // deep nesting is refused by the full loader (src/config/limits.ts), never recursed into here
  if (depth > 64) outside();
  const open = s[pos]!;
  const close = open === '{' ? '}' : ']';
  const out: unknown = open === '{' ? {} : [];
  let i = skipSpaces(s, pos + 1);
  if (s[i] === close) return [out, i + 1];
  for (;;) {
    if (open === '{') {
      if (s[i] === '"' || s[i] === "'") outside();
      const colon = s.indexOf(': ', i);
      if (colon < 0) outside();
      const k = key(s.slice(i, colon));
      i = skipSpaces(s, colon + 2);
      const [v, end] = flowValue(s, i, depth);
      setKey(out as Record<string, unknown>, k, v);
      i = end;
    } else {
      const [v, end] = flowValue(s, i, depth);
      (out as unknown[]).push(v);
      i = end;
    }
    i = skipSpaces(s, i);
    if (s[i] === close) return [out, i + 1];
    if (s[i] !== ',') outside();
    i = skipSpaces(s, i + 1);
    // a trailing comma is valid YAML, but rare enough to leave to the package
    if (s[i] === close || i >= s.length) outside();
  }
}

function flowValue(s: string, i: number, depth: number): [unknown, number] {
  const c = s[i];
  if (c === undefined) outside();
  if (c === '{' || c === '[') return flow(s, i, depth + 1);
  if (c === '"' || c === "'") return quoted(s, i);
  let j = i;
  for (; j < s.length; j++) {
    const ch = s.charCodeAt(j);
    if (ch === 44 || ch === 91 || ch === 93 || ch === 123 || ch === 125) break; // , [ ] { }
  }
  return [plainValue(checkPlain(trimSpaces(s.slice(i, j)), true)), j];
}

/** The value written on the rest of a line (after "key: " or "- "). */
function inlineValue(s: string): unknown {
  const c = s[0]!;
  let v: unknown;
  let end: number;
  if (c === '{' || c === '[') [v, end] = flow(s, 0);
  else if (c === '"' || c === "'") [v, end] = quoted(s, 0);
  else {
    const hash = s.indexOf(' #');
    return plainValue(checkPlain(trimSpaces(hash >= 0 ? s.slice(0, hash) : s), false));
  }
  const rest = s.slice(end);
  if (!/^ *$/.test(rest) && !/^ +#/.test(rest)) outside();
  return v;
}

class Block {
  i = 0;
  /** Open block collections: past 64 the text is left to the full loader, which refuses it. */
  private depth = 0;
  constructor(private readonly lines: Line[]) {}

  peek(): Line | undefined {
    return this.lines[this.i];
  }

  /** The node starting at the current line, whose lines are indented exactly `indent`. */
  node(indent: number): unknown {
    const first = this.peek()!;
    if (first.text === '-' || first.text.startsWith('- ')) return this.seq(indent);
    return this.map(indent);
  }

  private after(indent: number): boolean {
    const next = this.peek();
    if (!next || next.indent < indent) return false;
    if (next.indent > indent) outside();
    return true;
  }

  seq(indent: number): unknown[] {
    if (++this.depth > 64) outside();
    const out: unknown[] = [];
    for (;;) {
      const line = this.peek()!;
      if (line.text === '-' || !line.text.startsWith('- ')) outside();
      const restStart = skipSpaces(line.text, 2);
      const rest = line.text.slice(restStart);
      if (rest === '' || rest.startsWith('#')) outside();
      if (rest.startsWith('-') && (rest === '-' || rest[1] === ' ')) outside();
      if (mapEntry(rest)) {
        // "- key: value": a mapping whose lines sit at the column of its first key
        const col = indent + restStart;
        this.lines[this.i] = { indent: col, text: rest };
        out.push(this.map(col));
      } else {
        out.push(inlineValue(rest));
        this.i++;
      }
      if (!this.after(indent)) { this.depth--; return out; }
      // a key at this indentation ends a sequence that sat at its key's own indentation
      const next = this.peek()!;
      if (!(next.text === '-' || next.text.startsWith('- '))) { this.depth--; return out; }
    }
  }

  map(indent: number): Record<string, unknown> {
    if (++this.depth > 64) outside();
    const out: Record<string, unknown> = {};
    for (;;) {
      const line = this.peek()!;
      const m = mapEntry(line.text);
      if (!m) outside();
      const [k, rest] = m!;
      this.i++;
      if (rest !== '' && !rest.startsWith('#')) {
        setKey(out, k, inlineValue(rest));
      } else {
        const next = this.peek();
        if (next && next.indent > indent) setKey(out, k, this.node(next.indent));
        // a sequence may sit at its key's own indentation
        else if (next && next.indent === indent && (next.text === '-' || next.text.startsWith('- '))) setKey(out, k, this.seq(indent));
        else setKey(out, k, null);
      }
      if (!this.after(indent)) { this.depth--; return out; }
    }
  }
}

/** "key: rest" or "key:" → [key, rest]; null when the line is not a mapping entry. */
function mapEntry(text: string): [string, string] | null {
  const m = /^([^\s:#'"{}[\],]+):(?: +(.*))?$/.exec(text);
  if (!m) return null;
  return [key(m[1]!), m[2] ?? ''];
}

// A JSON config (`{` first) is read by JSON.parse, which YAML 1.2 reads the same way as long as
// nothing here gives up: no tab, CR, control, BOM, line or paragraph separator or surrogate
// anywhere; no number but a safe integer (-0 aside); no key twice in an object (the package
// refuses duplicates, JSON.parse keeps the last), none named __proto__, none longer than YAML's
// 1,024 characters for an implicit key or split from its `:` by a line break. Without this a
// JSON file, which is valid YAML but a multi-line flow collection, needed the package.
// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const JSON_UNSURE = /[\0-\x08\x0b-\x1f\x7f-\x9f\t\r\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]/;

/** Keys written in a JSON text (a string followed by `:`); -1 when one is split from its `:`. */
function jsonKeysWritten(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== 34) continue; // "
    i++;
    while (text.charCodeAt(i) !== 34) i += text.charCodeAt(i) === 92 ? 2 : 1; // \ escapes one
    let j = i + 1;
    while (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 10) j++;
    if (text.charCodeAt(j) === 58) { // :
      if (text.slice(i + 1, j).includes('\n')) return -1;
      n++;
    }
  }
  return n;
}

/** Keys of every object in a parsed JSON value; -1 when a value or key is one to give up on. */
function jsonKeysRead(v: unknown): number {
  if (typeof v === 'number') return Number.isSafeInteger(v) && !Object.is(v, -0) ? 0 : -1;
  if (typeof v !== 'object' || v === null) return 0;
  let n = 0;
  for (const [k, x] of Object.entries(v)) {
    if (!Array.isArray(v)) {
      if (k === '__proto__' || k.length > 1000) return -1;
      n++;
    }
    const m = jsonKeysRead(x);
    if (m < 0) return -1;
    n += m;
  }
  return n;
}

function quickJson(text: string): unknown {
  if (JSON_UNSURE.test(text)) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  const read = jsonKeysRead(v);
  return read >= 0 && read === jsonKeysWritten(text) ? v : undefined;
}

/** The value of `text` as `yaml`'s parseDocument(...).toJS() gives it, or undefined. */
export function quickYaml(text: string): unknown {
  if (text.charCodeAt(0) === 123) { // {
    const v = quickJson(text);
    if (v !== undefined) return v;
  }
  // tabs, CRs, directives, documents, anchors, tags, block scalars and escapes need the package
  if (/[\t\r\0\\]|^(?:%|---|\.\.\.)/m.test(text) || text.charCodeAt(0) === 0xfeff) return undefined;
  const lines: Line[] = [];
  for (const raw of text.split('\n')) {
    const t = trimSpaces(raw);
    let indent = 0;
    while (t.charCodeAt(indent) === 32) indent++;
    if (t.length === indent || t[indent] === '#') continue;
    lines.push({ indent, text: t.slice(indent) });
  }
  if (!lines.length || lines[0]!.indent !== 0) return undefined;
  try {
    const b = new Block(lines);
    const first = lines[0]!;
    let v: unknown;
    if (first.text[0] === '{' || first.text[0] === '[') {
      if (lines.length !== 1) return undefined;
      v = inlineValue(first.text);
      b.i = 1;
    } else {
      if (!mapEntry(first.text) && !(first.text === '-' || first.text.startsWith('- '))) return undefined;
      v = b.node(0);
    }
    return b.i === lines.length ? v : undefined;
  } catch (err) {
    if (err instanceof Outside) return undefined;
    throw err;
  }
}
