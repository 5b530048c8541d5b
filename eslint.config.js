// Lint runs in `npm test`; rules stay close to the recommended sets so they flag bugs, not taste.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'dist/', 'migrations/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Type-aware: the gateway answers only after its group commit (src/db/group-commit.ts), so a promise
    // nobody awaits can mean an answer sent before its write is durable, or a rejection that kills the
    // process. Floating/misused promises are errors; `void` one only with a comment saying why.
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Fastify handlers are async by idiom (a throw becomes the error answer) even when they await nothing.
      '@typescript-eslint/require-await': 'off',
      // Taste, not bugs: a redundant `!` or `as` is harmless.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
  {
    // The console's own browser script (src/console/assets): plain ES5 for any phone's browser.
    files: ['src/console/assets/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly' } },
  },
  {
    // Tests read JSON answers (`any`) field by field; the promise rules still apply to them.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
    },
  },
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', {
        selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
        message: 'Take a Clock (src/lib/clock.ts) instead of reading the wall clock.',
      }],
    },
  },
  {
    // The core never imports a channel (docs/architecture.md); server.ts is the one composition root.
    files: ['src/**/*.ts'],
    ignores: ['src/server.ts', 'src/cli.ts', 'src/bench/**', 'src/sim/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/channels/**'], message: 'The core never imports a channel.' },
        { group: ['**/sim/*'], message: 'The simulators are tools over public interfaces; the runtime never imports them.' },
      ] }],
    },
  },
  {
    files: ['src/lib/clock.ts', 'test/**/*.ts', 'src/bench/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
