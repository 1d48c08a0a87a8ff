// `nodectl route list|add|del` through the built CLI, with `ip -j route` as the oracle.
import { spawnSync } from 'node:child_process';
import { netnsFor } from '../helpers/netns.js';
import { patient } from '../helpers/patience.js';
import { testIf } from '../helpers/require.js';

const CLI = new URL('../../bin/run.js', import.meta.url).pathname;

function nodectl(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: patient(60_000) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface IpRoute { dst: string; gateway?: string; dev: string; metric?: number; protocol?: string; scope?: string }

testIf('root', 'cli')('route add, list --json and del agree with ip route; bad input changes nothing', (t) => {
  const ns = netnsFor(t);
  ns.ip('link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'a1');
  for (const d of ['a0', 'a1']) ns.ip('link', 'set', d, 'up');
  ns.ip('addr', 'add', '192.0.2.10/24', 'dev', 'a0');
  ns.ip('addr', 'add', '2001:db8::10/64', 'dev', 'a0', 'nodad');
  const n = ['-n', ns.name];
  const ip = (fam: string) => ns.ipJson<IpRoute[]>(fam, 'route', 'show').map((r) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''} dev ${r.dev}${r.metric ? ` metric ${r.metric}` : ''} ${r.protocol ?? ''}`).sort();

  const a = nodectl(['route', 'add', '10.99.0.0/16', '--via', '192.0.2.1', ...n, '--json']);
  t.is(a.status, 0, a.stderr);
  t.like(JSON.parse(a.stdout), { family: 4, dst: '10.99.0.0/16', gateway: '192.0.2.1', dev: 'a0', protocol: 'static', table: 254 });
  t.is(nodectl(['route', 'add', 'default', '--via', '2001:db8::1', '--dev', 'a0', '--metric', '100', ...n]).status, 0);
  t.is(nodectl(['route', 'add', '198.51.100.0/24', '--dev', 'a0', ...n]).status, 0);
  t.true(ip('-4').includes('10.99.0.0/16 via 192.0.2.1 dev a0 static'), ip('-4').join('\n'));
  t.true(ip('-4').includes('198.51.100.0/24 dev a0 static'));
  t.true(ip('-6').includes('default via 2001:db8::1 dev a0 metric 100 static'), ip('-6').join('\n'));

  const list = JSON.parse(nodectl(['route', 'list', ...n, '--json']).stdout) as { dst: string; gateway: string | null; dev: string; metric: number }[];
  const ours = list.map((r) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''} dev ${r.dev}`).sort();
  const theirs = [...ns.ipJson<IpRoute[]>('-4', 'route', 'show'), ...ns.ipJson<IpRoute[]>('-6', 'route', 'show')].map((r) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''} dev ${r.dev}`).sort();
  t.deepEqual(ours, theirs);

  const before = JSON.stringify([ip('-4'), ip('-6')]);
  for (const [args, status, re] of [
    [['route', 'add', '10.99.1.2/16', '--via', '192.0.2.1'], 2, /host bits set: the route's destination is 10\.99\.0\.0\/16/],
    [['route', 'add', '10.98.0.0/16', '--via', '2001:db8::1'], 2, /gateway 2001:db8::1 is IPv6 but 10\.98\.0\.0\/16 is IPv4/],
    [['route', 'add', '10.98.0.0/16'], 2, /needs --via GATEWAY, --dev IFACE or both/],
    [['route', 'add', '10.99.0.0/16', '--via', '192.0.2.1'], 1, /EEXIST/],
    [['route', 'del', '10.97.0.0/16'], 4, /route "10\.97\.0\.0\/16" does not exist/],
    [['route', 'add', '10.98.0.0/16', '--dev', 'nope0'], 4, /nope0/],
  ] as const) {
    const r = nodectl([...args, ...n]);
    t.is(r.status, status, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, re);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  t.is(JSON.stringify([ip('-4'), ip('-6')]), before);

  const d = nodectl(['route', 'del', '10.99.0.0/16', ...n, '--json']);
  t.is(d.status, 0, d.stderr);
  t.like(JSON.parse(d.stdout), { deleted: { dst: '10.99.0.0/16', gateway: '192.0.2.1' } });
  t.is(nodectl(['route', 'del', 'default', '--family', 'inet6', ...n]).status, 0);
  t.false(ip('-4').some((r) => r.startsWith('10.99.0.0/16')));
  t.false(ip('-6').some((r) => r.startsWith('default')));
});
