import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'native/build/**', 'bpf/**', 'bin/**', 'packages/*/dist/**', 'packages/*/build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // Generated modules (`ebpf-ts gen types`, scripts/gen-bpf-types) open with a blanket
    // eslint-disable whether or not a given output needs it: not a finding.
    files: ['src/**/generated/**/*.ts'],
    linterOptions: { reportUnusedDisableDirectives: 'off' },
  },
  {
    // The build's own Node scripts are plain JavaScript: tell no-undef what Node provides.
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
  },
  {
    // The layering rule of HOUSE_STYLE: commands talk to the domain, never to the adapters.
    files: ['src/commands/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'ebpf-ts', message: 'commands call the domain core (interfaces, arp, failover, sctp, config), not the kernel adapters' }], patterns: [{ group: ['**/netlink/*', 'ebpf-ts/*', '**/packages/ebpf-ts/**', 'netlink'], message: 'commands call the domain core (interfaces, arp, failover, sctp, config), not the kernel adapters' }] }],
    },
  },
  {
    // nodectl uses ebpf-ts as any other user would: by package name, through its public API
    // (packages/ebpf-ts/src/index.ts, and errors-entry.ts as 'ebpf-ts/errors': its exports map),
    // never its files. The package's own tests are exempt: they test the internals.
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'scripts/**/*.mjs'],
    ignores: ['src/commands/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['ebpf-ts/*', '!ebpf-ts/errors', '**/packages/ebpf-ts/**', '**/src/ebpf/**', '../ebpf/*'], message: "import ebpf-ts by name ('ebpf-ts', or 'ebpf-ts/errors' for the errors alone), through its public API, not its files" }] }],
    },
  },
  {
    // ebpf-ts stands alone: nothing from nodectl (src, native/), only its own files and Node's.
    files: ['packages/ebpf-ts/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./', message: 'ebpf-ts is self-contained: import only its own modules (./x.js)' }] }],
    },
  },
);
