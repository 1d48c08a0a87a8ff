// `ebpf-ts gen types X.bpf.o`: TypeScript layouts (types and decoders) for an object's maps,
// their keys and values, its globals and its ring-buffer records, from the object's BTF, so a
// user never writes offsets by hand (the counterpart of `bpftool gen skeleton`).
//
// Every struct is emitted as a packed layout with explicit padding at the offsets BTF gives,
// so the generated offsets are the compiler's by construction, whatever the alignment rules;
// generation then checks each layout's offsets and size against BTF once more.
import { basename } from 'node:path';
import { BpfError } from './errors.js';
import { BtfKind, readObjectBtf, type BtfType } from './btf.js';
import * as L from './layout.js';
import type { Layout } from './layout.js';

export interface GenOptions {
  /** Ring-buffer map → the struct its records are (BTF cannot tell: the program only casts a pointer). */
  records?: Record<string, string>;
  /** More structs to emit by name (e.g. records sent through a perf buffer). */
  structs?: string[];
  /** The module the generated code imports layouts from (default 'ebpf-ts'). */
  importFrom?: string;
  /** The name printed in the header (default: the object's file name). */
  source?: string;
  /** Unsigned 64-bit members as bigint (default, exact) or number (L.u64n: exact below 2^53, cheaper to decode in bulk). */
  u64?: 'bigint' | 'number';
  /** The command that remakes the file, printed in its header (e.g. 'npm run gen:bpf-types'). */
  regenerate?: string;
}

const MAP_TYPE_NAMES: Record<number, string> = {
  1: 'HASH', 2: 'ARRAY', 3: 'PROG_ARRAY', 4: 'PERF_EVENT_ARRAY', 5: 'PERCPU_HASH', 6: 'PERCPU_ARRAY', 7: 'STACK_TRACE',
  8: 'CGROUP_ARRAY', 9: 'LRU_HASH', 10: 'LRU_PERCPU_HASH', 11: 'LPM_TRIE', 12: 'ARRAY_OF_MAPS', 13: 'HASH_OF_MAPS',
  14: 'DEVMAP', 15: 'SOCKMAP', 16: 'CPUMAP', 17: 'XSKMAP', 18: 'SOCKHASH', 20: 'REUSEPORT_SOCKARRAY', 22: 'QUEUE',
  23: 'STACK', 24: 'SK_STORAGE', 25: 'DEVMAP_HASH', 26: 'STRUCT_OPS', 27: 'RINGBUF', 28: 'INODE_STORAGE',
  29: 'TASK_STORAGE', 30: 'BLOOM_FILTER', 31: 'USER_RINGBUF', 32: 'CGRP_STORAGE',
};

/** A layout expression (source text) and the layout it evaluates to (to check offsets). */
interface Expr { src: string; layout: Layout<unknown>; ts: string }

class Generator {
  readonly types: BtfType[];
  readonly what: string;
  readonly out: string[] = [];
  readonly emitted = new Map<number, Expr>();
  // The names the module's own exports take.
  readonly usedNames = new Set<string>(['L', 'maps', 'records', 'openMaps', 'Globals', 'BpfObject']);

  readonly u64: [string, Layout<unknown>, string];

  constructor(types: BtfType[], what: string, u64: 'bigint' | 'number' = 'bigint') {
    this.types = types;
    this.what = what;
    this.u64 = u64 === 'number' ? ['L.u64n', L.u64n, 'number'] : ['L.u64', L.u64, 'bigint'];
  }

  fail(reason: string): never {
    throw new BpfError(`gen types ${this.what}: ${reason}`, { op: 'gen', errno: 'EINVAL', errnoValue: 22 });
  }

  /** Skip typedefs and qualifiers, remembering the first typedef name (it says __be16 where the int says u16). */
  resolve(id: number): { t: BtfType; typedef?: string } {
    let typedef: string | undefined;
    let t = this.types[id]!;
    for (let guard = 0; guard < 64; guard++) {
      if (t.kind === BtfKind.TYPEDEF) typedef ??= t.name;
      else if (!(t.kind === BtfKind.VOLATILE || t.kind === BtfKind.CONST || t.kind === BtfKind.RESTRICT || t.kind === BtfKind.TYPE_TAG)) return { t, typedef };
      t = this.types[t.type]!;
    }
    return this.fail(`type ${id} is a cycle of typedefs`);
  }

