// Reads the nlmsghdr-framed dumps that scripts/record-fixtures writes to test/fixtures/netlink/.
import { readFileSync } from 'node:fs';

export interface RecordedMessage {
  type: number;
  flags: number;
  data: Buffer;
}

export function fixturePath(name: string): URL {
  return new URL(`../fixtures/netlink/${name}`, import.meta.url);
}

export function readMessages(name: string): RecordedMessage[] {
  const buf = readFileSync(fixturePath(name));
  const out: RecordedMessage[] = [];
  let off = 0;
  while (off + 16 <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < 16 || off + len > buf.length) throw new Error(`${name}: bad message at ${off}`);
    out.push({ type: buf.readUInt16LE(off + 4), flags: buf.readUInt16LE(off + 6), data: buf.subarray(off + 16, off + len) });
    off += (len + 3) & ~3;
  }
  return out;
}

export function readOracle<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(fixturePath(name), 'utf8')) as T;
}
