// The Debian package, unpacked (dpkg-deb -x) into a temporary directory and run from there with
// a PATH that has no Node: the launcher must find the Node, the addon, the dependencies and the
// manifest relative to itself. Building the .deb takes minutes (xz of an 86 MB Node), more than
// `npm test` can spend, so this test uses the newest dist-deb/nodectl_*.deb that `npm run package`
// left (or $NODECTL_DEB); without one its tests are skipped (under CI, where .ci/run builds it
// first, they fail).
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { netnsFor, rootTitle } from '../helpers/netns.js';
import { type Need, testWhen } from '../helpers/require.js';
import { RTPROT_NODECTL, RTPROT_NODECTL_MGMT } from '../../src/netlink/route.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const pinned = /^NODE_VERSION=(\S+)$/m.exec(readFileSync(join(root, 'scripts/node-pin.sh'), 'utf8'))![1]!;

function findDeb(): string | null {
  if (process.env.NODECTL_DEB) return process.env.NODECTL_DEB;
  const dir = join(root, 'dist-deb');
  if (!existsSync(dir)) return null;
  const debs = readdirSync(dir).filter((f) => f.startsWith(`nodectl_${version}-`) && f.endsWith('_amd64.deb')).map((f) => join(dir, f));
  return debs.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0] ?? null;
}
const deb = findDeb();

// Decided at load: without a .deb the tests are skipped, except under CI, which builds the
// package first (.ci/run), so there a missing .deb is a failure. Then root, for the namespace
// (and the private mount namespace) the last two create.
/** The .deb, in a test debTest registered (so there is one). */
const debPath = (): string => deb!;
const debTest = (...needs: Need[]) => testWhen(deb !== null, 'no dist-deb/nodectl_*.deb (run `npm run package`; the build takes minutes, so npm test does not)', {
  orFail: process.env.CI ? 'no dist-deb/nodectl_*.deb: .ci/run runs npm run package before npm test' : undefined,
  needs,
});

