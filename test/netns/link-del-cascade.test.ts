// `link del` never deletes anything it does not name: a veth takes its other end along, and what
// is built on that end; without --cascade that is refused (like a vlan on the link itself), with
// it every deletion is listed, the kernel's own included. Checked against ip's view.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { netnsFor, rootTitle } from '../helpers/netns.js';
import { testIf } from '../helpers/require.js';

const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
const nodectl = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

testIf('root', 'cli')(rootTitle('link del of a veth names its peer and refuses to orphan what is built on the peer'), (t) => {
  const ns = netnsFor(t);
  ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
  ns.ip('link', 'add', 'link', 'vb', 'name', 'mvb', 'type', 'macvlan', 'mode', 'bridge');
  const names = () => ns.ipJson<Array<{ ifname: string }>>('link', 'show').map((l) => l.ifname).sort();
  const before = ns.ipJson('-d', 'link', 'show');

  const refuse = nodectl('link', 'del', 'va', '-n', ns.name);
  t.is(refuse.status, 2, refuse.stderr);
  t.regex(refuse.stderr, /^nodectl: va has interfaces built on it \(mvb\).*--cascade/);
  t.deepEqual(ns.ipJson('-d', 'link', 'show'), before, 'nothing changed');

  const r = nodectl('link', 'del', 'va', '--cascade', '-n', ns.name, '--json');
  t.is(r.status, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), { deleted: ['mvb', 'va'], alsoDeleted: ['vb'] });
  t.deepEqual(names(), ['lo']);

  ns.ip('link', 'add', 'vc', 'type', 'veth', 'peer', 'name', 'vd');
  const text = nodectl('link', 'del', 'vc', '-n', ns.name);
  t.is(text.status, 0, text.stderr);
  t.is(text.stdout, 'deleted vc; with it the kernel deleted vd (veth peer)\n');
  t.deepEqual(names(), ['lo']);
});

testIf('root', 'cli')(rootTitle('link del of a veth whose peer is in another namespace names it, its namespace and what is built on it there'), (t) => {
  const a = netnsFor(t);
  const b = netnsFor(t);
  a.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', b.name);
  const r = nodectl('link', 'del', 'va', '-n', a.name, '--json');
  t.is(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { deleted: string[]; alsoDeleted: string[] };
  t.deepEqual(doc, { deleted: ['va'], alsoDeleted: [`vb in netns ${b.name}`] });
  t.deepEqual(b.ipJson<Array<{ ifname: string }>>('link', 'show').map((l) => l.ifname), ['lo'], 'the peer went too');

  // a macvlan on the far end would go silently with it: refused without --cascade, named with it
  a.ip('link', 'add', 'vc', 'type', 'veth', 'peer', 'name', 'vd', 'netns', b.name);
  b.ip('link', 'add', 'link', 'vd', 'name', 'mvd', 'type', 'macvlan', 'mode', 'bridge');
  const namesB = () => b.ipJson<Array<{ ifname: string }>>('link', 'show').map((l) => l.ifname).sort();
  const refused = nodectl('link', 'del', 'vc', '-n', a.name);
  t.is(refused.status, 2, refused.stderr);
  t.is(refused.stderr, `nodectl: vc has interfaces built on it (mvd in netns ${b.name}); deleting it would delete them too: use --cascade to delete them first\n`);
  t.deepEqual(namesB(), ['lo', 'mvd', 'vd'], 'nothing deleted');
  const text = nodectl('link', 'del', 'vc', '--cascade', '-n', a.name);
  t.is(text.status, 0, text.stderr);
  t.is(text.stdout, `deleted vc; with it the kernel deleted mvd in netns ${b.name}, vd in netns ${b.name} (veth peer)\n`);
  t.deepEqual(namesB(), ['lo']);
});
