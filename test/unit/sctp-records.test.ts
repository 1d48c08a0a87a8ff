// The SCTP tracers' records in user space are generated from the objects' BTF by ebpf-ts
// (`ebpf-ts gen types`, scripts/gen-bpf-types), never written by hand. Here: the committed
// modules are what the generator makes of the committed objects (a rebuilt object with other
// records and no regenerated module fails); the variants of the wire tracer that nodectl may
// load instead of sctp_wire.bpf.o lay out every record it reads identically (one generated
// module serves them all); and the numbers BTF cannot carry (#defines, enum values) match the
// header's text. No privileges: nothing is loaded.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BtfKind, readObjectBtf, type BtfType } from 'ebpf-ts';
import { maps, SwAddr, SwAddrs, SwGlobals } from '../../src/sctp/generated/sctp-wire.js';
import { decodeEvent } from '../../src/sctp/model.js';
import { SW_ADDR_OP, SW_EVENT_TYPE, SW_F, SW_GLOBALS, SW_L, SW_MAX_ADDRS, SW_SLOT_STATE, SW_STATE } from '../../src/sctp/wire-consts.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WIRE = 'sctp_wire.bpf.o';
/** The variants: compact and noloop are loaded in its place on some kernels; floor is bench/sctp's reference. */
const VARIANTS = ['sctp_wire_compact.bpf.o', 'sctp_wire_noloop.bpf.o', 'sctp_wire_floor.bpf.o'];
/** Program-private: each variant's own per-CPU scratch (struct → its map), never read by user space. */
const PRIVATE = new Map([['sw_walk_mem', 'sctp_walk_mem']]);

test('src/sctp/generated/*.ts are what ebpf-ts gen types makes of the committed objects (scripts/gen-bpf-types --check)', (t) => {
  const r = spawnSync(`${ROOT}scripts/gen-bpf-types`, ['--check'], { encoding: 'utf8', cwd: ROOT });
  t.is(r.status, 0, `${r.stderr}\nrun npm run gen:bpf-types and commit the result`);
});

/** A type as text, down to every member's offset and integer width: equal text, equal bytes. */
function describe(types: BtfType[], id: number, depth = 0): string {
  let t = types[id]!;
  while ([BtfKind.TYPEDEF, BtfKind.VOLATILE, BtfKind.CONST, BtfKind.RESTRICT, BtfKind.TYPE_TAG].includes(t.kind as 8)) t = types[t.type]!;
  switch (t.kind) {
    case BtfKind.INT: return `${t.encoding! & 1 ? 's' : 'u'}${t.bits}`;
    case BtfKind.ENUM: case BtfKind.ENUM64: return `enum${t.size * 8}`;
    case BtfKind.PTR: return 'ptr';
    case BtfKind.ARRAY: return `${describe(types, t.elemType!, depth)}[${t.nelems}]`;
    case BtfKind.STRUCT: case BtfKind.UNION:
      if (depth > 8) return t.name;
      return `${t.name || '(anon)'}:${t.size}{${t.members!.map((m) => `${m.name}@${m.offset}${m.bitfieldSize ? `:${m.bitfieldSize}` : ''}=${describe(types, m.type, depth + 1)}`).join(',')}}`;
    default: return `kind${t.kind}:${t.size}`;
  }
}

interface Described { structs: Map<string, string>; maps: Map<string, { key?: string; value?: string }> }

function described(obj: string): Described {
  const types = readObjectBtf(`${ROOT}bpf/${obj}`);
  const structs = new Map(types.filter((x) => x.kind === BtfKind.STRUCT && x.name).map((x) => [x.name, describe(types, x.id)]));
  const out = new Map<string, { key?: string; value?: string }>();
  const sec = types.find((x) => x.kind === BtfKind.DATASEC && x.name === '.maps');
  for (const v of sec?.vars ?? []) {
    const mv = types[v.type]!;
    const def = types[mv.type]!;
    const m: { key?: string; value?: string } = {};
    // `__type(key, T)` is a member `T *key`: describe T
    for (const mem of def.members ?? []) if (mem.name === 'key' || mem.name === 'value') m[mem.name] = describe(types, types[mem.type]!.type);
    out.set(mv.name, m);
  }
  return { structs, maps: out };
}

