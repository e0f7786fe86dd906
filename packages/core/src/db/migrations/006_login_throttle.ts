import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time */
/**
 * Failed logins per key (a username or a client address), shared by every API process: the
 * login throttle used to live in each process's memory, so N processes allowed N times the
 * attempts and a restart forgot them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('login_failure')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('first_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('login_failure_first_idx').on('login_failure').columns(['first_at']).execute();
}
