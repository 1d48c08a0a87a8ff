// Restart safety: SIGKILL while a move is under way, kernel states a crash can leave behind,
// and a restart on a healthy holder that must not touch the addresses at all.
import { spawn } from 'node:child_process';
import { isRoot } from '../helpers/netns.js';
import { carrier, cli, holder, holders, makeLab, sleep, startDaemon, V4, V6, waitHolder, writeConfig, START_MS } from './failover-lab.js';
import { patient } from '../helpers/patience.js';
import { testIf } from '../helpers/require.js';

const root = isRoot();
const title = (s: string) => (root ? s : `${s} (skipped: needs root for network namespaces)`);

testIf('root')(title('SIGKILL around a move, then restart: converges to one healthy holder, stale socket reclaimed'), async (t) => {
  const lab = makeLab(t, 2);
  const cfg = writeConfig(lab, { holdDownMs: 200, preemptDelayMs: 200 });
  const seen = new Set<string>();
  for (let trial = 0; trial < 6; trial++) {
    const d = startDaemon(t, lab, cfg, [], 'd');
    await d.waitLog((e) => e.event === 'start', START_MS, 'start');
    await waitHolder(lab, 'eth0');
    await sleep(250); // eth0 trusted and preferred; no move pending
    // Carrier loss, then SIGKILL: on odd trials as soon as the daemon logs that eth0 is down
    // (it logs that just before sending the move), on even ones 0-4 ms after the change.
    const down = d.waitLog((e) => e.event === 'health' && e.iface === 'eth0' && e.state === 'down', 10_000, 'eth0 down');
    down.catch(() => undefined); // killed before it logged: fine
    await carrier(lab, 0, false);
    if (trial % 2) await down.catch(() => undefined);
    else await sleep(trial);
    d.proc.kill('SIGKILL');
    await d.exited;
    const h = await holders(lab);
    seen.add(`v4 [${h.v4}] v6 [${h.v6}]`);
    t.true(h.v4.length <= 1 && h.v6.length <= 1, `never two holders, even killed mid-move: ${JSON.stringify(h)}`);

    const r = startDaemon(t, lab, cfg, [], 'd');
    await r.waitLog((e) => e.event === 'start', START_MS, 'restart');
    await waitHolder(lab, 'eth1');
    await r.stop();
    await carrier(lab, 0, true);
  }
  t.log(`kernel states left by SIGKILL: ${[...seen].join(' | ')}`);
});

testIf('root')(title('states a crash can leave: split, half-moved, doubled: each repaired at start'), async (t) => {
  const lab = makeLab(t, 3);
  const cfg = writeConfig(lab, { holdDownMs: 200, preemptDelayMs: 60_000 });
  const cases: { name: string; setup: string[][]; want: string; kind: string }[] = [
    { name: 'IPv4 moved, IPv6 still on the old holder', setup: [['addr', 'add', `${V4}/24`, 'dev', 'eth1'], ['addr', 'add', `${V6}/64`, 'dev', 'eth0', 'nodad']], want: 'eth0', kind: 'restore' },
    { name: 'IPv4 deleted, not yet added anywhere', setup: [['addr', 'add', `${V6}/64`, 'dev', 'eth1', 'nodad']], want: 'eth1', kind: 'restore' },
    { name: 'on two interfaces (someone else added it)', setup: [['addr', 'add', `${V4}/24`, 'dev', 'eth2'], ['addr', 'add', `${V6}/64`, 'dev', 'eth2', 'nodad'], ['addr', 'add', `${V4}/24`, 'dev', 'eth1'], ['addr', 'add', `${V6}/64`, 'dev', 'eth1', 'nodad']], want: 'eth1', kind: 'dedupe' },
    { name: 'nowhere', setup: [], want: 'eth0', kind: 'place' },
  ];
  for (const c of cases) {
    for (const dev of ['eth0', 'eth1', 'eth2']) lab.node.ip('addr', 'flush', 'dev', dev, 'scope', 'global');
    for (const s of c.setup) lab.node.ip(...s);
    const d = startDaemon(t, lab, cfg, [], `c${c.kind}`);
    const e = await d.waitLog((x) => ['move', 'restore', 'dedupe', 'place'].includes(String(x.event)), START_MS, c.name);
    t.is(e.event, c.kind, c.name);
    await waitHolder(lab, c.want);
    t.deepEqual(await holders(lab), { v4: [c.want], v6: [c.want] }, c.name);
    await d.stop();
  }
});

testIf('root')(title('restart on a healthy holder: no address deleted or added, no gap, no duplicate'), async (t) => {
  const lab = makeLab(t, 2);
  // the kill below must come inside hold-down + preempt delay, however slow the machine
  const cfg = writeConfig(lab, { holdDownMs: patient(200), preemptDelayMs: patient(200) });
  const d = startDaemon(t, lab, cfg, [], 'a');
  await d.waitLog((e) => e.event === 'place', START_MS, 'placement');
  await carrier(lab, 0, false);
  await waitHolder(lab, 'eth1');
  await carrier(lab, 0, true);
  await sleep(100); // eth0 in hold-down, then preempt delay; we kill before it can move back
  // The independent witness: every address change in the node namespace from now on.
  const mon = spawn('ip', ['-n', lab.node.name, 'monitor', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => mon.kill());
  let changes = '';
  mon.stdout.setEncoding('utf8').on('data', (s: string) => (changes += s));
  await sleep(100);
  await d.kill9();
  // Dead daemon: status falls back to the state file it left, says so, and exits 3 (not running).
  const st = await cli(['mgmt', 'status', '--json', '--socket', d.socketPath, '--state-file', d.statePath]);
  t.is(st.code, 3, st.stderr);
  const s = JSON.parse(st.stdout) as { running: boolean; holder: string; pid: number };
  t.false(s.running);
  t.is(s.holder, 'eth1');
  t.is(s.pid, d.proc.pid!);
  const r = startDaemon(t, lab, cfg, [], 'a');
  await r.waitLog((e) => e.event === 'start', START_MS, 'restart');
  const start = r.logs.find((e) => e.event === 'start')!;
  t.deepEqual(start.found, ['192.0.2.10 on eth1', '2001:db8::10 on eth1']);
  // The restarted daemon trusts the interfaces that are up, so the preferred eth0 takes the
  // addresses back only after the preempt delay: the first address change must be that move.
  const back = await r.waitLog((e) => e.event === 'move', 10_000, 'preempt move');
  t.is(back.to, 'eth0');
  const before = changes.split('\n').filter((l) => l.includes('192.0.2.10') || l.includes('2001:db8::10'));
  t.log(before.join('\n'));
  t.is(before.filter((l) => !/eth0|eth1/.test(l)).length, 0);
  // Everything ip monitor saw before the move is the move itself (deletes on eth1, adds on eth0).
  t.true(before.every((l) => (l.startsWith('Deleted') ? l.includes('eth1') : l.includes('eth0'))), before.join('\n'));
  t.is(r.logs.filter((e) => ['restore', 'dedupe', 'place'].includes(String(e.event))).length, 0);
  await waitHolder(lab, 'eth0');
  t.is(await holder(lab), 'eth0');
});
