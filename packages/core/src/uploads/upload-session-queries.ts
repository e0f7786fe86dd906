import type { Db } from '../context.js';
import type { UploadSessionTable } from '../db/schema.js';

/** The SQL of upload sessions (uploads/upload-sessions.ts decides what they mean). */

export type UploadSessionRow = UploadSessionTable;

/** Inserts a session; false when one with this id exists already. */
export async function insertSession(db: Db, row: UploadSessionRow): Promise<boolean> {
  const r = await db
    .insertInto('upload_session')
    .values(row)
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function findSession(db: Db, id: string): Promise<UploadSessionRow | undefined> {
  const row = await db.selectFrom('upload_session').selectAll().where('id', '=', id).executeTakeFirst();
  // PostgreSQL gives bigint columns as strings.
  return row && { ...row, offset: Number(row.offset), size: row.size === null ? null : Number(row.size) };
}

/**
 * Moves a session to 'finishing' under `lease`, from 'uploading' or from a 'finishing' whose lease
 * is `staleLease` (its process died). True when this call took it (one caller wins).
 */
export async function takeFinishLease(
  db: Db,
  id: string,
  lease: string,
  staleLease: string | null,
  now: string,
): Promise<boolean> {
  let q = db
    .updateTable('upload_session')
    .set({ state: 'finishing', lease, updated_at: now })
    .where('id', '=', id);
  q =
    staleLease === null
      ? q.where('state', '=', 'uploading')
      : q.where('state', '=', 'finishing').where('lease', '=', staleLease);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function setOffset(
  db: Db,
  id: string,
  offset: number,
  size: number | null,
  now: string,
): Promise<void> {
  await db
    .updateTable('upload_session')
    .set({ offset, size, updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'uploading')
    .execute();
}

/** Records how a session ended, if `lease` still holds it. */
export async function settleSession(
  db: Db,
  id: string,
  lease: string,
  outcome: { state: 'complete'; mediaId: string } | { state: 'failed'; error: string },
  now: string,
): Promise<void> {
  await db
    .updateTable('upload_session')
    .set({
      state: outcome.state,
      lease: null,
      media_id: outcome.state === 'complete' ? outcome.mediaId : null,
      error: outcome.state === 'failed' ? outcome.error : null,
      updated_at: now,
    })
    .where('id', '=', id)
    .where('lease', '=', lease)
    .execute();
}

/** Gives a lease up without an outcome (the session is resumable again). */
export async function dropLease(db: Db, id: string, lease: string, now: string): Promise<void> {
  await db
    .updateTable('upload_session')
    .set({ state: 'uploading', lease: null, updated_at: now })
    .where('id', '=', id)
    .where('lease', '=', lease)
    .execute();
}

export async function deleteSession(db: Db, id: string): Promise<void> {
  await db.deleteFrom('upload_session').where('id', '=', id).execute();
}
