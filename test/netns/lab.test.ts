// `lab up` / `lab status --json` / `lab down` through the real CLI, with iproute2 as the oracle
// for what exists. Each test uses its own random prefix so a human's lab (nctl-lab-) and
// parallel tests are never touched; teardown removes the lab even when an assertion fails.
import test, { type ExecutionContext } from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { isRoot, sh } from '../helpers/netns.js';
import { testIf } from '../helpers/require.js';

// The built CLI (npm test builds first), exactly what a user runs.
const CLI = new URL('../../bin/run.js', import.meta.url).pathname;

interface CliResult { status: number | null; stdout: string; stderr: string }

// Asynchronous, so the test worker stays responsive while a slow kernel (the VM runs under
// software emulation) takes its time.
function nodectl(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 900_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      resolve({ status: code, stdout, stderr });
    });
  });
}

function labPrefix(t: ExecutionContext): string {
  // the pid lets test/helpers/netns.ts reap a SIGKILLed run's lab
  const prefix = `nctl-lt-${process.pid}-${randomBytes(3).toString('hex')}-`;
  t.teardown(() => {
    for (const ns of netnsWithPrefix(prefix)) spawnSync('ip', ['netns', 'del', ns]);
  });
  return prefix;
}

function netnsWithPrefix(prefix: string): string[] {
  const out = sh('ip', ['-j', 'netns', 'list']).trim();
  const list = (out ? JSON.parse(out) : []) as { name: string }[];
  return list.map((n) => n.name).filter((n) => n.startsWith(prefix));
}

interface IpLink { ifname: string; master?: string; operstate: string; flags: string[]; linkinfo?: { info_kind?: string }; link_netnsid?: number }
interface IpAddr { ifname: string; addr_info: { local: string; prefixlen: number }[] }

const ipj = <T>(ns: string, ...args: string[]): T => JSON.parse(sh('ip', ['-n', ns, '-j', ...args]) || '[]') as T;
const addrsOf = (ns: string, dev: string) => ipj<IpAddr[]>(ns, 'addr', 'show', 'dev', dev, 'scope', 'global')[0]?.addr_info.filter((a) => a.local).map((a) => `${a.local}/${a.prefixlen}`) ?? [];

const root = isRoot();

