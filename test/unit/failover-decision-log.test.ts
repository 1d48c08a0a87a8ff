// Decision numbers and held-back cause lines, without a daemon: what the netns log test sees
// end to end (test/netns/failover-log.test.ts), here rule by rule.
import test from 'ava';
import { DecisionLog } from '../../src/failover/decision-log.js';
import type { CandidateStatus, Decision } from '../../src/failover/state-machine.js';
import type { LogEntry } from '../../src/failover/timeline.js';

function cand(name: string, healthy: boolean, up = healthy): CandidateStatus {
  return { name, priority: 0, exists: true, admin: true, carrier: up, operUp: up, probe: null, up, healthy, why: up ? 'up' : 'no carrier', upSince: null, healthySince: null };
}
const dec = (kind: Decision['kind']): Decision => ({ at: 0, kind, from: null, to: 'eth1', reason: 'r', actions: [] });

test('refreshes get no number; causes and health changes are written at the round with the first decision\'s number', (t) => {
  const lines: LogEntry[] = [];
  const health: string[] = [];
  const l = new DecisionLog({ log: (e) => (lines.push(e), e), wall: () => 'T', onHealth: (line, prev, state) => health.push(`${String(line.iface)} ${prev ?? '-'}->${state}`) });
  l.flush([cand('eth0', true), cand('eth1', true)], l.number([]));
  t.deepEqual(health, ['eth0 -->healthy', 'eth1 -->healthy']);
  l.probe('eth0', false, 1, 2);
  l.probe('eth0', false, 2, 2);
  t.is(lines.length, 2, 'held back until the round');
  l.probe('eth0', false, 3, 2);
  l.probe('eth0', false, 4, 2); // beyond "down": not logged again
  const refresh = dec('refresh');
  const move = dec('move');
  const tag = l.number([refresh, move]);
  t.deepEqual(tag, { decision: 1 });
  t.deepEqual(l.tag(refresh), {});
  l.flush([cand('eth0', false), cand('eth1', true)], tag);
  t.deepEqual(lines.slice(2).map((e) => [e.event, e.misses ?? e.state, e.decision]), [
    ['probe', 1, 1], ['probe', 2, 1], ['probe', 3, 1], ['health', 'down', 1],
  ]);
  t.is(lines[4]!.level, 'warning', 'the miss that tips it over is a warning');
  l.probe('eth0', true, 0, 2);
  l.probe('eth0', true, 0, 2); // answers in a row: only the first after misses
  l.cause({ event: 'operator', action: 'automatic placement' });
  l.flush([cand('eth0', false), cand('eth1', true)], l.number([dec('route')]));
  t.deepEqual(lines.slice(6).map((e) => [e.event, e.decision]), [['probe', 2], ['operator', 2]]);
});