  sizeOf(id: number): number {
    const { t } = this.resolve(id);
    if (t.kind === BtfKind.ARRAY) return this.sizeOf(t.elemType!) * t.nelems!;
    if (t.kind === BtfKind.PTR) return 8;
    return t.size;
  }

  structName(t: BtfType): string {
    const base = (t.name || `anon_${t.id}`).split('_').filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('') || `Anon${t.id}`;
    let name = /^[A-Za-z]/.test(base) ? base : `T${base}`;
    while (this.usedNames.has(name) && this.emitted.get(t.id)?.src !== name) name = `${name}_${t.id}`;
    return name;
  }

  /** The layout of type `id`, emitting struct declarations it depends on first. */
  expr(id: number): Expr {
    const { t, typedef } = this.resolve(id);
    const endian: Record<string, [string, Layout<unknown>, string]> = {
      __be16: ['L.u16be', L.u16be, 'number'], __be32: ['L.u32be', L.u32be, 'number'], __be64: ['L.u64be', L.u64be, 'bigint'],
      __le16: ['L.u16le', L.u16le, 'number'], __le32: ['L.u32le', L.u32le, 'number'], __le64: ['L.u64le', L.u64le, 'bigint'],
    };
    if (typedef && endian[typedef] && t.kind === BtfKind.INT) {
      const [src, layout, ts] = endian[typedef];
      return { src, layout, ts };
    }
    switch (t.kind) {
      case BtfKind.INT: {
        if (t.encoding === 4 && t.size === 1) return { src: 'L.bool', layout: L.bool, ts: 'boolean' };
        const signed = (t.encoding! & 1) === 1;
        const scalars: Record<number, [string, Layout<unknown>, string]> = signed
          ? { 1: ['L.s8', L.s8, 'number'], 2: ['L.s16', L.s16, 'number'], 4: ['L.s32', L.s32, 'number'], 8: ['L.s64', L.s64, 'bigint'] }
          : { 1: ['L.u8', L.u8, 'number'], 2: ['L.u16', L.u16, 'number'], 4: ['L.u32', L.u32, 'number'], 8: this.u64 };
        const s = scalars[t.size];
        if (!s) return { src: `L.bytes(${t.size})`, layout: L.bytes(t.size), ts: 'Buffer' };
        return { src: s[0], layout: s[1], ts: s[2] };
      }
      case BtfKind.ENUM:
      case BtfKind.ENUM64: {
        const m: Record<number, [string, Layout<unknown>, string]> = t.signed
          ? { 1: ['L.s8', L.s8, 'number'], 2: ['L.s16', L.s16, 'number'], 4: ['L.s32', L.s32, 'number'], 8: ['L.s64', L.s64, 'bigint'] }
          : { 1: ['L.u8', L.u8, 'number'], 2: ['L.u16', L.u16, 'number'], 4: ['L.u32', L.u32, 'number'], 8: ['L.u64', L.u64, 'bigint'] };
        const s = m[t.size] ?? this.fail(`enum ${t.name} of ${t.size} bytes`);
        return { src: s[0], layout: s[1], ts: s[2] };
      }
      case BtfKind.PTR:
        // A pointer in a BPF record is a kernel address: kept as a number the size of one.
        return { src: 'L.u64', layout: L.u64, ts: 'bigint' };
      case BtfKind.FLOAT:
        return { src: `L.bytes(${t.size})`, layout: L.bytes(t.size), ts: 'Buffer' };
      case BtfKind.ARRAY: {
        const { t: elem } = this.resolve(t.elemType!);
        const n = t.nelems!;
        // char[N] reads as a string, other byte arrays as a Buffer; the rest as arrays.
        if (elem.kind === BtfKind.INT && elem.size === 1 && elem.encoding !== 4) {
          if (elem.encoding === 2 || elem.name === 'char') return { src: `L.cstring(${n})`, layout: L.cstring(n), ts: 'string' };
          return { src: `L.bytes(${n})`, layout: L.bytes(n), ts: 'Buffer' };
        }
        const e = this.expr(t.elemType!);
        return { src: `L.array(${e.src}, ${n})`, layout: L.array(e.layout, n), ts: `Array<${e.ts}>` };
      }
      case BtfKind.STRUCT:
        return this.struct(t);
      case BtfKind.UNION:
        return { src: `L.bytes(${t.size})`, layout: L.bytes(t.size), ts: 'Buffer' };
      default:
        return this.fail(`type ${t.id} (${t.name || 'anonymous'}, BTF kind ${t.kind}) has no layout`);
    }
  }

