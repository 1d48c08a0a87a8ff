// What `config apply` prints, shared by the oclif command and the fast entry
// (src/config/fast-apply.ts) so the two cannot drift.
import type { ApplyOptions, ApplyResult } from './apply.js';
import { rehearsalText } from './rehearse.js';
import { count } from '../text.js';

/** The step counter on a terminal's stderr (nothing when not a terminal or under --json). */
export function progressOnTty(quiet: boolean): ApplyOptions['onStep'] {
  return quiet || !process.stderr.isTTY ? undefined : (n, total, op) => process.stderr.write(`\r[${n}/${total}] ${op.op} ${op.name}\x1b[K`);
}

/** The text result, one line per element; also clears the step counter. */
export function applyText(r: ApplyResult, netns: string | undefined): string[] {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  const out: string[] = [];
  if (r.recovered) out.push(`recovered first: ${r.recovered.action} (${r.recovered.reason}, ${count(r.recovered.undone, 'step')} undone)`);
  for (const w of r.warnings) out.push(`warning: ${w}`);
  if (!r.changed) out.push('no changes: the node already matches the file');
  else {
    const width = String(r.steps.length).length;
    for (const s of r.steps) out.push(`${String(s.step).padStart(width)} ${s.marker} ${s.text}`);
    if (r.rehearsal) out.push(...rehearsalText(r.rehearsal));
    out.push(`applied ${count(r.steps.length, 'operation')} and verified`);
  }
  if (r.confirmDeadline) out.push(`run "nodectl config confirm${netns ? ` -n ${netns}` : ''}" before ${r.confirmDeadline} or this apply is reverted`);
  return out;
}
