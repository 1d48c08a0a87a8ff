// BTF of a compiled BPF object, read in TypeScript from its ELF `.BTF` section (no libbpf, no
// privileges): what `ebpf-ts gen types` turns into layouts. The format is the kernel's
// (Documentation/bpf/btf.rst): a header, then type records (id 1, 2, … in order), then strings.
import { readFileSync } from 'node:fs';
import { BpfError } from './errors.js';

export const BtfKind = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10, RESTRICT: 11,
  FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;

export interface BtfMember { name: string; type: number; /** bits */ offset: number; /** 0 unless a bitfield */ bitfieldSize: number }

export interface BtfType {
  id: number;
  kind: number;
  name: string;
  /** INT, STRUCT, UNION, ENUM, ENUM64, DATASEC, FLOAT: bytes */
  size: number;
  /** PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, VAR, TYPE_TAG, DECL_TAG: the referenced type */
  type: number;
  /** INT: 1 signed, 2 char, 4 bool */
  encoding?: number;
  /** INT: value bits */
  bits?: number;
  /** ENUM/ENUM64: signed (the kind flag) */
  signed?: boolean;
  /** ARRAY */
  elemType?: number;
  nelems?: number;
  /** STRUCT, UNION */
  members?: BtfMember[];
  /** DATASEC */
  vars?: Array<{ type: number; offset: number; size: number }>;
}

function bad(what: string, reason: string): BpfError {
  return new BpfError(`cannot read BTF of ${what}: ${reason}`, { op: 'btf', errno: 'EINVAL', errnoValue: 22 });
}

/** The bytes of the `.BTF` section of a 64-bit little-endian ELF object (what clang -target bpf writes on x86). */
export function elfBtfSection(elf: Buffer, what = 'the object'): Buffer {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46) throw bad(what, 'not an ELF file');
  if (elf[4] !== 2 || elf[5] !== 1) throw bad(what, 'only 64-bit little-endian ELF objects are supported');
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const shstrndx = elf.readUInt16LE(0x3e);
  if (shoff + shnum * shentsize > elf.length || shstrndx >= shnum) throw bad(what, 'truncated section headers');
  const sh = (i: number) => {
    const o = shoff + i * shentsize;
    return { name: elf.readUInt32LE(o), offset: Number(elf.readBigUInt64LE(o + 24)), size: Number(elf.readBigUInt64LE(o + 32)) };
  };
  const strtab = sh(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const s = sh(i);
    const start = strtab.offset + s.name;
    const name = elf.toString('latin1', start, elf.indexOf(0, start));
    if (name === '.BTF') {
      if (s.offset + s.size > elf.length) throw bad(what, 'truncated .BTF section');
      return elf.subarray(s.offset, s.offset + s.size);
    }
  }
  throw bad(what, 'it has no .BTF section (build it with clang -g)');
}

/** Parse raw BTF (a `.BTF` section or /sys/kernel/btf/*); index i of the result is type id i (0 is void). */
export function parseBtf(btf: Buffer, what = 'the object'): BtfType[] {
  if (btf.length < 24 || btf.readUInt16LE(0) !== 0xeb9f) throw bad(what, 'bad BTF magic (only little-endian BTF is supported)');
  const hdrLen = btf.readUInt32LE(4);
  const typeOff = hdrLen + btf.readUInt32LE(8);
  const typeEnd = typeOff + btf.readUInt32LE(12);
  const strOff = hdrLen + btf.readUInt32LE(16);
  const strEnd = strOff + btf.readUInt32LE(20);
  if (typeEnd > btf.length || strEnd > btf.length) throw bad(what, 'BTF sections run past its end');
  const str = (off: number) => (off === 0 ? '' : btf.toString('utf8', strOff + off, btf.indexOf(0, strOff + off)));
  const types: BtfType[] = [{ id: 0, kind: 0, name: 'void', size: 0, type: 0 }];
  let o = typeOff;
  while (o < typeEnd) {
    const nameOff = btf.readUInt32LE(o);
    const info = btf.readUInt32LE(o + 4);
    const sizeOrType = btf.readUInt32LE(o + 8);
    o += 12;
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kflag = (info >>> 31) === 1;
    const t: BtfType = { id: types.length, kind, name: str(nameOff), size: 0, type: 0 };
    switch (kind) {
      case BtfKind.INT: {
        const x = btf.readUInt32LE(o);
        o += 4;
        t.size = sizeOrType;
        t.encoding = (x >>> 24) & 0x0f;
        t.bits = x & 0xff;
        break;
      }
      case BtfKind.ARRAY:
        t.elemType = btf.readUInt32LE(o);
        t.nelems = btf.readUInt32LE(o + 8);
        o += 12;
        break;
      case BtfKind.STRUCT:
      case BtfKind.UNION:
        t.size = sizeOrType;
        t.members = [];
        for (let i = 0; i < vlen; i++, o += 12) {
          const off = btf.readUInt32LE(o + 8);
          t.members.push({ name: str(btf.readUInt32LE(o)), type: btf.readUInt32LE(o + 4), offset: kflag ? off & 0xffffff : off, bitfieldSize: kflag ? off >>> 24 : 0 });
        }
        break;
      case BtfKind.ENUM:
        t.size = sizeOrType;
        t.signed = kflag;
        o += 8 * vlen;
        break;
      case BtfKind.ENUM64:
        t.size = sizeOrType;
        t.signed = kflag;
        o += 12 * vlen;
        break;
      case BtfKind.FUNC_PROTO:
        t.type = sizeOrType;
        o += 8 * vlen;
        break;
      case BtfKind.VAR:
        t.type = sizeOrType;
        o += 4;
        break;
      case BtfKind.DATASEC:
        t.size = sizeOrType;
        t.vars = [];
        for (let i = 0; i < vlen; i++, o += 12) t.vars.push({ type: btf.readUInt32LE(o), offset: btf.readUInt32LE(o + 4), size: btf.readUInt32LE(o + 8) });
        break;
      case BtfKind.DECL_TAG:
        t.type = sizeOrType;
        o += 4;
        break;
      case BtfKind.FLOAT:
        t.size = sizeOrType;
        break;
      case BtfKind.PTR: case BtfKind.FWD: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST:
      case BtfKind.RESTRICT: case BtfKind.FUNC: case BtfKind.TYPE_TAG:
        t.type = sizeOrType;
        break;
      default:
        throw bad(what, `unknown BTF kind ${kind} at type ${t.id}`);
    }
    types.push(t);
  }
  return types;
}

/** The BTF types of a BPF object file (path or bytes). */
export function readObjectBtf(src: string | Buffer): BtfType[] {
  const what = typeof src === 'string' ? src : 'the object';
  let elf: Buffer;
  try {
    elf = typeof src === 'string' ? readFileSync(src) : src;
  } catch (err) {
    throw new BpfError(`cannot read ${src}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { op: 'open', errno: (err as NodeJS.ErrnoException).code ?? 'EIO', cause: err });
  }
  return parseBtf(elfBtfSection(elf, what), what);
}
