import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time */
/**
 * Direct-to-S3 uploads (decision 160). The session (owner, finishing lease, outcome) is a row of
 * `upload_session` (kind 's3-direct'); these tables hold what only a direct upload has: the S3
 * multipart upload it writes to, what the media will be, and the parts the client has stored
 * (with their ETags, which CompleteMultipartUpload needs, and which s3rver cannot list back).
 */
export async function up(db: Kysely<any>, dialect: DialectName): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('direct_upload')
    .addColumn('id', 'text', (c) => c.primaryKey().references('upload_session.id').onDelete('cascade'))
    // The multipart upload's object key in the bucket (a temporary key until verified).
    .addColumn('object_key', 'text', (c) => c.notNull())
    .addColumn('s3_upload_id', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('size', big, (c) => c.notNull())
    .addColumn('part_size', big, (c) => c.notNull())
    .addColumn('sha256', 'text')
    // JSON: projectId/taskId or sourceMediaId, version, author, via, description, tags.
    .addColumn('target', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('direct_upload_part')
    .addColumn('upload_id', 'text', (c) => c.notNull().references('direct_upload.id').onDelete('cascade'))
    .addColumn('part_number', 'integer', (c) => c.notNull())
    .addColumn('etag', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('direct_upload_part_pk', ['upload_id', 'part_number'])
    .execute();
}
