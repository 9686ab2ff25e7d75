// Lint for the whole repository: neostandard's style (no semicolons, single quotes, space before
// function parens) plus typescript-eslint's type-aware rules that catch real bugs.
import neostandard from 'neostandard'
import tseslint from 'typescript-eslint'

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', 'docs/api/**', 'bench/results/**', '.testnet/**'] },
  ...neostandard({ ts: true }),
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: { allowDefaultProject: ['vitest.config.ts'] }, tsconfigRootDir: import.meta.dirname }
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/return-await': ['error', 'always'],
      // TypeScript reports real redeclarations; the rule misreads a const and its type of one name.
      '@typescript-eslint/no-redeclare': 'off'
    }
  },
  {
    rules: {
      // SHA3-256 keeps its standard name (sha3_256, as in @noble/hashes).
      camelcase: ['error', { allow: ['^(create)?[sS]ha3_256(Hasher)?$'] }],
      // `void promise` is how a deliberate fire-and-forget satisfies no-floating-promises.
      'no-void': ['error', { allowAsStatement: true }]
    }
  }
]
