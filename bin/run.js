#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS NODECTL_SAVED_CA=${NODE_EXTRA_CA_CERTS} node
// Node reads and parses NODE_EXTRA_CA_CERTS at every start, before any JavaScript runs (Debian's
// bundle: ~50 ms of CPU, half a `link list`); nodectl makes no TLS connection, so the executable
// starts Node without it (GNU env -S; ${VAR} expands to '' when unset) and puts it back here,
// before anything is spawned, for the programs nodectl runs. Empty and unset mean the same to Node.
if (process.env.NODECTL_SAVED_CA !== undefined) {
  if (process.env.NODECTL_SAVED_CA !== '') process.env.NODE_EXTRA_CA_CERTS = process.env.NODECTL_SAVED_CA;
  delete process.env.NODECTL_SAVED_CA;
}
// `nodectl --version` is what scripts and boot units call to check the install: answer it
// without loading oclif (which costs ~100 ms), in oclif's own format.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === 'version')) {
  const { readFileSync } = process.getBuiltinModule('fs');
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.name}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`);
} else {
  // Commands scripts and boot units run often skip oclif (~100 ms of CPU): the read commands,
  // `config apply`, `mgmt run` (a daemon stays ~15 MB smaller). Their flags and the module that
  // answers each come from the command classes (dist/cli/generated/fast-commands.js, made at
  // build time); a command line the fast parser cannot answer exactly as oclif would returns
  // null and falls through to oclif. NODECTL_NO_FAST=1 disables them.
  const id = `${argv[0]} ${argv[1]}`;
  const { FAST_COMMANDS } = process.env.NODECTL_NO_FAST ? {} : await import('../dist/cli/generated/fast-commands.js');
  const entry = FAST_COMMANDS && Object.hasOwn(FAST_COMMANDS, id) ? FAST_COMMANDS[id].entry : null;
  // `link list --json` first, on its own small entry: the native writer prints the whole list
  // and the process exits at once (nothing else is pending; tearing the heap down costs ~15 ms).
  // When it declines, fast-read's TypeScript path prints the same. NODECTL_NO_NATIVE_JSON=1 skips it.
  if (id === 'link list' && entry && argv.includes('--json') && !process.env.NODECTL_NO_NATIVE_JSON) {
    const status = (await fastEntry('cli/fast-link-json')).fastLinkJson(argv);
    if (status !== null) process.exit(status);
  }
  // `config apply` runs for a fraction of a second, yet its planning and decoding loops grew hot
  // enough for TurboFan, which spent more CPU optimizing them (on a second thread) than the
  // optimized code gave back: with 4x V8's interrupt budget, a no-op apply of 1,000 macvlans
  // took ~30% less CPU (user 0.22 → 0.16 s), and creating 1,000 or 4,000 links or pruning
  // them as much or less (docs/config.md). Only this command: daemons need their hot code fast.
  if (id === 'config apply' && entry) {
    try {
      process.getBuiltinModule('v8').setFlagsFromString('--interrupt-budget=270336');
    } catch {
      // a Node that refuses flags after start-up runs with its defaults
    }
  }
  const fast = entry ? await (await fastEntry(entry)).fastRun(argv) : null;
  if (fast !== null) {
    process.exitCode = fast;
  } else {
    const { execute, settings } = await import('@oclif/core');
    // Always the compiled dist/, as installed: with NODE_ENV=test or development (ava sets it)
    // oclif would look for src/*.ts next to a tsconfig.json and fail to load the help class and hooks.
    settings.enableAutoTranspile = false;
    // No user-installed oclif plugins (nodectl has no `plugins` command): oclif would read
    // ~/.local/share/nodectl/package.json at every start, and warn with EACCES when run under
    // another user's HOME (setpriv, sudo -u) or a HOME it cannot read.
    const root = process.getBuiltinModule('url').fileURLToPath(new URL('..', import.meta.url));
    await execute({ loadOptions: { root, userPlugins: false } });
  }
}

/**
 * A fast entry (dist/X.js) as the one file scripts/bundle-fast.mjs makes of it at the end of
 * `npm run build:ts` (dist/X.bundle.js): loading its 20–35 modules one by one cost more CPU than
 * the work itself. A bundle older than the compiled modules (tsc run alone) is stale and skipped.
 */
async function fastEntry(name) {
  // Not `import('node:fs')`: that builds fs's ES module facade, which loads ~20 stream modules.
  const { statSync } = process.getBuiltinModule('fs');
  const bundle = new URL(`../dist/${name}.bundle.js`, import.meta.url);
  const plain = new URL(`../dist/${name}.js`, import.meta.url);
  let fresh = false;
  try {
    fresh = statSync(bundle).mtimeMs >= statSync(plain).mtimeMs;
  } catch {
    // no bundle, or no build at all: the plain modules, whose import error says what is missing
  }
  return import(fresh ? bundle.href : plain.href);
}
