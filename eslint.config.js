// Lint: the recommended rules plus the few that catch real bugs in async,
// event-driven code (floating promises) and keep library code free of console output.
// Library code (src/, and the SDK package's packages/client/src/) also gets typescript-eslint's type-checked rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'public/vendor/**', 'packages/*/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked.map((config) => ({ ...config, files: ['src/**/*.ts', 'packages/client/src/**/*.ts'] })),
  {
    files: ['src/**/*.ts', 'packages/client/src/**/*.ts'],
    rules: {
      // `async` on a method that awaits nothing keeps the Promise contract of an
      // interface (Broker): a throw becomes a rejection, never a synchronous throw.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'packages/client/src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
    },
  },
  {
    // The CLI and test helpers talk to a terminal on purpose.
    files: ['src/cli/**/*.ts', 'test/**/*.ts', 'src/load/**/*-report*.ts', 'src/bench/**/*-report*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // node:test's test() returns a promise the runner itself awaits.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
    },
  },
);
