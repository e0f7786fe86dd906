import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Review workflow (issue 6): playlists, annotation attachments, webhooks and their durable
 * delivery log. See docs/decisions/051-review-schema.md.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time, not today's Database type */
export async function up(db: Kysely<any>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('playlist')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('project.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('review_date', 'text')
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('playlist_project_idx')
    .on('playlist')
    .columns(['project_id', 'created_at', 'id'])
    .execute();

  await db.schema
    .createTable('playlist_item')
    .addColumn('playlist_id', 'text', (c) => c.notNull().references('playlist.id').onDelete('cascade'))
    .addColumn('media_id', 'text', (c) => c.notNull().references('media.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('added_by', 'text', (c) => c.notNull())
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('playlist_item_pk', ['playlist_id', 'media_id'])
    .execute();
  await db.schema
    .createIndex('playlist_item_order_idx')
    .on('playlist_item')
    .columns(['playlist_id', 'position'])
    .execute();
  await db.schema.createIndex('playlist_item_media_idx').on('playlist_item').columns(['media_id']).execute();

  // Notes made during a playlist session remember it (they are still the media item's notes).
  await db.schema
    .alterTable('annotation')
    .addColumn('playlist_id', 'text', (c) => c.references('playlist.id').onDelete('set null'))
    .execute();
  await db.schema.createIndex('annotation_playlist_idx').on('annotation').columns(['playlist_id']).execute();

  // Attachment bytes are media_file rows (role `attachment`) so integrity checks and orphan
  // cleanup see them; this table links them to their note.
  await db.schema
    .createTable('annotation_attachment')
    .addColumn('annotation_id', 'text', (c) => c.notNull().references('annotation.id').onDelete('cascade'))
    .addColumn('file_id', 'text', (c) => c.notNull().references('media_file.id').onDelete('cascade'))
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('width', 'integer')
    .addColumn('height', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('annotation_attachment_pk', ['annotation_id', 'file_id'])
    .execute();
  await db.schema
    .createIndex('annotation_attachment_file_idx')
    .on('annotation_attachment')
    .columns(['file_id'])
    .execute();

  await db.schema
    .createTable('webhook')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('project_id', 'text', (c) => c.references('project.id').onDelete('cascade'))
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webhook_delivery')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('webhook_id', 'text', (c) => c.notNull().references('webhook.id').onDelete('cascade'))
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('lease_until', 'text')
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('delivered_at', 'text')
    .execute();
  // One delivery per event per webhook, whatever races or restarts happen.
  await db.schema
    .createIndex('webhook_delivery_event_uq')
    .on('webhook_delivery')
    .columns(['webhook_id', 'event_id'])
    .unique()
    .execute();
  await db.schema
    .createIndex('webhook_delivery_due_idx')
    .on('webhook_delivery')
    .columns(['state', 'next_attempt_at'])
    .execute();
  await db.schema
    .createIndex('webhook_delivery_hook_idx')
    .on('webhook_delivery')
    .columns(['webhook_id', 'created_at'])
    .execute();
}
