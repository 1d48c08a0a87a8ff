#!/usr/bin/env node
// What did not run, and why: reads ava's default output (a file, or stdin) and tallies
//  - skipped tests: decided when the file loaded (test/helpers/require.ts testIf), counted by
//    ava as skipped (`- [skip] …`), their reasons printed once per file and reason as
//    `SKIP <file>: <n> tests: <reason>`;
//  - passed tests that logged `SKIP: <reason>`: a part of their checks could only be known to be
//    impossible inside the test (e.g. tcx absent, the clsact fallback checked instead), so ava
//    counts them as passed while the log says what did not run.
// Reasons are grouped by the text before their first ": ", ", " or " (" ("kernel lacks vlan").
//   npx ava test/netns 2>&1 | tee run.log; node scripts/skip-summary.mjs run.log
//   node scripts/skip-summary.mjs --json run.log
// The VM runner (scripts/vm/run) prints this per kernel from the guest's console log.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const keyOf = (reason) => reason.split(/: |, | \(/)[0];

/**
 * ava's output as plain lines: no colours, no carriage returns, no `[ 12s]` prefixes.
 * @param {string} out
 * @returns {string[]}
 */
export function avaLines(out) {
  // eslint-disable-next-line no-control-regex
  return out.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r/g, '').split('\n').map((l) => l.replace(/^\[\s*\d+s\] /, ''));
}

/**
 * @param {string} out ava's output
 * @returns {{ passed: number, failed: number, skippedTests: number,
 *   skipped: Map<string, { tests: number, files: Set<string>, example: string }>,
 *   logged: Map<string, { tests: Set<string>, example: string }> }}
 */
export function summarize(out) {
  const lines = avaLines(out);
  const skipped = new Map();
  const logged = new Map();
  let current = null, passed = 0, failed = 0, skippedTests = 0;
  for (const line of lines) {
    // ava's marks, and the ASCII-safe ones it prints on a console without Unicode (the VM's)
    const t = /^\s*(✔|√|✘|×|↓|-)\s+(?:\[([a-z]+)\]:?\s+)?(.*?)(?:\s+\(\d[\d.]*m?s?(?: \d[\d.]*s)?\))?\s*$/u.exec(line);
    if (t) {
      current = t[3];
      if (t[1] === '✔' || t[1] === '√') passed++;
      else if (t[1] === '✘' || t[1] === '×') failed++;
      else if (t[2] === 'skip') skippedTests++;
      continue;
    }
    const f = /^SKIP ([^\s:]+): (\d+) tests?: (.*)$/.exec(line);
    if (f) {
      const reason = f[3].trim();
      const key = keyOf(reason);
      if (!skipped.has(key)) skipped.set(key, { tests: 0, files: new Set(), example: reason });
      const g = skipped.get(key);
      g.tests += Number(f[2]);
      g.files.add(f[1]);
      continue;
    }
    const s = /^\s*(?:ℹ|i)\s+SKIP:\s*(.*)$/u.exec(line);
    if (s && current) {
      const reason = s[1].trim();
      const key = keyOf(reason);
      if (!logged.has(key)) logged.set(key, { tests: new Set(), example: reason });
      logged.get(key).tests.add(current);
    }
  }
  return { passed, failed, skippedTests, skipped, logged };
}

const eg = (key, example) => (example !== key ? `  (e.g. ${example.length > 160 ? `${example.slice(0, 160)}…` : example})` : '');

/** The report: a first line with the counts, then one line per reason (most tests first). */
export function report({ passed, failed, skippedTests, skipped, logged }) {
  const partial = new Set([...logged.values()].flatMap((g) => [...g.tests]));
  const lines = [`${skippedTests} skipped, ${passed} passed${partial.size ? ` (${partial.size} of them logged SKIP: did not run all their checks)` : ''}${failed ? `, ${failed} failed` : ''}`];
  const told = [...skipped.values()].reduce((n, g) => n + g.tests, 0);
  if (skipped.size) lines.push('  skipped, by reason:');
  for (const [key, g] of [...skipped].sort((a, b) => b[1].tests - a[1].tests)) {
    lines.push(`  ${String(g.tests).padStart(4)}  ${key}  [${[...g.files].join(' ')}]${eg(key, g.example)}`);
  }
  // a skipped test whose file printed no reason (skipped by hand, or the output cut short)
  if (skippedTests > told) lines.push(`  ${String(skippedTests - told).padStart(4)}  (no reason printed)`);
  if (logged.size) lines.push('  passed, but logged SKIP for part of their checks:');
  for (const [key, g] of [...logged].sort((a, b) => b[1].tests.size - a[1].tests.size)) {
    lines.push(`  ${String(g.tests.size).padStart(4)}  ${key}${eg(key, g.example)}`);
  }
  return lines;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const json = args[0] === '--json' ? (args.shift(), true) : false;
  const s = summarize(readFileSync(args[0] ?? 0, 'utf8'));
  if (json) {
    const partial = new Set([...s.logged.values()].flatMap((g) => [...g.tests]));
    console.log(JSON.stringify({
      passed: s.passed, failed: s.failed, skipped: s.skippedTests, loggedSkip: partial.size,
      reasons: [...s.skipped].map(([reason, g]) => ({ reason, tests: g.tests, files: [...g.files], example: g.example })),
      loggedReasons: [...s.logged].map(([reason, g]) => ({ reason, tests: g.tests.size, example: g.example })),
    }));
  } else {
    for (const l of report(s)) console.log(l);
  }
}
