import type { Db } from '../context.js';
import type { UploadSessionFrameTable, UploadSessionTable } from '../db/schema.js';

/**
 * The SQL of upload sessions, tus and sequence alike (uploads/upload-sessions.ts and
 * uploads/sequence-ingest.ts decide what they mean).
 */

export type UploadSessionRow = UploadSessionTable;
export type UploadSessionFrameRow = UploadSessionFrameTable;

/** Inserts a session; false when one with this id exists already. */
export async function insertSession(db: Db, row: UploadSessionRow): Promise<boolean> {
  const r = await db
    .insertInto('upload_session')
    .values(row)
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function findSession(
  db: Db,
  id: string,
  kinds: readonly UploadSessionRow['kind'][],
): Promise<UploadSessionRow | undefined> {
  const row = await db
    .selectFrom('upload_session')
    .selectAll()
    .where('id', '=', id)
    .where('kind', 'in', [...kinds])
    .executeTakeFirst();
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
    .where('id', '=', id)
    .where('kind', '!=', 'sequence');
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

// ---- sequence uploads: their frames and their end

/** The frame numbers a sequence upload has received. */
export async function receivedFrameNumbers(db: Db, id: string): Promise<number[]> {
  const rows = await db
    .selectFrom('upload_session_frame')
    .select('frame')
    .where('upload_id', '=', id)
    .execute();
  return rows.map((r) => r.frame);
}

/** The frames a sequence upload has received, in frame order. */
export async function receivedFrames(db: Db, id: string): Promise<UploadSessionFrameRow[]> {
  const rows = await db
    .selectFrom('upload_session_frame')
    .selectAll()
    .where('upload_id', '=', id)
    .orderBy('frame')
    .execute();
  return rows.map((r) => ({ ...r, size: Number(r.size) }));
}

/**
 * Records a received frame (replacing an earlier copy of it) and the session's progress (frames
 * received), in one transaction. False when the session is no longer uploading.
 */
export async function recordFrame(db: Db, frame: UploadSessionFrameRow, now: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom('upload_session_frame')
      .where('upload_id', '=', frame.upload_id)
      .where('frame', '=', frame.frame)
      .execute();
    await trx.insertInto('upload_session_frame').values(frame).execute();
    const counted = await trx
      .selectFrom('upload_session_frame')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('upload_id', '=', frame.upload_id)
      .executeTakeFirstOrThrow();
    const r = await trx
      .updateTable('upload_session')
      .set({ offset: Number(counted.n), updated_at: now })
      .where('id', '=', frame.upload_id)
      .where('state', '=', 'uploading')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  });
}

/**
 * Ends a sequence upload as media `mediaId` inside the transaction that records the media (its
 * frames are media files now, so their rows here go). False when it was completed or cancelled
 * meanwhile (one caller wins).
 */
export async function completeSequenceSession(
  trx: Db,
  id: string,
  mediaId: string,
  now: string,
): Promise<boolean> {
  const r = await trx
    .updateTable('upload_session')
    .set({ state: 'complete', lease: null, media_id: mediaId, updated_at: now })
    .where('id', '=', id)
    .where('kind', '=', 'sequence')
    .where('state', '=', 'uploading')
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) return false;
  await trx.deleteFrom('upload_session_frame').where('upload_id', '=', id).execute();
  return true;
}

/** Sequence uploads still in flight (for the sweep of abandoned ones). */
export async function openSequenceSessions(db: Db): Promise<UploadSessionRow[]> {
  return db
    .selectFrom('upload_session')
    .selectAll()
    .where('kind', '=', 'sequence')
    .where('state', '=', 'uploading')
    .execute();
}

/**
 * Deletes sessions that ended (complete, failed) before `cutoff`, and tus sessions idle since
 * before it (expired: their client gave up). Sequence uploads in flight are not touched here:
 * they hold stored frames and a version claim (SequenceIngest.sweepAbandoned discards them).
 * Returns how many went.
 */
export async function pruneSessions(db: Db, cutoff: string): Promise<number> {
  const r = await db
    .deleteFrom('upload_session')
    .where('updated_at', '<', cutoff)
    .where((eb) =>
      eb.or([
        eb('state', 'in', ['complete', 'failed']),
        eb.and([eb('kind', '=', 'tus'), eb('state', '=', 'uploading')]),
      ]),
    )
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
