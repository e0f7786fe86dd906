/**
 * The processing pipeline's SQL (an item's files, metadata and renditions, its waiting steps): a
 * query module of processing/, beside media-state.ts (the item's processing state).
 */
import type { FileRole, MediaType } from '@montu/domain';
import { nowIso } from '../ids.js';
import { lockMediaRow, readyRenditionRow, type StoredRendition } from '../media/rendition-queries.js';
import type { Db } from '../db/schema.js';
import { sourceStartColumns } from '../media/source-start.js';

export interface MediaRow {
  id: string;
  mime_type: string;
  project_id: string;
  task_id: string;
  version: string;
  media_type: string;
  file_name: string;
  sha256: string;
  metadata: string;
}

export function mediaToProcess(db: Db, id: string): Promise<MediaRow | undefined> {
  return db
    .selectFrom('media')
    .select([
      'id',
      'project_id',
      'task_id',
      'version',
      'media_type',
      'file_name',
      'mime_type',
      'sha256',
      'metadata',
    ])
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Files of an item in a role (`original`, `frame`, a rendition role), frames in order. */
export function filesOf(db: Db, mediaId: string, role: FileRole) {
  return db
    .selectFrom('media_file')
    .select(['frame', 'storage_key', 'sha256', 'backend'])
    .where('media_id', '=', mediaId)
    .where('role', '=', role)
    .orderBy('frame')
    .execute();
}

export async function projectSettingsText(db: Db, projectId: string): Promise<string | undefined> {
  return (await db.selectFrom('project').select('settings').where('id', '=', projectId).executeTakeFirst())
    ?.settings;
}

export async function recordProbe(
  db: Db,
  media: { id: string; project_id: string },
  metadata: Record<string, unknown>,
  mediaType: MediaType,
): Promise<void> {
  const mediaId = media.id;
  await db
    .updateTable('media')
    .set({
      metadata: JSON.stringify(metadata),
      media_type: mediaType,
      ...(await sourceStartColumns(db, media.project_id, mediaType, metadata)),
      updated_at: nowIso(),
    })
    .where('id', '=', mediaId)
    .execute();
}

/** Types of the item's jobs waiting in the queue. */
export async function queuedStepTypes(db: Db, mediaId: string): Promise<Set<string>> {
  const open = await db
    .selectFrom('job')
    .select('type')
    .where('media_id', '=', mediaId)
    .where('state', '=', 'queued')
    .execute();
  return new Set(open.map((j) => j.type));
}

/**
 * Swaps an item's rendition record for a new stored file. Returns the files the old records
 * pointed at, or null when the item was deleted meanwhile (nothing is recorded).
 */
export async function swapRendition(
  db: Db,
  r: StoredRendition & { role: FileRole },
  /** A job whose rendition must not replace the one of a newer job of its kind for the item. */
  supersedable?: { id: string; type: string; mediaId: string | null },
): Promise<Array<{ storage_key: string; backend: string }> | 'gone' | 'superseded'> {
  // Two swaps of one item's role run one after the other: the second sees and replaces the
  // first's record instead of both keeping theirs.
  if (!(await lockMediaRow(db, r.mediaId))) return 'gone';
  // Asked under the lock: a newer job's swap that held it has committed by now, and on
  // PostgreSQL this statement's snapshot, taken after the wait, sees it done (decision 237).
  if (supersedable && (await newerJobDone(db, supersedable))) return 'superseded';
  const old = await db
    .deleteFrom('media_file')
    .where('media_id', '=', r.mediaId)
    .where('role', '=', r.role)
    .returning(['storage_key', 'backend'])
    .execute();
  await db
    .insertInto('media_file')
    .values(readyRenditionRow(r, r.role, null))
    .execute();
  return old;
}

/**
 * Whether a job of the same kind for the same item, created after `job` (ids are time-ordered),
 * has already finished: its rendition is the one asked for last, and stays.
 */
export async function newerJobDone(
  db: Db,
  job: { id: string; type: string; mediaId: string | null },
): Promise<boolean> {
  if (!job.mediaId) return false;
  const row = await db
    .selectFrom('job')
    .select('id')
    .where('media_id', '=', job.mediaId)
    .where('type', '=', job.type)
    .where('id', '>', job.id)
    .where('state', '=', 'done')
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
