// Ordered hooks (issue 19): `hooks.on_move` / `hooks.on_health` run once per event, strictly in
// the timeline's order and never two at once, with the event in NODECTL_* variables and JSON on
// stdin; a hook that blocks delays other hooks, never a move. The hook here waits at a gate file:
// the failovers must happen (ip -j addr) while every hook is still waiting, then, with the gate
// open, the hooks' own record must list exactly the timeline's move and health events in order.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot } from '../helpers/netns.js';
import { patient } from '../helpers/patience.js';
import { carrier, makeLab, sleep, startDaemon, waitHolder, writeConfig, START_MS } from './failover-lab.js';
import { testIf } from '../helpers/require.js';

const root = isRoot();
const title = (s: string) => (root ? s : `${s} (skipped: needs root for network namespaces)`);

testIf('root')(title('hooks: one at a time in timeline order, env and stdin; a blocked hook delays no move'), async (t) => {
  t.timeout(patient(300_000));
  const lab = makeLab(t, 2);
  const d0 = lab.dir;
  const hook = join(d0, 'hook');
  writeFileSync(hook, [
    '#!/bin/sh',
    `d=${d0}`,
    'mkdir "$d/lock" 2>/dev/null || echo OVERLAP >> "$d/hooks.out"',
    'read -r json',
    'while [ ! -f "$d/gate" ]; do sleep 0.02; done',
    'echo "$1 $NODECTL_SEQ $NODECTL_EVENT $NODECTL_HOOK $json" >> "$d/hooks.out"',
    'rmdir "$d/lock"',
    '',
  ].join('\n'));
  chmodSync(hook, 0o755);
  const cfg = writeConfig(lab, { holdDownMs: 100, preemptDelayMs: 200, extra: `  hooks: { on_move: ${hook}, on_health: ${hook}, timeout_ms: 120000 }` });
  const d = startDaemon(t, lab, cfg);
  await d.waitLog((e) => e.event === 'place', START_MS, 'first placement');
  await waitHolder(lab, 'eth0');

  // Failover and fail-back twice while the first hook is stuck at the gate.
  for (let i = 0; i < 2; i++) {
    await carrier(lab, 0, false);
    await waitHolder(lab, 'eth1');
    await carrier(lab, 0, true);
    await waitHolder(lab, 'eth0');
  }
  await d.waitLog((e) => e.event === 'move' && e.to === 'eth0' && d.logs.filter((x) => x.event === 'move').length >= 4, 15_000, 'the fourth move line');
  t.false(existsSync(join(d0, 'hooks.out')), 'no hook has finished: every move above happened while the first hook was blocked');
  t.false(d.logs.some((e) => e.event === 'hook'));

  writeFileSync(join(d0, 'gate'), '');
  const wanted = () => d.logs.filter((e) => ['place', 'move', 'restore', 'health'].includes(String(e.event)));
  const t0 = Date.now();
  while (d.logs.filter((e) => e.event === 'hook').length < wanted().length) {
    if (Date.now() - t0 > patient(120_000)) break;
    await sleep(50);
  }
  const out = readFileSync(join(d0, 'hooks.out'), 'utf8').trim().split('\n');
  t.false(out.some((l) => l.startsWith('OVERLAP')), 'never two hooks at once');
  const ran = out.map((l) => l.split(' ').slice(0, 3).join(' '));
  const expected = wanted().map((e) => `${e.event === 'health' ? 'on_health' : 'on_move'} ${String(e.seq)} ${String(e.event)}`);
  t.deepEqual(ran, expected, 'each event once, in the order of the timeline');
  const first = JSON.parse(out[0]!.split(' ').slice(4).join(' ')) as Record<string, unknown>;
  t.is(first.seq, wanted()[0]!.seq, 'stdin carries the event as JSON');
  const results = d.logs.filter((e) => e.event === 'hook');
  t.is(results.length, expected.length);
  t.true(results.every((e) => e.exit === 0 && e.timedOut === false), JSON.stringify(results.find((e) => e.exit !== 0)));
  t.is(d.logs.filter((e) => e.event === 'move').length, 4);
});
