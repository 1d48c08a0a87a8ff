// A veth whose other end is created in another namespace, in nodectl's flags and in ip's words
// (`peer name NAME netns NS`), checked with iproute2 in both namespaces; bad words change nothing.
import { nodectl } from '../helpers/cli.js';
import { assertSameSnapshot, ipSnapshot } from '../helpers/ip-snapshot.js';
import { netnsFor, rootTitle } from '../helpers/netns.js';
import { testIf } from '../helpers/require.js';

interface IpLink { ifindex: number; ifname: string; link_index?: number; link_netnsid?: number; linkinfo?: { info_kind?: string } }

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
    t.is(JSON.parse(r.stdout).name, 've0');
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
  t.regex(show.stdout, new RegExp(`^peer +${want.replace(/[()]/g, '\\$&')}$`, 'm'));
  t.regex(show.stdout, /^\d+: ve0 /m, 'no @name in the header: the peer is not a link of this namespace');
  const json = JSON.parse(nodectl('link', 'show', 've0', '-n', a.name, '--json').stdout) as { peer: string | null; linkNetns?: string | null };
  t.like(json, { peer: 've0b', linkNetns: b.name });
  t.true(nodectl('link', 'list', '-n', a.name).stdout.includes(`veth peer ${want}`), 'link list');
  t.true(nodectl('link', 'tree', '-n', a.name).stdout.includes(`veth peer ${want}`), 'link tree');
  // dot draws no node for a link that is not in this namespace
  t.false(nodectl('link', 'tree', '--format', 'dot', '-n', a.name).stdout.includes('-> "ve0b"'), 'no edge to a phantom node');
  // seen from the other side, this namespace
  t.regex(nodectl('link', 'show', 've0b', '-n', b.name).stdout, new RegExp(`^peer +ve0 \\(netns ${a.name}\\)$`, 'm'));
});
