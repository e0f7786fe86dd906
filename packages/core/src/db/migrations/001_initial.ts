import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time, not today's Database type */
export async function up(db: Kysely<any>, dialect: DialectName): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';

  await db.schema
    .createTable('project')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('task')
    .addColumn('project_id', 'text', (c) => c.notNull().references('project.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('episode', 'text')
    .addColumn('sequence', 'text')
    .addColumn('shot', 'text')
    .addColumn('step', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('task_pk', ['project_id', 'id'])
    .execute();
  await db.schema.createIndex('task_id_idx').on('task').column('id').execute();

  await db.schema
    .createTable('media')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('project.id'))
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('version_number', 'integer', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('mime_type', 'text', (c) => c.notNull())
    .addColumn('size', big, (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('review_selected', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('approved_by', 'text')
    .addColumn('approved_at', 'text')
    .addColumn('approval_comment', 'text')
    .addColumn('archived_at', 'text')
    .addColumn('processing_state', 'text', (c) => c.notNull())
    .addColumn('processing_error', 'text')
    .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('custom_properties', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('search_text', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addForeignKeyConstraint('media_task_fk', ['project_id', 'task_id'], 'task', ['project_id', 'id'])
    .execute();
  // One version number per task: the constraint, not a read-then-write, keeps versions unique.
  await db.schema
    .createIndex('media_task_version_uq')
    .on('media')
    .columns(['project_id', 'task_id', 'version_number'])
    .unique()
    .execute();
  // Listing and search order everything by (created_at, id), newest first, optionally within a project.
  await db.schema.createIndex('media_created_idx').on('media').columns(['created_at', 'id']).execute();
  await db.schema
    .createIndex('media_project_created_idx')
    .on('media')
    .columns(['project_id', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('media_task_created_idx')
    .on('media')
    .columns(['task_id', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('media_project_status_idx')
    .on('media')
    .columns(['project_id', 'status', 'created_at'])
    .execute();
  await db.schema.createIndex('media_author_idx').on('media').columns(['author', 'created_at']).execute();
  await db.schema
    .createIndex('media_type_idx')
    .on('media')
    .columns(['project_id', 'media_type', 'created_at'])
    .execute();
  // Default listings hide archived items: `archived_at IS NULL` then newest first, from one index.
  await db.schema
    .createIndex('media_archived_idx')
    .on('media')
    .columns(['archived_at', 'created_at', 'id'])
    .execute();

  await db.schema
    .createTable('media_tag')
    .addColumn('media_id', 'text', (c) => c.notNull().references('media.id').onDelete('cascade'))
    .addColumn('tag', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('media_tag_pk', ['media_id', 'tag'])
    .execute();
  await db.schema.createIndex('media_tag_tag_idx').on('media_tag').columns(['tag', 'media_id']).execute();

  await db.schema
    .createTable('media_file')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('media_id', 'text', (c) => c.notNull().references('media.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('frame', 'integer')
    .addColumn('backend', 'text', (c) => c.notNull())
    .addColumn('storage_key', 'text', (c) => c.notNull())
    .addColumn('size', big, (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('media_file_media_idx')
    .on('media_file')
    .columns(['media_id', 'role', 'frame'])
    .execute();
  await db.schema
    .createIndex('media_file_key_uq')
    .on('media_file')
    .columns(['backend', 'storage_key'])
    .unique()
    .execute();

  await db.schema
    .createTable('version_reservation')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('version_number', 'integer', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('version_reservation_pk', ['project_id', 'task_id', 'version_number'])
    .execute();

  await db.schema
    .createTable('annotation')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('media_id', 'text', (c) => c.notNull().references('media.id').onDelete('cascade'))
    .addColumn('parent_id', 'text', (c) => c.references('annotation.id').onDelete('cascade'))
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('frame', 'integer')
    .addColumn('frame_end', 'integer')
    .addColumn('position', 'text')
    .addColumn('drawing', 'text')
    .addColumn('mentions', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('resolved', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rendition_sha256', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('annotation_media_idx')
    .on('annotation')
    .columns(['media_id', 'frame', 'created_at'])
    .execute();
  await db.schema.createIndex('annotation_parent_idx').on('annotation').columns(['parent_id']).execute();

  await db.schema
    .createTable('history')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text')
    .addColumn('subject_type', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('from_value', 'text')
    .addColumn('to_value', 'text')
    .addColumn('comment', 'text')
    .addColumn('data', 'text')
    .execute();
  await db.schema
    .createIndex('history_subject_idx')
    .on('history')
    .columns(['subject_type', 'subject_id', 'id'])
    .execute();
  await db.schema.createIndex('history_project_idx').on('history').columns(['project_id', 'id']).execute();

  // Full-text search over file name, description, tags and task (the media.search_text column).
  if (dialect === 'sqlite') {
    await sql`CREATE VIRTUAL TABLE media_fts USING fts5(search_text, content='media', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')`.execute(
      db,
    );
    await sql`CREATE TRIGGER media_fts_ai AFTER INSERT ON media BEGIN
      INSERT INTO media_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END`.execute(db);
    await sql`CREATE TRIGGER media_fts_ad AFTER DELETE ON media BEGIN
      INSERT INTO media_fts(media_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text); END`.execute(
      db,
    );
    await sql`CREATE TRIGGER media_fts_au AFTER UPDATE OF search_text ON media BEGIN
      INSERT INTO media_fts(media_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
      INSERT INTO media_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END`.execute(db);
  } else {
    await sql`ALTER TABLE media ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED`.execute(
      db,
    );
    await sql`CREATE INDEX media_search_idx ON media USING gin (search_vector)`.execute(db);
  }
}