testIf('root').serial(root ? 'lab up builds the topology, status reports it, down removes everything' : 'lab up/status/down (skipped: needs root to create namespaces)', async (t) => {
  const prefix = labPrefix(t);
  // The root namespace is shared with whatever else runs on this machine, so compare names:
  // none of the lab's may appear there (beyond those that already existed).
  const rootNames = () => new Set((JSON.parse(sh('ip', ['-j', 'link', 'show'])) as { ifname: string }[]).map((l) => l.ifname));
  const before = rootNames();
  const LAB_IFNAMES = ['eth0', 'eth1', 'eth2', 'eth3', 'swp0', 'swp1', 'swp2', 'swp3', 'swp-peer', 'br-mgmt', 'br-data', 'br-int', 'mv-app', 'eth2.100', 'bond0', 'svc0', 'probe-vlan', 'probe-bond', 'probe-dummy'];
  const leakedToRoot = () => LAB_IFNAMES.filter((n) => rootNames().has(n) && !before.has(n));

  const up = await nodectl(['lab', 'up', '--prefix', prefix, '--json']);
  t.is(up.status, 0, up.stderr || up.stdout);
  const upJson = JSON.parse(up.stdout) as { namespaces: { node: string; switch: string; sctpPeer: string }; configFile: string; kinds: { kind: string; available: boolean; why: string | null }[] };
  const node = `${prefix}node`, sw = `${prefix}switch`, peer = `${prefix}sctp-peer`;
  t.deepEqual(upJson.namespaces, { node, switch: sw, sctpPeer: peer });
  t.deepEqual(leakedToRoot(), [], 'no lab interface appears in the root namespace');
  t.deepEqual(netnsWithPrefix(prefix).sort(), [node, peer, sw].sort());
  t.true(existsSync(upJson.configFile), 'the config file is written');

  // The node: four NICs, veth, up, each cabled to a switch port (its peer lives in another netns).
  const nodeLinks = ipj<IpLink[]>(node, '-d', 'link', 'show');
  for (const eth of ['eth0', 'eth1', 'eth2', 'eth3']) {
    const l = nodeLinks.find((x) => x.ifname === eth);
    t.truthy(l, `${eth} exists in the node`);
    t.is(l?.linkinfo?.info_kind, 'veth');
    t.is(l?.link_netnsid !== undefined, true, `${eth}'s peer is in another namespace`);
    t.true(l?.flags.includes('UP'));
  }
  // The switch: bridge ports as iproute2's bridge tool sees them.
  const ports = JSON.parse(sh('bridge', ['-n', sw, '-j', 'link', 'show'])) as { ifname: string; master: string }[];
  const portMap = Object.fromEntries(ports.map((p) => [p.ifname, p.master]));
  t.like(portMap, { swp0: 'br-mgmt', swp1: 'br-mgmt', swp2: 'br-data', swp3: 'br-data', 'swp-peer': 'br-data' });
  t.deepEqual(addrsOf(sw, 'br-mgmt').sort(), ['192.0.2.1/24', '2001:db8:0:1::1/64'].sort());
  t.deepEqual(addrsOf(sw, 'br-data').sort(), ['198.51.100.1/24', '2001:db8:0:2::1/64'].sort());
  // The peer and the node's addresses.
  t.true(addrsOf(peer, 'eth0').includes('198.51.100.20/24'));
  t.true(addrsOf(node, 'eth0').includes('192.0.2.10/24'), 'the management address starts on eth0');
  t.true(addrsOf(node, 'eth2').includes('198.51.100.10/24'));
  const routes = ipj<{ dst: string; gateway?: string; dev: string }[]>(node, 'route', 'show', 'default');
  t.deepEqual(routes.map((r) => [r.gateway, r.dev]), [['192.0.2.1', 'eth0']]);
  // The logical interfaces the host kernel has, and the optional kinds decided by trying.
  const kinds = Object.fromEntries(upJson.kinds.map((k) => [k.kind, k.available]));
  const mv = nodeLinks.find((x) => x.ifname === 'mv-app');
  t.is(mv?.linkinfo?.info_kind, 'macvlan');
  const brInt = nodeLinks.find((x) => x.ifname === 'br-int');
  t.is(brInt?.linkinfo?.info_kind, 'bridge');
  t.is(nodeLinks.find((x) => x.ifname === 'eth3')?.master, kinds.bond ? 'bond0' : 'br-int');
  t.is(nodeLinks.some((x) => x.ifname === 'eth2.100'), kinds.vlan === true);
  t.is(nodeLinks.some((x) => x.ifname === 'svc0'), kinds.dummy === true);
  for (const k of upJson.kinds.filter((x) => !x.available)) t.log(`note: ${k.kind} left out: ${k.why}`);

  // A second `up` refuses and changes nothing.
  const again = await nodectl(['lab', 'up', '--prefix', prefix]);
  t.not(again.status, 0);
  t.regex(again.stderr, /already up/);

  const st = await nodectl(['lab', 'status', '--prefix', prefix, '--json']);
  t.is(st.status, 0, st.stderr);
  const stJson = JSON.parse(st.stdout) as { state: string; missing: string[]; namespaces: { name: string; present: boolean; links: { name: string; master: string | null }[] }[] };
  t.is(stJson.state, 'up');
  t.deepEqual(stJson.missing, []);
  t.deepEqual(stJson.namespaces.map((n) => n.present), [true, true, true]);
  t.is(stJson.namespaces[1]?.links.find((l) => l.name === 'swp1')?.master, 'br-mgmt');

  // Break it: status notices.
  sh('ip', ['-n', sw, 'link', 'del', 'swp3']);
  const partial = JSON.parse((await nodectl(['lab', 'status', '--prefix', prefix, '--json'])).stdout) as { state: string; missing: string[] };
  t.is(partial.state, 'partial');
  t.true(partial.missing.includes('switch/swp3'), partial.missing.join(','));

  const down = await nodectl(['lab', 'down', '--prefix', prefix, '--json']);
  t.is(down.status, 0, down.stderr);
  t.deepEqual((JSON.parse(down.stdout) as { removed: string[] }).removed.sort(), [node, peer, sw].sort());
  t.deepEqual(netnsWithPrefix(prefix), []);
  t.false(existsSync(upJson.configFile));
  t.deepEqual(leakedToRoot(), [], 'no lab interface ever appears in the root namespace');

  const down2 = await nodectl(['lab', 'down', '--prefix', prefix, '--json']);
  t.is(down2.status, 0);
  t.true((JSON.parse(down2.stdout) as { alreadyDown: boolean }).alreadyDown);
  const st2 = JSON.parse((await nodectl(['lab', 'status', '--prefix', prefix, '--json'])).stdout) as { state: string };
  t.is(st2.state, 'down');
});

