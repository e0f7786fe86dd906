import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time */
/**
 * The recent library events, kept for a bounded window so a Server-Sent Events client that
 * reconnects (to a restarted or another API server) gets what it missed (`Last-Event-ID`).
 * Ids are the events' own time-ordered UUIDv7s, written once, by the process the event
 * happened in.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('event_log')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('event_log_at_idx').on('event_log').columns(['at']).execute();
}
