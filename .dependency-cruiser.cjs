/**
 * The architecture check (`npm run check:architecture`, part of `npm test`): which package may
 * import which, and no import cycles. docs/architecture.md explains the layers; decision 081
 * records why these rules and how they were chosen.
 *
 * Workspace packages resolve through node_modules to their built `dist/` (the check runs after
 * `npm run build`); rules therefore name packages by folder, `src/` or `dist/` alike.
 *
 * No exception is listed (the last ones went with decision 200): a rule the code does not meet
 * yet may list one here, naming the work that removes it.
 */

/** A package folder, whether reached through its sources or its build. */
const pkg = (name) => `^packages/${name}/`;

/**
 * The CLI's local mode: the modules that run the library (or the server, for `montu serve`) in
 * this process. They load @montu/core and @montu/server on first use (decision 045).
 */
const CLI_LOCAL_MODE = [
  '^packages/cli/src/(local|core|server-api)\\.ts$',
  '^packages/cli/src/commands/(serve|storage|probe|verify)\\.ts$',
];

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'No import cycles anywhere (type-only imports count: they tie the modules just the same).',
      severity: 'error',
      from: { path: '^packages/' },
      to: { circular: true },
    },
    {
      name: 'domain-imports-nothing-of-ours',
      comment: '@montu/domain is isomorphic and the bottom layer: no other package of ours.',
      severity: 'error',
      from: { path: pkg('domain') },
      to: { path: `${pkg('(core|server|cli|web|client)')}` },
    },
    {
      name: 'domain-imports-no-node-builtins',
      comment: '@montu/domain runs in browsers too: no Node built-in modules.',
      severity: 'error',
      from: { path: pkg('domain') },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'core-never-imports-surfaces',
      comment: 'The core library knows nothing of the server, the CLI, the web app or the HTTP client.',
      severity: 'error',
      from: { path: pkg('core') },
      to: { path: pkg('(server|cli|web|client)') },
    },
    {
      name: 'core-kysely-only-in-query-modules',
      comment:
        'Kysely (query building, SQL) is used only in query modules (`*-queries.ts`) and in db/ ' +
        '(connection, schema, migrations); services call named query functions (issue 19 item 3, ' +
        'decision 156). Type-only imports count too.',
      severity: 'error',
      from: {
        path: pkg('core'),
        pathNot: ['-queries\\.ts$', '^packages/core/src/db/'],
      },
      // Resolved through node_modules in the tree; unresolved (a bare name) in a scratch tree.
      to: { path: '(^|/)node_modules/kysely/|^kysely$' },
    },
    {
      name: 'core-processing-state-has-one-writer',
      comment:
        'media.processing_state is written only by processing/media-state-queries.ts, and only ' +
        'processing/media-state.ts (which decides the state) may call it (decision 156).',
      severity: 'error',
      from: { path: pkg('core'), pathNot: ['^packages/core/src/processing/media-state\\.ts$'] },
      to: { path: '^packages/core/src/processing/media-state-queries\\.ts$' },
    },
    {
      name: 'server-imports-core-and-domain-only',
      comment: 'The server translates HTTP to core calls: core and domain, no other package of ours.',
      severity: 'error',
      from: { path: pkg('server') },
      to: { path: pkg('(cli|web|client)') },
    },
    {
      name: 'client-imports-domain-only',
      comment: '@montu/client runs in browsers: the domain package, nothing else of ours.',
      severity: 'error',
      from: { path: pkg('client') },
      to: { path: pkg('(core|server|cli|web)') },
    },
    {
      name: 'client-browser-modules-no-node-builtins',
      comment:
        "@montu/client's main entry runs in browsers: Node built-ins only in its Node entry " +
        '(`@montu/client/node`: src/node.ts and src/node/, uploads of files on disk; decision 110).',
      severity: 'error',
      from: { path: pkg('client'), pathNot: ['^packages/client/src/node(\\.ts$|/)', '/test/'] },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'web-imports-domain-and-client-only',
      comment: 'The web app is built on @montu/client and @montu/domain only.',
      severity: 'error',
      from: { path: pkg('web') },
      to: { path: pkg('(core|server|cli)') },
    },
    {
      name: 'cli-imports-domain-and-client',
      comment:
        "The CLI's remote mode is built on @montu/client and @montu/domain; only its local mode " +
        '(CLI_LOCAL_MODE) may use the core and the server.',
      severity: 'error',
      from: { path: pkg('cli'), pathNot: CLI_LOCAL_MODE },
      to: { path: pkg('(core|server|web)') },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules', '/dist/'] },
    exclude: { path: ['/test/', '\\.test\\.tsx?$', '/e2e/'] },
    // Type-only imports are dependencies too: a cycle through them is still a cycle.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.d.ts'],
    },
  },
};
