// The read commands end to end (bin/run.js on the built dist), against iproute2 in a throwaway netns.
import { type ChildProcess, spawn } from 'node:child_process';
import { Monitor, type MonitorEvent } from '../../src/netlink/monitor.js';
import type { TreeNode } from '../../src/interfaces/tree.js';
import { bridgeTopology, type Netns, netnsFor, rootTitle, waitLowerUp } from '../helpers/netns.js';
import type { IpLink } from '../helpers/ip-oracle.js';
import { patient } from '../helpers/patience.js';
import { NODECTL_BIN, nodectl } from '../helpers/cli.js';
import { testIf } from '../helpers/require.js';

const title = rootTitle;

/**
 * bridgeTopology with an address and a neighbour on br0, once the links the tests print as UP
 * are: a bridge's carrier, and every operstate, come from the kernel's link watcher, later.
 */
async function topology(ns: Netns): Promise<void> {
  bridgeTopology(ns);
  ns.ip('addr', 'add', '192.0.2.1/24', 'dev', 'br0');
  ns.ip('neigh', 'add', '192.0.2.9', 'lladdr', '02:00:00:00:00:09', 'dev', 'br0', 'nud', 'permanent');
  await waitLowerUp(ns, ['br0', 'p1a', 'p1b', 'mv0']);
}

testIf('root')(title('link tree: bridge over two veths and a macvlan, as text, JSON and dot'), async (t) => {
  const ns = netnsFor(t);
  await topology(ns);
  const j = nodectl('link', 'tree', '--json', '--netns', ns.name);
  t.is(j.status, 0, j.stderr);
  const roots = JSON.parse(j.stdout) as TreeNode[];
  const shape = (ns2: TreeNode[]): unknown => ns2.map((n) => (n.children.length ? { [n.name]: shape(n.children) } : n.name));
  t.deepEqual(shape(roots), ['lo', { br0: ['p1a', 'p2a'] }, { p1b: ['mv0'] }, 'p2b']);
  // the same hierarchy iproute2 reports
  const ip = ns.ipJson<IpLink[]>('-d', 'link', 'show');
  t.deepEqual(ip.filter((l) => l.master).map((l) => [l.ifname, l.master]), [['p1a', 'br0'], ['p2a', 'br0']]);
  t.is(ip.find((l) => l.ifname === 'mv0')?.link, 'p1b');

  const text = nodectl('link', 'tree', '--netns', ns.name);
  t.is(text.status, 0);
  t.regex(text.stdout, /^br0 +UP +bridge stp off\n├── p1a +UP +veth peer p1b, port \w+\n└── p2a +\S+ +veth peer p2b, port \w+\np1b +UP +veth peer p1a\n└── mv0 +UP +macvlan bridge$/m);
  const dot = nodectl('link', 'tree', '--format', 'dot', '--netns', ns.name);
  t.true(dot.stdout.startsWith('digraph interfaces {'));
  t.true(dot.stdout.includes('"br0" -> "p2a" [label="port"]'));
  t.true(dot.stdout.includes('"p1b" -> "mv0" [label="lower"]'));
  const fj = nodectl('link', 'tree', '--format', 'json', '--netns', ns.name);
  t.deepEqual(JSON.parse(fj.stdout), roots);
});