const generatedStructs = [...readFileSync(`${ROOT}src/sctp/generated/sctp-wire.ts`, 'utf8').matchAll(/^\/\*\* struct (\w+): \d+ bytes\. \*\//gm)].map((m) => m[1]!);

for (const variant of VARIANTS) {
  test(`${variant} lays out every record user space reads as ${WIRE} does`, (t) => {
    const ref = described(WIRE);
    const v = described(variant);
    let compared = 0;
    for (const name of generatedStructs) {
      const mine = v.structs.get(name);
      if (mine === undefined || PRIVATE.has(name)) continue;
      t.is(mine, ref.structs.get(name) ?? `(none in ${WIRE})`, `struct ${name} differs: src/sctp/generated/sctp-wire.ts (from ${WIRE}) would misread ${variant}`);
      compared++;
    }
    t.true(compared >= 3, `${compared} shared structs compared`);
    for (const [name, m] of v.maps) {
      if ([...PRIVATE.values()].includes(name) || !ref.maps.has(name)) continue;
      t.deepEqual(m, ref.maps.get(name), `map ${name}: key and value as in ${WIRE}`);
    }
    // the tracers loaded in sctp_wire.bpf.o's place have exactly its maps (floor has its own)
    if (!variant.includes('floor')) t.deepEqual([...v.maps.keys()].sort(), Object.keys(maps).sort());
  });
}

test('the exemption is real: the per-CPU scratch differs between variants (so the comparison above can fail)', (t) => {
  const a = described(WIRE).structs.get('sw_walk_mem');
  const b = described('sctp_wire_noloop.bpf.o').structs.get('sw_walk_mem');
  t.truthy(a);
  t.not(a, b, 'sw_walk_mem no longer differs: drop it from PRIVATE');
});

/** `#define NAME value` and `NAME = value,` of bpf/sctp_wire.h, by name, in the header's order. */
function headerNumbers(): Map<string, number> {
  const h = readFileSync(`${ROOT}bpf/sctp_wire.h`, 'utf8');
  const out = new Map<string, number>();
  for (const m of h.matchAll(/^#define (SW_\w+) (0x[0-9a-fA-F]+|\d+)\b/gm)) out.set(m[1]!, Number(m[2]));
  for (const m of h.matchAll(/^\s+(SW_\w+) = (0x[0-9a-fA-F]+|\d+),/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

test('the numbers BTF does not carry (src/sctp/wire-consts.ts) are the header\'s', (t) => {
  const h = headerNumbers();
  const group = (prefix: string) => [...h].filter(([n]) => n.startsWith(prefix)).map(([n, v]) => [n.slice(prefix.length), v] as const);
  t.deepEqual(Object.fromEntries(group('SW_F_')), SW_F);
  t.deepEqual(Object.fromEntries(group('SW_L_')), SW_L);
  t.deepEqual(Object.fromEntries(group('SW_SLOT_').filter(([n]) => n !== 'S')), SW_SLOT_STATE);
  t.is(h.get('SW_MAX_ADDRS'), SW_MAX_ADDRS);
  t.deepEqual(group('SW_ST_').map(([n, v]) => [n.toLowerCase().replace(/_/g, '-'), v]), SW_STATE.map((n, i) => [n, i]));
  t.deepEqual(group('SW_A_').map(([, v]) => v), Object.keys(SW_ADDR_OP).map(Number));
  t.deepEqual(group('SW_EV_').map(([, v]) => v), Object.keys(SW_EVENT_TYPE).map(Number));
  t.deepEqual(group('SW_G_').filter(([n]) => n !== 'MAX').map(([, v]) => v), SW_GLOBALS.map((_, i) => i));
  // and against the generated layouts, where the BTF has the number
  t.is(h.get('SW_G_MAX'), SwGlobals.size / 8);
  t.is(SwAddrs.offsets.n, 2 * SW_MAX_ADDRS * SwAddr.size);
});

test('decodeEvent reads a struct sw_event as the program writes it (offsets from the C rules, by hand)', (t) => {
  const b = Buffer.alloc(72);
  b.writeBigUInt64LE(5_000_000_123n, 0); // ts_ns
  b.writeBigUInt64LE(2_500_000n, 8); // duration_ns
  b.set([10, 0, 0, 1], 16); // key.addr[0]
  b.set([10, 0, 0, 2], 32); // key.addr[1]
  b.writeUInt16LE(3868, 48); // key.port[0]
  b.writeUInt16LE(5000, 50); // key.port[1]
  b.writeUInt32LE(7, 52); // key.ifindex
  b[56] = 4; // key.family
  b[60] = 4; // type: abort
  b[61] = 1; // dir
  b.writeUInt16LE(12, 62); // cause: User-Initiated Abort
  b.writeUInt32LE(99, 64); // value
  t.like(decodeEvent(b), {
    type: 'abort', tsNs: 5_000_000_123, association: '10.0.0.1:3868-10.0.0.2:5000@7', ifindex: 7,
    endpoints: [{ address: '10.0.0.1', port: 3868 }, { address: '10.0.0.2', port: 5000 }],
    by: 1, cause: 12, value: 99, durationMs: 2.5,
  });
  t.is(decodeEvent(b).causeName?.length ? 'named' : 'unnamed', 'named');
  b[60] = 2; // up: no cause
  t.like(decodeEvent(b), { type: 'up', cause: null, causeName: null });
});
