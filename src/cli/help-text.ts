// Help text is written once, in the source, as it reads best there (often hard-wrapped near
// 100 columns), and wrapped once, here, at the terminal's width. oclif wrapped the already
// wrapped lines again, which left a short line after every long one, and broke example commands
// inside their quotes. No oclif here: src/cli/help.ts plugs this into oclif's help, tests call it
// directly.

/** The width help is wrapped at: $COLUMNS when set (like ls, man), the terminal's, else 80. */
export function helpWidth(env: NodeJS.ProcessEnv = process.env, tty: { isTTY?: boolean; columns?: number } = process.stdout): number {
  const cols = Number.parseInt(env.COLUMNS ?? '', 10);
  if (Number.isInteger(cols) && cols > 0) return Math.max(cols, 40);
  if (tty.isTTY === true && typeof tty.columns === 'number' && tty.columns > 0) return Math.max(tty.columns, 40);
  return 80;
}

/** Greedy word wrap of one logical line; a word longer than the width stays whole. */
export function wrapWords(text: string, width: number): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur === '') cur = w;
    else if (cur.length + 1 + w.length <= width) cur += ` ${w}`;
    else {
      lines.push(cur);
      cur = w;
    }
  }
  if (cur !== '') lines.push(cur);
  return lines;
}

type Block =
  | { kind: 'text'; text: string }
  | { kind: 'item'; marker: string; text: string }
  | { kind: 'row'; head: string; text: string }
  | { kind: 'verbatim'; line: string };

const LIST_MARKER = /^((?:\d+[.)]|[-*•])\s+)(.*)$/;

/**
 * Reflow help text to `width` columns. Rules, so that authors know what they get:
 * - a blank line separates paragraphs and stays;
 * - inside a paragraph, a line that starts at column 0 continues the one before it (the
 *   author's line breaks are not kept), except a list item (`1. `, `- `, `* `), which starts a
 *   new item, wrapped with a hanging indent;
 * - an indented line is a block the author laid out: a table row (its last cell starts after a
 *   run of two or more spaces) keeps its columns, and its last cell is wrapped under itself; a
 *   following line indented exactly to that cell continues the cell; an indented line without
 *   cells (a JSON sample, a command) is printed as written.
 */
export function reflow(text: string, width: number): string {
  const paragraphs = text.replace(/\r\n/g, '\n').split(/\n[ \t]*\n/);
  return paragraphs.map((p) => renderBlocks(parseBlocks(p), width).join('\n')).join('\n\n');
}

function parseBlocks(paragraph: string): Block[] {
  const blocks: Block[] = [];
  for (const raw of paragraph.split('\n')) {
    const line = raw.replace(/\s+$/, '');
    if (line === '') continue;
    const prev = blocks.at(-1);
    const indent = /^\s*/.exec(line)![0].length;
    if (indent > 0) {
      if (prev?.kind === 'row' && indent === prev.head.length) {
        prev.text += ` ${line.trim()}`;
        continue;
      }
      // The last cell starts after the last run of 2+ spaces inside the line.
      const body = line.slice(indent);
      const m = /^(.*\S)( {2,})(\S.*)$/.exec(body);
      if (m && !/ {2,}/.test(m[3]!)) blocks.push({ kind: 'row', head: line.slice(0, indent + m[1]!.length + m[2]!.length), text: m[3]! });
      else blocks.push({ kind: 'verbatim', line });
      continue;
    }
    const item = LIST_MARKER.exec(line);
    if (item) blocks.push({ kind: 'item', marker: item[1]!, text: item[2]! });
    else if (prev && (prev.kind === 'text' || prev.kind === 'item')) prev.text += ` ${line}`;
    else blocks.push({ kind: 'text', text: line });
  }
  return blocks;
}

function renderBlocks(blocks: Block[], width: number): string[] {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'text':
        out.push(...wrapWords(b.text, width));
        break;
      case 'item': {
        const pad = ' '.repeat(b.marker.length);
        wrapWords(b.text, Math.max(width - b.marker.length, 20)).forEach((l, i) => out.push(`${i === 0 ? b.marker : pad}${l}`));
        break;
      }
      case 'row': {
        // A cell squeezed under ~20 columns reads worse than the row on its own line.
        const room = width - b.head.length;
        const cell = room >= 20 ? wrapWords(b.text, room) : [b.text];
        const pad = ' '.repeat(b.head.length);
        cell.forEach((l, i) => out.push(`${i === 0 ? b.head : pad}${l}`));
        break;
      }
      case 'verbatim':
        out.push(b.line);
        break;
    }
  }
  return out;
}

/**
 * Split a shell command into words at whitespace outside quotes, keeping each word as written
 * (quotes and backslashes included): a line break between two such words, with ` \` before
 * it, pastes into a shell as the same command. A break inside '…' did not (jq: syntax error).
 */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote) {
      cur += c;
      if (c === '\\' && quote === '"' && i + 1 < command.length) cur += command[++i];
      else if (c === quote) quote = null;
    } else if (c === '\\' && i + 1 < command.length) {
      cur += c + command[++i];
    } else if (c === "'" || c === '"') {
      quote = c;
      cur += c;
    } else if (/\s/.test(c)) {
      if (cur !== '') words.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (cur !== '') words.push(cur);
  return words;
}

/**
 * A command for an EXAMPLES section, wrapped to `width` columns: the first line starts at
 * `indent`, continuation lines 2 columns further in, each broken line ending in ` \`. A single
 * word wider than the room (a long quoted jq program) stays whole.
 */
export function wrapCommand(command: string, width: number, indent: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const w of shellWords(command)) {
    const lead = lines.length === 0 ? indent : indent + 2;
    if (cur === '') cur = w;
    else if (lead + cur.length + 1 + w.length + 2 <= width) cur += ` ${w}`;
    else {
      lines.push(cur);
      cur = w;
    }
  }
  if (cur !== '') lines.push(cur);
  return lines.map((l, i) => `${' '.repeat(i === 0 ? indent : indent + 2)}${l}${i < lines.length - 1 ? ' \\' : ''}`);
}

/**
 * A usage line (`$ nodectl mgmt run [--json] [-n <value>] …`) wrapped between whole `[…]` and
 * `<…>` groups, never inside one; continuation lines indented by 2 more.
 */
export function wrapUsage(usage: string, width: number, indent: number): string[] {
  const groups: string[] = [];
  let cur = '';
  let depth = 0;
  for (const c of usage) {
    if (c === '[' || c === '<' || c === '(') depth++;
    else if ((c === ']' || c === '>' || c === ')') && depth > 0) depth--;
    if (c === ' ' && depth === 0) {
      if (cur !== '') groups.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur !== '') groups.push(cur);
  const lines: string[] = [];
  let line = '';
  for (const g of groups) {
    const lead = lines.length === 0 ? indent : indent + 2;
    if (line === '') line = g;
    else if (lead + line.length + 1 + g.length <= width) line += ` ${g}`;
    else {
      lines.push(line);
      line = g;
    }
    // A group wider than a line on its own (a flag's long list of choices): break it after a `|`.
    while (indent + 2 + line.length > width && line.includes('|')) {
      const room = width - (indent + 2);
      const cut = line.lastIndexOf('|', room - 1);
      if (cut <= 0) break;
      lines.push(line.slice(0, cut + 1));
      line = line.slice(cut + 1);
    }
  }
  if (line !== '') lines.push(line);
  return lines.map((l, i) => `${' '.repeat(i === 0 ? indent : indent + 2)}${l}`);
}
