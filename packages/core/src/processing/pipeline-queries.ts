/**
 * The processing pipeline's SQL (an item's files, metadata and renditions, its waiting steps): a
 * query module of processing/, beside media-state.ts (the item's processing state).
 */
import type { FileRole, MediaType, RenditionInfo } from '@montu/domain';
import { newId, nowIso } from '../ids.js';
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
  r: {
    mediaId: string;
    role: FileRole;
    backend: string;
    key: string;
    size: number;
    sha256: string;
    contentType: string;
    info: RenditionInfo;
  },
): Promise<Array<{ storage_key: string; backend: string }> | null> {
  // Lock the item's row first (a no-op update locks it on PostgreSQL; SQLite transactions are
  // serial already): two swaps of one item's role then run one after the other, and the second
  // sees and replaces the first's record instead of both keeping theirs.
  const locked = await db
    .updateTable('media')
    .set((eb) => ({ id: eb.ref('id') }))
    .where('id', '=', r.mediaId)
    .executeTakeFirst();
  if (Number(locked.numUpdatedRows) === 0) return null;
  const old = await db
    .deleteFrom('media_file')
    .where('media_id', '=', r.mediaId)
    .where('role', '=', r.role)
    .returning(['storage_key', 'backend'])
    .execute();
  await db
    .insertInto('media_file')
    .values({
      id: newId(),
      media_id: r.mediaId,
      role: r.role,
      frame: null,
      backend: r.backend,
      storage_key: r.key,
      size: r.size,
      sha256: r.sha256,
      content_type: r.contentType,
      state: 'ready',
      error: null,
      created_at: nowIso(),
      info: JSON.stringify(r.info),
    })
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