testIf('root').serial(root ? 'lab down cleans up after a crash: leftover namespaces without a state file' : 'lab down after a crash (skipped: needs root)', async (t) => {
  const prefix = labPrefix(t);
  // What a lab killed half-way through `up` leaves: some namespaces and a veth, no state file.
  sh('ip', ['netns', 'add', `${prefix}node`]);
  sh('ip', ['netns', 'add', `${prefix}switch`]);
  sh('ip', ['-n', `${prefix}node`, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'swp0', 'netns', `${prefix}switch`]);
  const st = JSON.parse((await nodectl(['lab', 'status', '--prefix', prefix, '--json'])).stdout) as { state: string; missing: string[] };
  t.is(st.state, 'partial');
  t.true(st.missing.includes(`${prefix}sctp-peer`));
  const down = await nodectl(['lab', 'down', '--prefix', prefix]);
  t.is(down.status, 0, down.stderr);
  t.deepEqual(netnsWithPrefix(prefix), []);
});

test.serial('lab rejects a prefix that is not a safe namespace name, changing nothing', async (t) => {
  const r = await nodectl(['lab', 'up', '--prefix', '../evil', '--json']);
  t.is(r.status, 2);
  t.is((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'USAGE');
  const leaked = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.includes('evil')) : [];
  t.deepEqual(leaked, []);
});

interface DemoJson { ok: boolean; cleanedUp: boolean; steps: { id: string; status: string; detail: string | null }[] }

testIf('root').serial(root ? 'lab demo runs every step to completion with plain output, then removes its lab' : 'lab demo (skipped: needs root)', async (t) => {
  const prefix = labPrefix(t);
  // --json: the tour goes to stderr (not a TTY, so plain text), the result to stdout.
  const r = await nodectl(['lab', 'demo', '--prefix', prefix, '--step-delay', '0', '--json']);
  const tour = r.stderr;
  let res: DemoJson;
  try {
    res = JSON.parse(r.stdout) as DemoJson;
  } catch {
    t.fail(`no JSON result (exit ${r.status}): ${r.stdout}\n${tour.slice(-3000)}`);
    return;
  }
  const notOk = res.steps.filter((s) => s.status !== 'ok');
  t.deepEqual(notOk, [], tour.slice(-4000));
  t.deepEqual(res.steps.map((s) => s.id), ['lab-up', 'tree', 'config', 'failover', 'sctp', 'lab-down']);
  t.is(r.status, 0);
  t.true(res.ok && res.cleanedUp);
  t.false(tour.includes('\u001b['), 'no terminal escapes when not on a TTY');
  // What each step must have shown, read from the tour itself (real output, not canned text).
  t.regex(tour, /[└├]── mv-app/); // the last child on the host; eth2.100 follows it where the kernel has VLAN
  t.regex(tour, /link set br-int mtu 1500 → 1400/);
  t.regex(tour, /move\s+eth0 -> eth1: eth0 unhealthy \(no carrier\)/);
  t.regex(tour, /move\s+eth1 -> eth0/);
  t.regex(tour, /throttled by receiver/);
  t.regex(tour, /stalled: .* made no cumulative TSN progress/);
  t.deepEqual(netnsWithPrefix(prefix), []);
});

testIf('root').serial(root ? 'lab demo interrupted (SIGINT) removes its lab and exits 130' : 'lab demo SIGINT (skipped: needs root)', async (t) => {
  const prefix = labPrefix(t);
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [CLI, 'lab', 'demo', '--prefix', prefix, '--step-delay', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Interrupt in the middle of the failover step, while a daemon runs inside the lab.
  const deadline = Date.now() + 600_000;
  while (!/Pull the cable/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
  t.regex(out, /Pull the cable/, out.slice(-2000));
  child.kill('SIGINT');
  const code = await exited;
  t.is(code, 130, out.slice(-2000));
  t.regex(out, /Clean up/);
  t.deepEqual(netnsWithPrefix(prefix), []);
});

testIf('root').serial(root ? 'lab up without privileges: a plain message, exit 5, nothing created' : 'lab up unprivileged (skipped: needs root to drop privileges)', (t) => {
  const prefix = labPrefix(t);
  // As nobody, with no capabilities: the answer must come before anything is attempted.
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, CLI, 'lab', 'up', '--prefix', prefix, '--json'], { encoding: 'utf8' });
  t.is(r.status, 5, r.stderr || r.stdout);
  const err = (JSON.parse(r.stdout) as { error: { code: string; needs: string } }).error;
  t.is(err.code, 'PERMISSION');
  t.deepEqual(netnsWithPrefix(prefix), []);
});
