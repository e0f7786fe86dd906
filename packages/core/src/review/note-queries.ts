/** Notes' SQL (stored in the `annotation` tables): a query module of review/. */
import type { Insertable, Selectable, Updateable } from 'kysely';
import { nowIso } from '../ids.js';
import type { Db, MediaFileTable, NoteAttachmentTable, NoteTable } from '../db/schema.js';

export type NoteRow = Selectable<NoteTable>;

export function noteRow(db: Db, id: string): Promise<NoteRow | undefined> {
  return db.selectFrom('annotation').selectAll().where('id', '=', id).executeTakeFirst();
}

export function noteRows(
  db: Db,
  mediaId: string,
  filter: { frame?: number; resolved?: boolean; playlistId?: string },
): Promise<NoteRow[]> {
  let q = db.selectFrom('annotation').selectAll().where('media_id', '=', mediaId);
  if (filter.frame !== undefined) {
    const f = filter.frame;
    q = q.where((eb) =>
      eb.or([eb('frame', '=', f), eb.and([eb('frame', '<=', f), eb('frame_end', '>=', f)])]),
    );
  }
  if (filter.resolved !== undefined) q = q.where('resolved', '=', filter.resolved ? 1 : 0);
  if (filter.playlistId !== undefined) q = q.where('playlist_id', '=', filter.playlistId);
  return q.orderBy('created_at').orderBy('id').execute();
}

export async function playlistHolds(db: Db, playlistId: string, mediaId: string): Promise<boolean> {
  const item = await db
    .selectFrom('playlist_item')
    .select('media_id')
    .where('playlist_id', '=', playlistId)
    .where('media_id', '=', mediaId)
    .executeTakeFirst();
  return item !== undefined;
}

export async function insertNote(db: Db, row: Insertable<NoteTable>): Promise<void> {
  await db.insertInto('annotation').values(row).execute();
}

/** Applies an edit if the note is still at revision `seen`, moving it to the next; false when it changed. */
export async function updateNoteIfUnchanged(
  db: Db,
  id: string,
  seen: number,
  patch: Updateable<NoteTable>,
): Promise<boolean> {
  const res = await db
    .updateTable('annotation')
    .set({ ...patch, revision: seen + 1, updated_at: nowIso() })
    .where('id', '=', id)
    .where('revision', '=', seen)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function setResolved(db: Db, id: string, resolved: boolean): Promise<void> {
  await db
    .updateTable('annotation')
    .set({ resolved: resolved ? 1 : 0, updated_at: nowIso() })
    .where('id', '=', id)
    .execute();
}

/** A note and its replies at any depth. */
export async function threadIds(db: Db, id: string): Promise<string[]> {
  const ids = [id];
  for (let frontier = [id]; frontier.length > 0;) {
    const kids = await db.selectFrom('annotation').select('id').where('parent_id', 'in', frontier).execute();
    frontier = kids.map((k) => k.id);
    ids.push(...frontier);
  }
  return ids;
}

/** The attachment files of these notes. */
export function attachmentFiles(db: Db, noteIds: string[]) {
  return db
    .selectFrom('annotation_attachment')
    .innerJoin('media_file', 'media_file.id', 'annotation_attachment.file_id')
    .select(['media_file.id', 'media_file.storage_key'])
    .where('annotation_attachment.annotation_id', 'in', noteIds)
    .execute();
}

/** Deletes a note (its replies and attachment rows go with it) and the given file records. */
export async function deleteNote(db: Db, id: string, fileIds: string[]): Promise<void> {
  if (fileIds.length > 0) await db.deleteFrom('media_file').where('id', 'in', fileIds).execute();
  await db.deleteFrom('annotation').where('id', '=', id).execute();
}

export async function insertAttachment(
  db: Db,
  file: Insertable<MediaFileTable>,
  attachment: Insertable<NoteAttachmentTable>,
): Promise<void> {
  await db.insertInto('media_file').values(file).execute();
  await db.insertInto('annotation_attachment').values(attachment).execute();
}

export async function fileKey(db: Db, fileId: string): Promise<string | undefined> {
  return (await db.selectFrom('media_file').select('storage_key').where('id', '=', fileId).executeTakeFirst())
    ?.storage_key;
}

/** The attachments of these notes with their files' type, size and sha256, oldest first. */
export function attachmentsOf(db: Db, noteIds: string[]) {
  return db
    .selectFrom('annotation_attachment')
    .innerJoin('media_file', 'media_file.id', 'annotation_attachment.file_id')
    .select([
      'annotation_attachment.annotation_id',
      'annotation_attachment.file_id',
      'annotation_attachment.file_name',
      'annotation_attachment.width',
      'annotation_attachment.height',
      'annotation_attachment.created_at',
      'media_file.content_type',
      'media_file.size',
      'media_file.sha256',
    ])
    .where('annotation_attachment.annotation_id', 'in', noteIds)
    .orderBy('annotation_attachment.created_at')
    .execute();
}
