/**
 * The architecture check (.dependency-cruiser.cjs) runs on the real tree and finds nothing, and it
 * does fail on deliberate violations: a throw-away tree with the same layout breaks each rule once.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ESLint } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const DEPCRUISE = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
const SOURCES = ['domain', 'core', 'server', 'cli', 'web', 'client'].map((p) => `packages/${p}/src`);

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

async function cruise(cwd: string, dirs: string[]): Promise<Violation[]> {
  const { stdout } = await run(
    process.execPath,
    [DEPCRUISE, '--config', CONFIG, '--output-type', 'json', ...dirs],
    // Exit code 1 is "violations found": read them from the report rather than fail here.
    { cwd, maxBuffer: 64 * 1024 * 1024 },
  ).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  const report = JSON.parse(stdout) as { summary: { violations: Violation[] } };
  return report.summary.violations;
}

describe('architecture check', () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'montu-arch-'));
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it('finds no violation in the packages', async () => {
    const violations = await cruise(ROOT, SOURCES);
    expect(violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  });

  it('fails on a deliberate violation of each rule', async () => {
    const write = (file: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(scratch, file)), { recursive: true });
      fs.writeFileSync(path.join(scratch, file), text);
    };
    fs.copyFileSync(path.join(ROOT, 'tsconfig.base.json'), path.join(scratch, 'tsconfig.base.json'));
    // domain reaching for Node and for the core; core for the server; a cycle inside core;
    // web and the CLI's remote mode for the core; the server for the client.
    write(
      'packages/domain/src/ids.ts',
      "import fs from 'node:fs';\nimport { a } from '../../core/src/a.js';\nexport const ids = [fs, a];\n",
    );
    write('packages/core/src/a.ts', "import { b } from './b.js';\nexport const a = () => b;\n");
    write(
      'packages/core/src/b.ts',
      "import { a } from './a.js';\nimport { app } from '../../server/src/app.js';\nexport const b = () => [a, app];\n",
    );
    write(
      'packages/server/src/app.ts',
      "import { client } from '../../client/src/client.js';\nexport const app = client;\n",
    );
    write('packages/client/src/client.ts', 'export const client = 1;\n');
    write('packages/web/src/main.ts', "import { a } from '../../core/src/a.js';\nexport const main = a;\n");
    write(
      'packages/cli/src/commands/ingest.ts',
      "import { a } from '../../../core/src/a.js';\nexport const ingest = a;\n",
    );
    write('packages/cli/src/local.ts', "import { a } from '../../core/src/a.js';\nexport const local = a;\n");
    const violations = await cruise(scratch, SOURCES);
    const found = new Set(violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`));
    expect([...found].sort()).toEqual(
      [
        'cli-imports-domain-and-client: packages/cli/src/commands/ingest.ts → packages/core/src/a.ts',
        'core-never-imports-surfaces: packages/core/src/b.ts → packages/server/src/app.ts',
        'domain-imports-no-node-builtins: packages/domain/src/ids.ts → fs',
        'domain-imports-nothing-of-ours: packages/domain/src/ids.ts → packages/core/src/a.ts',
        'no-cycles: packages/core/src/a.ts → packages/core/src/b.ts',
        'server-imports-core-and-domain-only: packages/server/src/app.ts → packages/client/src/client.ts',
        'web-imports-domain-and-client-only: packages/web/src/main.ts → packages/core/src/a.ts',
      ].sort(),
    );
    // The CLI's local mode may run the core in-process: no violation for cli/src/local.ts.
  });

  it('keeps Kysely in query modules and processing_state with its one writer (decision 156)', async () => {
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'montu-arch-core-'));
    try {
      const write = (file: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
        fs.writeFileSync(path.join(tree, file), text);
      };
      fs.copyFileSync(path.join(ROOT, 'tsconfig.base.json'), path.join(tree, 'tsconfig.base.json'));
      // Allowed: a query module, db/, and media-state.ts calling the state's SQL.
      write(
        'packages/core/src/media/media-queries.ts',
        "import { sql } from 'kysely';\nexport const q = sql;\n",
      );
      write(
        'packages/core/src/db/schema.ts',
        "import type { Kysely } from 'kysely';\nexport type Db = Kysely<object>;\n",
      );
      write('packages/core/src/processing/media-state-queries.ts', 'export const setState = 1;\n');
      write(
        'packages/core/src/processing/media-state.ts',
        "import { setState } from './media-state-queries.js';\nexport const settle = setState;\n",
      );
      // Violations: a service building SQL itself (a type-only import counts), and another
      // module writing the processing state past media-state.ts.
      write(
        'packages/core/src/review/playlist-service.ts',
        "import type { Selectable } from 'kysely';\nimport { q } from '../media/media-queries.js';\nexport type Row = Selectable<object>;\nexport const s = q;\n",
      );
      write(
        'packages/core/src/jobs/job-store.ts',
        "import { setState } from '../processing/media-state-queries.js';\nexport const store = setState;\n",
      );
      const violations = await cruise(tree, ['packages/core/src']);
      expect(violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort()).toEqual([
        'core-kysely-only-in-query-modules: packages/core/src/review/playlist-service.ts → kysely',
        'core-processing-state-has-one-writer: packages/core/src/jobs/job-store.ts → packages/core/src/processing/media-state-queries.ts',
      ]);
    } finally {
      fs.rmSync(tree, { recursive: true, force: true });
    }
  });
});

/**
 * What dependency-cruiser cannot see: a service building a query on the database it is given
 * imports nothing from kysely. eslint.config.js forbids the builder calls and `sql` tags in the
 * core outside query modules and db/ (decision 200); ESLint's own API lints the real tree and a
 * deliberate violation, with the repository's config.
 */
