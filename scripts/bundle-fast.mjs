#!/usr/bin/env node
// Bundles the entries that bin/run.js runs without oclif into one file each, because
// resolving, reading and compiling their ES modules one by one was a large part of a fresh
// process's cost (measured: ~20 → ~6 ms of CPU for `link list`, ~60 → ~30 ms for a no-op
// `config apply`, which the boot unit runs on every start):
//   dist/cli/fast-read.js     → dist/cli/fast-read.bundle.js     (the read commands)
//   dist/cli/fast-link-json.js → dist/cli/fast-link-json.bundle.js (link list --json, native writer)
//   dist/config/fast-apply.js → dist/config/fast-apply.bundle.js (config apply)
//   dist/failover/fast-run.js → dist/failover/fast-run.bundle.js (mgmt run: here for memory, as
//     the daemon keeps every module record for its life: ~1-2 MB less resident than 60 modules)
// Runs after tsc in `npm run build:ts`, on the compiled JavaScript, so a bundle holds exactly
// the code the oclif commands run. What stays outside: the native addon loader and the
// `netlink` package (both find binaries relative to themselves); for config apply and mgmt run
// also the full config loader with `yaml` and TypeBox, which only a file with a problem needs
// (src/config/read.ts), and the error classes both sides throw (instanceof must hold).
import { build } from 'esbuild';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Every import of native/index.js, from whatever depth, as the one path right from dist/X/. */
const nativeOutside = (b) => b.onResolve({ filter: /\/native\/index\.js$/ }, () => ({ path: '../../native/index.js', external: true }));

/**
 * node:fs as process.getBuiltinModule('fs') (Node >= 20.16; engines says >= 20.19): an ES import
 * of a builtin builds its module facade, which for fs reads every export, the lazy ones too, and
 * so loads some 20 stream modules (~4 ms of CPU in a fresh process) that `link list --json`
 * never uses.
 */
const fsWithoutFacade = (b) => {
  b.onResolve({ filter: /^(node:)?fs$/ }, () => ({ path: 'fs', namespace: 'builtin-fs' }));
  b.onLoad({ filter: /.*/, namespace: 'builtin-fs' }, () => ({ contents: "module.exports = process.getBuiltinModule('fs');", loader: 'js' }));
};

const bundle = (entry, plugin, external = []) => build({
  absWorkingDir: root,
  entryPoints: [`dist/${entry}.js`],
  outfile: `dist/${entry}.bundle.js`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  external,
  plugins: [{ name: 'keep-outside', setup: plugin }],
});

await Promise.all([
  bundle('cli/fast-read', nativeOutside),
  bundle('cli/fast-link-json', (b) => {
    nativeOutside(b);
    fsWithoutFacade(b);
  }),
  bundle('config/fast-apply', (b) => {
    nativeOutside(b);
    b.onResolve({ filter: /^\.\/load\.js$/ }, (a) => (a.importer.endsWith('/dist/config/read.js') ? { path: './load.js', external: true } : undefined));
    b.onResolve({ filter: /\/errors\.js$/ }, (a) => (a.importer.startsWith(`${root}dist/`) ? { path: '../errors.js', external: true } : undefined));
  }, ['netlink', 'netlink/*']),
  bundle('failover/fast-run', (b) => {
    nativeOutside(b);
    b.onResolve({ filter: /^\.\/mgmt-file\.js$/ }, (a) => (a.importer.endsWith('/dist/config/read.js') ? { path: '../config/mgmt-file.js', external: true } : undefined));
    b.onResolve({ filter: /\/errors\.js$/ }, (a) => (a.importer.startsWith(`${root}dist/`) ? { path: '../errors.js', external: true } : undefined));
  }, ['netlink', 'netlink/*']),
]);
