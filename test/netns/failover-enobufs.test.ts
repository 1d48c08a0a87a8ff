// A flood of rtnetlink events into a daemon whose notification socket has a tiny receive
// buffer: the kernel drops notifications (ENOBUFS), and the changes hidden in the flood (a
// manual deletion, a carrier loss) must still be acted on, found by the re-dump.
import { spawnSync } from 'node:child_process';
import { isRoot } from '../helpers/netns.js';
import { cli, defaultRouteDev, makeLab, startDaemon, V4, waitHolder, writeConfig, START_MS } from './failover-lab.js';
import { testIf } from '../helpers/require.js';

const root = isRoot();

testIf('root')(root ? 'ENOBUFS during an event flood: overrun logged, state re-read, hidden changes acted on' : 'ENOBUFS resync (skipped: needs root)', async (t) => {
  const lab = makeLab(t, 3);
  // eth2 is not a candidate: it only makes noise.
  const d = startDaemon(t, lab, writeConfig(lab, { candidates: ['eth0', 'eth1'], holdDownMs: 200, preemptDelayMs: 60_000 }), ['--rcvbuf', '4096']);
  await d.waitLog((e) => e.event === 'place', START_MS, 'first placement');

  // 4000 address events on eth2, with the deletion of the management address and the holder's
  // carrier loss in the middle: their notifications are likely among the dropped ones.
  const lines: string[] = [];
  for (let i = 0; i < 2000; i++) lines.push(`addr add 10.77.${i >> 8}.${i & 255}/32 dev eth2`);
  lines.push(`addr del ${V4}/24 dev eth0`);
  for (let i = 0; i < 2000; i++) lines.push(`addr del 10.77.${i >> 8}.${i & 255}/32 dev eth2`);
  const r = spawnSync('ip', ['-n', lab.node.name, '-batch', '-'], { input: `${lines.join('\n')}\n`, encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  lab.sw.ip('link', 'set', 'p0', 'down');

  const over = await d.waitLog((e) => e.event === 'overrun', 15_000, 'overrun');
  t.regex(String(over.message), /ENOBUFS/);
  await d.waitLog((e) => e.event === 'resync', 15_000, 'resync');
  await waitHolder(lab, 'eth1', 15_000);
  t.deepEqual(defaultRouteDev(lab, 4), ['eth1']);

  const st = await cli(['mgmt', 'status', '--json', '--socket', d.socketPath, '--state-file', d.statePath]);
  const s = JSON.parse(st.stdout) as { holder: string; counters: { overruns: number; resyncs: number; events: number } };
  t.log(`events processed ${s.counters.events}, overruns ${s.counters.overruns}, resyncs ${s.counters.resyncs}`);
  t.is(s.holder, 'eth1');
  t.true(s.counters.overruns >= 1);
  t.true(s.counters.resyncs >= 1);
});
