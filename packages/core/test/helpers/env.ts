import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** Database engines the suite runs on: SQLite always, PostgreSQL when MONTU_TEST_DATABASE_URL is set. */
export const DATABASES: Array<'sqlite' | 'postgres'> = process.env['MONTU_TEST_DATABASE_URL']
  ? ['sqlite', 'postgres']
  : ['sqlite'];

const HERE = fileURLToPath(new URL('.', import.meta.url));

/**
 * The repository's own test media (test/corpus: a licensed subset of the corpus, same layout and
 * manifest format). Always present, so a fresh clone's tests pass without anything beside it.
 */
export const CORPUS = path.resolve(HERE, '../../../../test/corpus');

/**
 * The optional larger corpus: `$MONTU_CORPUS`, or `shared/corpus` beside the checkout. Tests that
 * need all of it skip when it is absent (the run prints a notice: test/global-setup.ts).
 */
export const EXTRA_CORPUS = process.env['MONTU_CORPUS'] ?? path.resolve(HERE, '../../../../../shared/corpus');
export const HAVE_EXTRA_CORPUS = fs.existsSync(path.join(EXTRA_CORPUS, 'manifest.json'));

/** The corpus that tests walking a whole folder or manifest use: the larger one when present. */
export const WIDEST_CORPUS = HAVE_EXTRA_CORPUS ? EXTRA_CORPUS : CORPUS;

export function tempDir(prefix = 'montu-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * A fresh database for one test: a SQLite file in a temp folder, or a new PostgreSQL schema
 * (dropped by `drop`). Schemas keep parallel test files apart on one database.
 */
export async function freshDatabase(
  kind: 'sqlite' | 'postgres',
  dir: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  if (kind === 'sqlite') return { url: path.join(dir, 'montu.db'), drop: async () => undefined };
  const base = process.env['MONTU_TEST_DATABASE_URL']!;
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const url = new URL(base);
  url.searchParams.set('schema', schema);
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Writes a small but valid PNG (solid colour) with the given size. */
export async function makePng(file: string, width = 16, height = 16): Promise<string> {
  const sharp = (await import('sharp')).default;
  await sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 40 } } })
    .png()
    .toFile(file);
  return file;
}
