// The daemon's own IPv6 local route (src/failover/local-route.ts): the route that delivers the
// IPv6 address from the move's own datagram on, instead of when the kernel's addrconf work item
// gets round to it. Its rule: on the holder while the holder holds the address, nowhere else;
// after moves, after a SIGKILL and a restart that finds a leftover, after the address was
// deleted by hand, and gone after a stop (the kernel's own route then serves the address).
// The oracle is iproute2: `ip -6 -j route show table local`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ExecutionContext } from 'ava';
import { patient, waitUntil } from '../helpers/patience.js';
import { testIf } from '../helpers/require.js';
import { carrier, cli, holders, type Lab, makeLab, startDaemon, START_MS, V4, V6, waitHolder, writeConfig } from './failover-lab.js';

/** The daemon's protocol (RTPROT_NODECTL_MGMT) as ip -j prints it: its number, or the name the
 * package's rt_protos.d file gives it where that file is installed. */
const OURS = '111';
const protoOf = (p: string): string => (p === 'nodectl-mgmt' ? OURS : p);

/** The local routes for the IPv6 management address: "dev protocol", sorted. */
function locals(lab: Lab): string[] {
  return lab.node.ipJson<{ dst: string; type: string; dev: string; protocol: string }[]>('-6', 'route', 'show', 'table', 'local')
    .filter((r) => r.dst === V6 && r.type === 'local').map((r) => `${r.dev} ${protoOf(r.protocol)}`).sort();
}

/** The rule, settled: the kernel's route and ours on the holder, nothing anywhere else. */
async function settledOn(t: ExecutionContext, lab: Lab, dev: string, why: string): Promise<void> {
  const want = [`${dev} ${OURS}`, `${dev} kernel`].sort();
  let got: string[] = [];
  await waitUntil(() => (got = locals(lab)).join() === want.join(), () => `${why}: local routes for ${V6} are [${got.join(', ')}], want [${want.join(', ')}]`, patient(20_000)).catch(() => undefined);
  const oursElsewhere = got.filter((r) => r.endsWith(` ${OURS}`) && !r.startsWith(`${dev} `));
  t.deepEqual(got, want, `${why}: ip -6 route show table local (theirs and ours on ${dev} only)`);
  t.deepEqual(oursElsewhere, [], `${why}: no daemon local route off the holder`);
}

testIf('root', 'cli')('moves by operator and by carrier loss: the local route is on the holder only', async (t) => {
  const lab = makeLab(t, 2);
  const d = startDaemon(t, lab, writeConfig(lab, { holdDownMs: 200, preemptDelayMs: 600_000 }));
  await d.waitLog((e) => e.event === 'place', START_MS, 'placement');
  await waitHolder(lab, 'eth0');
  await settledOn(t, lab, 'eth0', 'after placement');
  for (const to of ['eth1', 'eth0', 'eth1']) {
    const mv = await cli(['mgmt', 'move', to, '--socket', d.socketPath]);
    t.is(mv.code, 0, mv.stderr);
    await waitHolder(lab, to);
    await settledOn(t, lab, to, `after mgmt move ${to}`);
  }
  // the holder's carrier goes: the pin is released and the addresses move to eth0
  await carrier(lab, 1, false);
  await waitHolder(lab, 'eth0');
  await settledOn(t, lab, 'eth0', 'after carrier loss on eth1');
  const move = d.logs.find((e) => e.event === 'move' && e.to === 'eth1');
  t.true((move?.actions as string[] | undefined)?.some((a) => a.startsWith(`ip -6 route add local ${V6}/128 dev eth1 table local proto 111`)), `the move's logged actions name the local route: ${JSON.stringify(move?.actions)}`);
});

testIf('root', 'cli')('SIGKILL, the addresses moved by hand, restart: the leftover route goes, the holder gets one', async (t) => {
  const lab = makeLab(t, 2);
  const cfg = writeConfig(lab, { holdDownMs: 200, preemptDelayMs: 600_000 });
  const d = startDaemon(t, lab, cfg, [], 'a');
  await d.waitLog((e) => e.event === 'place', START_MS, 'placement');
  await settledOn(t, lab, 'eth0', 'before the kill');
  await d.kill9();
  // what an operator (or a crash mid-move) can leave: the addresses on eth1, our route on eth0
  lab.node.ip('addr', 'del', `${V4}/24`, 'dev', 'eth0');
  lab.node.ip('addr', 'del', `${V6}/64`, 'dev', 'eth0');
  lab.node.ip('addr', 'add', `${V4}/24`, 'dev', 'eth1');
  lab.node.ip('addr', 'add', `${V6}/64`, 'dev', 'eth1', 'nodad');
  await waitUntil(() => locals(lab).join() === ['eth0 111', 'eth1 kernel'].join(), () => `leftover not as set up: [${locals(lab).join(', ')}]`);
  const r = startDaemon(t, lab, cfg, [], 'b');
  await r.waitLog((e) => e.event === 'start', START_MS, 'restart');
  await settledOn(t, lab, 'eth1', 'after the restart');
  t.deepEqual(await holders(lab), { v4: ['eth1'], v6: ['eth1'] }, 'the restart kept the addresses where it found them');
  t.truthy(r.logs.find((e) => e.event === 'local-route' && e.op === 'del' && e.iface === 'eth0'), 'the leftover route\'s removal is logged');
});

