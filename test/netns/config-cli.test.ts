// The config and link/addr commands through the built CLI, with iproute2 as the oracle: exit
// statuses, --json results, every validation problem with its position, and the detached
// --confirm watchdog that must outlive the apply process.
import { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Netns, netnsFor } from '../helpers/netns.js';
import { patient, patientSeconds } from '../helpers/patience.js';
import { assertSameSnapshot, ipSnapshot } from '../helpers/ip-snapshot.js';
import { testIf } from '../helpers/require.js';

const CLI = new URL('../../bin/run.js', import.meta.url).pathname;

function tmp(t: ExecutionContext): string {
  const d = mkdtempSync(join(tmpdir(), 'nctl-cli-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function nodectl(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: patient(60_000) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface IpLink { ifname: string; link?: string; master?: string; mtu: number; ifalias?: string; operstate: string; flags: string[]; linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> } }
const names = (ns: Netns): string[] => ns.ipJson<IpLink[]>('link', 'show').map((l) => l.ifname).sort();

testIf('cli')('config validate prints every problem as FILE:LINE:COL: /path: reason and exits 3', (t) => {
  const d = tmp(t);
  const f = join(d, 'bad.yaml');
  writeFileSync(f, 'interfaces:\n  - name: v1\n    kind: vlan\n    link: eth9\n    vlan: {id: 0}\n    speed: 10\n');
  const r = nodectl(['config', 'validate', f]);
  t.is(r.status, 3);
  t.deepEqual(r.stderr.split('\n').filter((l) => l.startsWith(f)), [
    `${f}:4:11: /interfaces/0/link: unknown lower device "eth9": declare it in this file (kind: device for an existing NIC)`,
    `${f}:5:16: /interfaces/0/vlan/id: 0 is out of range (1-4094)`,
    `${f}:6:5: /interfaces/0/speed: unknown key "speed" (expected one of: kind, name, mtu, mac, state, alias, master, addresses, arp, routes, link, vlan)`,
  ]);
  const j = nodectl(['config', 'validate', f, '--json']);
  t.is(j.status, 3);
  const err = JSON.parse(j.stdout) as { error: { code: string; problems: { line: number; column: number; path: string }[] } };
  t.is(err.error.code, 'CONFIG_INVALID');
  t.deepEqual(err.error.problems.map((p) => `${p.line}:${p.column} ${p.path}`), ['4:11 /interfaces/0/link', '5:16 /interfaces/0/vlan/id', '6:5 /interfaces/0/speed']);
  const schema = JSON.parse(nodectl(['config', 'schema']).stdout) as { additionalProperties: boolean };
  t.false(schema.additionalProperties);
});

testIf('root', 'cli')('config plan exits 100 on drift (not 2, a usage error) and 0 once applied; export re-plans to nothing', (t) => {
  const ns = netnsFor(t);
  const d = tmp(t);
  const f = join(d, 'n.yaml');
  writeFileSync(f, 'interfaces:\n  - {name: br0, kind: bridge, addresses: [192.0.2.1/24]}\n  - {name: ve0, kind: veth, veth: {peer: ve1}, master: br0}\n');
  const env = { NODECTL_STATE_DIR: d };
  const p = nodectl(['config', 'plan', f, '-n', ns.name, '--json'], env);
  t.is(p.status, 100, `drift has its own status: ${p.stderr}`);
  // a typo is not drift: USAGE's 2, which drift shared before
  t.is(nodectl(['config', 'plan', f, '-n', ns.name, '--jsno'], env).status, 2);
  t.deepEqual((JSON.parse(p.stdout) as { steps: { text: string }[] }).steps.map((s) => s.text), [
    'link add br0 type bridge stp off up',
    'link add ve0 type veth peer ve1 master br0 up',
    'addr add 192.0.2.1/24 dev br0',
  ]);
  const a = nodectl(['config', 'apply', f, '-n', ns.name], env);
  t.is(a.status, 0, a.stderr);
  t.is(ns.ipJson<IpLink[]>('link', 'show', 've0')[0]?.master, 'br0');
  t.is(nodectl(['config', 'plan', f, '-n', ns.name], env).status, 0);
  const ex = join(d, 'export.yaml');
  t.is(nodectl(['config', 'export', '-n', ns.name, '-o', ex], env).status, 0);
  const again = nodectl(['config', 'plan', ex, '-n', ns.name], env);
  t.is(again.status, 0, again.stdout);
  t.regex(again.stdout, /no changes/);
});

testIf('root', 'cli')('config apply --confirm: the detached watchdog reverts after the apply process is gone', async (t) => {
  const ns = netnsFor(t);
  const d = tmp(t);
  const f = join(d, 'n.yaml');
  writeFileSync(f, 'interfaces:\n  - {name: d0, kind: bridge}\n');
  const before = names(ns);
  // long enough for the check that d0 is in place to run before the watchdog reverts it
  const a = nodectl(['config', 'apply', f, '-n', ns.name, '--state-dir', d, '--confirm', String(patientSeconds(1))]);
  t.is(a.status, 0, a.stderr);
  t.regex(a.stdout, /run "nodectl config confirm -n \S+" before/);
  t.true(names(ns).includes('d0'));
  const deadline = Date.now() + patient(10_000);
  while (names(ns).includes('d0') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  t.deepEqual(names(ns), before);
  // confirmed in time: it stays past the deadline (generous: CLI start-up on a loaded CI box)
  const window = patientSeconds(20);
  const start = Date.now();
  t.is(nodectl(['config', 'apply', f, '-n', ns.name, '--state-dir', d, '--confirm', String(window)]).status, 0);
  const c = nodectl(['config', 'confirm', '-n', ns.name, '--state-dir', d]);
  t.is(c.status, 0, c.stderr);
  await new Promise((r) => setTimeout(r, Math.max(0, start + (window + 2) * 1000 - Date.now())));
  t.true(names(ns).includes('d0'));
  t.is(nodectl(['config', 'confirm', '-n', ns.name, '--state-dir', d]).status, 1);
});

testIf('root', 'cli')('link add/set/del and addr add/del through the CLI, checked with ip', (t) => {
  const ns = netnsFor(t);
  const n = ['-n', ns.name];
  t.is(nodectl(['link', 'add', 'br0', 'type', 'bridge', '--stp', '--up', ...n]).status, 0);
  t.is(ns.ipJson<IpLink[]>('-d', 'link', 'show', 'br0')[0]?.linkinfo?.info_data?.stp_state, 1);
  const ve = nodectl(['link', 'add', 've0', 'type', 'veth', '--peer', 've1', '--master', 'br0', ...n, '--json']);
  t.is(ve.status, 0, ve.stderr);
  t.is((JSON.parse(ve.stdout) as { master: string }).master, 'br0');
  t.is(nodectl(['link', 'add', 'mv0', 'type', 'macvlan', '--link', 've1', '--mode', 'bridge', ...n]).status, 0);
  t.is(nodectl(['link', 'add', 'mv1', 'type', 'macvlan', '--link', 've1', '--mode', 'private', ...n]).status, 0);
  t.is(ns.ipJson<IpLink[]>('-d', 'link', 'show', 'mv0')[0]?.linkinfo?.info_data?.mode, 'bridge');
  // wrong flag for the kind: usage error, nothing created
  const bad = nodectl(['link', 'add', 'x0', 'type', 'bridge', '--id', '5', ...n]);
  t.is(bad.status, 2);
  t.regex(bad.stderr, /--id does not apply to type bridge/);
  t.false(names(ns).includes('x0'));
  // a kernel refusal carries errno and extack
  const dup = nodectl(['link', 'add', 'br0', 'type', 'bridge', ...n, '--json']);
  t.is(dup.status, 1);
  t.is((JSON.parse(dup.stdout) as { error: { errno: string } }).error.errno, 'EEXIST');

  t.is(nodectl(['link', 'set', 'mv0', '--mtu', '1400', '--alias', 'tenant a', '--down', ...n]).status, 0);
  const mv0 = ns.ipJson<IpLink[]>('link', 'show', 'mv0')[0]!;
  t.is(mv0.mtu, 1400);
  t.is(mv0.ifalias, 'tenant a');
  t.false(mv0.flags.includes('UP'));
  t.is(nodectl(['link', 'set', 've0', '--nomaster', ...n]).status, 0);
  t.is(ns.ipJson<IpLink[]>('link', 'show', 've0')[0]?.master, undefined);

  t.is(nodectl(['addr', 'add', 'br0', '192.0.2.1/24', '--label', 'br0:a', ...n]).status, 0);
  t.is(nodectl(['addr', 'add', 'br0', '2001:db8::1/64', '--nodad', ...n]).status, 0);
  const addrs = ns.ipJson<{ addr_info: { local: string; label?: string; scope: string }[] }[]>('addr', 'show', 'br0')[0]!.addr_info.filter((a) => a.scope === 'global');
  t.deepEqual(addrs.map((a) => `${a.local} ${a.label ?? ''}`.trim()), ['192.0.2.1 br0:a', '2001:db8::1']);
  t.is(nodectl(['addr', 'del', 'br0', '192.0.2.1/24', ...n]).status, 0);
  t.is(nodectl(['addr', 'del', 'br0', '192.0.2.1/24', ...n]).status, 4);

  // ve1 carries mv0 and mv1: no silent orphaning
  const refuse = nodectl(['link', 'del', 've1', ...n]);
  t.is(refuse.status, 2);
  t.regex(refuse.stderr, /ve1 has interfaces built on it \(mv0, mv1\)/);
  t.true(names(ns).includes('mv0'));
  const cascade = nodectl(['link', 'del', 've1', '--cascade', ...n, '--json']);
  t.is(cascade.status, 0, cascade.stderr);
  t.deepEqual((JSON.parse(cascade.stdout) as { deleted: string[] }).deleted, ['mv0', 'mv1', 've1']);
  t.deepEqual(names(ns), ['br0', 'lo']);
});

// The apply half is a test of its own, registered with the root it needs.
const NAMES_YAML = 'interfaces:\n  - {name: "x%d", kind: bridge}\n  - {name: all, kind: bridge}\n  - {name: ääääääää, kind: bridge}\n  - {name: ok0, kind: veth, veth: {peer: "p%s"}}\n';
testIf('cli')('names as the kernel sees them: a %d template, "all", 16 UTF-8 bytes are refused at validation with their position', (t) => {
  const d = tmp(t);
  const f = join(d, 'names.yaml');
  writeFileSync(f, NAMES_YAML);
  const r = nodectl(['config', 'validate', f]);
  t.is(r.status, 3);
  t.deepEqual(r.stderr.split('\n').filter((l) => l.startsWith(f)).map((l) => l.slice(f.length)), [
    ':2:12: /interfaces/0/name: "x%d" is not a valid interface name: "%" makes it a template the kernel fills in (x%d becomes x0, x1, …)',
    ':3:12: /interfaces/1/name: "all" is not a valid interface name (the kernel refuses it: /proc/sys/net/*/conf/all is the namespace-wide setting)',
    ':4:12: /interfaces/2/name: "ääääääää" is 16 bytes long in UTF-8; the kernel allows at most 15',
    ':5:42: /interfaces/3/veth/peer: "p%s" is not a valid interface name: "%" makes it a template the kernel fills in (x%d becomes x0, x1, …)',
  ]);
});

testIf('root', 'cli')('names as the kernel sees them: a file with names the kernel refuses is refused by apply (exit 3) and creates nothing', async (t) => {
  const d = tmp(t);
  const f = join(d, 'names.yaml');
  writeFileSync(f, NAMES_YAML);
  const ns = netnsFor(t);
  const before = await ipSnapshot(ns.name);
  const a = nodectl(['config', 'apply', f, '-n', ns.name, '--state-dir', d]);
  t.is(a.status, 3, a.stderr);
  assertSameSnapshot(t, before, await ipSnapshot(ns.name), 'a refused file changed the namespace');
});
