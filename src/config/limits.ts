// Limits on a config file, checked before any parser sees it: a parser must never be the thing
// that fails on hostile or accidental input (a stack overflow, a regular expression compiled
// for a 20,000-level indentation, a read that never ends). No dependency on the `yaml` package:
// the quick path (src/config/read.ts) runs these too.
import { isUtf8 } from 'node:buffer';

/** Far above any node file (1,000 interfaces are ~100 KB), far below what hurts a small node. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** A node file nests about 6 levels deep (interfaces → item → addresses → item → key). */
export const MAX_NESTING = 64;

export interface TextProblem {
  line: number;
  column: number;
  reason: string;
}

/** 1-based line and column (in UTF-16 units, like the `yaml` package) of an offset in `text`. */
export function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

/** Byte offset of the first byte that is not valid UTF-8, or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) { i++; continue; }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) { need = 1; min = 0x80; } else if (c >= 0xe0 && c <= 0xef) { need = 2; min = 0x800; } else if (c >= 0xf0 && c <= 0xf4) { need = 3; min = 0x10000; } else return i;
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (x & 0x3f);
    }
    // overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += need + 1;
  }
  return -1;
}

/** The text of UTF-8 bytes, or the position of the first invalid byte (never U+FFFD). */
export function decodeUtf8(b: Uint8Array): string | TextProblem {
  // the native check first: the byte-by-byte scan only runs to place a problem
  if (isUtf8(b)) return new TextDecoder('utf-8', { ignoreBOM: true }).decode(b);
  const bad = firstInvalidUtf8(b);
  if (bad < 0) return new TextDecoder('utf-8', { ignoreBOM: true }).decode(b);
  let lineStart = b.lastIndexOf(0x0a, bad - 1) + 1;
  if (bad === 0) lineStart = 0;
  let line = 1;
  for (let i = 0; i < lineStart; i++) if (b[i] === 0x0a) line++;
  const column = new TextDecoder('utf-8', { ignoreBOM: true }).decode(b.subarray(lineStart, bad)).length + 1;
  return { line, column, reason: `invalid UTF-8 (byte 0x${b[bad]!.toString(16).padStart(2, '0')} at byte offset ${bad}): a config file must be UTF-8` };
}

/**
 * Where the nesting of `text` first goes deeper than `max` levels, or null. A conservative
 * count — every indentation level, every "- " that opens a sequence inside a line, every "["
 * and "{" outside quotes and comments — so it can only over-count, and only on files no one
 * writes; it reads the text once, with no recursion.
 */
export function nestingProblem(text: string, max = MAX_NESTING): TextProblem | null {
  // char codes, not one-character strings: this runs on every file at boot, in a cold process
  const SP = 32, TAB = 9, CR = 13, HASH = 35, DASH = 45, QM = 63, COLON = 58, COMMA = 44;
  const LSQ = 91, RSQ = 93, LCU = 123, RCU = 125, DQ = 34, SQ = 39, BS = 92, PIPE = 124, GT = 62;
  const indents: number[] = [];
  let flowDepth = 0;
  let quote = 0; // an open quoted scalar may run over lines
  let blockScalarIndent = -1; // the indentation of the key or item that opened a | or > scalar
  const n = text.length;
  let start = 0;
  while (start <= n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    let i = start;
    while (i < end && text.charCodeAt(i) === SP) i++;
    const indent = i - start;
    const c0 = text.charCodeAt(i);
    const blank = i === end || (c0 === HASH && !quote) || (i === end - 1 && c0 === CR);
    if (blockScalarIndent >= 0 && (blank || indent > blockScalarIndent)) { start = end + 1; continue; }
    blockScalarIndent = -1;
    if (blank) { start = end + 1; continue; }
    if (flowDepth === 0 && !quote) {
      while (indents.length && indents[indents.length - 1]! >= indent) indents.pop();
      indents.push(indent);
    }
    let seqs = 0;
    let last = -1; // the last significant character's code
    let atToken = true; // at the start of the line's content, or just after "- ", "? " or ": "
    for (; i < end; i++) {
      const c = text.charCodeAt(i);
      if (quote) {
        if (c === BS && quote === DQ) { i++; continue; }
        if (c === quote) {
          if (quote === SQ && text.charCodeAt(i + 1) === SQ) { i++; continue; }
          quote = 0;
        }
        last = c;
        continue;
      }
      if (c === SP || c === TAB || c === CR) continue;
      if (c === HASH && (i === start || text.charCodeAt(i - 1) === SP || text.charCodeAt(i - 1) === TAB)) break;
      const next = i + 1 < end ? text.charCodeAt(i + 1) : SP;
      const sep = next === SP || next === TAB || next === CR;
      let opened = false;
      if (atToken && (c === DASH || c === QM) && sep && flowDepth === 0) {
        seqs++;
      } else if ((c === LSQ || c === LCU) && (atToken || flowDepth > 0)) {
        flowDepth++;
        opened = true;
      } else if (c === RSQ || c === RCU) {
        if (flowDepth > 0) flowDepth--;
      } else if ((c === DQ || c === SQ) && atToken) {
        quote = c;
      }
      atToken = ((c === DASH || c === QM || c === COLON) && sep) || opened || (c === COMMA && flowDepth > 0);
      last = c;
      if (indents.length + seqs + flowDepth > max) {
        const { line, column } = lineCol(text, i);
        return { line, column, reason: `nesting deeper than ${max} levels: a node config needs fewer than 10` };
      }
    }
    // "key: |" or "- >-": the lines after it, indented more, are text
    if ((last === PIPE || last === GT || last === DASH || last === 43 || (last >= 48 && last <= 57)) && !quote && flowDepth === 0) {
      const tail = text.slice(Math.max(start, i - 6), i);
      if (/(?:^|[ \t])[|>][-+0-9]*[ \t\r]*$/.test(tail)) blockScalarIndent = indent;
    }
    start = end + 1;
  }
  return null;
}
