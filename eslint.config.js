import tseslint from 'typescript-eslint';

/**
 * Query building in the core (decision 156, 200): Kysely's builders and `sql` tags are used only
 * in query modules (`*-queries.ts`) and `db/`. dependency-cruiser checks the `kysely` imports; a
 * service that calls `ctx.db.selectFrom(…)` on the database it is given imports nothing, so these
 * selectors check the calls themselves. Services open transactions with `transaction()` from
 * db/connect.ts and pass them to query functions.
 */
const QUERY_BUILDING = [
  {
    selector:
      'CallExpression[callee.type="MemberExpression"][callee.property.name=/^(selectFrom|selectNoFrom|insertInto|replaceInto|updateTable|deleteFrom|mergeInto)$/]',
    message: 'Build queries in a query module (*-queries.ts) and call it from here (decision 156).',
  },
  {
    // Kysely's common table expressions: `db.with('name', (db) => …)`; Array#with(index, value) is not one.
    selector:
      'CallExpression[callee.type="MemberExpression"][callee.property.name="with"][arguments.0.type="Literal"][arguments.1.type=/FunctionExpression$/]',
    message: 'Build queries in a query module (*-queries.ts) and call it from here (decision 156).',
  },
  {
    selector:
      'CallExpression[callee.property.name="execute"][callee.object.type="CallExpression"][callee.object.callee.property.name="transaction"]',
    message:
      'Open transactions with transaction() from db/connect.ts and pass them to query functions (decision 156).',
  },
  {
    selector: 'TaggedTemplateExpression[tag.name="sql"], CallExpression[callee.object.name="sql"]',
    message: 'SQL belongs in a query module (*-queries.ts) or db/ (decision 156).',
  },
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'montu-data/**', 'clients/**', 'bench/tmp/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    ignores: ['packages/core/src/**/*-queries.ts', 'packages/core/src/db/**'],
    rules: { 'no-restricted-syntax': ['error', ...QUERY_BUILDING] },
  },
);
