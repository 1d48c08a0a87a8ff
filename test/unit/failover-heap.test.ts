// The daemon's own heap collection (src/failover/heap.ts): only with an exposed collector, and
// only once the heap has grown by the threshold past what the last collection left.
import test from 'ava';
import { keepHeap } from '../../src/failover/heap.js';

test('no exposed collector: nothing is started', (t) => {
  t.is(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'this test runs without --expose-gc');
  t.is(keepHeap(), null);
});

test('collects once the heap grew by the threshold since the last collection, counted from what it left', (t) => {
  let heap = 10;
  let collections = 0;
  const k = keepHeap({ growthBytes: 2, checkMs: 3_600_000, used: () => heap, gc: () => { collections++; heap = 11; } })!;
  t.teardown(() => k.stop());
  heap = 11;
  t.false(k.check());
  heap = 12;
  t.true(k.check(), 'grown by 2 since start');
  t.is(collections, 1);
  // the floor is now what the collection left (11), not where it started (10)
  heap = 12;
  t.false(k.check());
  heap = 13;
  t.true(k.check());
  t.is(collections, 2);
});
