// A veth whose other end is created in another namespace, in nodectl's flags and in ip's words
// (`peer name NAME netns NS`), checked with iproute2 in both namespaces; bad words change nothing.
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { literal, nodectl } from '../helpers/cli.js';
import { assertSameSnapshot, ipSnapshot } from '../helpers/ip-snapshot.js';
import { netnsFor, rootTitle } from '../helpers/netns.js';
import { testIf } from '../helpers/require.js';

interface IpLink { ifindex: number; ifname: string; link?: string; link_index?: number; link_netnsid?: number; linkinfo?: { info_kind?: string } }

for (const [how, words] of [
  ['flags', (peer: string, ns: string) => ['--peer', peer, '--peer-netns', ns]],
  ['ip words', (peer: string, ns: string) => ['peer', 'name', peer, 'netns', ns]],
] as const) {
  testIf('root')(rootTitle(`link add type veth with the peer in another namespace (${how})`), (t) => {
    const a = netnsFor(t);
    const b = netnsFor(t);
    const r = nodectl('link', 'add', 've0', 'type', 'veth', ...words('ve0b', b.name), '-n', a.name, '--json');
    t.is(r.status, 0, r.stderr);
    const here = a.ipJson<IpLink[]>('-d', 'link', 'show', 've0')[0]!;
    const there = b.ipJson<IpLink[]>('-d', 'link', 'show', 've0b')[0]!;
    t.is(here.linkinfo?.info_kind, 'veth');
    t.is(there.linkinfo?.info_kind, 'veth');
    // each end points at the other across the namespaces, as iproute2 reads it
    t.is(here.link_index, there.ifindex);
    t.is(there.link_index, here.ifindex);
    t.not(here.link_netnsid, undefined, 'the peer is in another namespace');
    t.deepEqual(a.ipJson<IpLink[]>('link', 'show').map((l) => l.ifname).sort(), ['lo', 've0']);
    t.is(JSON.parse(r.stdout).ifname, 've0');
  });
}

testIf('root')(rootTitle('link add with words it does not understand: one line, exit 2, nothing created'), async (t) => {
  const a = netnsFor(t);
  const b = netnsFor(t);
  const before = [await ipSnapshot(a.name), await ipSnapshot(b.name)];
  for (const args of [
    ['x0', 'type', 'veth', 'peer', 'name', 'x0b', 'mtu', '1400', 'netns', b.name],
    ['x0', 'type', 'bridge', 'peer', 'name', 'x0b'],
    ['x0', 'type', 'veth', 'peer', 'name', 'x0b', '--peer', 'x0c'],
    ['x0', 'type', 'veth', 'peer'],
  ]) {
    const r = nodectl('link', 'add', ...args, '-n', a.name);
    t.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, /^nodectl: [^\n]+\n$/, args.join(' '));
  }
  assertSameSnapshot(t, before[0]!, await ipSnapshot(a.name));
  assertSameSnapshot(t, before[1]!, await ipSnapshot(b.name));
});

testIf('root')(rootTitle('link show, list and tree name a veth peer in another namespace and that namespace, like ip link-netns'), (t) => {
  const a = netnsFor(t);
  const b = netnsFor(t);
  a.ip('link', 'add', 'br0', 'type', 'bridge');
  a.ip('link', 'add', 've0', 'type', 'veth', 'peer', 'name', 've0b', 'netns', b.name);
  a.ip('link', 'set', 've0', 'master', 'br0');
  // iproute2's own words for it, the reference
  t.regex(a.ip('link', 'show', 've0'), new RegExp(`link-netns ${b.name}\\b`));
  const want = `ve0b (netns ${b.name})`;
  const show = nodectl('link', 'show', 've0', '-n', a.name);
  t.is(show.status, 0, show.stderr);
  t.regex(show.stdout, new RegExp(`^peer +${literal(want)}$`, 'm'));
  // the header is ip's: @if<N> (the peer's index), no name that would read as a link of this namespace
  const ipHead = /^\d+: (ve0@if\d+):/m.exec(a.ip('link', 'show', 've0'))![1]!;
  t.regex(show.stdout, new RegExp(`^\\d+: ${ipHead}  <`, 'm'), `ip: ${ipHead}`);
  const json = JSON.parse(nodectl('link', 'show', 've0', '-n', a.name, '--json').stdout) as { peer: string | null; link_netns?: string | null };
  t.like(json, { peer: 've0b', link_netns: b.name });
  t.true(nodectl('link', 'list', '-n', a.name).stdout.includes(`veth peer ${want}`), 'link list');
  t.true(nodectl('link', 'tree', '-n', a.name).stdout.includes(`veth peer ${want}`), 'link tree');
  // dot draws no node for a link that is not in this namespace
  t.false(nodectl('link', 'tree', '--format', 'dot', '-n', a.name).stdout.includes('-> "ve0b"'), 'no edge to a phantom node');
  // seen from the other side, this namespace
  t.regex(nodectl('link', 'show', 've0b', '-n', b.name).stdout, new RegExp(`^peer +ve0 \\(netns ${a.name}\\)$`, 'm'));
});

