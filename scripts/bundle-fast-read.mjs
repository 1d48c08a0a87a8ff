#!/usr/bin/env node
// Bundles the read-command fast path (dist/cli/fast-read.js and the ~20 modules it imports) into
// one file, dist/cli/fast-read.bundle.js, which bin/run.js loads instead: resolving, reading and
// compiling 20 ES modules one by one cost a fresh `nodectl link list` ~20 ms of CPU, one file ~6.
// Runs after tsc in `npm run build:ts`, on the compiled JavaScript, so the bundle holds exactly
// the code the oclif commands run. The native addon loader stays a separate module: it finds the
// .node file next to itself.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

await build({
  absWorkingDir: root,
  entryPoints: ['dist/cli/fast-read.js'],
  outfile: 'dist/cli/fast-read.bundle.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  plugins: [{
    name: 'native-addon-external',
    setup(b) {
      // Every import of native/index.js, from whatever depth, becomes the one path that is
      // right from dist/cli/.
      b.onResolve({ filter: /\/native\/index\.js$/ }, () => ({ path: '../../native/index.js', external: true }));
    },
  }],
});
