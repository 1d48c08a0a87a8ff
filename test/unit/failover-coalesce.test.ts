// The daemon's one-at-a-time primitive: requests during a run collapse into exactly one more run.
import test from 'ava';
import { Coalescer } from '../../src/failover/coalesce.js';

async function runner(c: Coalescer, log: string[], task: (n: number) => Promise<void>): Promise<void> {
  if (!c.enter()) return;
  let n = 0;
  try {
    do await task(n++); while (c.more());
  } finally {
    c.leave();
  }
  log.push(`ran ${n}`);
}

test('requests during a run make exactly one more pass; none after it makes none', async (t) => {
  const c = new Coalescer();
  const log: string[] = [];
  let release!: () => void;
  const first = runner(c, log, async (n) => {
    if (n === 0) await new Promise<void>((r) => (release = r));
  });
  t.true(c.active);
  // three requests while the first pass is under way
  for (let i = 0; i < 3; i++) await runner(c, log, async () => undefined);
  release();
  await first;
  t.deepEqual(log, ['ran 2']);
  t.false(c.active);
  await runner(c, log, async () => undefined);
  t.deepEqual(log, ['ran 2', 'ran 1']);
});

test('a throwing pass still ends the run', async (t) => {
  const c = new Coalescer();
  await t.throwsAsync(runner(c, [], async () => { throw new Error('boom'); }));
  t.false(c.active);
  t.true(c.enter());
});