testIf('root')(rootTitle('a veth peer and a macvlan lower device in a namespace without a name: ip\'s if<N> in link show, list and tree; JSON as ip -j'), async (t) => {
  const a = netnsFor(t);
  const b = netnsFor(t);
  a.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', b.name);
  b.ip('link', 'add', 'lowx', 'type', 'veth', 'peer', 'name', 'lowy');
  b.ip('link', 'add', 'mvx', 'link', 'lowx', 'type', 'macvlan', 'mode', 'bridge');
  b.ip('link', 'set', 'mvx', 'netns', a.name);
  // b lives on without its name (as a container's namespace does): a process keeps it
  const holder = spawn('ip', ['netns', 'exec', b.name, 'sleep', '600'], { stdio: 'ignore' });
  t.teardown(() => { holder.kill(); });
  const ino = statSync(`/run/netns/${b.name}`).ino;
  const inB = (): boolean => { try { return statSync(`/proc/${holder.pid}/ns/net`).ino === ino; } catch { return false; } };
  for (let i = 0; i < 200 && !inB(); i++) await new Promise((r) => setTimeout(r, 25));
  t.true(inB(), 'the holder is in b');
  b.remove();
  t.false(a.ip('netns', 'list').includes(b.name), 'b has no name now');

  // iproute2, the reference: `va@if2`, `mvx@if4` in text; in JSON no `link`, but link_index and link_netnsid
  const ipText = a.ip('link', 'show');
  const ipHead = (n: string): string => new RegExp(`^\\d+: (${n}@if\\d+):`, 'm').exec(ipText)![1]!;
  const ip = a.ipJson<IpLink[]>('-d', 'link', 'show');
  const by = (n: string): IpLink => ip.find((l) => l.ifname === n)!;
  for (const n of ['va', 'mvx']) {
    t.is(by(n).link, undefined, `ip -j: ${n} has no link member`);
    t.is(typeof by(n).link_index, 'number');
    t.is(typeof by(n).link_netnsid, 'number');
    t.is(ipHead(n), `${n}@if${by(n).link_index}`);
  }
  const shown = (n: string): string => { const r = nodectl('link', 'show', n, '-n', a.name); t.is(r.status, 0, r.stderr); return r.stdout; };
  const va = shown('va');
  const mvx = shown('mvx');
  t.regex(va, new RegExp(`^\\d+: ${ipHead('va')}  <`, 'm'), 'link show va: the header as ip');
  t.regex(mvx, new RegExp(`^\\d+: ${ipHead('mvx')}  <`, 'm'), 'link show mvx: the header as ip');
  const nsid = by('va').link_netnsid!;
  t.regex(va, new RegExp(`^peer +if${by('va').link_index} \\(netnsid ${nsid}\\)$`, 'm'));
  t.regex(mvx, new RegExp(`^lower +if${by('mvx').link_index} \\(netnsid ${by('mvx').link_netnsid}\\)$`, 'm'));
  t.notRegex(va + mvx, /#\d/, 'no #N of nodectl\'s own');
  const list = nodectl('link', 'list', '-n', a.name).stdout;
  t.regex(list, new RegExp(`^\\d+ +va .* veth peer if${by('va').link_index} \\(netnsid ${nsid}\\)$`, 'm'));
  t.regex(list, new RegExp(`^\\d+ +mvx .* if${by('mvx').link_index} \\(netnsid ${nsid}\\) +macvlan bridge$`, 'm'));
  const tree = nodectl('link', 'tree', '-n', a.name).stdout;
  t.regex(tree, new RegExp(`^va .*veth peer if${by('va').link_index} \\(netnsid ${nsid}\\)$`, 'm'));
  t.regex(tree, new RegExp(`^mvx .*macvlan bridge, lower if${by('mvx').link_index} \\(netnsid ${nsid}\\)$`, 'm'));
  // JSON (show, and list, which the TypeScript path writes for such links) as ip -j: no name for the far end
  type Row = { ifname: string; link: string | null; parent: string | null; peer: string | null; link_index: number | null; link_netnsid: number | null; link_netns?: string | null };
  const listed = JSON.parse(nodectl('link', 'list', '-n', a.name, '--json').stdout) as Row[];
  for (const n of ['va', 'mvx']) {
    const j = JSON.parse(nodectl('link', 'show', n, '-n', a.name, '--json').stdout) as Row;
    const want = { link: null, parent: null, peer: null, link_index: by(n).link_index, link_netnsid: by(n).link_netnsid, link_netns: null };
    t.like(j, want, `link show ${n} --json`);
    t.like(listed.find((l) => l.ifname === n)!, want, `link list --json: ${n}`);
  }
});
