import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time */
/**
 * Idempotency keys of uploads: a client that retries an upload whose answer it lost (a timeout, a
 * dropped connection) sends the same `Idempotency-Key` and gets the first result instead of a
 * second version. Kept in the database so any API process answers the retry, and for a day.
 */
export async function up(db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('idempotency_key')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    // What the key was used for (route and target): the same key for another request is refused.
    .addColumn('scope', 'text', (c) => c.notNull())
    // 'pending' while the first request runs, 'done' with its result.
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('result', 'text')
    // The process running a pending request (storage/owner.ts): a dead one's claim is taken over.
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_key_pk', ['user_id', 'key'])
    .execute();
  await db.schema
    .createIndex('idempotency_key_expires_idx')
    .on('idempotency_key')
    .columns(['expires_at'])
    .execute();
}
