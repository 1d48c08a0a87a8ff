import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'native/build/**', 'bpf/**', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
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
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/netlink/*', '**/ebpf/*', 'netlink'], message: 'commands call the domain core (interfaces, arp, failover, sctp, config), not the kernel adapters' }] }],
    },
  },
  {
    // ebpf-ts stays publishable on its own: nothing from the rest of nodectl.
    files: ['src/ebpf/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./(?!ebpf/|\\.\\./native/)', message: 'src/ebpf is self-contained (ebpf-ts): import only within src/ebpf and native/' }] }],
    },
  },
);
