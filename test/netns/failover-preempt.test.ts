// damping.preempt: false (issue 19), keepalived's nopreempt done for real: once the addresses
// have left the preferred interface they stay where they are while that holder is healthy;
// only its failure (or an operator) moves them. Checked with ip -j addr as the oracle, and with
// `mgmt move --auto`, which answers after any move back it causes: here it must say none is due.
import { writeFileSync } from 'node:fs';
import { assertSameSnapshot, ipSnapshot } from '../helpers/ip-snapshot.js';
import { isRoot } from '../helpers/netns.js';
import { carrier, cli, holder, makeLab, startDaemon, waitHolder, writeConfig, START_MS } from './failover-lab.js';
import { testIf } from '../helpers/require.js';

const root = isRoot();
const title = (s: string) => (root ? s : `${s} (skipped: needs root for network namespaces)`);

testIf('root')(title('preempt: false: the recovered preferred interface does not take the addresses back; the holder failing does'), async (t) => {
  const lab = makeLab(t, 2);
  const d = startDaemon(t, lab, writeConfig(lab, { holdDownMs: 200, preempt: false }));
  await d.waitLog((e) => e.event === 'place', START_MS, 'first placement');
  await waitHolder(lab, 'eth0');

  await carrier(lab, 0, false);
  const away = await d.waitLog((e) => e.event === 'move', 15_000, 'failover');
  t.is(away.to, 'eth1');
  await waitHolder(lab, 'eth1');

  await carrier(lab, 0, true);
  const after = away.seq as number;
  await d.waitLog((e) => (e.seq as number) > after && e.event === 'health' && e.iface === 'eth0' && e.state === 'healthy', 15_000, 'eth0 trusted again');
  // With preemption the daemon would now count down preempt_delay_ms and move back; --auto
  // would wait for that move. Without it there is nothing to wait for.
  const auto = await cli(['mgmt', 'move', '--auto', '--json', '--socket', d.socketPath]);
  t.is(auto.code, 0, auto.stderr);
  const r = JSON.parse(auto.stdout) as { holder: string; due: unknown };
  t.is(r.holder, 'eth1');
  t.is(r.due, null, 'no move back is due, ever');
  const st = await cli(['mgmt', 'status', '--json', '--socket', d.socketPath, '--state-file', d.statePath]);
  const s = JSON.parse(st.stdout) as { holder: string; candidates: { name: string; healthy: boolean }[] };
  t.true(s.candidates.find((c) => c.name === 'eth0')!.healthy, 'eth0 is healthy and preferred...');
  t.is(await holder(lab), 'eth1', '...and the addresses stay on eth1');
  t.is(d.logs.filter((e) => e.event === 'move').length, 1);

  // The holder fails: now they go to eth0.
  await carrier(lab, 1, false);
  const back = await d.waitLog((e) => e.event === 'move' && e.to === 'eth0', 15_000, 'failover to eth0');
  t.regex(String(back.reason), /eth1 unhealthy/);
  await waitHolder(lab, 'eth0');
});

testIf('root')(title('preempt: false with preempt_delay_ms is refused with its position; nothing changed'), async (t) => {
  const lab = makeLab(t, 2);
  // Settled state (DAD done), so that only the daemon could make a difference.
  const before = await ipSnapshot(lab.node.name);
  const cfg = `${lab.dir}/both.yaml`;
  writeFileSync(cfg, 'mgmt:\n  addresses: [192.0.2.10/24]\n  candidates: [eth0, eth1]\n  damping:\n    preempt: false\n    preempt_delay_ms: 5000\n');
  const r = await cli(['mgmt', 'run', '-n', lab.node.name, '--config', cfg, '--state-file', `${lab.dir}/s.json`, '--socket', `${lab.dir}/s.sock`]);
  t.is(r.code, 3, r.stderr);
  t.regex(r.stderr, /both\.yaml:6:23: \/mgmt\/damping\/preempt_delay_ms: preempt_delay_ms has no effect with preempt: false/);
  assertSameSnapshot(t, before, await ipSnapshot(lab.node.name), 'a refused config changes nothing');
});
