// The package as a user gets it: `npm pack -w ebpf-ts`, the tarball installed into an empty
// project in a temporary directory (nothing of this repository reachable from there: no
// node_modules above it, no NODE_PATH), its addon built there by the install script against the
// system libbpf, and then the README's example, taken from the installed README, run as root
// inside a network namespace this test creates (veth to a second one).
import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isRoot, vethPair } from '../../../test/helpers/netns.js';
import { netShow } from '../../../test/helpers/ebpf.js';
import { patient } from '../../../test/helpers/patience.js';

const run = promisify(execFile);
const PKG = fileURLToPath(new URL('..', import.meta.url));
const ROOT = resolve(PKG, '../..');

/** The environment of a user's shell: none of the npm run variables of the `npm test` around us. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|NODE_OPTIONS$|NODE_PATH$|INIT_CWD$)/i.test(k)) env[k] = v;
  // node-gyp builds against the headers of the Node that runs us (no download: this may be offline).
  const prefix = resolve(process.execPath, '../..');
  if (existsSync(join(prefix, 'include/node/node_api.h'))) env.npm_config_nodedir = prefix;
  return { ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
}

/** The packed dist/ must be the compiled sources: the tarball is made without running prepack. */
function staleDist(): string | undefined {
  for (const f of readdirSync(join(PKG, 'src')).filter((n) => n.endsWith('.ts'))) {
    const js = join(PKG, 'dist', f.replace(/\.ts$/, '.js'));
    if (!existsSync(js) || statSync(js).mtimeMs < statSync(join(PKG, 'src', f)).mtimeMs) return js;
  }
  return undefined;
}

test.serial('npm pack → install in an empty project → the README example counts datagrams in a namespace', async (t) => {
  if (!isRoot()) return void t.fail('needs root');
  const stale = staleDist();
  // `npm pack` here skips prepack (a tsc rewriting dist/ would race the CLI tests that load it),
  // so the compiled package must be current: `npm test` runs build:ts before ava.
  if (stale) return void t.fail(`${stale} is missing or older than its source: run npm run build:ts`);

  const tmp = mkdtempSync(join(tmpdir(), 'ebpf-ts-pack-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const env = userEnv();
  const packed = await run('npm', ['pack', '-w', 'ebpf-ts', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: ROOT, env, maxBuffer: 16 << 20 });
  const info = (JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>)[0]!;
  const files = info.files.map((f) => f.path);
  for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'binding.gyp', 'native/bpf.cc', 'native/addon.cc', 'dist/index.js', 'dist/index.d.ts', 'test/fixtures/udpcount.bpf.o']) {
    t.true(files.includes(f), `the tarball lacks ${f}`);
  }
  t.false(files.some((f) => f.startsWith('src/') || f.startsWith('build/')), 'no sources or local build in the tarball');

  const proj = join(tmp, 'proj');
  mkdirSync(proj);
  writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'ebpf-ts-user', private: true, type: 'module' }));
  t.false(existsSync(join(tmp, 'node_modules')) || existsSync('/node_modules'), 'a node_modules above the project would leak modules into it');
  await run('npm', ['install', '--prefer-offline', '--no-save', join(tmp, info.filename)], { cwd: proj, env, maxBuffer: 16 << 20 });

  const installed = join(proj, 'node_modules/ebpf-ts');
  t.false(lstatSync(installed).isSymbolicLink(), 'installed as files, not linked to the repository');
  t.true(existsSync(join(installed, 'build/Release/ebpf_ts.node')), 'the install script built the addon');
  const resolved = spawnSync(process.execPath, ['--input-type=module', '-e', "console.log(import.meta.resolve('ebpf-ts'))"], { cwd: proj, env, encoding: 'utf8' });
  t.is(realpathSync(fileURLToPath(resolved.stdout.trim())), realpathSync(join(installed, 'dist/index.js')));

  // The example exactly as the installed README shows it.
  const readme = readFileSync(join(installed, 'README.md'), 'utf8');
  const example = /## Example\n[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!example) return void t.fail('the README has no ```js block under ## Example');
  t.true(example.split('\n').length <= 30, 'the example stays short');
  writeFileSync(join(proj, 'example.mjs'), example);

  const { a } = vethPair(t, '198.51.100');
  const ex = await run('ip', ['netns', 'exec', a.name, process.execPath, 'example.mjs', 'va', '198.51.100.2', '9999'], { cwd: proj, env, timeout: patient(60_000) });
  t.log(ex.stdout.trim());
  const lines = ex.stdout.trim().split('\n');
  const datagrams = lines.map((l) => /^datagram to 198\.51\.100\.2:9999 from port \d+, (\d+) bytes$/.exec(l)).filter((m) => m !== null);
  t.is(datagrams.length, 3, 'one ring-buffer record per datagram sent');
  // The map agrees with the ring buffer: 3 packets, and the bytes the records reported.
  const total = datagrams.reduce((n, m) => n + Number(m[1]), 0);
  t.true(lines.includes(`198.51.100.2: 3 packets, ${total} bytes`), ex.stdout);
  // close() detached it: nothing of ours stays on va.
  t.deepEqual(netShow(a).tc, []);
});
