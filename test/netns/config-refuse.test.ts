// Issue 18 through the built CLI: a file the kernel would refuse is refused by `config validate`
// (exit 3, FILE:LINE:COL), and `config plan`/`config apply` refuse it before the first step, the
// namespace unchanged (checked with iproute2). Odd FILE arguments get a one-line error, never a
// hang or an internal error (exit 70).
import { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Netns, netnsFor, sh } from '../helpers/netns.js';
import { patient } from '../helpers/patience.js';
import { literal } from '../helpers/cli.js';
import { testIf } from '../helpers/require.js';

const CLI = new URL('../../bin/run.js', import.meta.url).pathname;

function tmp(t: ExecutionContext): string {
  const d = mkdtempSync(join(tmpdir(), 'nctl-refuse-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function nodectl(args: string[], opts: { env?: Record<string, string>; input?: string } = {}): { status: number | null; stdout: string; stderr: string; signal: string | null } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...opts.env }, input: opts.input ?? '', timeout: patient(30_000) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

/** Everything iproute2 shows of a namespace that an apply could change. */
function ipState(ns: Netns): string {
  const links = ns.ipJson<Record<string, unknown>[]>('-d', 'link', 'show').map((l) => {
    const { stats64: _s, ...rest } = l as { stats64?: unknown };
    return rest;
  });
  return JSON.stringify({
    links, addrs: ns.ipJson('addr', 'show'), routes: ns.ipJson('route', 'show', 'table', 'all'), neigh: ns.ipJson('neigh', 'show'),
    sysctl: ['net/ipv4/conf/all/arp_ignore', 'net/ipv4/conf/all/arp_announce'].map((k) => ns.sysctl(k)),
  });
}

testIf('cli')('validate: FILE must be a regular file or -; a directory, /dev/zero and a FIFO are refused at once', (t) => {
  const d = tmp(t);
  sh('mkfifo', [join(d, 'fifo')]);
  for (const [file, what] of [[d, 'a directory'], ['/dev/zero', 'a character device'], [join(d, 'fifo'), 'a FIFO']] as const) {
    const r = nodectl(['config', 'validate', file]);
    t.is(r.signal, null, `${file}: killed by the timeout (it hung)`);
    t.is(r.status, 2, `${file}: ${r.stderr}`);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    t.true(r.stderr.includes(`${file} is ${what}: give a regular config file, or - for standard input`), r.stderr);
    const j = nodectl(['config', 'validate', file, '--json']);
    t.is((JSON.parse(j.stdout) as { error: { code: string } }).error.code, 'USAGE');
  }
  const ok = nodectl(['config', 'validate', '-'], { input: 'interfaces:\n  - {name: eth0, kind: device}\n' });
  t.is(ok.status, 0, ok.stderr);
  t.regex(ok.stdout, /^-: valid \(1 interface\)/);
  const bad = nodectl(['config', 'validate', '-'], { input: 'interfaces:\n  - {name: eth0, kind: device, mtu: 65536}\n' });
  t.is(bad.status, 3);
  t.true(bad.stderr.includes('<stdin>:2:37: /interfaces/0/mtu: 65536 is out of range (68-65535)'), bad.stderr);
});

testIf('cli')('validate: invalid UTF-8 is refused at its position, deep nesting and a huge file with a clear error (exit 3)', (t) => {
  const d = tmp(t);
  const f = join(d, 'latin1.yaml');
  writeFileSync(f, Buffer.concat([Buffer.from('interfaces:\n  - {name: eth0, kind: device, alias: "caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]));
  const r = nodectl(['config', 'validate', f]);
  t.is(r.status, 3, r.stderr);
  t.true(r.stderr.includes(`${f}:2:43: /: invalid UTF-8 (byte 0xe9 at byte offset 54): a config file must be UTF-8`), r.stderr);
  for (const text of [`interfaces: ${'['.repeat(20000)}\n`, `interfaces:\n  ${'- '.repeat(20000)}x\n`]) {
    writeFileSync(f, text);
    const n = nodectl(['config', 'validate', f]);
    t.is(n.status, 3, n.stderr);
    t.regex(n.stderr, /nesting deeper than 64 levels/);
  }
  writeFileSync(f, `interfaces: []\n${'#'.repeat(17 * 1024 * 1024)}\n`);
  const big = nodectl(['config', 'validate', f]);
  t.is(big.status, 3, big.stderr);
  t.regex(big.stderr, /:1:1: \/: the file is \d+ bytes: a config file may have at most 16777216 \(16 MiB\)/);
});

testIf('root', 'cli')('validate exits 3 on what the kernel would refuse; plan and apply refuse it before step 1, the namespace unchanged', (t) => {
  const ns = netnsFor(t);
  ns.ip('link', 'add', 'e0', 'type', 'veth', 'peer', 'name', 'e1');
  ns.ip('link', 'add', 'br0', 'type', 'bridge');
  ns.ip('addr', 'add', '192.0.2.1/24', 'dev', 'br0');
  const d = tmp(t);
  const env = { NODECTL_STATE_DIR: d };
  const before = ipState(ns);
  // each would have run steps (create br1, add addresses, set MTUs) before the kernel refused
  const files = [
    'interfaces:\n  - {name: br0, kind: bridge, addresses: [192.0.2.2/24]}\n  - {name: br1, kind: bridge, master: br0}\n  - {name: e0, kind: device, mtu: 1400}\n',
    'interfaces:\n  - {name: e0, kind: device, mtu: 1500}\n  - {name: mv0, kind: macvlan, link: e0, mtu: 9000}\n  - {name: br0, kind: bridge, mtu: 1400}\n',
    'interfaces:\n  - {name: br0, kind: bridge, addresses: [127.0.0.5/8, "::/64"]}\n',
    'interfaces:\n  - {name: e0, kind: device, addresses: [192.0.2.9/24]}\n  - {name: br0, kind: bridge}\nmgmt: {addresses: [192.0.2.9/24], candidates: [e0, e0]}\n',
  ];
  files.forEach((text, k) => {
    const f = join(d, `bad${k}.yaml`);
    writeFileSync(f, text);
    const v = nodectl(['config', 'validate', f]);
    t.is(v.status, 3, `${text}\n${v.stdout}${v.stderr}`);
    t.regex(v.stderr, new RegExp(`^${literal(f)}:\\d+:\\d+: /`, 'm'));
    t.is(nodectl(['config', 'plan', f, '-n', ns.name], { env }).status, 3);
    const a = nodectl(['config', 'apply', f, '-n', ns.name], { env });
    t.is(a.status, 3, a.stderr);
    t.notRegex(a.stdout + a.stderr, /step 1\//);
    t.is(ipState(ns), before, `apply of bad${k}.yaml changed the namespace`);
  });
});

testIf('root', 'cli')('plan refuses what only the node shows (a missing mgmt candidate, MTUs of existing links), nothing changed', (t) => {
  const ns = netnsFor(t);
  ns.ip('link', 'add', 'e0', 'type', 'veth', 'peer', 'name', 'e1');
  const d = tmp(t);
  const env = { NODECTL_STATE_DIR: d };
  const before = ipState(ns);
  const f = join(d, 'node.yaml');
  // valid on its own: the file does not say e0's MTU, nor whether eth7 exists
  writeFileSync(f, 'interfaces:\n  - {name: e0, kind: device}\n  - {name: mv0, kind: macvlan, link: e0, mtu: 9000}\n  - {name: br0, kind: bridge, mtu: 9000, ports: [e1]}\n  - {name: e1, kind: device}\nmgmt: {addresses: [192.0.2.10/24], candidates: [e0, eth7]}\n');
  t.is(nodectl(['config', 'validate', f]).status, 0);
  const p = nodectl(['config', 'plan', f, '-n', ns.name], { env });
  t.is(p.status, 1, p.stdout + p.stderr);
  t.is(p.stderr.trim(), 'nodectl: the file cannot be applied to this node: '
    + '/interfaces/1/mtu: mtu 9000 is above the mtu 1500 of its lower device e0 on this node: the kernel refuses a macvlan larger than its lower device; '
    + '/interfaces/2/mtu: bridge br0 mtu 9000 is above the mtu 1500 of its port e1 on this node: the kernel lowers a bridge to the MTU of its smallest port; '
    + '/mgmt/candidates/1: candidate eth7 does not exist on this node and the file does not create it');
  t.is(ipState(ns), before);
});
