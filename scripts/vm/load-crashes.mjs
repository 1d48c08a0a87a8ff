#!/usr/bin/env node
// Which test files never ran because node died while loading them, of the emulator fault seen in
// 7.x TCG guests (docs/vm.md, "The 7.2 crash"): a worker killed by SIGSEGV before any test of its
// file reported, or tsx's WebAssembly lexer failing on a file of node_modules ("Parse error …" or
// "memory access out of bounds"). Reads ava's output (the guest's console log) and prints those
// files, one per line, only when they are the run's only failures: a failed test, a timeout, any
// other uncaught exception, or a file that died after one of its tests reported, prints nothing.
// scripts/vm/ci runs the files printed once more, in a new guest, and says so.
//   node scripts/vm/load-crashes.mjs .vm-logs/<stamp>-7.2.log
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { avaLines } from '../skip-summary.mjs';

const LEXER_FAULT = /Parse error \S*\/node_modules\/|memory access out of bounds/;
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * @param {string} out ava's output
 * @returns {{ files: string[], other: string[] }} the files that died loading, and every other
 *   failure (a non-empty `other` means nothing may be run again)
 */
export function loadCrashes(out) {
  const lines = avaLines(out);
  const lexer = new Set();
  const died = new Set();
  const other = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const uncaught = /^\s*(Uncaught exception|Unhandled rejection) in (\S+)/.exec(line);
    if (uncaught) {
      // the error block ava prints below it, up to the next blank-line-separated mark
      const block = lines.slice(i + 1, i + 16).join('\n');
      if (uncaught[1] === 'Uncaught exception' && LEXER_FAULT.test(block)) lexer.add(uncaught[2]);
      else other.push(line.trim());
      continue;
    }
    const mark = /^\s*(?:✘|×)\s+(.*)$/u.exec(line);
    if (!mark) continue;
    const exit = /^(\S+\.test\.[cm]?[jt]s) exited (due to SIGSEGV|with a non-zero exit code: \d+)$/.exec(mark[1]);
    if (exit && (exit[2] === 'due to SIGSEGV' || lexer.has(exit[1]))) died.add(exit[1]);
    else other.push(mark[1]);
  }
  for (const f of lexer) if (!died.has(f)) other.push(`${f}: uncaught lexer fault without the file's exit`);
  // ava titles a test "<file's stem> › <title>" (with its directory when several ran): a stem
  // with a reported test did start running, and a crash there is not the load fault
  for (const f of died) {
    const stem = f.replace(/^.*\//, '').replace(/\.test\.[cm]?[jt]s$/, '');
    const ran = new RegExp(`^\\s*(?:✔|√|✘|×|-)\\s+(?:\\[[a-z]+\\]:?\\s+)?(?:.* › )?${escape(stem)} › `, 'u');
    if (lines.some((l) => ran.test(l))) other.push(`${f} died after some of its tests reported`);
  }
  return { files: other.length ? [] : [...died], other };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { files } = loadCrashes(readFileSync(process.argv[2] ?? 0, 'utf8'));
  for (const f of files) console.log(f);
}