testIf('root', 'cli')('the IPv6 address deleted by hand: restored with its local route, none left elsewhere', async (t) => {
  const lab = makeLab(t, 2);
  const d = startDaemon(t, lab, writeConfig(lab, { holdDownMs: 200, preemptDelayMs: 600_000 }));
  await d.waitLog((e) => e.event === 'place', START_MS, 'placement');
  await settledOn(t, lab, 'eth0', 'after placement');
  lab.node.ip('addr', 'del', `${V6}/64`, 'dev', 'eth0');
  await d.waitLog((e) => e.event === 'restore' && String(e.reason).includes(`${V6}/64`), 10_000, 'IPv6 restore');
  await settledOn(t, lab, 'eth0', 'after the restore on the holder');
  // deleted by hand and added by hand on the other candidate: gathered back on the holder
  lab.node.ip('addr', 'del', `${V6}/64`, 'dev', 'eth0');
  lab.node.ip('addr', 'add', `${V6}/64`, 'dev', 'eth1', 'nodad');
  // (the daemon may put it back on eth0 between the two commands, then remove the second copy)
  await waitHolder(lab, 'eth0');
  await settledOn(t, lab, 'eth0', 'after the split was gathered');
});

testIf('root', 'cli')('stop: the daemon\'s local routes go, the kernel\'s stays with the address', async (t) => {
  const lab = makeLab(t, 2);
  const d = startDaemon(t, lab, writeConfig(lab, { holdDownMs: 200, preemptDelayMs: 600_000 }));
  await d.waitLog((e) => e.event === 'place', START_MS, 'placement');
  const mv = await cli(['mgmt', 'move', 'eth1', '--socket', d.socketPath]);
  t.is(mv.code, 0, mv.stderr);
  await settledOn(t, lab, 'eth1', 'before the stop');
  t.is(await d.stop(), 0);
  t.deepEqual(locals(lab), ['eth1 kernel'], 'after the stop: only the kernel\'s local route, on the holder');
  t.deepEqual(lab.node.ipJson<{ protocol: string }[]>('-6', 'route', 'show', 'table', 'all').filter((r) => protoOf(r.protocol) === OURS), [], 'no route of the daemon\'s protocol in any table');
  t.deepEqual(await holders(lab), { v4: ['eth1'], v6: ['eth1'] }, 'the addresses stay where they were');
});

testIf('root', 'cli')('the holder admin down and up (keep_addr_on_down 1 and 0, skip_notify_on_dev_down): the kernel flushes the route, the daemon puts it back', async (t) => {
  const lab = makeLab(t, 1);
  // No default routes: replacing one on a device just brought up can fail (no route to the
  // gateway yet), and the resync that follows would hide what this test is about.
  const cfg = join(lab.dir, 'no-route.yaml');
  writeFileSync(cfg, `mgmt:\n  addresses: [${V4}/24, ${V6}/64]\n  candidates: [eth0]\n  gateway: { ipv4: 192.0.2.1, ipv6: "2001:db8::1", default_route: false }\n  damping: { hold_down_ms: 200 }\n`);
  const d = startDaemon(t, lab, cfg);
  await d.waitLog((e) => e.event === 'place', START_MS, 'placement');
  await settledOn(t, lab, 'eth0', 'after placement');
  // skip_notify 1: the flush sends no RTM_DELROUTE; the daemon must know from the link event
  for (const [keep, skip] of [['1', '0'], ['0', '0'], ['1', '1']] as const) {
    lab.node.exec('sysctl', '-qw', `net.ipv6.conf.eth0.keep_addr_on_down=${keep}`, `net.ipv6.route.skip_notify_on_dev_down=${skip}`);
    lab.node.ip('link', 'set', 'eth0', 'down');
    // every route of a downed device goes, ours too (and the addresses with keep_addr_on_down 0)
    await waitUntil(() => !locals(lab).some((r) => r.endsWith(` ${OURS}`)), () => `keep_addr_on_down=${keep} skip_notify_on_dev_down=${skip}, eth0 down: [${locals(lab).join(', ')}]`);
    lab.node.ip('link', 'set', 'eth0', 'up');
    await waitHolder(lab, 'eth0');
    await settledOn(t, lab, 'eth0', `keep_addr_on_down=${keep} skip_notify_on_dev_down=${skip}, eth0 down and up`);
  }
  t.deepEqual(d.logs.filter((e) => e.event === 'resync' || e.event === 'audit-mismatch').map((e) => e.reason ?? e.event), [], 'no re-read of the kernel state did it for the daemon');
});
