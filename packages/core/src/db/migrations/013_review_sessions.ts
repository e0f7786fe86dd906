import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time */
/**
 * Live review sessions (issue 22, decision 140): the authoritative state and its sequence number
 * live in the database, so any API process serves any follower; every accepted update is an
 * event row a reconnecting client replays from its last sequence number; presence rows carry
 * heartbeats.
 */
export async function up(db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('review_session')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('project.id').onDelete('cascade'))
    .addColumn('playlist_id', 'text', (c) => c.references('playlist.id').onDelete('set null'))
    .addColumn('media_id', 'text', (c) => c.references('media.id').onDelete('set null'))
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('driver', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('ended_by', 'text')
    .execute();
  await db.schema
    .createIndex('review_session_project_idx')
    .on('review_session')
    .columns(['project_id', 'status', 'created_at'])
    .execute();
  await db.schema
    .createTable('review_session_event')
    .addColumn('session_id', 'text', (c) => c.notNull().references('review_session.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('review_session_event_pk', ['session_id', 'seq'])
    .execute();
  await db.schema
    .createTable('review_session_presence')
    .addColumn('session_id', 'text', (c) => c.notNull().references('review_session.id').onDelete('cascade'))
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('joined_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('review_session_presence_pk', ['session_id', 'username'])
    .execute();
}
