// Issue 18, the rehearsal: `config plan` and `config apply` run the plan's steps in a throwaway
// network namespace of stand-ins first, so what only the kernel refuses comes out with its errno
// and extack before step 1 on the node. "Nothing changed" is the full iproute2 snapshot
// (test/helpers/ip-snapshot.ts). The rehearsal namespace is anonymous: a SIGKILLed rehearsal
// leaves no namespace and no link behind.
import { type ExecutionContext } from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readState } from '../../src/config/apply.js';
import { rehearse } from '../../src/config/rehearse.js';
import type { Op } from '../../src/interfaces/planner.js';
import { NetlinkError, RehearsalRefusal } from '../../src/errors.js';
import { assertSameSnapshot, ipSnapshot } from '../helpers/ip-snapshot.js';
import { isRoot, type Netns, netnsFor, sh, stateDir } from '../helpers/netns.js';
import { patient, waitUntil } from '../helpers/patience.js';
import { kernelHas, testIf, testWhen } from '../helpers/require.js';

const CLI = new URL('../../bin/run.js', import.meta.url).pathname;

function nodectl(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: patient(60_000) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(t: ExecutionContext, dir: string, name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

/** A node with a "NIC" (veth e0/e1), two bridges and a macvlan on e0. */
function node(t: ExecutionContext): Netns {
  const ns = netnsFor(t);
  ns.ip('link', 'add', 'e0', 'type', 'veth', 'peer', 'name', 'e1');
  ns.ip('link', 'add', 'br0', 'type', 'bridge');
  ns.ip('link', 'add', 'br1', 'type', 'bridge');
  ns.ip('link', 'add', 'mv0', 'link', 'e0', 'type', 'macvlan', 'mode', 'bridge');
  ns.ip('addr', 'add', '192.0.2.1/24', 'dev', 'br0');
  ns.ip('link', 'set', 'br0', 'up');
  ns.ip('link', 'set', 'e0', 'up');
  return ns;
}

interface Refused { status: number | null; json: { error: Record<string, unknown> } }

/** plan and apply (text and --json) of `f` must be refused in the rehearsal, the node unchanged. */
async function refusedBeforeStep1(t: ExecutionContext, ns: Netns, f: string, want: { exit: number; errno: string; extack?: RegExp; step: RegExp }): Promise<Refused> {
  const sd = stateDir(t);
  const before = await ipSnapshot(ns.name);
  const args = ['-n', ns.name, '--state-dir', sd];
  const plan = nodectl(['config', 'plan', f, ...args]);
  t.is(plan.status, want.exit, plan.stdout + plan.stderr);
  t.regex(plan.stderr, /in a rehearsal|the rehearsal of step/, plan.stderr);
  t.regex(plan.stderr, want.step, plan.stderr);
  t.regex(plan.stderr, new RegExp(want.errno));
  if (want.extack) t.regex(plan.stderr, want.extack);
  t.is(plan.stderr.trim().split('\n').length, 1, plan.stderr);
  const apply = nodectl(['config', 'apply', f, ...args]);
  t.is(apply.status, want.exit, apply.stdout + apply.stderr);
  t.regex(apply.stderr, want.step, apply.stderr);
  t.notRegex(apply.stderr, /rolled back/, 'refused before step 1: nothing to roll back');
  const j = nodectl(['config', 'apply', f, ...args, '--json']);
  t.is(j.status, want.exit);
  const json = JSON.parse(j.stdout) as { error: Record<string, unknown> };
  t.is(json.error.errno, want.errno, j.stdout);
  if (want.extack) t.regex(String(json.error.extack), want.extack);
  t.false(existsSync(join(sd, 'journal.json')), 'no journal: no step was begun');
  assertSameSnapshot(t, before, await ipSnapshot(ns.name), 'a refused config changed the node');
  return { status: j.status, json };
}

testIf('root', 'cli')('a bridge as a port of a bridge (ELOOP) is refused in the rehearsal, before step 1, with the extack', async (t) => {
  const ns = node(t);
  const d = stateDir(t);
  // br1 is a bridge on the node, which the file cannot know: validate and preflight pass it;
  // without the rehearsal step 1 (e0's MTU) ran, then step 2 failed with ELOOP and was rolled back
  const f = file(t, d, 'eloop.yaml', 'interfaces:\n  - {name: e0, kind: device, mtu: 1400}\n  - {name: br1, kind: device, master: br0}\n  - {name: br0, kind: bridge, addresses: [192.0.2.1/24]}\n');
  t.is(nodectl(['config', 'validate', f]).status, 0);
  const r = await refusedBeforeStep1(t, ns, f, { exit: 1, errno: 'ELOOP', extack: /Can not enslave a bridge to a bridge/, step: /step 2\/\d+ \(link set br1 master br0\)/ });
  t.is(r.json.error.code, 'NETLINK');
  t.is(r.json.error.rehearsal, true);
  t.is(r.json.error.step, 2);
});

testIf('root', 'cli')('a macvlan MTU above its lower device\'s (9000 on 1500) is refused in the rehearsal, nothing changed', async (t) => {
  const ns = node(t);
  const d = stateDir(t);
  // mv0 is a macvlan on the node, declared as a plain device: only the kernel knows its lower MTU
  const f = file(t, d, 'mv.yaml', 'interfaces:\n  - {name: br0, kind: bridge, addresses: [192.0.2.1/24, 192.0.2.2/24]}\n  - {name: mv0, kind: device, mtu: 9000}\n');
  t.is(nodectl(['config', 'validate', f]).status, 0);
  await refusedBeforeStep1(t, ns, f, { exit: 1, errno: 'EINVAL', step: /step \d\/\d+ \(link set mv0 mtu 1500 → 9000\)/ });
});

// Decided at load: a kernel that has all three kinds leaves nothing to refuse (not a feature it
// lacks, so no strict switch applies).
const lacking = isRoot() ? (['vlan', 'dummy', 'bond'] as const).find((k) => !kernelHas(k).has) : undefined;
testWhen(!isRoot() || lacking !== undefined, 'kernel lacks none of vlan, dummy, bond: no kind to be refused', { needs: ['root', 'cli'] })('a kind this kernel lacks is refused in the rehearsal (exit 6, UNSUPPORTED, the module named), nothing changed', async (t) => {
  if (!lacking) return void t.fail('no lacking kind');
  const ns = node(t);
  const d = stateDir(t);
  const decl = { vlan: '{name: v0, kind: vlan, link: e0, vlan: {id: 5}}', dummy: '{name: v0, kind: dummy}', bond: '{name: v0, kind: bond, bond: {mode: active-backup}}' }[lacking];
  // a bridge is created first: without the rehearsal, step 1 ran and was rolled back
  const f = file(t, d, 'kind.yaml', `interfaces:\n  - {name: brx, kind: bridge}\n  - {name: e0, kind: device}\n  - ${decl}\n`);
  const r = await refusedBeforeStep1(t, ns, f, { exit: 6, errno: 'EOPNOTSUPP', extack: /Unknown device type/, step: /step 2\/\d+ \(link add v0/ });
  t.is(r.json.error.code, 'UNSUPPORTED');
  t.is(r.json.error.feature, `link kind ${lacking}`);
});

testIf('root')('MTUs out of a veth\'s or a bridge\'s range (65536, 67) are refused by the rehearsal with the kernel\'s extack', async (t) => {
  // the file's schema refuses these first (68-65535): the rehearsal itself is given the steps
  const ns = node(t);
  const before = await ipSnapshot(ns.name);
  const pre = readState(ns.name, { inetConf: false });
  const cases: [Op, RegExp][] = [
    [{ op: 'link-set', name: 'e0', change: { mtu: 65536 }, from: { mtu: 1500 } }, /mtu greater than device maximum/],
    [{ op: 'link-set', name: 'br1', change: { mtu: 67 }, from: { mtu: 1500 } }, /mtu less than device minimum/],
  ];
  for (const [op, extack] of cases) {
    const setMtu: Op = { op: 'link-set', name: 'mv0', change: { mtu: 1400 }, from: { mtu: 1500 } };
    const err = await t.throwsAsync(rehearse(pre, { ops: [setMtu, op], effects: ['in-place', 'in-place'], warnings: [], creates: [], deletes: [], disruption: [] }, { reused: new Set() }));
    t.true(err instanceof RehearsalRefusal, String(err));
    const e = err as RehearsalRefusal;
    t.is(e.errno, 'EINVAL');
    t.regex(e.extack ?? '', extack);
    t.is(e.step, 2);
    t.true(e instanceof NetlinkError);
  }
  assertSameSnapshot(t, before, await ipSnapshot(ns.name), 'the rehearsal changed the node');
});

/** Inodes of the network namespaces a process holds through its fds. */
function netnsFds(pid: number): number[] {
  const out: number[] = [];
  let fds: string[];
  try { fds = readdirSync(`/proc/${pid}/fd`); } catch { return out; }
  for (const fd of fds) {
    try {
      const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.push(Number(m[1]));
    } catch { /* closed meanwhile */ }
  }
  return out;
}

/** Whether anything on this machine still refers to network namespace `inode`. */
function netnsHeld(inode: number): string | null {
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      if (netnsFds(Number(p)).includes(inode)) return `an fd of pid ${p}`;
      for (const task of readdirSync(`/proc/${p}/task`)) if (statSync(`/proc/${p}/task/${task}/ns/net`).ino === inode) return `thread ${task} of pid ${p}`;
    } catch { /* gone meanwhile */ }
  }
  for (const n of existsSync('/run/netns') ? readdirSync('/run/netns') : []) {
    try { if (statSync(`/run/netns/${n}`).ino === inode) return `/run/netns/${n}`; } catch { /* removed meanwhile */ }
  }
  return null;
}

testIf('root', 'cli')('a rehearsal killed with SIGKILL leaves no namespace and no link behind, and the node unchanged', async (t) => {
  const ns = node(t);
  const d = stateDir(t);
  const decl = Array.from({ length: 30 }, (_, i) => `  - {name: bx${i}, kind: bridge}`).join('\n');
  const f = file(t, d, 'many.yaml', `interfaces:\n${decl}\n`);
  const before = await ipSnapshot(ns.name);
  const nodeInode = statSync(`/run/netns/${ns.name}`).ino;
  const child = spawn(process.execPath, [CLI, 'config', 'apply', f, '-n', ns.name, '--state-dir', join(d, 'state')], {
    env: { ...process.env, NODECTL_REHEARSE_STEP_DELAY_MS: '300' }, stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(() => { child.kill('SIGKILL'); });
  // (its main thread visits the node's namespace, holding an fd of the one it came from: ours)
  const own = statSync('/proc/self/ns/net').ino;
  let rehearsal = 0;
  // the rehearsal's namespace: an fd of the apply that is neither its own namespace nor the node's
  await waitUntil(() => {
    rehearsal = netnsFds(child.pid!).find((i) => i !== nodeInode && i !== own) ?? 0;
    return rehearsal !== 0;
  }, () => 'the apply never held a namespace of its own (no rehearsal?)', patient(30_000), 20);
  child.kill('SIGKILL');
  await exited;
  t.is(netnsHeld(rehearsal), null, 'the rehearsal namespace outlived its process');
  // nothing reached the node: no step ran, no stand-in or bridge leaked into it
  assertSameSnapshot(t, before, await ipSnapshot(ns.name), 'a killed rehearsal changed the node');
  t.false(existsSync(join(d, 'state', 'journal.json')), 'killed before step 1: no journal');
});

testIf('root', 'cli')('--no-rehearse skips it (plan says so); a plan that passes says so, in text and --json; a no-op has none', async (t) => {
  const ns = node(t);
  const d = stateDir(t);
  const sd = join(d, 'state');
  const args = ['-n', ns.name, '--state-dir', sd];
  const bad = file(t, d, 'eloop.yaml', 'interfaces:\n  - {name: e0, kind: device, mtu: 1400}\n  - {name: br1, kind: device, master: br0}\n  - {name: br0, kind: bridge, addresses: [192.0.2.1/24]}\n');
  const p = nodectl(['config', 'plan', bad, ...args, '--no-rehearse']);
  t.is(p.status, 100, p.stderr); // drift
  t.regex(p.stdout, /^rehearsal skipped: --no-rehearse$/m);
  const pj = JSON.parse(nodectl(['config', 'plan', bad, ...args, '--no-rehearse', '--json']).stdout) as { rehearsal: { status: string; reason: string } };
  t.deepEqual([pj.rehearsal.status, pj.rehearsal.reason], ['skipped', '--no-rehearse']);
  // without the rehearsal the kernel refuses at step 2 on the node, and the apply rolls back
  const a = nodectl(['config', 'apply', bad, ...args, '--no-rehearse']);
  t.is(a.status, 1);
  t.regex(a.stderr, /step 2\/\d+ \(link set br1 master br0\) failed: .*ELOOP.*rolled back 1 step, nothing was changed/);

  // a tun device: a kind nodectl does not re-create, stood in (and said so)
  ns.ip('tuntap', 'add', 'tun0', 'mode', 'tun');
  const good = file(t, d, 'good.yaml', 'interfaces:\n  - {name: e0, kind: device, mtu: 1400}\n  - {name: brx, kind: bridge, addresses: [10.9.0.1/24]}\n  - {name: tun0, kind: device, mtu: 1300}\n');
  const g = nodectl(['config', 'plan', good, ...args]);
  t.is(g.status, 100, g.stderr);
  // e0 with its peer e1 and mv0 on it (an MTU change reaches it), tun0; the bridges are not involved
  t.regex(g.stdout, /^rehearsal passed: the kernel accepted all 5 steps in a throwaway namespace \(4 stand-ins for this node's interfaces the steps involve; 2 unrelated left out\)$/m);
  t.regex(g.stdout, /^rehearsal note: tun0 \(tun\) is stood in by a (dummy|veth): /m);
  const gj = JSON.parse(nodectl(['config', 'plan', good, ...args, '--json']).stdout) as { rehearsal: { status: string; steps: number; notes: string[] } };
  t.is(gj.rehearsal.status, 'passed');
  t.is(gj.rehearsal.steps, 5);
  const applied = JSON.parse(nodectl(['config', 'apply', good, ...args, '--json']).stdout) as { rehearsal: { status: string } };
  t.is(applied.rehearsal.status, 'passed');
  const noop = JSON.parse(nodectl(['config', 'apply', good, ...args, '--json']).stdout) as { changed: boolean; rehearsal: unknown };
  t.deepEqual([noop.changed, noop.rehearsal], [false, null]);
  const np = nodectl(['config', 'plan', good, ...args]);
  t.is(np.status, 0);
  t.notRegex(np.stdout, /rehearsal/);
});

testIf('root', 'cli')('stand-ins carry what later steps need: nodectl\'s routes and owned links to remove, ports, a veth peer elsewhere', async (t) => {
  const ns = node(t);
  const other = netnsFor(t);
  const d = stateDir(t);
  const args = ['-n', ns.name, '--state-dir', join(d, 'state')];
  const first = file(t, d, 'first.yaml', `interfaces:
  - {name: br0, kind: bridge, addresses: [192.0.2.1/24], routes: [{to: 10.50.0.0/16, via: 192.0.2.254}, {to: 10.51.0.0/16, via: 192.0.2.253, metric: 7}]}
  - {name: br2, kind: bridge, addresses: ["2001:db8:5::1/64"], routes: [{to: "2001:db8:99::/48", via: "2001:db8:5::fe"}]}
  - {name: e1, kind: device, master: br2}
  - {name: vx, kind: veth, veth: {peer: {name: e0, netns: ${other.name}}}}
  - {name: e0, kind: device}
  - {name: mv9, kind: macvlan, link: e0, macvlan: {mode: bridge}}
`);
  const a = nodectl(['config', 'apply', first, ...args, '--json']);
  t.is(a.status, 0, a.stdout + a.stderr);
  t.is((JSON.parse(a.stdout) as { rehearsal: { status: string } }).rehearsal.status, 'passed', a.stdout);
  // now remove most of it: route deletions, dooming owned links, releasing a port
  const second = file(t, d, 'second.yaml', 'interfaces:\n  - {name: br0, kind: bridge, addresses: [192.0.2.1/24], routes: [{to: 10.50.0.0/16, via: 192.0.2.254}]}\n  - {name: e1, kind: device}\n');
  const p = nodectl(['config', 'plan', second, ...args, '--json']);
  t.is(p.status, 100, p.stdout + p.stderr);
  const plan = JSON.parse(p.stdout) as { steps: { text: string }[]; rehearsal: { status: string; reason?: string; notes: string[] } };
  t.true(plan.steps.some((s) => s.text.startsWith('route del 10.51.0.0/16')), JSON.stringify(plan.steps));
  t.true(plan.steps.some((s) => s.text.startsWith('link del vx')), JSON.stringify(plan.steps));
  t.is(plan.rehearsal.status, 'passed', JSON.stringify(plan.rehearsal));
  t.true(plan.steps.some((s) => s.text.startsWith('link del mv9')), JSON.stringify(plan.steps));
  // releasing e1 from br2 re-enslaves a port that is up: disruption, asked for here
  const b = nodectl(['config', 'apply', second, ...args, '--allow-disruption']);
  t.is(b.status, 0, b.stdout + b.stderr);
  t.regex(b.stdout, /^rehearsal passed: /m);
});

/** node() plus UNRELATED macvlans on a "NIC" of their own, and a passthru macvlan holding e2. */
const UNRELATED = 200;
function bigNode(t: ExecutionContext): Netns {
  const ns = node(t);
  ns.ip('link', 'add', 'u0', 'type', 'veth', 'peer', 'name', 'u1');
  sh('ip', ['-n', ns.name, '-batch', '-'], { input: Array.from({ length: UNRELATED }, (_, i) => `link add link u0 name um${i} up type macvlan mode bridge\n`).join('') });
  ns.ip('link', 'add', 'e2', 'type', 'veth', 'peer', 'name', 'e3');
  ns.ip('link', 'add', 'mvp', 'link', 'e2', 'type', 'macvlan', 'mode', 'passthru');
  ns.ip('addr', 'add', '2001:db8:1::2/64', 'dev', 'u0', 'nodad');
  return ns;
}

// The rehearsal stands in only what the steps involve (scopeOf). Each refusal below needs a
// stand-in the file never names: br1's kind (the port's, named) and br0 as its master; mv0's lower
// device e0 (for its MTU limit); e2's passthru macvlan mvp (a sibling of the new macvlan). Without
// it the rehearsal passes and the node refuses at that step, after step 1, and rolls back. And an
// IPv6 route whose gateway is an address of u0, an interface the steps never name (the kernel
// refuses a local address as a gateway, whichever interface has it).
testIf('root', 'cli')('on a node with many unrelated links, refusals that need a master, a lower device, a sibling or a gateway\'s holder are still caught before step 1', async (t) => {
  const ns = bigNode(t);
  const d = stateDir(t);
  const eloop = file(t, d, 'eloop.yaml', 'interfaces:\n  - {name: e0, kind: device, mtu: 1400}\n  - {name: br1, kind: device, master: br0}\n  - {name: br0, kind: bridge, addresses: [192.0.2.1/24]}\n');
  await refusedBeforeStep1(t, ns, eloop, { exit: 1, errno: 'ELOOP', extack: /Can not enslave a bridge to a bridge/, step: /step 2\/\d+ \(link set br1 master br0\)/ });
  const mtu = file(t, d, 'mtu.yaml', 'interfaces:\n  - {name: br0, kind: bridge, addresses: [192.0.2.1/24, 192.0.2.2/24]}\n  - {name: mv0, kind: device, mtu: 9000}\n');
  await refusedBeforeStep1(t, ns, mtu, { exit: 1, errno: 'EINVAL', step: /step \d\/\d+ \(link set mv0 mtu 1500 → 9000\)/ });
  const passthru = file(t, d, 'passthru.yaml', 'interfaces:\n  - {name: br0, kind: bridge, addresses: [192.0.2.1/24, 192.0.2.3/24]}\n  - {name: e2, kind: device}\n  - {name: mvn, kind: macvlan, link: e2, macvlan: {mode: bridge}}\n');
  await refusedBeforeStep1(t, ns, passthru, { exit: 1, errno: 'EINVAL', step: /step \d\/\d+ \(link add mvn link e2 type macvlan/ });
  const gw = file(t, d, 'gw.yaml', 'interfaces:\n  - {name: e0, kind: device, addresses: ["2001:db8:1::1/64"], routes: [{to: "2001:db8:9::/48", via: "2001:db8:1::2"}]}\n');
  await refusedBeforeStep1(t, ns, gw, { exit: 1, errno: 'EINVAL', extack: /Gateway can not be a local address/, step: /step 2\/2 \(route add 2001:db8:9::\/48 via 2001:db8:1::2/ });
  // and what was left out: the unrelated links have no stand-in (a count, not a time)
  const ok = file(t, d, 'ok.yaml', 'interfaces:\n  - {name: br0, kind: bridge, addresses: [192.0.2.1/24, 192.0.2.4/24]}\n');
  const p = nodectl(['config', 'plan', ok, '-n', ns.name, '--state-dir', join(d, 'state'), '--json']);
  const r = (JSON.parse(p.stdout) as { rehearsal: { status: string; standIns: number; unrelated: number } }).rehearsal;
  t.is(r.status, 'passed', p.stdout);
  t.is(r.standIns, 1, 'br0 alone');
  t.is(r.unrelated, UNRELATED + 9, 'u0, u1, e0, e1, e2, e3, br1, mv0, mvp and the macvlans on u0');
});