testIf('root')(title('link list / show, addr list, neigh list --json match iproute2'), async (t) => {
  const ns = netnsFor(t);
  await topology(ns);
  const list = JSON.parse(nodectl('link', 'list', '--json', '-n', ns.name).stdout) as { ifname: string; master: string | null; link: string | null; parent: string | null; peer: string | null; ports: string[] }[];
  const ip = ns.ipJson<IpLink[]>('-d', 'link', 'show');
  // ip's keys: the same jq line reads both
  t.deepEqual(list.map((l) => [l.ifname, l.master, l.link]), ip.map((l) => [l.ifname, l.master ?? null, l.link ?? null]));
  t.deepEqual(list.find((l) => l.ifname === 'br0')?.ports, ['p1a', 'p2a']);
  t.is(list.find((l) => l.ifname === 'mv0')?.parent, 'p1b');
  t.is(list.find((l) => l.ifname === 'p1a')?.peer, 'p1b');
  const text = nodectl('link', 'list', '-n', ns.name).stdout;
  t.regex(text, /^IDX +NAME +STATE +MTU +MAC +MASTER +LOWER +KIND$/m);
  t.regex(text, /^\d+ +mv0 +UP +1500 +[0-9a-f:]{17} +- +p1b +macvlan bridge$/m);

  const show = nodectl('link', 'show', 'p1a', '--json', '-n', ns.name);
  t.is(show.status, 0);
  t.like(JSON.parse(show.stdout), { ifname: 'p1a', kind: 'veth', master: 'br0', peer: 'p1b', link: 'p1b', linkinfo: { info_kind: 'veth', info_slave_kind: 'bridge' } });
  t.regex(nodectl('link', 'show', 'br0', '-n', ns.name).stdout, /^ports +p1a p2a$/m);

  const addrs = JSON.parse(nodectl('addr', 'list', '--dev', 'br0', '--family', 'inet', '--json', '-n', ns.name).stdout) as { ifname: string; address: string; prefixlen: number }[];
  t.deepEqual(addrs.map((a) => [a.ifname, a.address, a.prefixlen]), [['br0', '192.0.2.1', 24]]);
  const neighs = JSON.parse(nodectl('neigh', 'list', '--dev', 'br0', '--json', '-n', ns.name).stdout) as { address: string; lladdr: string; state: string }[];
  t.like(neighs.find((n) => n.address === '192.0.2.9'), { lladdr: '02:00:00:00:00:09', state: 'PERMANENT' });
  t.regex(nodectl('neigh', 'list', '--dev', 'br0', '-n', ns.name).stdout, /^192\.0\.2\.9 dev br0 lladdr 02:00:00:00:00:09 PERMANENT$/m);
});

testIf('root')(title('link show nosuchdev: one line with errno, exit 4; --json gives the error object'), (t) => {
  const ns = netnsFor(t);
  const r = nodectl('link', 'show', 'nosuchdev', '--netns', ns.name);
  t.is(r.status, 4);
  t.is(r.stdout, '');
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.regex(r.stderr, /^nodectl: interface "nosuchdev" does not exist .*ENODEV/);
  const j = nodectl('link', 'show', 'nosuchdev', '--json', '--netns', ns.name);
  t.is(j.status, 4);
  t.like(JSON.parse(j.stdout), { error: { code: 'NOT_FOUND', errno: 'ENODEV', object: 'nosuchdev' } });
  const bad = nodectl('link', 'list', '--netns', 'nctl-t-no-such-namespace');
  t.is(bad.status, 4);
  t.regex(bad.stderr, /^nodectl: network namespace "nctl-t-no-such-namespace" does not exist/);
  const dev = nodectl('addr', 'list', '--dev', 'nosuchdev', '--netns', ns.name);
  t.is(dev.status, 4);
});

// Bounds the wait for each event, from before the `ip` command that causes it: on a loaded
// machine that command alone (spawnSync) can take longer than Monitor.next's 5 s, and then the
// timer fires before the event already queued on the socket is read.
const WAIT = patient(30_000);

testIf('root')(title('Monitor reports link, addr and neigh changes decoded like the dumps'), async (t) => {
  const ns = netnsFor(t);
  const mon = Monitor.open({ netns: ns.name, groups: ['link', 'addr', 'neigh'] });
  t.teardown(() => mon.close());
  const seen: MonitorEvent[] = [];
  mon.on('event', (e: MonitorEvent) => seen.push(e));
  const newLink = mon.next((e) => e.type === 'link' && e.action === 'new' && e.link?.name === 'm0', WAIT);
  ns.ip('link', 'add', 'm0', 'type', 'veth', 'peer', 'name', 'm1');
  const l = await newLink;
  t.like(l.link, { name: 'm0', kind: 'veth' });
  const newAddr = mon.next((e) => e.type === 'addr' && e.action === 'new' && e.addr?.address === '203.0.113.1', WAIT);
  ns.ip('addr', 'add', '203.0.113.1/24', 'dev', 'm0');
  t.like((await newAddr).addr, { prefixlen: 24, family: 4, ifindex: l.link!.index });
  const newNeigh = mon.next((e) => e.type === 'neigh' && e.action === 'new' && e.neigh?.address === '203.0.113.7', WAIT);
  ns.ip('neigh', 'add', '203.0.113.7', 'lladdr', '02:00:00:00:00:07', 'dev', 'm0');
  t.like((await newNeigh).neigh, { lladdr: '02:00:00:00:00:07', state: 'PERMANENT' });
  const delLink = mon.next((e) => e.type === 'link' && e.action === 'del' && e.link?.name === 'm0', WAIT);
  ns.ip('link', 'del', 'm0');
  t.is((await delLink).link?.index, l.link!.index);
  t.false(seen.some((e) => e.type === 'route'), 'route group was not asked for');
});

