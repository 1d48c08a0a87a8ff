// contrib/ansible/library/nodectl_config.py driven by Debian's ansible-core (connection local)
// against namespaces: check mode changes nothing and shows the plan as the diff, a failed apply
// is reported failed and rolled back, a real run changes and a second run reports unchanged, and
// a gateway that does not answer reverts the change. "Unchanged" is iproute2's view
// (ip -d -j link, ip -j addr), ifindexes and MACs included.
import { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveCommand, type Netns, netnsFor, rootTitle } from '../helpers/netns.js';
import { testIf } from '../helpers/require.js';
import { waitUntil } from '../helpers/patience.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/run.js');

interface TaskResult { stdout: string; changed?: boolean; failed?: boolean; msg?: string; operations?: string[]; rolled_back?: boolean; reverted?: boolean; disruption?: { name: string; effects: string[] }[] }

// Registered with testIf('root'): the module changes namespaces the test creates.
function skipUnless(t: ExecutionContext): boolean {
  // Not a kernel feature: scripts/setup installs ansible-core, so its absence is a failure.
  if (!haveCommand('ansible-playbook')) {
    t.fail('ansible-playbook missing: run scripts/setup (it installs ansible-core)');
    return false;
  }
  return true;
}

/** node namespace with up0 cabled to gw0 (192.0.2.1/24) in a gateway namespace. */
async function topology(t: ExecutionContext): Promise<{ node: Netns; dir: string; file: string }> {
  const node = netnsFor(t);
  const gw = netnsFor(t);
  for (const ns of [node, gw]) ns.exec('sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
  node.ip('link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'gw0', 'netns', gw.name);
  gw.ip('addr', 'add', '192.0.2.1/24', 'dev', 'gw0');
  gw.ip('link', 'set', 'gw0', 'up');
  // Up from the start: a veth's first up attaches its qdisc for good (noop → noqueue), which a
  // rollback cannot and need not undo.
  node.ip('link', 'set', 'up0', 'up');
  // The reference is taken once the carrier is up, or it would differ from any later look.
  const carrier = () => node.ipJson<{ operstate: string }[]>('link', 'show', 'up0')[0]?.operstate === 'UP';
  await waitUntil(carrier, () => 'up0 never got its carrier');
  const dir = mkdtempSync(join(tmpdir(), 'nctl-ansible-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'node.yaml');
  writeFileSync(file, [
    'interfaces:',
    '  - kind: device',
    '    name: up0',
    '    addresses: [192.0.2.10/24]',
    '  - kind: bridge',
    '    name: br0',
    '    addresses: [198.51.100.1/24]',
    '',
  ].join('\n'));
  return { node, dir, file };
}

/** ip -d -j link and ip -j addr, less the bridge's running timers (they count while we look). */
function snapshot(ns: Netns): unknown {
  const timers = /_timer$/;
  const link = JSON.parse(JSON.stringify(ns.ipJson('-d', 'link'), (k, v) => (timers.test(k) ? undefined : v)));
  return { link, addr: ns.ipJson('addr') };
}

function play(dir: string, args: Record<string, unknown>, opts: { check?: boolean; env?: Record<string, string> } = {}): TaskResult {
  const task = { name: 'nodectl', nodectl_config: { nodectl: `${process.execPath} ${bin}`, ...args }, environment: opts.env ?? {} };
  const file = join(dir, 'play.yml');
  writeFileSync(file, JSON.stringify([{ hosts: 'localhost', connection: 'local', gather_facts: false, tasks: [task] }]));
  const r = spawnSync('ansible-playbook', ['-i', 'localhost,', file, '--diff', ...(opts.check ? ['--check'] : [])], {
    encoding: 'utf8',
    env: {
      // ansible-core has no JSON stdout callback (that is in ansible.posix); its tree callback
      // writes each host's last result as JSON, and the play has one task.
      ...process.env, ANSIBLE_LIBRARY: join(root, 'contrib/ansible/library'), ANSIBLE_CALLBACKS_ENABLED: 'tree', ANSIBLE_CALLBACK_TREE_DIR: join(dir, 'tree'),
      ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3', ANSIBLE_HOME: join(dir, 'ansible'), ANSIBLE_LOCAL_TEMP: join(dir, 'tmp'),
      ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: '0',
    },
  });
  try {
    const res = JSON.parse(readFileSync(join(dir, 'tree/localhost'), 'utf8')) as TaskResult;
    rmSync(join(dir, 'tree'), { recursive: true, force: true });
    // The tree callback's record leaves out "failed": ansible-playbook exits 2 when a task failed.
    if (r.status !== 0 && r.status !== 2) throw new Error(`exit ${r.status}`);
    return { ...res, failed: r.status === 2, stdout: r.stdout };
  } catch (e) {
    throw new Error(`ansible-playbook (${r.status}): ${(e as Error).message}\n${r.stdout}${r.stderr}`);
  }
}

/** The diff as ansible-playbook --diff shows it (the tree record leaves the diff out). */
const diffText = (r: TaskResult) => r.stdout;

testIf('root')(rootTitle('ansible: check mode changes nothing, a failed apply rolls back, then changed once and unchanged after'), async (t) => {
  if (!skipUnless(t)) return;
  const { node, dir, file } = await topology(t);
  const stateDir = join(dir, 'state');
  const args = { src: file, netns: node.name, state_dir: stateDir, gateway: '192.0.2.1', confirm_timeout: 60 };
  const before = snapshot(node);

  const check = play(dir, args, { check: true });
  t.true(check.changed, JSON.stringify(check));
  t.regex(diffText(check), /\+ link add br0 type bridge/);
  t.regex(diffText(check), /addr add 198\.51\.100\.1\/24 dev br0/);
  t.deepEqual(snapshot(node), before, 'check mode changed the namespace');

  const failed = play(dir, args, { env: { NODECTL_FAIL_AT_STEP: '2' } });
  t.true(failed.failed, JSON.stringify(failed));
  t.true(failed.rolled_back);
  t.regex(failed.msg ?? '', /rolled back/);
  t.deepEqual(snapshot(node), before, 'a failed apply left changes behind');

  const first = play(dir, args);
  t.falsy(first.failed, first.msg);
  t.true(first.changed);
  const addrs = node.ipJson<{ ifname: string; addr_info: { local: string }[] }[]>('addr').flatMap((l) => l.addr_info.map((a) => `${l.ifname} ${a.local}`));
  t.true(addrs.includes('br0 198.51.100.1'), addrs.join(', '));
  t.true(addrs.includes('up0 192.0.2.10'), addrs.join(', '));

  const after = snapshot(node);
  const second = play(dir, args);
  t.falsy(second.failed, second.msg);
  t.false(second.changed, JSON.stringify(second));
  t.deepEqual(second.operations, []);
  t.notRegex(diffText(second), /link add/);
  t.deepEqual(snapshot(node), after);
});

testIf('root')(rootTitle('ansible: a gateway that does not answer after the apply reverts the change and fails'), async (t) => {
  if (!skipUnless(t)) return;
  const { node, dir, file } = await topology(t);
  const before = snapshot(node);
  const r = play(dir, { src: file, netns: node.name, state_dir: join(dir, 'state'), gateway: '192.0.2.99', reach_tries: 2, confirm_timeout: 60 });
  t.true(r.failed, JSON.stringify(r));
  t.true(r.reverted);
  t.regex(r.msg ?? '', /192\.0\.2\.99 did not answer/);
  t.deepEqual(snapshot(node), before, 'the revert left changes behind');
});

testIf('root')(rootTitle('ansible: a plan that disrupts a link that is up fails the task, nothing changed, unless allow_disruption'), async (t) => {
  if (!skipUnless(t)) return;
  const { node, dir, file } = await topology(t);
  const args = { src: file, netns: node.name, state_dir: join(dir, 'state'), gateway: '192.0.2.1', confirm_timeout: 60 };
  t.falsy(play(dir, args).failed);
  // stp cannot change in place: br0 (up) would be re-created
  writeFileSync(file, readFileSync(file, 'utf8').replace('    name: br0\n', '    name: br0\n    bridge: {stp: true}\n'));
  const before = snapshot(node);
  const refused = play(dir, args);
  t.true(refused.failed, JSON.stringify(refused));
  t.false(refused.changed);
  t.false(refused.rolled_back);
  t.deepEqual(refused.disruption?.map((d) => `${d.name} ${d.effects.join()}`), ['br0 recreate']);
  t.regex(refused.msg ?? '', /would disrupt links that are up: br0 \(recreate\); nothing was changed/);
  t.deepEqual(snapshot(node), before, 'a refused plan changed the namespace');
  const allowed = play(dir, { ...args, allow_disruption: true });
  t.falsy(allowed.failed, allowed.msg);
  t.true(allowed.changed);
  t.false(play(dir, args).changed);
});
