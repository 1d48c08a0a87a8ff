#!/usr/bin/env node
// The ebpf-ts command. One subcommand today:
//   ebpf-ts gen types X.bpf.o [--record MAP=STRUCT]… [--struct NAME]… [--u64 number] [--import-from MOD] [--regenerate CMD] [-o FILE]
// writes TypeScript layouts for the object's maps, keys, values, globals and ring-buffer records
// from its BTF (to stdout, or FILE). Exit 0 on success, 1 on a bad object, 2 on bad usage.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { generateTypes } from './gen.js';

const USAGE = `usage: ebpf-ts gen types OBJECT.bpf.o [options]

Write TypeScript types and decoders (ebpf-ts layouts) for the object's maps, their keys and
values, its globals and its ring-buffer records, from the object's BTF.

options:
  --record MAP=STRUCT   the records of ring buffer MAP are struct STRUCT (repeatable)
  --struct NAME         also emit struct NAME (repeatable)
  --u64 number          unsigned 64-bit members as numbers (exact below 2^53) instead of bigints
  --import-from MOD     import layouts from MOD instead of 'ebpf-ts'
  --regenerate CMD      name CMD in the header as the way to remake the file
  -o, --out FILE        write to FILE instead of stdout
`;

function usage(msg?: string): never {
  if (msg) process.stderr.write(`ebpf-ts: ${msg}\n`);
  process.stderr.write(USAGE);
  process.exit(2);
}

function main(argv: string[]): void {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        record: { type: 'string', multiple: true },
        struct: { type: 'string', multiple: true },
        'import-from': { type: 'string' },
        u64: { type: 'string' },
        regenerate: { type: 'string' },
        out: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    usage((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const [cmd, sub, obj, ...rest] = positionals;
  if (cmd !== 'gen' || sub !== 'types') usage(cmd ? `unknown command: ${[cmd, sub].filter(Boolean).join(' ')}` : undefined);
  if (!obj) usage('gen types needs an object file');
  if (rest.length) usage(`unexpected argument: ${rest[0]}`);
  if (values.u64 !== undefined && values.u64 !== 'number' && values.u64 !== 'bigint') usage(`--u64 ${values.u64}: expected number or bigint`);
  const records: Record<string, string> = {};
  for (const r of values.record ?? []) {
    const m = /^([A-Za-z_]\w*)=([A-Za-z_]\w*)$/.exec(r);
    if (!m) usage(`--record ${r}: expected MAP=STRUCT`);
    records[m[1]!] = m[2]!;
  }
  let text: string;
  try {
    text = generateTypes(obj, {
      records, structs: values.struct ?? [], ...(values['import-from'] ? { importFrom: values['import-from'] } : {}), ...(values.u64 ? { u64: values.u64 as 'number' | 'bigint' } : {}),
      ...(values.regenerate ? { regenerate: values.regenerate } : {}),
    });
  } catch (err) {
    process.stderr.write(`ebpf-ts: ${(err as Error).message}\n`);
    process.exit(1);
  }
  if (values.out) writeFileSync(values.out, text);
  else process.stdout.write(text);
}

main(process.argv.slice(2));
