import type { Db, DirectUploadTable } from '../db/schema.js';

/**
 * The SQL of direct-to-S3 uploads (uploads/s3-direct.ts decides what they mean): the upload's
 * object and parts; its session row is upload-session-queries.ts's.
 */

export type DirectUploadRow = DirectUploadTable;

export async function insertDirectUpload(db: Db, row: DirectUploadRow): Promise<void> {
  await db.insertInto('direct_upload').values(row).execute();
}

export async function findDirectUpload(db: Db, id: string): Promise<DirectUploadRow | undefined> {
  return db.selectFrom('direct_upload').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The upload with its session's owner, state, media and error. */
export async function findDirectUploadWithSession(db: Db, id: string) {
  return db
    .selectFrom('direct_upload')
    .innerJoin('upload_session', 'upload_session.id', 'direct_upload.id')
    .select([
      'direct_upload.id',
      'direct_upload.file_name',
      'direct_upload.size',
      'direct_upload.part_size',
      'direct_upload.target',
      'upload_session.user_id',
      'upload_session.state',
      'upload_session.media_id',
      'upload_session.error',
    ])
    .where('direct_upload.id', '=', id)
    .executeTakeFirst();
}

/** The parts recorded so far, by part number. */
export async function listDirectUploadParts(
  db: Db,
  id: string,
): Promise<Array<{ part_number: number; etag: string }>> {
  return db
    .selectFrom('direct_upload_part')
    .select(['part_number', 'etag'])
    .where('upload_id', '=', id)
    .orderBy('part_number')
    .execute();
}

/** Records a part's ETag; a part sent again replaces the one before (the last one sent counts). */
export async function upsertDirectUploadPart(
  db: Db,
  part: { uploadId: string; partNumber: number; etag: string; createdAt: string },
): Promise<void> {
  await db
    .insertInto('direct_upload_part')
    .values({
      upload_id: part.uploadId,
      part_number: part.partNumber,
      etag: part.etag,
      created_at: part.createdAt,
    })
    .onConflict((oc) =>
      oc.columns(['upload_id', 'part_number']).doUpdateSet({ etag: part.etag, created_at: part.createdAt }),
    )
    .execute();
}
