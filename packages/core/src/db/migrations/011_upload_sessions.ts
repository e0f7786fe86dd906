import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time */
/**
 * Resumable (tus) upload sessions: who owns one, which process holds the lease to finish it,
 * how far it got and how it ended. They lived in the server process (claim files naming a pid,
 * JSON result files, recovery inside `GET /uploads/:id/result`); on a table any API process can
 * answer for any upload, and a restart loses nothing. The bytes stay in the upload directory.
 */
export async function up(db: Kysely<any>, dialect: DialectName): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('upload_session')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    // 'uploading' → 'finishing' (a process holds the lease) → 'complete' | 'failed'.
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('lease', 'text')
    .addColumn('offset', big, (c) => c.notNull().defaultTo(0))
    .addColumn('size', big)
    .addColumn('media_id', 'text')
    .addColumn('error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('upload_session_updated_idx')
    .on('upload_session')
    .columns(['updated_at'])
    .execute();
}