/** The unpacked tree, and a PATH of only what the package relies on from the base system. */
function unpack(t: { teardown: (f: () => void) => void }): { tree: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'nctl-deb-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const tree = join(dir, 'root');
  const r = spawnSync('dpkg-deb', ['-x', debPath(), tree], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dpkg-deb -x: ${r.stderr}`);
  // readlink (coreutils) for the launcher, ip (iproute2, a Depends) for what nodectl spawns.
  const bin = join(dir, 'path');
  mkdirSync(bin);
  for (const tool of ['readlink', 'ip']) {
    const where = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(where, join(bin, tool));
  }
  const env: NodeJS.ProcessEnv = { PATH: bin, HOME: dir, LANG: 'C.UTF-8' };
  return { tree, env };
}

function run(tree: string, env: NodeJS.ProcessEnv, ...args: string[]) {
  return spawnSync(join(tree, 'usr/bin/nodectl'), args, { encoding: 'utf8', env, cwd: tree });
}

debTest()('the .deb: control fields, size, and the files it installs', (t) => {
  const deb = debPath();
  t.log(`testing ${deb}`);
  // An old .deb still tests the packaging, but not this checkout's code: say so.
  const built = join(root, 'dist/cli/fast-read.bundle.js');
  if (existsSync(built) && statSync(built).mtimeMs > statSync(deb).mtimeMs) t.log('note: the .deb is older than dist/: npm run package to test this build');
  const size = statSync(deb).size;
  t.true(size <= 40 * 1024 * 1024, `${size} bytes > 40 MB`);
  const control = spawnSync('dpkg-deb', ['-f', deb, 'Package', 'Version', 'Architecture', 'Depends'], { encoding: 'utf8' }).stdout;
  t.regex(control, new RegExp(`^Version: ${version.replace(/\./g, '\\.')}-\\d+$`, 'm'));
  t.regex(control, /^Architecture: amd64$/m);
  const depends = /^Depends: (.*)$/m.exec(control)?.[1] ?? '';
  for (const need of ['libbpf1', 'libc6', 'libstdc++6', 'iproute2']) t.true(depends.includes(need), `Depends lacks ${need}: ${depends}`);
  for (const never of ['nodejs', 'npm', 'gcc', 'clang', 'build-essential']) t.false(new RegExp(`\\b${never}\\b`).test(depends), `Depends has ${never}`);
  t.is(spawnSync('dpkg-deb', ['--ctrl-tarfile', deb]).status, 0);
  const conffiles = spawnSync('sh', ['-c', `dpkg-deb --ctrl-tarfile '${deb}' | tar -xOf - ./conffiles`], { encoding: 'utf8' }).stdout;
  t.deepEqual(conffiles.trim().split('\n'), ['/etc/nodectl/node.yaml.example', '/etc/iproute2/rt_protos.d/nodectl.conf']);

  const { tree } = unpack(t);
  t.is(readlinkSync(join(tree, 'usr/bin/nodectl')), '../lib/nodectl/bin/nodectl', 'relative, so an unpacked tree works');
  for (const f of [
    'usr/lib/nodectl/node/bin/node', 'usr/lib/nodectl/bin/run.js', 'usr/lib/nodectl/oclif.manifest.json',
    'usr/lib/nodectl/native/build/Release/nodectl_native.node', 'usr/lib/nodectl/node_modules/ebpf-ts/build/Release/ebpf_ts.node',
    'usr/lib/nodectl/node_modules/ebpf-ts/dist/index.js', 'usr/lib/nodectl/bpf/sctp_wire.bpf.o', 'usr/lib/nodectl/bpf/sctp_kern.bpf.o',
    'usr/lib/nodectl/node_modules/@oclif/core/package.json', 'usr/lib/nodectl/node_modules/netlink/prebuilds/linux-x64/node.napi.node',
    'usr/lib/systemd/system/nodectl-config.service', 'usr/lib/systemd/system/nodectl-mgmt.service',
    'usr/share/man/man8/nodectl.8.gz', 'usr/share/man/man8/nodectl-config.8.gz',
    'usr/share/bash-completion/completions/nodectl', 'usr/share/zsh/vendor-completions/_nodectl',
    'etc/nodectl/node.yaml.example', 'etc/iproute2/rt_protos.d/nodectl.conf', 'usr/share/doc/nodectl/copyright', 'usr/share/doc/nodectl/changelog.Debian.gz',
  ]) t.true(existsSync(join(tree, f)), `${f} missing`);
  // No unit is enabled by the package: no symlinks under /etc/systemd (postinst only records
  // what enable would make, so that purge removes it).
  t.false(existsSync(join(tree, 'etc/systemd')));
  // Every path a unit runs is in the package.
  for (const unit of ['nodectl-config.service', 'nodectl-mgmt.service']) {
    const text = readFileSync(join(tree, 'usr/lib/systemd/system', unit), 'utf8');
    for (const m of text.matchAll(/^Exec\w+=(\S+)(.*)$/gm)) {
      t.true(existsSync(join(tree, m[1]!)), `${unit}: ${m[1]} is not in the package`);
      for (const js of m[2]!.match(/\/usr\/\S+\.js/g) ?? []) t.true(existsSync(join(tree, js)), `${unit}: ${js} is not in the package`);
    }
  }
  // The libraries of every ELF file resolve on this system from Debian's packages.
  for (const elf of ['usr/lib/nodectl/node/bin/node', 'usr/lib/nodectl/native/build/Release/nodectl_native.node', 'usr/lib/nodectl/node_modules/ebpf-ts/build/Release/ebpf_ts.node', 'usr/lib/nodectl/node_modules/netlink/prebuilds/linux-x64/node.napi.node']) {
    const ldd = spawnSync('ldd', [join(tree, elf)], { encoding: 'utf8' }).stdout;
    t.notRegex(ldd, /not found/, `${elf}: ${ldd}`);
  }
  const copyright = readFileSync(join(tree, 'usr/share/doc/nodectl/copyright'), 'utf8');
  t.regex(copyright, /^Format: https:\/\/www\.debian\.org\/doc\/packaging-manuals\/copyright-format\/1\.0\/$/m);
  for (const p of ['@oclif/core', 'yaml', '@sinclair/typebox', 'netlink', 'ebpf-ts']) t.true(copyright.includes(`Comment: npm package ${p}@`), `copyright lacks ${p}`);
  t.false(lstatSync(join(tree, 'usr/lib/nodectl/node_modules')).isSymbolicLink());
  // iproute2 names nodectl's route protocols: config apply's "110 nodectl" and the failover
  // daemon's local routes "111 nodectl-mgmt", and nothing else
  const protos = readFileSync(join(tree, 'etc/iproute2/rt_protos.d/nodectl.conf'), 'utf8');
  t.deepEqual(protos.split('\n').filter((l) => l.trim() && !l.startsWith('#')), [`${RTPROT_NODECTL} nodectl`, `${RTPROT_NODECTL_MGMT} nodectl-mgmt`]);
});

debTest('root')(rootTitle('the .deb\'s rt_protos.d file makes `ip route` say "proto nodectl" for the routes nodectl installs'), (t) => {
  const { tree } = unpack(t);
  const ns = netnsFor(t);
  ns.ip('link', 'add', 'pk0', 'type', 'veth', 'peer', 'name', 'pk1');
  ns.ip('link', 'set', 'pk0', 'up');
  ns.ip('route', 'add', '10.77.0.0/16', 'dev', 'pk0', 'proto', String(RTPROT_NODECTL));
  // iproute2 reads /etc/iproute2/rt_protos.d only: the package's directory is mounted there in a
  // private mount namespace of this one command (the host's /etc is never touched)
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
    'mount --bind "$1" /etc/iproute2/rt_protos.d && exec ip -n "$2" route show dev pk0', 'sh', join(tree, 'etc/iproute2/rt_protos.d'), ns.name], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^10\.77\.0\.0\/16 proto nodectl scope link/m);
  // and without the file, the bare number (so the check above depends on the package's file)
  t.regex(ns.ip('route', 'show', 'dev', 'pk0'), /^10\.77\.0\.0\/16 proto 110 scope link/m);
});

debTest('root')(rootTitle('the unpacked .deb runs without a Node on PATH: --version, link list --json -n, config validate, --help'), (t) => {
  const { tree, env } = unpack(t);
  t.not(spawnSync('sh', ['-c', 'command -v node'], { env, encoding: 'utf8' }).status, 0, 'the PATH must have no node');

  const v = run(tree, env, '--version');
  t.is(v.status, 0, v.stderr);
  t.is(v.stdout, `nodectl/${version} linux-x64 node-v${pinned}\n`);

  const ns = netnsFor(t);
  ns.ip('link', 'add', 'pk0', 'type', 'veth', 'peer', 'name', 'pk1');
  const list = run(tree, env, 'link', 'list', '--json', '-n', ns.name);
  t.is(list.status, 0, list.stderr);
  const names = (JSON.parse(list.stdout) as { ifname: string }[]).map((l) => l.ifname).sort();
  const oracle = ns.ipJson<{ ifname: string }[]>('link').map((l) => l.ifname).sort();
  t.deepEqual(names, oracle);

  const val = run(tree, env, 'config', 'validate', join(tree, 'etc/nodectl/node.yaml.example'));
  t.is(val.status, 0, val.stderr);
  t.regex(val.stdout, /valid/);

  // oclif proper (not a fast path): the manifest, the command files and the plugin load.
  const help = run(tree, env, 'link', '--help');
  t.is(help.status, 0, help.stderr);
  t.regex(help.stdout, /link add/);
  const ac = run(tree, env, 'autocomplete', 'script', 'bash');
  t.is(ac.status, 0, ac.stderr);

  // The SCTP tracers' modules resolve 'ebpf-ts' in the package's node_modules, and its own
  // libbpf addon loads with the bundled Node.
  const lib = join(tree, 'usr/lib/nodectl');
  const ebpf = spawnSync(join(lib, 'node/bin/node'), ['--input-type=module', '-e', "await import('./dist/sctp/tracer.js'); console.log((await import('ebpf-ts')).libbpfVersion())"], { cwd: lib, env, encoding: 'utf8' });
  t.is(ebpf.status, 0, ebpf.stderr);
  t.regex(ebpf.stdout, /^\d+\.\d+\n$/);
});
