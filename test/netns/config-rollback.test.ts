// The equality contract of config apply, case by case (issue 17): after a failed apply the
// namespace is IDENTICAL to before, as iproute2 sees it (test/helpers/ip-snapshot.ts): same
// ifindexes and MACs, same MTUs of untouched children, same address flags and routes.
import { type ExecutionContext } from 'ava';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyConfig, type Journal, planConfig, recoverConfig } from '../../src/config/apply.js';
import { parseConfig } from '../../src/config/load.js';
import { StateDir } from '../../src/config/state.js';
import { ApplyError } from '../../src/errors.js';
import { assertSameSnapshot, diffSnapshots, ipSnapshot } from '../helpers/ip-snapshot.js';
import { type Netns, netnsFor, standInNic, stateDir } from '../helpers/netns.js';
import { patient, patientSeconds, waitUntil } from '../helpers/patience.js';
import { testIf } from '../helpers/require.js';

const CLI = new URL('../../bin/run.js', import.meta.url).pathname;
const cfg = (text: string) => parseConfig(text, 'test.yaml').config;

/** A namespace with the stand-in NIC eth0. */
const lab = (t: ExecutionContext): Netns => standInNic(netnsFor(t));

/** A link's promiscuity count as iproute2 reads it. */
const promiscuity = (ns: Netns, dev: string): number => ns.ipJson<{ promiscuity: number }[]>('-d', 'link', 'show', dev)[0]!.promiscuity;

/** Fail at every step k of the plan from the current state to `file`; each time, the namespace is identical. */
async function failEveryStep(t: ExecutionContext, ns: Netns, sd: string, file: string): Promise<number> {
  const before = await ipSnapshot(ns.name);
  const n = (await planConfig(cfg(file), { netns: ns.name, stateDir: sd })).steps.length;
  for (let k = 1; k <= n; k++) {
    const err = await t.throwsAsync(applyConfig(cfg(file), { netns: ns.name, stateDir: sd, failAtStep: k }), { instanceOf: ApplyError }, `k=${k}`);
    t.deepEqual(err?.rollbackErrors, [], `k=${k}`);
    assertSameSnapshot(t, before, await ipSnapshot(ns.name), `after a failure at step ${k}/${n}`);
  }
  return n;
}

testIf('root')('case 1: a deleted owned bridge comes back as the SAME link (ifindex, MAC, link-local) when a later step fails', async (t) => {
  const ns = lab(t);
  const sd = stateDir(t);
  await applyConfig(cfg(`
interfaces:
  - {name: eth0, kind: device}
  - {name: br1, kind: bridge, addresses: [10.3.0.1/24, "2001:db8:3::1/64"]}
  - {name: mv1, kind: macvlan, link: eth0, macvlan: {mode: bridge}, addresses: [10.4.0.1/24]}
`), { netns: ns.name, stateDir: sd });
  ns.ip('link', 'add', 'p1', 'type', 'veth', 'peer', 'name', 'p1b');
  ns.ip('link', 'set', 'p1', 'master', 'br1');
  ns.ip('link', 'set', 'p1', 'up');
  ns.ip('route', 'add', '10.30.0.0/16', 'via', '10.3.0.9', 'dev', 'br1', 'metric', '5');
  ns.ip('neigh', 'add', '10.3.0.9', 'lladdr', '02:00:00:00:00:09', 'dev', 'br1', 'nud', 'permanent');
  const n = await failEveryStep(t, ns, sd, `
interfaces:
  - {name: eth0, kind: device, addresses: [10.9.0.1/24]}
  - {name: mv2, kind: macvlan, link: eth0, macvlan: {mode: bridge}}
`);
  t.true(n >= 3, `plan has ${n} steps`);
});

testIf('root')('case 2: the MTU of untouched macvlans the kernel lowered with their NIC is put back', async (t) => {
  const ns = lab(t);
  const sd = stateDir(t);
  for (const m of ['mva', 'mvb', 'mvc']) {
    ns.ip('link', 'add', 'link', 'eth0', 'name', m, 'type', 'macvlan', 'mode', 'bridge');
    ns.ip('link', 'set', m, 'up');
  }
  const n = await failEveryStep(t, ns, sd, `
interfaces:
  - {name: eth0, kind: device, mtu: 1400, addresses: [10.9.0.1/24]}
  - {name: br9, kind: bridge}
`);
  t.true(n >= 2, `plan has ${n} steps`);
});

testIf('root')('case 3: deleted addresses come back with noprefixroute, metric and nodad: routes identical', async (t) => {
  const ns = lab(t);
  const sd = stateDir(t);
  ns.ip('addr', 'add', '10.9.7.1/24', 'dev', 'eth0', 'noprefixroute');
  ns.ip('addr', 'add', '10.9.8.1/24', 'dev', 'eth0', 'metric', '77');
  ns.ip('addr', 'add', '2001:db8:6::1/64', 'dev', 'eth0', 'nodad', 'noprefixroute');
  ns.ip('addr', 'add', '10.9.9.1/24', 'dev', 'eth0', 'valid_lft', '3000', 'preferred_lft', '2000');
  const n = await failEveryStep(t, ns, sd, `
interfaces:
  - {name: eth0, kind: device, addresses: [10.9.0.1/24]}
  - {name: br9, kind: bridge}
`);
  t.true(n >= 5, `plan has ${n} steps`);
});

