#!/usr/bin/env node
// How many tests did not really run? A test that cannot run here logs `SKIP: <reason>` (see
// test/helpers/vm.ts) and passes, so ava's "N tests passed" counts it: this reads ava's
// default output (a file, or stdin) and says how many tests logged a SKIP, grouped by reason
// (the text before the reason's first ": ", ", " or " ("), so a run's figures can be read honestly.
//   npx ava test/netns 2>&1 | tee run.log; node scripts/skip-summary.mjs run.log
//   node scripts/skip-summary.mjs --json run.log
// A test that skipped only part of its checks (e.g. tcx where the kernel lacks it, then the
// clsact fallback) is counted too: its SKIP line says what it did not check.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * @param {string} out ava's output
 * @returns {{ passed: number, failed: number, skipped: Map<string, { tests: Set<string>, example: string }> }}
 */
export function summarize(out) {
  // eslint-disable-next-line no-control-regex
  const lines = out.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r/g, '').split('\n');
  const skipped = new Map();
  let current = null, passed = 0, failed = 0;
  for (const line of lines) {
    // ava's marks, and the ASCII-safe ones it prints on a console without Unicode (the VM's)
    const t = /^\s*(✔|√|✘|×|↓|-)\s+(?:\[[a-z]+\]:?\s+)?(.*?)(?:\s+\(\d[\d.]*m?s?(?: \d[\d.]*s)?\))?\s*$/u.exec(line);
    if (t) {
      current = t[2];
      if (t[1] === '✔' || t[1] === '√') passed++;
      else if (t[1] === '✘' || t[1] === '×') failed++;
      continue;
    }
    const s = /^\s*(?:ℹ|i)\s+SKIP:\s*(.*)$/u.exec(line);
    if (s && current) {
      const reason = s[1].trim();
      const key = reason.split(/: |, | \(/)[0];
      if (!skipped.has(key)) skipped.set(key, { tests: new Set(), example: reason });
      skipped.get(key).tests.add(current);
    }
  }
  return { passed, failed, skipped };
}

/** The report: a first line with the counts, then one line per reason (most tests first). */
export function report({ passed, failed, skipped }) {
  const tests = new Set([...skipped.values()].flatMap((g) => [...g.tests]));
  const lines = [`${tests.size} of ${passed} passed tests logged SKIP (did not run all their checks)${failed ? `; ${failed} failed` : ''}${tests.size ? ':' : ''}`];
  for (const [reason, g] of [...skipped].sort((a, b) => b[1].tests.size - a[1].tests.size)) {
    lines.push(`  ${String(g.tests.size).padStart(4)}  ${reason}${g.example !== reason ? `  (e.g. ${g.example.length > 100 ? `${g.example.slice(0, 100)}…` : g.example})` : ''}`);
  }
  return lines;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const json = args[0] === '--json' ? (args.shift(), true) : false;
  const s = summarize(readFileSync(args[0] ?? 0, 'utf8'));
  if (json) {
    const tests = new Set([...s.skipped.values()].flatMap((g) => [...g.tests]));
    console.log(JSON.stringify({ passed: s.passed, failed: s.failed, skippedTests: tests.size, reasons: [...s.skipped].map(([reason, g]) => ({ reason, tests: g.tests.size, example: g.example })) }));
  } else {
    for (const l of report(s)) console.log(l);
  }
}