/**
 * `nodectl monitor ARGS`, once it says it is monitoring (so nothing done after is missed): its
 * stdout and stderr so far, and its exit status once its output is all read.
 */
async function startMonitor(args: string[]): Promise<{ child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [NODECTL_BIN, 'monitor', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  // 'close', not 'exit': only then has all of its stdout been read (a clean clone's run parsed
  // an empty output after 'exit')
  const exited = new Promise<number | null>((resolve) => child.once('close', (code: number | null) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('monitoring')) resolve();
    });
    child.once('exit', () => reject(new Error(`monitor exited early: ${err}`)));
  });
  return { child, out: () => out, err: () => err, exited };
}

testIf('root')(title('nodectl monitor --count streams NDJSON and exits'), async (t) => {
  const ns = netnsFor(t);
  const m = await startMonitor(['--count', '3', '--groups', 'link,addr', '--netns', ns.name]);
  ns.ip('link', 'add', 'n0', 'type', 'veth', 'peer', 'name', 'n1');
  ns.ip('addr', 'add', '203.0.113.1/24', 'dev', 'n0');
  t.is(await m.exited, 0, m.err());
  const lines = m.out().trim().split('\n').map((l) => JSON.parse(l) as { type: string; action: string; time: string; link?: { ifname: string } });
  t.is(lines.length, 3);
  t.true(lines.every((l) => typeof l.time === 'string' && l.action === 'new'));
  t.deepEqual(lines.filter((l) => l.type === 'link').map((l) => l.link!.ifname).sort(), ['n0', 'n1']);
  t.is(lines.filter((l) => l.type === 'addr').length, 1);
});