  struct(t: BtfType): Expr {
    const done = this.emitted.get(t.id);
    if (done) return done;
    const name = this.structName(t);
    const fields: Array<[string, Expr]> = [];
    let off = 0;
    let padN = 0;
    const names = new Set<string>();
    for (const m of [...t.members!].sort((a, b) => a.offset - b.offset)) {
      if (m.bitfieldSize || m.offset % 8) this.fail(`struct ${t.name}: member ${m.name} is a bitfield (not supported)`);
      const at = m.offset / 8;
      if (at < off) this.fail(`struct ${t.name}: member ${m.name} overlaps the one before it`);
      if (at > off) fields.push([`_pad${padN++}`, { src: `L.pad(${at - off})`, layout: L.pad(at - off), ts: 'undefined' }]);
      const e = this.expr(m.type);
      const mname = m.name || `_anon${padN++}`;
      if (names.has(mname)) this.fail(`struct ${t.name}: two members named ${mname}`);
      names.add(mname);
      fields.push([mname, e]);
      off = at + e.layout.size;
    }
    if (t.size > off) fields.push([`_pad${padN++}`, { src: `L.pad(${t.size - off})`, layout: L.pad(t.size - off), ts: 'undefined' }]);
    const layout = L.struct(Object.fromEntries(fields.map(([n, e]) => [n, e.layout])), { packed: true });
    // Once more against BTF: every member where the compiler put it, and the same size.
    if (layout.size !== t.size) this.fail(`struct ${t.name}: layout size ${layout.size}, BTF says ${t.size}`);
    for (const m of t.members!) {
      const got = (layout.offsets as Record<string, number>)[m.name];
      if (m.name && got !== m.offset / 8) this.fail(`struct ${t.name}: ${m.name} at ${got}, BTF says ${m.offset / 8}`);
    }
    const key = (n: string) => (/^[A-Za-z_$][\w$]*$/.test(n) ? n : JSON.stringify(n));
    this.out.push(
      `/** struct ${t.name || '(anonymous)'}: ${t.size} bytes. */`,
      `export const ${name} = L.struct({`,
      ...fields.map(([n, e]) => `  ${key(n)}: ${e.src},`),
      '}, { packed: true });',
      `export type ${name} = L.LayoutValue<typeof ${name}>;`,
      '',
    );
    this.usedNames.add(name);
    const e = { src: name, layout, ts: name };
    this.emitted.set(t.id, e);
    return e;
  }

  /** A map definition's anonymous struct: `int (*type)[N]` members carry numbers, `T *key` types. */
  mapDef(v: BtfType): { type?: number; maxEntries?: number; key?: number; value?: number; keySize?: number; valueSize?: number } {
    const { t } = this.resolve(v.type);
    if (t.kind !== BtfKind.STRUCT) this.fail(`map ${v.name} is not a BTF-defined map`);
    const def: ReturnType<Generator['mapDef']> = {};
    for (const m of t.members!) {
      const p = this.resolve(m.type).t;
      if (p.kind !== BtfKind.PTR) continue;
      const target = this.resolve(p.type).t;
      const num = target.kind === BtfKind.ARRAY ? target.nelems : undefined;
      if (m.name === 'type') def.type = num;
      else if (m.name === 'max_entries') def.maxEntries = num;
      else if (m.name === 'key_size') def.keySize = num;
      else if (m.name === 'value_size') def.valueSize = num;
      else if (m.name === 'key') def.key = p.type;
      else if (m.name === 'value') def.value = p.type;
    }
    return def;
  }
}

