// The Debian package installed for real in the VM guest (Debian 12 user space): `apt-get install
// ./nodectl_*.deb` with the guest's own packages, the installed /usr/bin/nodectl run with a PATH
// that has no node (--version, lab demo, config apply of a file into a namespace), the units
// checked by systemd-analyze, then `apt-get purge` leaves no file, unit or namespace behind.
// Run in the 6.12 guest on 2026-12-04 (passed; 603 s under TCG, most of it the lab demo). Limits: the
// runner's guest has Node and compilers (the suite needs them), so this is not yet the issue's
// "bare node"; and its init is not systemd, so the units are verified, not started.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { netnsFor } from '../helpers/netns.js';
import { skipInside, testWhen } from '../helpers/require.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function newestDeb(): string | null {
  const dir = join(root, 'dist-deb');
  if (!existsSync(dir)) return null;
  const debs = readdirSync(dir).filter((f) => /^nodectl_.*_amd64\.deb$/.test(f)).map((f) => join(dir, f));
  return debs.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0] ?? null;
}

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(cmd, args, { encoding: 'utf8', env });
}

// Decided at load: in the VM, and a .deb built on the host (the guest sees the host's checkout).
const deb = newestDeb();
testWhen(deb !== null, 'no dist-deb/nodectl_*.deb (run npm run package on the host before npm run test:vm)', { needs: ['vm'] }).serial('apt installs the .deb, nodectl runs without a node on PATH, apt purge leaves nothing', (t) => {
  if (!deb) return void t.fail('no .deb');
  t.is(sh('dpkg-query', ['-W', 'nodectl']).status, 1, 'nodectl must not be installed before the test');
  const install = sh('apt-get', ['install', '-y', '--no-install-recommends', deb], { ...process.env, DEBIAN_FRONTEND: 'noninteractive' });
  t.teardown(() => { sh('apt-get', ['purge', '-y', 'nodectl'], { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }); });
  t.is(install.status, 0, install.stderr);
  const files = sh('dpkg-query', ['-L', 'nodectl']).stdout.split('\n').filter((f) => f.startsWith('/'));

  const dir = mkdtempSync(join(tmpdir(), 'nctl-deb-vm-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'bin');
  mkdirSync(path);
  for (const tool of ['readlink', 'ip']) symlinkSync(sh('sh', ['-c', `command -v ${tool}`]).stdout.trim(), join(path, tool));
  const env = { PATH: path, HOME: dir };
  const nodectl = (...args: string[]) => spawnSync('/usr/bin/nodectl', args, { encoding: 'utf8', env });

  const v = nodectl('--version');
  t.is(v.status, 0, v.stderr);
  t.regex(v.stdout, /^nodectl\/\S+ linux-x64 node-v20\./);

  const demo = nodectl('lab', 'demo');
  t.is(demo.status, 0, demo.stdout + demo.stderr);
  t.regex(demo.stdout, /demo complete/);

  const ns = netnsFor(t);
  ns.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p');
  const file = join(dir, 'node.yaml');
  writeFileSync(file, 'interfaces:\n  - kind: device\n    name: eth0\n    addresses: [192.0.2.10/24]\n  - kind: bridge\n    name: br0\n');
  const apply = nodectl('config', 'apply', file, '-n', ns.name, '--state-dir', join(dir, 'state'));
  t.is(apply.status, 0, apply.stderr);
  t.is(nodectl('config', 'plan', file, '-n', ns.name, '--state-dir', join(dir, 'state')).status, 0, 'a second plan has nothing to do');

  if (existsSync('/usr/bin/systemd-analyze')) {
    const verify = sh('systemd-analyze', ['verify', '/usr/lib/systemd/system/nodectl-config.service', '/usr/lib/systemd/system/nodectl-mgmt.service']);
    t.is(verify.status, 0, verify.stderr);
  } else {
    skipInside(t, 'cmd:systemd-analyze', 'systemd-analyze missing in the guest: units installed, not verified');
  }
  t.false(existsSync('/etc/systemd/system/multi-user.target.wants/nodectl-config.service'), 'the package must not enable units');

  const purge = sh('apt-get', ['purge', '-y', 'nodectl'], { ...process.env, DEBIAN_FRONTEND: 'noninteractive' });
  t.is(purge.status, 0, purge.stderr);
  const left = files.filter((f) => existsSync(f) && !statSync(f).isDirectory());
  t.deepEqual(left, [], 'files of the package left after purge');
  for (const d of ['/usr/lib/nodectl', '/etc/nodectl']) t.false(existsSync(d), `${d} left after purge`);
  const stray = sh('pgrep', ['-f', '/usr/lib/nodectl/']);
  t.not(stray.status, 0, `processes left: ${stray.stdout}`);
  const demoNs = sh('ip', ['netns', 'list']).stdout.split('\n').filter((l) => l.startsWith('nctl-demo'));
  t.deepEqual(demoNs, [], 'lab demo left namespaces');
});