testIf('root')(title('nodectl monitor: events carry names and the fields of link list, addr list and neigh list --json'), async (t) => {
  const ns = netnsFor(t);
  const other = netnsFor(t);
  ns.ip('link', 'add', 'br0', 'type', 'bridge');
  ns.ip('link', 'add', 'far0', 'type', 'veth', 'peer', 'name', 'far1', 'netns', other.name);
  const m = await startMonitor(['--netns', ns.name]);
  ns.ip('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  ns.ip('link', 'set', 'v0', 'master', 'br0');
  ns.ip('link', 'set', 'far0', 'mtu', '1400');
  ns.ip('addr', 'add', '192.0.2.1/24', 'dev', 'v0');
  ns.ip('neigh', 'add', '192.0.2.9', 'lladdr', '02:00:00:00:00:09', 'dev', 'v0', 'nud', 'permanent');
  // a link named inside info_slave_data: v0's backup port, by name as in link list
  ns.ip('link', 'add', 'w0', 'type', 'veth', 'peer', 'name', 'w1');
  ns.ip('link', 'set', 'w0', 'master', 'br0');
  ns.ip('link', 'set', 'dev', 'v0', 'type', 'bridge_slave', 'backup_port', 'w0');
  ns.ip('link', 'set', 'v0', 'nomaster');
  ns.ip('link', 'set', 'w0', 'nomaster');
  // the last of these; then stop (polling, generous bound: no fixed sleep)
  for (let i = 0; i < 200 && !/"action":"new".*"ifname":"br0".*"ports":\[\]/.test(m.out().split('\n').slice(-6).join('\n')); i++) await new Promise((r) => setTimeout(r, 50));
  m.child.kill('SIGINT');
  t.is(await m.exited, 0, m.err());
  type Ev = { type: string; action: string; link?: Record<string, unknown> & { ifname: string; kind: string }; addr?: Record<string, unknown>; neigh?: Record<string, unknown> };
  const events = m.out().trim().split('\n').map((l) => JSON.parse(l) as Ev);
  const links = events.filter((e) => e.type === 'link').map((e) => e.link!);
  // the bridge layer's own port messages (AF_BRIDGE) decoded as links said kind "device"
  t.false(links.some((l) => l.kind === 'device'), 'no bridge-family message passed off as a link');
  t.true(links.some((l) => l.ifname === 'v0' && l.master === 'br0' && l.peer === 'v1' && l.link === 'v1'), 'v0 as a port of br0 with its peer named');
  t.true(links.some((l) => l.ifname === 'br0' && JSON.stringify(l.ports) === '["v0"]'), 'br0 with its port named');
  t.like(links.find((l) => l.ifname === 'far0' && l.mtu === 1400), { peer: 'far1', link_netns: other.name });
  t.true(links.some((l) => l.ifname === 'v0' && (l.linkinfo as { info_slave_data: { backup_port?: string } | null } | null)?.info_slave_data?.backup_port === 'w0'), 'v0 with its backup port named');
  t.like(events.find((e) => e.type === 'addr')?.addr, { ifname: 'v0', address: '192.0.2.1' });
  t.like(events.find((e) => e.type === 'neigh')?.neigh, { ifname: 'v0', address: '192.0.2.9' });
  // the same keys as the list commands print
  const listed = JSON.parse(nodectl('link', 'list', '--json', '--netns', ns.name).stdout) as Record<string, unknown>[];
  const lastV0 = links.filter((l) => l.ifname === 'v0').at(-1)!;
  t.deepEqual(Object.keys(lastV0), Object.keys(listed.find((l) => l.ifname === 'v0')!));
  t.deepEqual(Object.keys(links.filter((l) => l.ifname === 'far0').at(-1)!), Object.keys(listed.find((l) => l.ifname === 'far0')!));
  const addrs = JSON.parse(nodectl('addr', 'list', '--json', '--netns', ns.name).stdout) as Record<string, unknown>[];
  t.deepEqual(Object.keys(events.find((e) => e.type === 'addr')!.addr!).sort(), Object.keys(addrs.find((a) => a.address === '192.0.2.1')!).sort());
  const neighs = JSON.parse(nodectl('neigh', 'list', '--json', '--netns', ns.name).stdout) as Record<string, unknown>[];
  t.deepEqual(Object.keys(events.find((e) => e.type === 'neigh')!.neigh!).sort(), Object.keys(neighs.find((n) => n.address === '192.0.2.9')!).sort());
});

testIf('root')(title('nodectl monitor -g route: a route event is what route list --json prints (dev by name)'), async (t) => {
  const ns = netnsFor(t);
  ns.ip('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  ns.ip('link', 'set', 'v0', 'up');
  ns.ip('addr', 'add', '192.0.2.1/24', 'dev', 'v0');
  const m = await startMonitor(['--groups', 'route', '--count', '1', '--netns', ns.name]);
  ns.ip('route', 'add', '10.9.0.0/16', 'via', '192.0.2.9');
  t.is(await m.exited, 0, m.err());
  const ev = JSON.parse(m.out().trim()) as { type: string; route: Record<string, unknown> };
  const listed = (JSON.parse(nodectl('route', 'list', '--json', '--netns', ns.name).stdout) as Record<string, unknown>[]).find((r) => r.dst === '10.9.0.0/16')!;
  t.is(ev.type, 'route');
  t.deepEqual(ev.route, listed);
  t.is(ev.route.dev, 'v0');
});

testIf('root')(title('nodectl monitor -g addr,neigh: a link made after it started is named, as ip monitor names it'), async (t) => {
  const ns = netnsFor(t);
  // without the link group the monitor hears of no new link: it must ask, as ip does (ll_link_get)
  const m = await startMonitor(['--groups', 'addr,neigh', '--count', '2', '--netns', ns.name]);
  ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
  ns.ip('addr', 'add', '192.0.2.1/24', 'dev', 'va');
  ns.ip('neigh', 'add', '192.0.2.9', 'lladdr', '02:00:00:00:00:09', 'dev', 'va', 'nud', 'permanent');
  t.is(await m.exited, 0, m.err());
  const index = ns.ipJson<IpLink[]>('link', 'show', 'va')[0]!.ifindex;
  const events = m.out().trim().split('\n').map((l) => JSON.parse(l) as { type: string; addr?: object; neigh?: object });
  t.like(events.find((e) => e.type === 'addr')?.addr, { ifindex: index, ifname: 'va', address: '192.0.2.1' });
  t.like(events.find((e) => e.type === 'neigh')?.neigh, { ifindex: index, ifname: 'va', address: '192.0.2.9' });
});
