// The arp and neigh commands end to end (bin/run.js on the built dist): exit statuses, one-line
// errors, --json; the kernel's /proc/sys and ip -j are the oracles.
import { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Netns, rootTitle, vethPair } from '../helpers/netns.js';
import { testIf } from '../helpers/require.js';

const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
const title = rootTitle;

function nodectl(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  // oclif prints warnings about other plugins' commands on stderr; keep only our lines
  const stderr = r.stderr.split('\n').filter((l) => l.startsWith('nodectl:')).join('\n');
  return { status: r.status, stdout: r.stdout, stderr };
}

const pair = (t: ExecutionContext) => vethPair(t);

const KEYS = ['arp_ignore', 'arp_announce', 'arp_filter', 'arp_accept', 'arp_notify', 'proxy_arp', 'drop_gratuitous_arp'];
const sysctls = (ns: Netns, row: string): string[] => KEYS.map((k) => ns.sysctl(`net/ipv4/conf/${row}/${k}`));

testIf('root')(title('arp set/show: exit 0 and the kernel agrees; bad input exits 2/4 with one line and changes nothing'), (t) => {
  const { a } = pair(t);
  const ok = nodectl('arp', 'set', 'va', 'arp_ignore=1', 'arp_announce=2', '-n', a.name);
  t.is(ok.status, 0, ok.stderr);
  t.is(ok.stdout, 'va arp_ignore=1 (was 0)\nva arp_announce=2 (was 0)\n');
  t.is(a.sysctl('net/ipv4/conf/va/arp_ignore'), '1');
  t.is(a.sysctl('net/ipv4/conf/va/arp_announce'), '2');
  const show = nodectl('arp', 'show', 'va', '--json', '-n', a.name);
  t.is(show.status, 0);
  const p = JSON.parse(show.stdout) as { interfaces: Array<{ ifname: string; settings: Record<string, { value: number }> }> };
  t.deepEqual(KEYS.map((k) => String(p.interfaces[0]!.settings[k]!.value)), sysctls(a, 'va'));

  const before = [sysctls(a, 'va'), sysctls(a, 'all'), sysctls(a, 'default')];
  const cases: Array<[string[], number, RegExp]> = [
    [['arp', 'set', 'va', 'arp_ignore=0', 'arp_ignore_x=1'], 2, /^nodectl: unknown ARP key "arp_ignore_x" \(known: .*\)$/],
    [['arp', 'set', 'va', 'arp_announce=0', 'arp_ignore=4'], 2, /^nodectl: arp_ignore=4 is out of range \(valid: 0, 1, 2, 3, 8\)$/],
    [['arp', 'set', 'all', 'proxy_arp=2'], 2, /^nodectl: proxy_arp=2 is out of range \(valid: 0-1\)$/],
    [['arp', 'set', 'nope0', 'arp_ignore=0'], 4, /^nodectl: interface "nope0" does not exist/],
    [['arp', 'set', 'va'], 2, /^nodectl: nothing to set/],
    [['arp', 'show', 'nope0'], 4, /^nodectl: interface "nope0" does not exist/],
  ];
  for (const [args, status, msg] of cases) {
    const r = nodectl(...args, '-n', a.name);
    t.is(r.status, status, args.join(' '));
    t.regex(r.stderr, msg, args.join(' '));
    t.is(r.stderr.split('\n').length, 1, 'one line');
  }
  const j = nodectl('arp', 'set', 'va', 'arp_ignore=9', '--json', '-n', a.name);
  t.is(j.status, 2);
  t.like(JSON.parse(j.stdout), { error: { code: 'USAGE' } });
  t.deepEqual([sysctls(a, 'va'), sysctls(a, 'all'), sysctls(a, 'default')], before, 'nothing changed');
});

testIf('root')(title('arp probe: reply as text and JSON; no reply exits 1 with the documented sentence'), (t) => {
  const { a, b } = pair(t);
  const bMac = b.ipJson<Array<{ address: string }>>('link', 'show', 'dev', 'vb')[0]!.address;
  const r = nodectl('arp', 'probe', 'va', '192.0.2.2', '-n', a.name);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`^reply from 192\\.0\\.2\\.2 \\[${bMac}\\] on va: \\d+\\.\\d{3} ms \\(try 1 of 3, source 192\\.0\\.2\\.1\\)\\n$`));
  const j = nodectl('arp', 'probe', 'va', '192.0.2.2', '--json', '-n', a.name);
  t.like(JSON.parse(j.stdout), { target: '192.0.2.2', source: '192.0.2.1', reply: { mac: bMac }, tries: 1 });
  const none = nodectl('arp', 'probe', 'va', '192.0.2.3', '--count', '2', '--timeout', '100', '-n', a.name);
  t.is(none.status, 1);
  t.is(none.stderr, 'nodectl: no reply from 192.0.2.3 on va after 2 tries');
  const bad = nodectl('arp', 'probe', 'va', 'not-an-ip', '-n', a.name);
  t.is(bad.status, 2);
});

testIf('root')(title('arp announce and neigh add/del/flush through the CLI'), (t) => {
  const { a } = pair(t);
  const aMac = a.ipJson<Array<{ address: string }>>('link', 'show', 'dev', 'va')[0]!.address;
  const ann = nodectl('arp', 'announce', 'va', '192.0.2.1', '--count', '2', '--interval', '10', '--json', '-n', a.name);
  t.is(ann.status, 0, ann.stderr);
  t.deepEqual(JSON.parse(ann.stdout), { ifname: 'va', ifindex: a.ipJson<Array<{ ifindex: number }>>('link', 'show', 'dev', 'va')[0]!.ifindex, mac: aMac, address: '192.0.2.1', family: 4, kind: 'arp-request', sent: 2 });
  const foreign = nodectl('arp', 'announce', 'va', '192.0.2.99', '-n', a.name);
  t.is(foreign.status, 2);
  t.regex(foreign.stderr, /192\.0\.2\.99 is not configured on va/);

  const add = nodectl('neigh', 'add', 'va', '192.0.2.50', '02:00:00:00:00:50', '--state', 'stale', '-n', a.name);
  t.is(add.status, 0, add.stderr);
  t.is(add.stdout, '192.0.2.50 lladdr 02:00:00:00:00:50 STALE on va\n');
  t.deepEqual(a.ipJson<Array<{ lladdr: string; state: string[] }>>('neigh', 'show', '192.0.2.50', 'dev', 'va').map((n) => [n.lladdr, n.state]), [['02:00:00:00:00:50', ['STALE']]]);
  const flush = nodectl('neigh', 'flush', 'va', '--family', 'inet', '--json', '-n', a.name);
  t.is(flush.status, 0);
  t.deepEqual((JSON.parse(flush.stdout) as { flushed: Array<{ address: string }> }).flushed.map((n) => n.address), ['192.0.2.50']);
  t.deepEqual(a.ipJson('neigh', 'show', '192.0.2.50', 'dev', 'va'), []);
  const del = nodectl('neigh', 'del', 'va', '192.0.2.50', '-n', a.name);
  t.is(del.status, 4);
  t.is(del.stderr, 'nodectl: neighbour "192.0.2.50" does not exist on va');
  const badMac = nodectl('neigh', 'add', 'va', '192.0.2.51', '02:00:00', '-n', a.name);
  t.is(badMac.status, 2);
  t.deepEqual(a.ipJson('neigh', 'show', '192.0.2.51', 'dev', 'va'), []);
});
