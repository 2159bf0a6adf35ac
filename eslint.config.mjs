// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Node built-ins and I/O libraries never belong in deterministic workflow code. */
const forbiddenInWorkflows = [
  'node:*',
  'fs',
  'fs/*',
  'path',
  'os',
  'crypto',
  'http',
  'https',
  'net',
  'child_process',
  'stream',
  'url',
  'util',
  'knex',
  'pg',
  'nodemailer',
  'koa',
  '@koa/*',
  'pino',
  'undici',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  '@temporalio/testing',
];

/** Folders outside the service: the development kit, the command-line entry points and the tests. */
const serviceMustNotImport = ['**/devkit/**', '**/devkit', '**/cli/**', '**/test/**'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.temporal/**', 'data/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: serviceMustNotImport, message: 'the service must not import the development kit, cli/ or test/.' },
            {
              group: ['zod', 'zod/*'],
              allowTypeImports: true,
              message:
                'the workflow bundle is evaluated per cached workflow: zod in it took 10,000 open screenings from 1.1 to 4.4 GiB (see carried-state.ts).',
            },
            {
              group: forbiddenInWorkflows,
              allowTypeImports: true,
              message: 'workflows/ must stay deterministic: do I/O in an activity and import activities by type only.',
            },
          ],
        },
      ],
    },
  },
  {
    // The service never depends on the development kit, the command-line entry points or the tests.
    files: ['src/**/*.ts', 'activities/**/*.ts', 'migrations/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: serviceMustNotImport, message: 'the service must not import the development kit, cli/ or test/.' }] },
      ],
    },
  },
  {
    files: ['src/**/*.ts', 'activities/**/*.ts', 'workflows/**/*.ts', 'migrations/**/*.ts'],
    ignores: ['src/config.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read configuration through src/config.ts' }],
    },
  },
);
