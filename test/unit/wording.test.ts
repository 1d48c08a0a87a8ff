// Counted nouns read as English in what nodectl prints: `applied 1 operation`, not
// `applied 1 operations` (issue 23). The config apply summary is the line operators see most.
import test from 'ava';
import type { ApplyResult } from '../../src/config/apply.js';
import { rehearsalText } from '../../src/config/rehearse.js';
import { applyText } from '../../src/config/apply-text.js';
import { count } from '../../src/text.js';

test('count: singular for one, plural otherwise', (t) => {
  t.is(count(0, 'step'), '0 steps');
  t.is(count(1, 'step'), '1 step');
  t.is(count(2, 'operation'), '2 operations');
  t.is(count(1, 'address', 'addresses'), '1 address');
  t.is(count(3, 'address', 'addresses'), '3 addresses');
});

const result = (steps: number, undone: number): ApplyResult => ({
  changed: steps > 0,
  steps: Array.from({ length: steps }, (_, i) => ({ step: i + 1, marker: '+', text: `link add br${i} type bridge` })) as unknown as ApplyResult['steps'],
  warnings: [],
  created: [],
  deleted: [],
  disruption: [],
  recovered: { action: 'rolled-back', journal: 'j1', undone, reason: 'not confirmed in time', errors: [] },
  confirmDeadline: null,
  rehearsal: null,
});

test('config apply says "1 operation" and "1 step undone" for one, the plural for more', (t) => {
  t.deepEqual(applyText(result(1, 1), undefined), [
    'recovered first: rolled-back (not confirmed in time, 1 step undone)',
    '1 + link add br0 type bridge',
    'applied 1 operation and verified',
  ]);
  const two = applyText(result(2, 0), undefined);
  t.is(two[0], 'recovered first: rolled-back (not confirmed in time, 0 steps undone)');
  t.is(two.at(-1), 'applied 2 operations and verified');
});

test('the rehearsal line says "the step" and "1 stand-in" for one, the plural for more', (t) => {
  t.deepEqual(rehearsalText({ status: 'passed', steps: 1, standIns: 1, unrelated: 0, notes: [] }), [
    'rehearsal passed: the kernel accepted the step in a throwaway namespace (1 stand-in for this node\'s interfaces)',
  ]);
  t.deepEqual(rehearsalText({ status: 'passed', steps: 3, standIns: 0, unrelated: 0, notes: ['x'] }), [
    'rehearsal passed: the kernel accepted all 3 steps in a throwaway namespace (0 stand-ins for this node\'s interfaces)',
    'rehearsal note: x',
  ]);
  t.deepEqual(rehearsalText({ status: 'passed', steps: 1, standIns: 3, unrelated: 1000, notes: [] }), [
    'rehearsal passed: the kernel accepted the step in a throwaway namespace (3 stand-ins for this node\'s interfaces the steps involve; 1000 unrelated left out)',
  ]);
});
