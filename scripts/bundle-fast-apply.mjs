#!/usr/bin/env node
// Bundles `config apply`'s fast entry (dist/config/fast-apply.js and the ~35 modules it imports)
// into one file, dist/config/fast-apply.bundle.js, which bin/run.js loads instead: the boot unit
// runs it on every start, and loading the modules one by one was a large part of a no-op apply.
// Runs after tsc in `npm run build:ts`, on the compiled JavaScript, so the bundle holds exactly
// the code the oclif command runs. Left outside: the native addon loader and the `netlink`
// package (both find binaries relative to themselves), and the full config loader with the
// `yaml` package and TypeBox, which only a file with a problem needs (src/config/read.ts), and
// the error classes both sides throw.
import { build } from 'esbuild';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

await build({
  absWorkingDir: root,
  entryPoints: ['dist/config/fast-apply.js'],
  outfile: 'dist/config/fast-apply.bundle.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  external: ['netlink', 'netlink/*'],
  plugins: [{
    name: 'keep-outside',
    setup(b) {
      // paths as seen from dist/config/, where the bundle lives
      b.onResolve({ filter: /\/native\/index\.js$/ }, () => ({ path: '../../native/index.js', external: true }));
      b.onResolve({ filter: /^\.\/load\.js$/ }, (a) => (a.importer.endsWith('/dist/config/read.js') ? { path: './load.js', external: true } : undefined));
      // one copy of the error classes for the bundle and the full loader: instanceof must hold
      b.onResolve({ filter: /\/errors\.js$/ }, (a) => (a.importer.startsWith(`${root}dist/`) ? { path: '../errors.js', external: true } : undefined));
    },
  }],
});