describe('query building only in query modules (eslint)', () => {
  const eslint = new ESLint({ cwd: ROOT });
  const QUERY_RULE = 'no-restricted-syntax';

  // A service doing what media-service.ts and uploads/s3-direct.ts did before decision 200.
  const SERVICE = [
    "import { sql } from 'kysely';",
    "import type { Db } from '../db/schema.js';",
    'export class PlaylistService {',
    '  constructor(private readonly db: Db) {}',
    '  async find(id: string) {',
    "    const row = await this.db.selectFrom('playlist').selectAll().where('id', '=', id).executeTakeFirst();",
    "    await this.db.transaction().execute(async (trx) => trx.deleteFrom('playlist').where('id', '=', id).execute());",
    '    const n = await sql<{ n: number }>`SELECT count(*) AS n FROM playlist`.execute(this.db);',
    "    await this.db.with('recent', (db) => db.selectFrom('playlist').selectAll()).selectFrom('recent').execute();",
    '    return [row, n, [1, 2].with(0, 3)];',
    '  }',
    '}',
    '',
  ].join('\n');

  const violations = async (file: string) => {
    const [result] = await eslint.lintText(SERVICE, { filePath: path.join(ROOT, file) });
    return result!.messages.filter((m) => m.ruleId === QUERY_RULE).map((m) => `${m.line}: ${m.message}`);
  };

  it('finds no query building outside query modules in the core', async () => {
    const results = await eslint.lintFiles(['packages/core/src']);
    const found = results.flatMap((r) =>
      r.messages
        .filter((m) => m.ruleId === QUERY_RULE)
        .map((m) => `${path.relative(ROOT, r.filePath)}:${m.line}: ${m.message}`),
    );
    expect(found).toEqual([]);
  });

  it('fails on a service that builds its own queries, and not on a query module', async () => {
    const inService = await violations('packages/core/src/review/playlist-service.ts');
    // selectFrom, transaction().execute, deleteFrom, the sql tag, with(…) and the selectFrom
    // inside it and after it; Array#with (a number first) is not a query.
    expect(inService.map((v) => Number(v.split(':')[0]))).toEqual([6, 7, 7, 8, 9, 9, 9]);
    expect(inService[0]).toContain('Build queries in a query module (*-queries.ts)');
    expect(inService[1]).toContain('transaction() from db/connect.ts');
    expect(inService[3]).toContain('SQL belongs in a query module');
    expect(await violations('packages/core/src/review/playlist-queries.ts')).toEqual([]);
    expect(await violations('packages/core/src/db/migrations/020-example.ts')).toEqual([]);
    // The server, the CLI and tests are not the core's services: the rule is the core's.
    expect(await violations('packages/server/src/routes/playlists.ts')).toEqual([]);
    expect(await violations('packages/core/test/playlists.test.ts')).toEqual([]);
  });
});
