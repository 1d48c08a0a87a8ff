// Exit statuses as the README's table says, everywhere: a link kind the kernel lacks is
// UNSUPPORTED (exit 6) naming its module; every EACCES/EPERM is PERMISSION (exit 5) in one line;
// another user's or an unreadable HOME gives no warning. Everything runs inside a namespace made
// here; the unprivileged runs enter it as root (ip netns exec) and then drop to nobody.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Netns, netnsFor, rootTitle } from '../helpers/netns.js';
import { patient } from '../helpers/patience.js';
import { kernelHas, testIf } from '../helpers/require.js';

const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

/** nodectl inside `ns` as root (-n) */
function asRoot(ns: Netns, ...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args, '-n', ns.name], { encoding: 'utf8', timeout: patient(60_000) });
}

/** nodectl inside `ns` as nobody, with no capabilities, HOME as given (or root's, unreadable) */
function asNobody(ns: Netns, args: string[], env: Record<string, string> = {}) {
  const drop = ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all'];
  return spawnSync('ip', ['netns', 'exec', ns.name, 'setpriv', ...drop, 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, bin, ...args], { encoding: 'utf8', timeout: patient(60_000) });
}

const MODULE = { vlan: '8021q', bond: 'bonding', dummy: 'dummy' } as const;

for (const kind of ['vlan', 'bond', 'dummy'] as const) {
  testIf('root', 'cli')(rootTitle(`link add type ${kind}: UNSUPPORTED (exit 6) naming module ${MODULE[kind]} where the kernel lacks it`), (t) => {
    const ns = netnsFor(t);
    ns.ip('link', 'add', 'low0', 'type', 'veth', 'peer', 'name', 'low1');
    const extra = kind === 'vlan' ? ['--link', 'low0', '--id', '5'] : [];
    const before = ns.ipJson('-d', 'link', 'show');
    const has = kernelHas(kind);
    const r = asRoot(ns, 'link', 'add', 'k0', 'type', kind, ...extra);
    if (has.has) {
      // This kernel has it (the VM): the same command simply works.
      t.is(r.status, 0, r.stderr);
      return;
    }
    t.log(`kernel lacks ${kind}: ${has.why}`);
    t.is(r.status, 6, r.stderr);
    t.is(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
    t.regex(r.stderr, new RegExp(`^nodectl: link kind ${kind} is not supported by this kernel: .*EOPNOTSUPP.*modprobe ${MODULE[kind]}`));
    const j = asRoot(ns, 'link', 'add', 'k0', 'type', kind, ...extra, '--json');
    t.is(j.status, 6);
    t.like(JSON.parse(j.stdout), { error: { code: 'UNSUPPORTED', module: MODULE[kind], op: 'RTM_NEWLINK', errno: 'EOPNOTSUPP' } });
    t.deepEqual(ns.ipJson('-d', 'link', 'show'), before, 'nothing changed');
  });
}

testIf('root', 'cli', 'cmd:setpriv')(rootTitle('as nobody: every EACCES/EPERM is PERMISSION, exit 5, one line; no warning about HOME'), (t) => {
  const ns = netnsFor(t);
  const dir = mkdtempSync(join(tmpdir(), 'nctl-perm-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const secret = join(dir, 'mgmt.json');
  writeFileSync(secret, '{}\n');
  chmodSync(secret, 0o600);
  const conf = join(dir, 'node.yaml');
  writeFileSync(conf, 'interfaces: []\n');
  chmodSync(conf, 0o644);
  const before = ns.ipJson('-d', 'link', 'show');
  const cases: string[][] = [
    // a root-only state file and socket path (was exit 70, a raw EACCES)
    ['mgmt', 'status', '--state-file', secret, '--socket', join(dir, 'none.sock')],
    // the state directory under /var/lib (was exit 1, STATE)
    ['config', 'apply', conf],
    ['config', 'recover'],
    ['config', 'confirm'],
    // a file nobody may read
    ['config', 'validate', secret],
    // netlink as nobody
    ['link', 'add', 'p0', 'type', 'bridge'],
    ['link', 'set', 'lo', '--mtu', '1400'],
  ];
  for (const args of cases) {
    // HOME stays root's (/root, unreadable to nobody), as setpriv and sudo -u leave it.
    for (const env of [{}, { HOME: '/nonexistent' }] as Record<string, string>[]) {
      const r = asNobody(ns, args, env);
      const what = `${args.join(' ')} HOME=${'HOME' in env ? env.HOME : '(root)'}`;
      t.is(r.status, 5, `${what}: ${r.stderr}`);
      t.is(r.stdout, '', what);
      t.is(r.stderr.split('\n').filter(Boolean).length, 1, `${what}: ${r.stderr}`);
      t.regex(r.stderr, /^nodectl: /, what);
      t.notRegex(r.stderr, /Warning|EACCES.*\.local/, what);
    }
    const j = asNobody(ns, [...args, '--json']);
    t.is(j.status, 5, j.stdout);
    t.like(JSON.parse(j.stdout), { error: { code: 'PERMISSION' } });
  }
  t.deepEqual(ns.ipJson('-d', 'link', 'show'), before, 'nothing changed');
});
