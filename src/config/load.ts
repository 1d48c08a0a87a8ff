import { Kind, type TSchema } from '@sinclair/typebox';
import { Value, type ValueError } from '@sinclair/typebox/value';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode } from 'yaml';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { AddressObject, DECL_KINDS, IFNAME_PATTERN, KIND_SCHEMAS, type NodeConfig, VethPeerObject } from './schema.js';
import { MgmtDecl } from './mgmt-schema.js';
import { quickYaml } from './quick-yaml.js';
import { nestingProblem } from './limits.js';
import { configFileName, readConfigText } from './read.js';
import { semanticProblems } from './semantic.js';

export type PathSeg = string | number;

/**
 * The parsed text of a config file, kept so every problem can be reported at its line and
 * column — the schema works on plain values, this maps a JSON path back to the YAML node.
 */
export class ConfigSource {
  readonly file: string;
  readonly text: string;
  private readonly lines = new LineCounter();
  private parsed: Document.Parsed | null = null;
  /** The value, once known: the quick parser's, else the full parse's (see value()). */
  private quick: unknown;
  private quickTried = false;
  /** Why a syntactically valid document has no value. */
  valueError: { offset: number; message: string } | null = null;

  constructor(file: string, text: string) {
    this.file = file;
    this.text = text;
  }

  /**
   * The full parse, with positions. Only needed to place a problem (or for a text outside the
   * quick parser's subset): a valid file of the usual shape never pays for it.
   */
  get doc(): Document.Parsed {
    // YAML 1.2 is a superset of JSON, so one parser (with positions) serves both formats.
    this.parsed ??= parseDocument(this.text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false });
    return this.parsed;
  }

  /** The file's value, or undefined when it has YAML syntax errors (see doc.errors). */
  value(): unknown {
    if (!this.quickTried) {
      // once: a text outside the quick parser's subset must not be read again on every call
      this.quickTried = true;
      this.quick = quickYaml(this.text);
    }
    if (this.quick !== undefined) return this.quick;
    if (this.doc.errors.length || this.valueError) return undefined;
    try {
      this.quick = this.doc.toJS() as unknown;
    } catch (err) {
      // e.g. an alias to an anchor defined later: valid syntax, but no value
      let at = 0;
      visit(this.doc, { Alias: (_k, node) => { if (!at && node.range) at = node.range[0]; } });
      this.valueError = { offset: at, message: (err as Error).message };
      return undefined;
    }
    // toJS() gives undefined for an empty document; the quick parser declines those
    return this.quick ?? null;
  }

  /** Position of the node at `path`; `at: 'key'` points at the key of the last map entry. */
  locate(path: PathSeg[], at: 'key' | 'value' = 'value'): { line: number; column: number } {
    let node: unknown = this.doc.contents;
    let offset = (node as YamlNode | null)?.range?.[0] ?? 0;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        const keyNode = pair.key as YamlNode;
        const last = i === path.length - 1;
        if (last && at === 'key' && keyNode.range) { offset = keyNode.range[0]; break; }
        node = pair.value;
        const r = (pair.value as YamlNode | null)?.range ?? keyNode.range;
        if (r) offset = r[0];
      } else if (isSeq(node)) {
        const item = node.items[Number(seg)] as YamlNode | undefined;
        if (!item) break;
        node = item;
        if (item.range) offset = item.range[0];
      } else {
        break;
      }
    }
    return this.position(offset);
  }

  position(offset: number): { line: number; column: number } {
    void this.doc; // the line counter is filled by the full parse
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }

  /**
   * What the `yaml` package only warns about, refused: an unknown tag (`!foo`) would otherwise
   * be dropped and its value read as a plain string, an unknown directive ignored. Only a full
   * parse can have any (the quick parser declines every tag and directive).
   */
  warningProblems(): ConfigProblem[] {
    return (this.parsed?.warnings ?? []).map((w) => {
      const pos = this.position(w.pos[0]);
      const tag = w.code === 'TAG_RESOLVE_FAILED' ? /tag: (\S+)/.exec(w.message)?.[1] : undefined;
      const reason = tag ? `unknown tag ${tag}: a node config uses plain YAML (only the core tags such as !!str are understood)` : w.message.split('\n')[0]!;
      return { file: this.file, line: pos.line, column: pos.column, path: '', reason };
    });
  }

  /** The text's nesting is past the limit: no parser may see it (src/config/limits.ts). */
  limitProblem(): ConfigProblem | null {
    const p = nestingProblem(this.text);
    return p ? { file: this.file, ...p, path: '' } : null;
  }

  problem(path: PathSeg[], reason: string, at: 'key' | 'value' = 'value'): ConfigProblem {
    const { line, column } = this.locate(path, at);
    return { file: this.file, line, column, path: pointer(path), reason };
  }
}

