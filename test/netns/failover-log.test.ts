// Log lines a reader can follow (issue 19): every line has `seq`, 1, 2, 3... in the order the
// lines were written, and the lines of one decision share its `decision` number: the probe
// results and health change that caused it, the decision, the kernel's answer, the end of the
// announcement burst. Two moves: one caused by a silent gateway (probe misses), one by a
// carrier loss.
import { isRoot } from '../helpers/netns.js';
import { carrier, makeLab, startDaemon, waitHolder, writeConfig, START_MS } from './failover-lab.js';
import { testIf } from '../helpers/require.js';

const root = isRoot();
type Line = Record<string, unknown>;

/** The events of decision n, in log order. */
function linesOf(logs: Line[], n: unknown): Line[] {
  return logs.filter((e) => e.decision === n);
}

testIf('root')(root ? 'seq numbers every line in order; one decision number links probe misses, health, decide, move and announced' : 'failover log order (skipped: needs root)', async (t) => {
  const lab = makeLab(t, 2);
  const d = startDaemon(t, lab, writeConfig(lab, { holdDownMs: 300, preemptDelayMs: 600_000, probe: { intervalMs: 100, allowedMisses: 2 } }));
  await d.waitLog((e) => e.event === 'place', START_MS, 'first placement');
  await waitHolder(lab, 'eth0');

  // The gateway goes silent on eth0's path, carrier up (as in failover-probe.test.ts).
  lab.sw.ip('link', 'set', 'p0', 'nomaster', 'arp', 'off');
  const move = await d.waitLog((e) => e.event === 'move', 15_000, 'move on probe failure');
  await waitHolder(lab, 'eth1');
  await d.waitLog((e) => e.event === 'announced' && e.decision === move.decision, 10_000, 'end of the burst');
  t.is(typeof move.decision, 'number', 'the move line has a decision number');
  const one = linesOf(d.logs, move.decision);
  t.log(one.map((e) => `${String(e.seq)} ${String(e.event)}${e.iface ? ` ${String(e.iface)}` : ''}${e.misses !== undefined ? ` misses=${String(e.misses)}` : ''}`).join(' | '));
  // The last probe miss (the one over the allowed two) is the cause, numbered with the decision.
  const probes = one.filter((e) => e.event === 'probe');
  t.true(probes.length >= 1, 'the probe miss that tipped it is in the decision');
  t.true(probes.every((e) => e.iface === 'eth0' && e.ok === false));
  t.is(probes.at(-1)!.misses, 3);
  const kinds = one.map((e) => e.event).filter((e, i, a) => e !== a[i - 1]);
  t.deepEqual(kinds, ['probe', 'health', 'decide', 'move', 'announced'], 'cause, decision, outcome, announcements, in that order');
  const hl = one.find((e) => e.event === 'health')!;
  t.is(hl.iface, 'eth0');
  t.is(hl.state, 'down');
  // Earlier misses (within the allowed two) were written before, without a decision.
  t.true(d.logs.some((e) => e.event === 'probe' && e.iface === 'eth0' && e.misses === 1 && e.decision === undefined));

  // A carrier loss on the new holder once eth0 is trusted again: the cause is eth1's health line.
  lab.sw.ip('link', 'set', 'p0', 'arp', 'on', 'master', 'br0');
  const after = move.seq as number;
  await d.waitLog((e) => (e.seq as number) > after && e.event === 'health' && e.iface === 'eth0' && e.state === 'healthy', 15_000, 'eth0 healthy again');
  await carrier(lab, 1, false);
  const back = await d.waitLog((e) => e.event === 'move' && e.to === 'eth0', 15_000, 'move on carrier loss');
  await d.waitLog((e) => e.event === 'announced' && e.decision === back.decision, 10_000, 'end of the burst');
  t.true((back.decision as number) > (move.decision as number), 'decision numbers increase');
  const two = linesOf(d.logs, back.decision);
  t.log(two.map((e) => `${String(e.seq)} ${String(e.event)}${e.iface ? ` ${String(e.iface)}` : ''}`).join(' | '));
  // A probe sent on eth1 as its carrier went can miss and be read before the carrier loss: that
  // miss is a cause of the same decision and is numbered with it. Only eth1's misses may lead.
  const lead = two.findIndex((e) => e.event !== 'probe');
  t.true(two.slice(0, lead).every((e) => e.iface === 'eth1' && e.ok === false), 'only eth1 probe misses come before the health line');
  t.deepEqual(two.slice(lead).map((e) => e.event).filter((e, i, a) => e !== a[i - 1]), ['health', 'decide', 'move', 'announced']);
  t.true(two.some((e) => e.event === 'health' && e.iface === 'eth1' && e.state === 'down'), 'the cause: eth1 down');

  t.is(await d.stop(), 0);
  // Every line, in the order written: seq 1, 2, 3, ... without a gap.
  t.deepEqual(d.logs.map((e) => e.seq), d.logs.map((_, i) => i + 1));
});
