// ESLint flat config: typescript-eslint (needs the TypeScript compiler API, hence TypeScript 6),
// Nx module boundaries by tags, Prettier owns formatting.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '**/tmp/**', '.nx/**', '**/*.d.ts'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Type-aware rules for a promise-heavy library: a promise is awaited, returned or
    // explicitly voided, and never handed to a place that expects a void callback.
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['vitest.shared.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    // Published source: module boundaries by tags.
    files: ['packages/*/src/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.test-d.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // core imports no adapter, no framework and nothing from tools/
            {
              sourceTag: 'type:core',
              onlyDependOnLibsWithTags: [],
              bannedExternalImports: ['axios', 'ky', '@nestjs/*', 'express', 'fastify', 'rxjs', 'ioredis', 'redis'],
            },
            // adapters (axios, ky, and every package beside them) import core only: never each other, never nest
            { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:core'] },
            // nest imports core, and the adapters for its optional providers
            { sourceTag: 'type:nest', onlyDependOnLibsWithTags: ['type:core', 'type:adapter'] },
            // the CLI imports core only
            { sourceTag: 'type:cli', onlyDependOnLibsWithTags: ['type:core'] },
            // nothing published imports tools/
            { sourceTag: 'scope:published', onlyDependOnLibsWithTags: ['scope:published'] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/test/**/*.ts', 'tools/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  prettier,
);