export function pointer(path: PathSeg[]): string {
  return path.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

function parsePointer(p: string): PathSeg[] {
  if (!p) return [];
  return p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export interface LoadedConfig {
  config: NodeConfig;
  source: ConfigSource;
}

/** Read, parse and validate a config file; throws ConfigError listing every problem. */
export async function loadConfig(file: string): Promise<LoadedConfig> {
  return parseConfig(await readConfigText(file), configFileName(file));
}

/** Parse and validate config text (the file name is only used in messages). */
export function parseConfig(text: string, file = '<config>'): LoadedConfig {
  const source = new ConfigSource(file, text);
  const problems = configProblems(source);
  if (problems.length) throw new ConfigError(problems);
  return { config: source.value() as NodeConfig, source };
}

/** Every problem of a parsed file: YAML syntax, then schema, then meaning. Sorted by position. */
export function configProblems(source: ConfigSource): ConfigProblem[] {
  const limit = source.limitProblem();
  if (limit) return [limit];
  const problems: ConfigProblem[] = [];
  const value = source.value();
  if (value === undefined) {
    for (const e of source.doc.errors) {
      const pos = source.position(e.pos[0]);
      problems.push({ file: source.file, line: pos.line, column: pos.column, path: '', reason: e.message.split('\n')[0]! });
    }
    if (source.valueError) {
      const pos = source.position(source.valueError.offset);
      problems.push({ file: source.file, line: pos.line, column: pos.column, path: '', reason: source.valueError.message });
    }
    return problems;
  }
  problems.push(...source.warningProblems());
  problems.push(...schemaProblems(source, value));
  // Meaning is only checked on what has the right shape; schema noise would hide the real error.
  if (isObject(value) && Array.isArray(value.interfaces)) {
    problems.push(...semanticProblems(source, value as unknown as NodeConfig, new Set(problems.map((p) => p.path))));
  }
  return dedupe(problems).sort((a, b) => a.line - b.line || a.column - b.column);
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.path}\0${p.reason}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Schema problems. Interfaces are checked against the schema of their own `kind` rather than
 * the union of all kinds: a union only knows "matched none of 7 shapes", which helps nobody.
 */
function schemaProblems(source: ConfigSource, value: unknown): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  if (!isObject(value)) return [source.problem([], 'the file must be a mapping with an `interfaces:` list')];
  for (const key of Object.keys(value)) {
    if (!['interfaces', 'mgmt', '$schema'].includes(key)) out.push(source.problem([key], `unknown key "${key}" (expected interfaces, mgmt)`, 'key'));
  }
  if (!('interfaces' in value)) out.push(source.problem([], 'missing required key "interfaces"'));
  else if (!Array.isArray(value.interfaces)) out.push(source.problem(['interfaces'], 'must be a list of interfaces'));
  else {
    value.interfaces.forEach((item, i) => {
      const base: PathSeg[] = ['interfaces', i];
      if (!isObject(item)) { out.push(source.problem(base, 'an interface must be a mapping with at least name and kind')); return; }
      const kind = item.kind;
      if (kind === undefined) { out.push(source.problem(base, `missing required key "kind" (one of ${DECL_KINDS.join(', ')})`)); return; }
      if (typeof kind !== 'string' || !(DECL_KINDS as string[]).includes(kind)) {
        out.push(source.problem([...base, 'kind'], `unknown kind ${JSON.stringify(kind)} (expected one of ${DECL_KINDS.join(', ')})`));
        return;
      }
      out.push(...typeboxProblems(source, KIND_SCHEMAS[kind as keyof typeof KIND_SCHEMAS], item, base));
    });
  }
  if ('mgmt' in value && value.mgmt !== undefined) out.push(...typeboxProblems(source, MgmtDecl, value.mgmt, ['mgmt']));
  if ('$schema' in value && typeof value.$schema !== 'string') out.push(source.problem(['$schema'], 'must be a string'));
  return out;
}

export function typeboxProblems(source: ConfigSource, schema: TSchema, value: unknown, base: PathSeg[]): ConfigProblem[] {
  // Check is a plain walk; Errors is a generator that costs ~5x more on a valid value
  if (Value.Check(schema, value)) return [];
  const out: ConfigProblem[] = [];
  for (const e of Value.Errors(schema, value)) {
    const path = [...base, ...parsePointer(e.path)];
    const unexpected = e.message === 'Unexpected property';
    out.push(source.problem(path, unexpected ? `unknown key "${String(path[path.length - 1])}"${expectedKeys(schema, e.path)}` : reasonFor(e, source, path, out), unexpected ? 'key' : 'value'));
  }
  return out.filter((p) => p.reason !== '');
}

/** Names the keys that are allowed where an unknown one was found (the usual typo help). */
function expectedKeys(root: TSchema, errPath: string): string {
  let s: TSchema | undefined = root;
  for (const seg of parsePointer(errPath).slice(0, -1)) {
    if (!s) return '';
    if (s.type === 'array') s = s.items as TSchema;
    else if (s.properties) s = (s.properties as Record<string, TSchema>)[String(seg)];
    if (s && s[Kind] === 'Union') s = (s.anyOf as TSchema[]).find((v) => v.type === 'object');
  }
  const keys = s?.properties ? Object.keys(s.properties as object) : [];
  return keys.length ? ` (expected one of: ${keys.join(', ')})` : '';
}

function reasonFor(e: ValueError, source: ConfigSource, path: PathSeg[], out: ConfigProblem[]): string {
  const s = e.schema;
  if (e.message.startsWith('Expected required property')) {
    return `missing required key "${String(path[path.length - 1])}"`;
  }
  // TypeBox follows a missing key with a type error on its undefined value: said once above
  if (e.value === undefined) return '';
  if (s[Kind] === 'Union') {
    const variants = s.anyOf as TSchema[];
    if (variants.every((v) => v.const !== undefined)) {
      return `${JSON.stringify(e.value)} is not one of: ${variants.map((v) => String(v.const)).join(', ')}`;
    }
    if (variants.includes(VethPeerObject)) {
      if (isObject(e.value)) {
        out.push(...typeboxProblems(source, VethPeerObject, e.value, path));
        return '';
      }
      if (typeof e.value === 'string') return `${JSON.stringify(e.value)} is not a valid interface name (1-15 characters, no "/", ":" or whitespace)`;
      return 'a peer is a name or a mapping {name, mtu, state, alias, master, addresses, arp, routes, netns}';
    }
    if (variants.some((v) => v === AddressObject || v.properties?.address)) {
      if (isObject(e.value)) {
        out.push(...typeboxProblems(source, AddressObject, e.value, path));
        return '';
      }
      return 'an address is "ADDRESS/PREFIX" or a mapping {address, label, nodad}';
    }
  }
  if (s.pattern === IFNAME_PATTERN) return `${JSON.stringify(e.value)} is not a valid interface name (1-15 characters, no "/", ":" or whitespace)`;
  if (typeof s.pattern === 'string' && s.pattern.startsWith('^[0-9a-fA-F]{2}')) return `${JSON.stringify(e.value)} is not a MAC address (xx:xx:xx:xx:xx:xx)`;
  if (s.const !== undefined) return `expected ${JSON.stringify(s.const)}`;
  if ((s.type === 'integer' || s.type === 'number') && typeof e.value === 'number' && (s.minimum !== undefined || s.maximum !== undefined)) {
    return `${e.value} is out of range (${s.minimum ?? '-∞'}-${s.maximum ?? '∞'})`;
  }
  // TypeBox says "Expected string length less or equal to 255": a length, not a type, and the
  // kernel counts bytes (the byte rules, src/config/semantic.ts, say it the same way)
  if (s.type === 'string' && typeof e.value === 'string' && typeof s.maxLength === 'number' && e.value.length > s.maxLength) {
    const key = String(path[path.length - 1]);
    const shown = key === 'label' ? `label ${JSON.stringify(e.value)}` : `the ${key}`;
    return `${shown} is ${Buffer.byteLength(e.value)} bytes in UTF-8: the kernel's limit is ${s.maxLength}`;
  }
  if (s.type === 'string' && typeof e.value === 'string' && typeof s.minLength === 'number' && e.value.length < s.minLength) {
    return 'must not be empty';
  }
  if (s.type === 'integer' || s.type === 'boolean' || s.type === 'string' || s.type === 'array' || s.type === 'object') {
    const what = s.type === 'object' ? 'a mapping' : s.type === 'array' ? 'a list' : `${s.type === 'integer' ? 'an' : 'a'} ${s.type}`;
    if (e.message.startsWith('Expected')) return `must be ${what}, not ${describe(e.value)}`;
  }
  return e.message;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}
