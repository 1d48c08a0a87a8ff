// bin/run.js answers the read commands without oclif (src/cli/fast-read.ts): it must print
// byte for byte what the oclif commands print, with the same exit statuses.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isRoot, netnsFor } from '../helpers/netns.js';
import { testIf } from '../helpers/require.js';

const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
const run = (args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

testIf('root')(isRoot() ? 'fast path and oclif print the same, errors included' : 'fast path vs oclif (skipped: needs root)', (t) => {
  const ns = netnsFor(t);
  ns.ip('link', 'add', 'br0', 'type', 'bridge');
  ns.ip('link', 'add', 'p1a', 'type', 'veth', 'peer', 'name', 'p1b');
  ns.ip('link', 'set', 'p1a', 'master', 'br0');
  ns.ip('link', 'add', 'link', 'p1b', 'name', 'mv0', 'type', 'macvlan', 'mode', 'bridge');
  ns.ip('addr', 'add', '192.0.2.1/24', 'dev', 'br0');
  ns.ip('neigh', 'add', '192.0.2.9', 'lladdr', '02:00:00:00:00:09', 'dev', 'br0');
  // Counters can move between two reads (IPv6 router solicitations); freeze what can move.
  ns.ip('link', 'set', 'lo', 'down');
  for (const args of [
    ['link', 'list'], ['link', 'list', '--json'], ['link', 'tree'], ['link', 'tree', '--format', 'dot'], ['link', 'tree', '-f', 'json'],
    ['link', 'show', 'p1a'], ['link', 'show', 'br0', '--json'], ['addr', 'list', '--json'], ['addr', 'list', '-d', 'br0'],
    ['neigh', 'list', '--dev', 'br0', '--family', 'inet'], ['link', 'show', 'nosuchdev'], ['link', 'show', 'nosuchdev', '--json'],
    ['addr', 'list', '--dev', 'nosuchdev', '--json'],
  ]) {
    const argv = [...args, '-n', ns.name];
    const fast = run(argv);
    const slow = run(argv, { NODECTL_NO_FAST: '1' });
    t.is(fast.status, slow.status, `${args.join(' ')}: exit status (${fast.stderr} | ${slow.stderr})`);
    t.is(fast.stdout, slow.stdout, `${args.join(' ')}: stdout`);
    t.is(fast.stderr, slow.stderr, `${args.join(' ')}: stderr`);
  }
  const help = run(['link', 'list', '--help']);
  t.is(help.status, 0);
  t.regex(help.stdout, /USAGE/, '--help still reaches oclif');
  const bad = run(['link', 'tree', '--format', 'svg', '-n', ns.name]);
  t.is(bad.status, 2, 'a bad option value is still oclif\'s usage error');
});

testIf('root')(isRoot() ? 'a reader that stops early (| head) ends both paths quietly with status 0' : 'fast path vs oclif on a closed pipe (skipped: needs root)', (t) => {
  const ns = netnsFor(t);
  // More JSON than a pipe holds (64 KiB), so the writer meets the closed pipe.
  for (let i = 0; i < 120; i++) ns.ip('link', 'add', `e${i}a`, 'type', 'veth', 'peer', 'name', `e${i}b`);
  for (const env of [{}, { NODECTL_NO_FAST: '1' }]) {
    const r = spawnSync('bash', ['-c', `set -o pipefail; "$0" "$1" link list --json -n "$2" | head -c 100 >/dev/null`, process.execPath, bin, ns.name], {
      encoding: 'utf8', env: { ...process.env, ...env },
    });
    t.is(r.stderr, '', `${JSON.stringify(env)}: nothing on stderr`);
    t.is(r.status, 0, `${JSON.stringify(env)}: exit status`);
  }
});

testIf('root')(isRoot() ? 'link tree: --format text|dot with --json is a usage error on both paths' : 'link tree --format/--json (skipped: needs root)', (t) => {
  const ns = netnsFor(t);
  for (const args of [['--format', 'dot', '--json'], ['-f', 'text', '--json']]) {
    for (const env of [{}, { NODECTL_NO_FAST: '1' }] as Record<string, string>[]) {
      const r = run(['link', 'tree', ...args, '-n', ns.name], env);
      t.is(r.status, 2, `${args.join(' ')} ${JSON.stringify(env)}: ${r.stdout}`);
      t.like(JSON.parse(r.stdout), { error: { code: 'USAGE' } });
      t.regex(r.stdout, /contradict/);
    }
  }
  // --format json and --json agree
  t.is(run(['link', 'tree', '--format', 'json', '--json', '-n', ns.name]).status, 0);
});

testIf('root')(isRoot() ? 'neigh list hides NOARP entries like ip neigh; --nud selects states, on both paths' : 'neigh list --nud (skipped: needs root)', (t) => {
  const ns = netnsFor(t);
  ns.ip('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
  ns.ip('neigh', 'add', '10.1.1.9', 'lladdr', '02:00:00:00:00:09', 'dev', 'va', 'nud', 'permanent');
  ns.ip('neigh', 'add', '10.1.1.7', 'lladdr', '02:00:00:00:00:07', 'dev', 'va', 'nud', 'noarp');
  ns.ip('neigh', 'add', '10.1.1.5', 'lladdr', '02:00:00:00:00:05', 'dev', 'va', 'nud', 'stale');
  // the oracle: what ip shows for the same filters
  const ip = (...nud: string[]) => ns.ipJson<Array<{ dst: string }>>('neigh', 'show', ...(nud.length ? ['nud', ...nud] : [])).map((n) => n.dst).sort();
  t.deepEqual(ip(), ['10.1.1.5', '10.1.1.9'], 'ip hides the NOARP entry');
  for (const env of [{}, { NODECTL_NO_FAST: '1' }] as Record<string, string>[]) {
    const list = (...args: string[]) => {
      const r = run(['neigh', 'list', '--json', ...args, '-n', ns.name], env);
      t.is(r.status, 0, r.stderr);
      return (JSON.parse(r.stdout) as Array<{ address: string }>).map((n) => n.address).sort();
    };
    t.deepEqual(list(), ip(), `default ${JSON.stringify(env)}`);
    t.deepEqual(list('--nud', 'all'), ip('all'), `--nud all ${JSON.stringify(env)}`);
    t.deepEqual(list('--nud', 'noarp'), ip('noarp'), `--nud noarp ${JSON.stringify(env)}`);
    t.deepEqual(list('--nud', 'stale', '--nud', 'noarp'), ['10.1.1.5', '10.1.1.7'], `--nud stale --nud noarp ${JSON.stringify(env)}`);
    t.deepEqual(list('--nud', 'permanent,stale'), ['10.1.1.5', '10.1.1.9']);
  }
});