/** The TypeScript module `ebpf-ts gen types` writes for an object (path or bytes). */
export function generateTypes(src: string | Buffer, opts: GenOptions = {}): string {
  const what = opts.source ?? (typeof src === 'string' ? basename(src) : 'the object');
  const g = new Generator(readObjectBtf(src), what, opts.u64);
  const byName = (n: string) => g.types.find((t) => t.kind === BtfKind.STRUCT && t.name === n)
    ?? g.fail(`no struct ${n} in its BTF (a struct only a pointer cast uses is not in BTF: give it a global, e.g. const volatile struct ${n} ${n}_btf = {};)`);

  const mapsSec = g.types.find((t) => t.kind === BtfKind.DATASEC && t.name === '.maps');
  const maps: string[] = [];
  const opens: string[] = [];
  const records: string[] = [];
  const seen = new Set<string>();
  for (const v of mapsSec?.vars ?? []) {
    const mv = g.types[v.type]!;
    if (mv.kind !== BtfKind.VAR) continue;
    seen.add(mv.name);
    const d = g.mapDef(mv);
    const tname = d.type !== undefined ? (MAP_TYPE_NAMES[d.type] ?? String(d.type)) : 'unknown';
    const parts = [`type: ${d.type ?? 0} /* ${tname} */`, `maxEntries: ${d.maxEntries ?? 0}`];
    const key = d.key !== undefined ? g.expr(d.key) : undefined;
    const value = d.value !== undefined ? g.expr(d.value) : undefined;
    if (key) parts.push(`key: ${key.src}`);
    if (value) parts.push(`value: ${value.src}`);
    const rec = opts.records?.[mv.name];
    if (rec) {
      if (d.type !== 27) g.fail(`--record ${mv.name}=${rec}: ${mv.name} is not a ring buffer (${tname})`);
      const r = g.struct(byName(rec));
      parts.push(`record: ${r.src}`);
      records.push(`  ${mv.name}: ${r.src},`);
    }
    maps.push(`  ${mv.name}: { ${parts.join(', ')} },`);
    if (key && value) opens.push(`    ${mv.name}: obj.map('${mv.name}', { key: ${key.src}, value: ${value.src} }),`);
  }
  for (const m of Object.keys(opts.records ?? {})) if (!seen.has(m)) g.fail(`--record ${m}=…: the object has no map ${m}`);
  for (const s of opts.structs ?? []) g.struct(byName(s));

  // Globals of the data sections: the values BpfObject's `globals` option takes.
  const globals: string[] = [];
  for (const sec of g.types.filter((t) => t.kind === BtfKind.DATASEC && /^\.(rodata|data|bss)/.test(t.name))) {
    for (const v of sec.vars ?? []) {
      const gv = g.types[v.type]!;
      if (gv.kind !== BtfKind.VAR) continue;
      const { t } = g.resolve(gv.type);
      const ts = t.kind === BtfKind.INT && t.encoding === 4 ? 'boolean' : t.kind === BtfKind.INT || t.kind === BtfKind.ENUM ? (t.size === 8 ? 'number | bigint' : 'number') : 'Buffer';
      globals.push(`  /** ${sec.name} */\n  ${gv.name}?: ${ts};`);
    }
  }

  const from = opts.importFrom ?? 'ebpf-ts';
  const head = [
    `// DO NOT EDIT: generated by \`ebpf-ts gen types\` from ${what}${opts.records && Object.keys(opts.records).length ? ` (records: ${Object.entries(opts.records).map(([m, s]) => `${m}=${s}`).join(', ')})` : ''}${opts.u64 === 'number' ? ' (u64 as number)' : ''}.`,
    '// Layouts of its structs at the offsets its BTF gives; regenerate after changing the C source.',
    ...(opts.regenerate ? [`// Regenerate: ${opts.regenerate.replace(/\s*\n\s*/g, ' ')}`] : []),
    '/* eslint-disable */',
    `import { layout as L${opens.length ? ', type BpfObject' : ''} } from '${from}';`,
    '',
  ];
  const tail = [
    '/** The maps of the object as its BTF defines them. */',
    'export const maps = {',
    ...maps,
    '} as const;',
    '',
  ];
  if (records.length) tail.push('/** Ring buffer → the layout of its records. */', 'export const records = {', ...records, '} as const;', '');
  if (opens.length) {
    tail.push(
      '/** The maps with a BTF key and value, typed: `const m = openMaps(obj); m.counts.entries()`. */',
      'export function openMaps(obj: BpfObject) {',
      '  return {',
      ...opens,
      '  };',
      '}',
      '',
    );
  }
  tail.push('/** The `globals` a BpfObject.open/load of this object takes. */', 'export interface Globals {', ...globals, '}', '');
  return [...head, ...g.out, ...tail].join('\n');
}
