// Lint runs in `npm test`; rules stay close to the recommended sets so they flag bugs, not taste.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'dist/', 'migrations/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
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