// ---------------------------------------------------------------------------------------------
// Every way an apply can end (the CLI as a user runs it)

/** Six bridges, each with an address: a plan of 12 steps, slow enough (step delay) to interrupt. */
const SIX = `interfaces:\n${Array.from({ length: 6 }, (_, i) => `  - {name: b${i}, kind: bridge, addresses: [10.8.${i}.1/24]}`).join('\n')}\n`;

function startApply(args: string[], env: Record<string, string> = {}): { child: ChildProcess; out: Promise<{ code: number | null; signal: string | null; stderr: string }> } {
  const child = spawn(process.execPath, [CLI, 'config', 'apply', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
  child.stdout!.on('data', () => { /* drained */ });
  const out = new Promise<{ code: number | null; signal: string | null; stderr: string }>((r) => child.on('exit', (code, signal) => r({ code, signal, stderr })));
  return { child, out };
}

/** Wait until the progress file of this namespace's state directory says step `k` (0-based) is done. */
async function waitDone(sd: string, ns: Netns, k: number, child: ChildProcess): Promise<void> {
  const p = join(new StateDir(sd, ns.name).dir, 'progress');
  for (let i = 0; i < 2000 && child.exitCode === null; i++) {
    let text = '';
    try { text = readFileSync(p, 'utf8'); } catch { /* not yet */ }
    if (text.includes(`done ${k}\n`)) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`step ${k + 1} never finished`);
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  testIf('root', 'cli').serial(`case 6: ${sig} in the middle of an apply rolls it back before the process exits`, async (t) => {
    const ns = lab(t);
    const sd = stateDir(t);
    const f = join(sd, 'six.yaml');
    writeFileSync(f, SIX);
    const before = await ipSnapshot(ns.name);
    const { child, out } = startApply([f, '-n', ns.name, '--state-dir', sd], { NODECTL_STEP_DELAY_MS: '150' });
    await waitDone(sd, ns, 2, child);
    child.kill(sig);
    const r = await out;
    t.is(r.code, 1, r.stderr);
    t.regex(r.stderr, new RegExp(`interrupted by ${sig} before step \\d+`));
    t.regex(r.stderr, /rolled back \d+ steps, nothing was changed/);
    t.false(existsSync(join(new StateDir(sd, ns.name).dir, 'journal.json')), 'no journal left for the next run to finish');
    assertSameSnapshot(t, before, await ipSnapshot(ns.name));
  });
}

testIf('root', 'cli').serial('case 2, as reported: SIGKILL after the NIC\'s MTU was lowered, then config recover: the untouched macvlans get their MTU back', async (t) => {
  // The issue saw this in 7 of 10 kill-then-recover trials: recover rolls back from the journal
  // on disk, not from the apply's memory, so the MTUs must be in what the journal keeps.
  const ns = lab(t);
  const sd = stateDir(t);
  for (const m of ['mva', 'mvb', 'mvc']) {
    ns.ip('link', 'add', 'link', 'eth0', 'name', m, 'type', 'macvlan', 'mode', 'bridge');
    ns.ip('link', 'set', m, 'up');
  }
  const f = join(sd, 'mtu.yaml');
  writeFileSync(f, `interfaces:\n  - {name: eth0, kind: device, mtu: 1400}\n${SIX.slice('interfaces:\n'.length)}`);
  const steps = (await planConfig(parseConfig(readFileSync(f, 'utf8'), f).config, { netns: ns.name, stateDir: sd })).steps.map((s) => s.text);
  const k = steps.indexOf('link set eth0 mtu 1500 → 1400');
  t.true(k >= 0 && k < steps.length - 1, steps.join('; '));
  const before = await ipSnapshot(ns.name);
  const { child, out } = startApply([f, '-n', ns.name, '--state-dir', sd], { NODECTL_STEP_DELAY_MS: '150' });
  await waitDone(sd, ns, k, child);
  child.kill('SIGKILL');
  await out;
  const mtus = (): number[] => ['mva', 'mvb', 'mvc'].map((m) => ns.ipJson<{ mtu: number }[]>('link', 'show', m)[0]!.mtu);
  t.deepEqual(mtus(), [1400, 1400, 1400], 'the kernel lowered the macvlans with their NIC');
  const r = spawnSync(process.execPath, [CLI, 'config', 'recover', '-n', ns.name, '--state-dir', sd], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(mtus(), [1500, 1500, 1500]);
  assertSameSnapshot(t, before, await ipSnapshot(ns.name), 'after config recover');
});

testIf('root', 'cli').serial('config recover exits 1 and names the difference when the node, after its undo steps, is not as before the apply', async (t) => {
  // Every undo step can succeed and the node still differ (another program changed it while the
  // apply lay interrupted): "rolled back" would then be false, so recover says what differs and fails.
  const ns = lab(t);
  const sd = stateDir(t);
  const f = join(sd, 'six.yaml');
  writeFileSync(f, SIX);
  const { child, out } = startApply([f, '-n', ns.name, '--state-dir', sd], { NODECTL_STEP_DELAY_MS: '150' });
  await waitDone(sd, ns, 2, child);
  child.kill('SIGKILL');
  await out;
  ns.ip('link', 'add', 'x9', 'type', 'bridge');
  const r = spawnSync(process.execPath, [CLI, 'config', 'recover', '-n', ns.name, '--state-dir', sd], { encoding: 'utf8' });
  t.is(r.status, 1, r.stdout + r.stderr);
  t.regex(r.stderr, /differs from before the apply: link x9 \(ifindex \d+\) was not there before \(group 0, not nodectl's/);
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  const again = spawnSync(process.execPath, [CLI, 'config', 'recover', '-n', ns.name, '--state-dir', sd], { encoding: 'utf8' });
  t.is(again.status, 0, again.stderr);
  t.regex(again.stdout, /nothing to recover/);
});

testIf('root', 'cli').serial('case 5: --confirm arms the watchdog before step 1: a CLI killed mid-apply is reverted at the deadline with no one running recover', async (t) => {
  const ns = lab(t);
  const sd = stateDir(t);
  const f = join(sd, 'six.yaml');
  writeFileSync(f, SIX);
  const before = await ipSnapshot(ns.name);
  const { child, out } = startApply([f, '-n', ns.name, '--state-dir', sd, '--confirm', '2'], { NODECTL_STEP_DELAY_MS: '150' });
  await waitDone(sd, ns, 3, child);
  child.kill('SIGKILL');
  await out;
  t.true(diffSnapshots(before, await ipSnapshot(ns.name, 0)).length > 0, 'the kill left the namespace half-applied');
  const journal = join(new StateDir(sd, ns.name).dir, 'journal.json');
  for (let i = 0; i < 200 && existsSync(journal); i++) await new Promise((r) => setTimeout(r, 100));
  t.false(existsSync(journal), 'the watchdog finished the journal');
  assertSameSnapshot(t, before, await ipSnapshot(ns.name), 'after the watchdog');
});

testIf('root', 'cli').serial('case 5: SIGHUP (a dropped SSH session) during an apply with --confirm rolls back at once', async (t) => {
  const ns = lab(t);
  const sd = stateDir(t);
  const f = join(sd, 'six.yaml');
  writeFileSync(f, SIX);
  const before = await ipSnapshot(ns.name);
  const { child, out } = startApply([f, '-n', ns.name, '--state-dir', sd, '--confirm', '30'], { NODECTL_STEP_DELAY_MS: '150' });
  await waitDone(sd, ns, 2, child);
  child.kill('SIGHUP');
  const r = await out;
  t.is(r.code, 1, r.stderr);
  t.regex(r.stderr, /interrupted by SIGHUP/);
  assertSameSnapshot(t, before, await ipSnapshot(ns.name));
});

testIf('root')('case 5: with the watchdog dead, an unconfirmed apply is refused while its window is open and rolled back by the first apply after its deadline', async (t) => {
  // The "with the watchdog killed, nothing reverts at the deadline either": nothing
  // can act at the deadline then (docs/config.md, known limits), but nothing may build on the
  // unconfirmed state either; the next apply reverts it first.
  const ns = lab(t);
  const sd = stateDir(t);
  const A = 'interfaces:\n  - {name: eth0, kind: device}\n  - {name: ba, kind: bridge, addresses: [10.7.0.1/24]}\n';
  await applyConfig(cfg(A), { netns: ns.name, stateDir: sd });
  const before = await ipSnapshot(ns.name);
  // wide enough for the refused apply below to start inside it on a loaded machine
  const window = patientSeconds(5);
  await applyConfig(cfg('interfaces:\n  - {name: eth0, kind: device}\n  - {name: bb, kind: bridge}\n'), {
    netns: ns.name, stateDir: sd, confirmSeconds: window, startWatchdog: () => { /* killed before it could act */ },
  });
  // re-armed for the whole window once the steps were done
  const deadline = new StateDir(sd, ns.name).readJournal<Journal>()?.confirmDeadline ?? 0;
  t.true(deadline > Date.now(), 'the deadline is in the journal');
  await t.throwsAsync(applyConfig(cfg(A), { netns: ns.name, stateDir: sd }), { message: /a previous apply is waiting for confirmation/ });
  await waitUntil(() => Date.now() > deadline + 50, () => 'the confirm window never ended', patient((window + 10) * 1000));
  const r = await applyConfig(cfg(A), { netns: ns.name, stateDir: sd });
  t.is(r.recovered?.action, 'rolled-back');
  t.is(r.recovered?.reason, 'not confirmed in time');
  t.deepEqual(r.steps, [], 'A is in place again once the unconfirmed apply is reverted');
  assertSameSnapshot(t, before, await ipSnapshot(ns.name));
});

testIf('root', 'cli').serial('case 8: one lock per namespace identity: -n NAME and -n /run/netns/NAME exclude each other', async (t) => {
  const ns = lab(t);
  const sd = stateDir(t);
  const f = join(sd, 'six.yaml');
  writeFileSync(f, SIX);
  const g = join(sd, 'other.yaml');
  writeFileSync(g, 'interfaces:\n  - {name: c0, kind: bridge}\n');
  t.is(new StateDir(sd, ns.name).dir, new StateDir(sd, `/run/netns/${ns.name}`).dir);
  const { child, out } = startApply([f, '-n', ns.name, '--state-dir', sd], { NODECTL_STEP_DELAY_MS: '100' });
  await waitDone(sd, ns, 1, child);
  const second = spawnSync(process.execPath, [CLI, 'config', 'apply', g, '-n', `/run/netns/${ns.name}`, '--state-dir', sd], { encoding: 'utf8' });
  t.not(second.status, 0);
  t.regex(second.stderr, /another nodectl \(pid \d+\) is applying/);
  const r = await out;
  t.is(r.code, 0, r.stderr);
  const names = ns.ipJson<{ ifname: string }[]>('link', 'show').map((l) => l.ifname).sort();
  t.deepEqual(names, ['b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'eth0', 'eth0p', 'lo']);
});

testIf('root', 'cli').serial('case 9: a link created by another program while the apply runs is reported as such, not as a failed rollback', async (t) => {
  const ns = lab(t);
  const sd = stateDir(t);
  const f = join(sd, 'six.yaml');
  writeFileSync(f, SIX);
  const before = await ipSnapshot(ns.name);
  const { child, out } = startApply([f, '-n', ns.name, '--state-dir', sd], { NODECTL_STEP_DELAY_MS: '300' });
  await waitDone(sd, ns, 1, child);
  ns.ip('link', 'add', 'b4', 'type', 'bridge'); // nodectl's step for b4 has not run yet
  const r = await out;
  t.is(r.code, 1, r.stderr);
  t.notRegex(r.stderr, /ROLLBACK INCOMPLETE/);
  t.regex(r.stderr, /link add b4 .*EEXIST/);
  t.regex(r.stderr, /link b4 \(ifindex \d+\) was not there before \(group 0, not nodectl's: made by another program during the apply\)/);
  t.true(ns.ipJson<{ ifname: string }[]>('link', 'show').some((l) => l.ifname === 'b4'), 'the other program\'s b4 is left alone');
  ns.ip('link', 'del', 'b4');
  assertSameSnapshot(t, before, await ipSnapshot(ns.name), 'apart from b4');
});

/**
 * Run `config apply` in a private mount namespace whose state directory is a small tmpfs
 * (nothing is mounted on this machine's own tree). `fill`: 'before' fills it before the apply
 * starts; 'during' once step 1 is done, so a later progress write gets ENOSPC.
 */
async function applyOnTinyTmpfs(sd: string, file: string, ns: Netns, fill: 'before' | 'during'): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const script = `
set -e
mount -t tmpfs -o size=$SIZE nctl-test "$SD"
if [ "$FILL" = before ]; then dd if=/dev/zero of="$SD/fill" bs=4k 2>/dev/null || true; fi
NODECTL_STEP_DELAY_MS=2 "$NODE" "$CLI" config apply "$FILE" -n "$NS" --state-dir "$SD" &
pid=$!
if [ "$FILL" = during ]; then
  while ! grep -qs '^done 0$' "$SD"/netns/*/progress; do sleep 0.01; done
  dd if=/dev/zero of="$SD/fill" bs=4k 2>/dev/null || true
fi
set +e
wait $pid
echo "exit=$?"
`;
  // not spawnSync: the test worker must keep answering while the apply runs
  const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
    env: { ...process.env, SD: sd, FILL: fill, SIZE: fill === 'before' ? '64k' : '512k', NODE: process.execPath, CLI, FILE: file, NS: ns.name }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  // 'close', not 'exit': the exit can be reported before the last of stdout has been read
  await new Promise((r) => child.on('close', r));
  const m = /exit=(\d+)/.exec(stdout);
  return { status: m ? Number(m[1]) : null, stdout, stderr };
}

testIf('root', 'cli')('case 7: a full state directory before step 1 refuses the apply and changes nothing', async (t) => {
  const ns = lab(t);
  const sd = stateDir(t);
  const f = join(tmpdir(), `nctl-six-${process.pid}.yaml`);
  writeFileSync(f, SIX);
  t.teardown(() => rmSync(f, { force: true }));
  const before = await ipSnapshot(ns.name);
  const r = await applyOnTinyTmpfs(sd, f, ns, 'before');
  t.not(r.status, 0, r.stdout + r.stderr);
  t.regex(r.stderr, /ENOSPC|no space/i);
  assertSameSnapshot(t, before, await ipSnapshot(ns.name));
});

testIf('root', 'cli')('case 7: ENOSPC in the state directory mid-apply stops at the next step and rolls back from memory', async (t) => {
  const ns = lab(t);
  const sd = stateDir(t);
  // 300 steps of progress records outgrow the page the file has when the tmpfs fills up
  const f = join(tmpdir(), `nctl-many-${process.pid}.yaml`);
  writeFileSync(f, `interfaces:\n  - {name: eth0, kind: device}\n${Array.from({ length: 300 }, (_, i) => `  - {name: m${i}, kind: macvlan, link: eth0, macvlan: {mode: bridge}}`).join('\n')}\n`);
  t.teardown(() => rmSync(f, { force: true }));
  const before = await ipSnapshot(ns.name);
  const r = await applyOnTinyTmpfs(sd, f, ns, 'during');
  t.is(r.status, 1, r.stdout + r.stderr);
  t.regex(r.stderr, /cannot record progress in .*ENOSPC/);
  t.regex(r.stderr, /rolled back \d+ steps, nothing was changed/);
  assertSameSnapshot(t, before, await ipSnapshot(ns.name));
});

testIf('root')('case 5: the first apply after a restart inside a confirm window applies the last confirmed configuration, not the unconfirmed file', async (t) => {
  const ns = lab(t);
  const sd = stateDir(t);
  const A = 'interfaces:\n  - {name: eth0, kind: device}\n  - {name: ba, kind: bridge, addresses: [10.7.0.1/24]}\n';
  const B = 'interfaces:\n  - {name: eth0, kind: device}\n  - {name: bb, kind: bridge, addresses: [10.7.0.2/24]}\n';
  await applyConfig(cfg(A), { netns: ns.name, stateDir: sd, file: 'node.yaml' });
  await applyConfig(cfg(B), { netns: ns.name, stateDir: sd, file: 'node.yaml', confirmSeconds: 600, startWatchdog: () => { /* the restart comes first */ } });
  // The restart, as the state directory and the kernel see it: the journal and ownership
  // record are from an earlier boot, and nothing nodectl made exists any more.
  const dir = new StateDir(sd, ns.name).dir;
  for (const f of ['journal.json', 'owned.json']) {
    const p = join(dir, f);
    writeFileSync(p, readFileSync(p, 'utf8').replace(/"bootId":\s*"[^"]+"/, '"bootId":"an-earlier-boot"'));
  }
  ns.ip('link', 'del', 'bb');
  ns.ip('link', 'del', 'ba');
  // the boot unit applies the file on disk, which is still the unconfirmed B
  const r = await applyConfig(cfg(B), { netns: ns.name, stateDir: sd, file: 'node.yaml' });
  t.is(r.recovered?.action, 'discarded');
  t.regex(r.warnings.join('\n'), /node\.yaml was applied with --confirm and never confirmed before the node restarted: applied the last confirmed configuration/);
  const names = ns.ipJson<{ ifname: string }[]>('link', 'show').map((l) => l.ifname).sort();
  t.deepEqual(names, ['ba', 'eth0', 'eth0p', 'lo']);
  // once: applying the file again (the operator) applies it
  await applyConfig(cfg(B), { netns: ns.name, stateDir: sd, file: 'node.yaml' });
  t.deepEqual(ns.ipJson<{ ifname: string }[]>('link', 'show').map((l) => l.ifname).sort(), ['bb', 'eth0', 'eth0p', 'lo']);
});

testIf('root')('found by the property test: an existing link set down keeps the IPv6 address the same apply gives it', async (t) => {
  const ns = lab(t);
  const sd = stateDir(t);
  await applyConfig(cfg('interfaces:\n  - {name: eth0, kind: device}\n  - {name: br2, kind: bridge}\n'), { netns: ns.name, stateDir: sd });
  const r = await applyConfig(cfg('interfaces:\n  - {name: eth0, kind: device}\n  - {name: br2, kind: bridge, state: down, addresses: ["2001:db8:2::1/64"]}\n'), { netns: ns.name, stateDir: sd });
  t.deepEqual(r.steps.map((s) => s.text), ['link set br2 down', 'addr add 2001:db8:2::1/64 dev br2']);
  const a = ns.ipJson<{ addr_info: { local: string }[] }[]>('addr', 'show', 'br2')[0]!.addr_info.map((x) => x.local);
  t.deepEqual(a, ['2001:db8:2::1']);
});

/**
 * A bridge with a MAC and no port (up, no carrier) that once had an IPv6 address: adding it
 * made the kernel's ff00::/8 multicast route (table local, linkdown), removing it left the
 * route, and there is no address to bring it back with when the bridge goes down and up.
 */
async function carrierLessBridge(t: ExecutionContext, ns: Netns, sd: string, name: string): Promise<void> {
  await applyConfig(cfg(`interfaces:\n  - {name: eth0, kind: device}\n  - {name: ${name}, kind: bridge, mac: "02:00:00:00:0b:01"}\n`), { netns: ns.name, stateDir: sd });
  ns.ip('addr', 'add', '2001:db8:7::1/64', 'dev', name, 'nodad');
  ns.ip('addr', 'del', '2001:db8:7::1/64', 'dev', name);
  const all = ns.ip('-6', 'route', 'show', 'table', 'all');
  t.regex(all, new RegExp(`multicast ff00::/8 dev ${name} .*linkdown`), 'the bridge has the linkdown ff00::/8 route');
  t.regex(all, /multicast ff00::\/8 dev eth0 /, 'another link has an ff00::/8 route of the same metric');
  t.deepEqual(ns.ipJson<{ addr_info: unknown[] }[]>('addr', 'show', 'dev', name)[0]!.addr_info, [], 'and no address');
}

testIf('root')('found by the property test: a carrier-less bridge taken down by a failed apply gets its ff00::/8 route back beside the other links\'', async (t) => {
  // Rollback replayed the route with NLM_F_EXCL, and IPv6 refuses EXCL for any route of the
  // same prefix and metric, whatever its device: eth0's ff00::/8 made the replay EEXIST, which
  // read as "already there" (NODECTL_PROPERTY_SEED=1033456143, trial seed 1034056166).
  const ns = lab(t);
  const sd = stateDir(t);
  await carrierLessBridge(t, ns, sd, 'br1');
  const n = await failEveryStep(t, ns, sd, `
interfaces:
  - {name: eth0, kind: device, addresses: [10.56.0.1/24]}
  - {name: br1, kind: bridge, mac: "02:00:00:00:0b:01", state: down}
  - {name: mv1, kind: macvlan, link: eth0, macvlan: {mode: bridge}}
`);
  t.true(n >= 3, `plan has ${n} steps`);
});

testIf('root')('found by the property test: a bridge a failed apply gave a port (and so an IPv6 link-local) is rolled back without it, and makes it again with its next port', async (t) => {
  // The kernel made fe80::…/64 when the port brought carrier; rollback deleted only the routes
  // it made (NODECTL_PROPERTY_SEED=559773962, trial seed 560273979). And deleting the address
  // alone would leave the bridge IPv6-ready (IF_READY), so its next port would give it none.
  const ns = lab(t);
  const sd = stateDir(t);
  ns.exec('sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
  // with a MAC, a bridge that never had a port has no carrier: up, no link-local
  await applyConfig(cfg('interfaces:\n  - {name: eth0, kind: device}\n  - {name: br0, kind: bridge, mac: "02:00:00:00:0b:00"}\n'), { netns: ns.name, stateDir: sd });
  const linkLocal = (): boolean => /inet6 fe80:/.test(ns.ip('addr', 'show', 'dev', 'br0'));
  t.false(linkLocal(), 'br0 has no link-local before');
  const before = await ipSnapshot(ns.name);
  // eth0p (up, with carrier) as br0's port; the failure comes at step 2, once the kernel has
  // given br0 its link-local (linkwatch handles a bridge's carrier asynchronously: polled)
  const file = 'interfaces:\n  - {name: eth0, kind: device, addresses: [10.9.0.1/24]}\n  - {name: eth0p, kind: device, master: br0}\n  - {name: br0, kind: bridge, mac: "02:00:00:00:0b:00"}\n';
  t.deepEqual((await planConfig(cfg(file), { netns: ns.name, stateDir: sd })).steps.map((s) => s.text), ['link set eth0p master br0', 'addr add 10.9.0.1/24 dev eth0']);
  let sawLinkLocal = false;
  const onStep = (k: number): void => {
    if (k !== 2) return;
    // synchronous on purpose: the apply must not go on before the kernel has acted
    sawLinkLocal = spawnSync('sh', ['-c', `for i in $(seq 200); do ip -n "$1" addr show dev br0 | grep -q 'inet6 fe80:' && exit 0; sleep 0.05; done; exit 1`, 'sh', ns.name]).status === 0;
  };
  const err = await t.throwsAsync(applyConfig(cfg(file), { netns: ns.name, stateDir: sd, failAtStep: 2, onStep }), { instanceOf: ApplyError });
  t.true(sawLinkLocal, 'the port gave br0 a link-local during the apply');
  t.deepEqual(err?.rollbackErrors, []);
  // a port-less bridge's TSO limits are those of the last port it had: not settable (docs/config.md)
  const d = diffSnapshots(before, await ipSnapshot(ns.name)).filter((l) => !/^\s+\.tso_max_(size|segs):/.test(l));
  t.deepEqual(d.filter((l, i) => !(l.startsWith('~ ') && !d[i + 1]?.startsWith('  '))), [], 'the namespace is as before');
  // and the kernel still makes the link-local when br0 gets a port again
  ns.ip('link', 'set', 'eth0p', 'master', 'br0');
  await waitUntil(linkLocal, () => `br0 got no link-local from its next port: ${ns.ip('addr', 'show', 'dev', 'br0')}`);
  t.pass();
});

testIf('root')('a bridge port released by a failed apply comes back with its options (cost, priority, hairpin, learning)', async (t) => {
  // Re-enslaving a port (the undo of releasing it) gives it the bridge's defaults: rollback sets
  // back every settable IFLA_BRPORT_* option it had, read before step 1 (docs/config.md).
  const ns = lab(t);
  const sd = stateDir(t);
  ns.ip('link', 'add', 'p5', 'type', 'veth', 'peer', 'name', 'p5b');
  ns.ip('link', 'set', 'p5b', 'up');
  await applyConfig(cfg(`
interfaces:
  - {name: eth0, kind: device}
  - {name: br5, kind: bridge, mac: "02:00:00:00:0b:05"}
  - {name: p5, kind: device, master: br5}
`), { netns: ns.name, stateDir: sd });
  ns.ip('link', 'set', 'dev', 'p5', 'type', 'bridge_slave', 'cost', '7', 'priority', '5', 'hairpin', 'on', 'learning', 'off');
  const port = (): Record<string, unknown> => ns.ipJson<{ linkinfo: { info_slave_data: Record<string, unknown> } }[]>('-d', 'link', 'show', 'p5')[0]!.linkinfo.info_slave_data;
  t.like(port(), { cost: 7, priority: 5, hairpin: true, learning: false });
  const file = `
interfaces:
  - {name: eth0, kind: device, addresses: [10.57.0.1/24]}
  - {name: br5, kind: bridge, mac: "02:00:00:00:0b:05"}
  - {name: p5, kind: device}
`;
  const texts = (await planConfig(cfg(file), { netns: ns.name, stateDir: sd })).steps.map((s) => s.text);
  t.is(texts[0], 'link set p5 nomaster (was br5)', texts.join('; '));
  const n = await failEveryStep(t, ns, sd, file);
  t.true(n >= 2, `plan has ${n} steps`);
  t.like(port(), { cost: 7, priority: 5, hairpin: true, learning: false });
});

testIf('root')('a link never opened that a failed apply brought up is down again with the qdisc noop, and gets its default when opened', async (t) => {
  // Opening a link attaches its default root qdisc (noqueue here), which stays when it is
  // closed; rollback grafts a stand-in over it and deletes it, leaving noop (docs/config.md).
  const ns = lab(t);
  const sd = stateDir(t);
  ns.ip('link', 'add', 'q1', 'type', 'veth', 'peer', 'name', 'q1b');
  const qdisc = (): string => ns.ipJson<{ qdisc: string }[]>('link', 'show', 'q1')[0]!.qdisc;
  t.is(qdisc(), 'noop');
  const file = 'interfaces:\n  - {name: eth0, kind: device}\n  - {name: q1, kind: device, addresses: [10.58.0.1/24], routes: [{to: 10.59.0.0/16}]}\n';
  const texts = (await planConfig(cfg(file), { netns: ns.name, stateDir: sd })).steps.map((s) => s.text);
  t.true(texts.indexOf('link set q1 up') >= 0 && texts.indexOf('link set q1 up') < texts.length - 1, texts.join('; '));
  await failEveryStep(t, ns, sd, file);
  t.is(qdisc(), 'noop');
  ns.ip('link', 'set', 'q1', 'up');
  t.is(qdisc(), 'noqueue', 'opened again, the link has its default qdisc');
});

testIf('root')('a link left down and promiscuous by an up macvlan\'s address keeps that promiscuity through a failed apply that moves the macvlan away and brings the link up', async (t) => {
  // Found by config-property-kill in a 5.10 guest (seed 2100126): the kernel makes a link without
  // unicast filtering promiscuous once it is up with an upper's address listed, and keeps it so
  // when the link goes down. An apply that deletes the macvlan and then brings the link up lets
  // the kernel take it back; rollback, recreating the macvlan on the link while it is down again,
  // does not give it back by itself: the link goes up and down once more with the macvlan up.
  const ns = lab(t);
  const sd = stateDir(t);
  ns.exec('sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
  await applyConfig(cfg('interfaces:\n  - {name: eth0, kind: device}\n  - {name: br7, kind: bridge, mac: "02:00:00:00:0b:07", state: down}\n  - {name: mvz, kind: macvlan, link: br7, macvlan: {mode: vepa}}\n'), { netns: ns.name, stateDir: sd });
  ns.ip('link', 'set', 'br7', 'up');
  ns.ip('link', 'set', 'br7', 'down');
  const promisc = (): number => promiscuity(ns, 'br7');
  t.is(promisc(), 1, 'up once with the macvlan\'s address listed, br7 stays promiscuous when down');
  const file = 'interfaces:\n  - {name: eth0, kind: device}\n  - {name: br7, kind: bridge, mac: "02:00:00:00:0b:07"}\n  - {name: mvz, kind: macvlan, link: eth0, macvlan: {mode: vepa}}\n';
  const texts = (await planConfig(cfg(file), { netns: ns.name, stateDir: sd })).steps.map((s) => s.text);
  t.is(texts.indexOf('link set br7 up'), texts.length - 1, texts.join('; '));
  await failEveryStep(t, ns, sd, file);
  t.is(promisc(), 1);
  // every step done, then undone whole: an unconfirmed apply taken back by recover (as a kill
  // after the last step is, and the --confirm watchdog does)
  const before = await ipSnapshot(ns.name);
  await applyConfig(cfg(file), { netns: ns.name, stateDir: sd, confirmSeconds: 600, startWatchdog: () => { /* recover below */ } });
  t.is(promisc(), 0, 'the apply let the kernel take the promiscuity back');
  const r = await recoverConfig({ netns: ns.name, stateDir: sd });
  t.deepEqual(r.errors, []);
  assertSameSnapshot(t, before, await ipSnapshot(ns.name), 'after the whole apply was undone');
  t.is(promisc(), 1);
});

testIf('root')('a link that was down under an up macvlan, brought up by a failed apply, is down again without the promiscuity the macvlan\'s address gave it', async (t) => {
  // While the lower device is up, the macvlan's unicast address makes the kernel switch it to
  // promiscuous (a veth has no unicast filter); the kernel only switches that off while the
  // link is up with an empty unicast list. Rollback takes the macvlan down, the link up and
  // down, the macvlan up again (docs/config.md).
  const ns = lab(t);
  const sd = stateDir(t);
  ns.exec('sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
  ns.ip('link', 'add', 'x1', 'type', 'veth', 'peer', 'name', 'x1b');
  ns.ip('link', 'set', 'x1b', 'up');
  ns.ip('link', 'add', 'link', 'x1', 'name', 'mvx', 'type', 'macvlan', 'mode', 'bridge');
  ns.ip('link', 'set', 'dev', 'mvx', 'up');
  ns.ip('addr', 'add', '10.61.0.1/24', 'dev', 'mvx');
  ns.ip('addr', 'add', '2001:db8:61::1/64', 'dev', 'mvx');
  const promisc = (): number => promiscuity(ns, 'x1');
  t.is(promisc(), 0);
  const file = 'interfaces:\n  - {name: eth0, kind: device}\n  - {name: x1, kind: device, addresses: [10.60.0.1/24], routes: [{to: 10.62.0.0/16}]}\n';
  const texts = (await planConfig(cfg(file), { netns: ns.name, stateDir: sd })).steps.map((s) => s.text);
  t.true(texts.indexOf('link set x1 up') >= 0 && texts.indexOf('link set x1 up') < texts.length - 1, texts.join('; '));
  await failEveryStep(t, ns, sd, file);
  t.is(promisc(), 0);
});

testIf('root')('a link brought up by a failed apply with a new macvlan on it is down again without the promiscuity that macvlan\'s address gave it, the macvlan gone', async (t) => {
  // Found by a random-seed soak of the kill property test: the macvlan is created up on a link
  // still down (its address listed, no promiscuity yet), the link comes up (promiscuous), a
  // later step fails; rollback takes the link down and deletes the macvlan, and the kernel keeps
  // the count with the list empty until the link is up once more (docs/config.md).
  const ns = lab(t);
  const sd = stateDir(t);
  ns.exec('sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
  ns.ip('link', 'add', 'br8', 'type', 'bridge');
  ns.ip('link', 'add', 'br9', 'type', 'bridge');
  const promisc = (): number => promiscuity(ns, 'br8');
  t.is(promisc(), 0);
  const file = 'interfaces:\n  - {name: eth0, kind: device}\n  - {name: br8, kind: bridge}\n  - {name: br9, kind: bridge}\n  - {name: mvb, kind: macvlan, link: br8, macvlan: {mode: bridge}}\n';
  const texts = (await planConfig(cfg(file), { netns: ns.name, stateDir: sd })).steps.map((s) => s.text);
  // the case needs the macvlan made before br8 comes up, and a step after that to fail
  t.true(texts.indexOf('link add mvb link br8 type macvlan mode bridge up') < texts.indexOf('link set br8 up'), texts.join('; '));
  t.true(texts.indexOf('link set br8 up') >= 0 && texts.indexOf('link set br8 up') < texts.length - 1, texts.join('; '));
  await failEveryStep(t, ns, sd, file);
  t.is(promisc(), 0);
});
