import type { Selectable } from 'kysely';
import type { Db, MediaFileTable } from '../db/schema.js';
import { newId, nowIso } from '../ids.js';
import type { RenditionInfo } from '@montu/domain';

/**
 * Records a sequence frame's float rendition unless one is recorded (decision 217). Locks the
 * item's row first (a no-op update on PostgreSQL; SQLite transactions are serial), so concurrent
 * first requests see each other's record instead of both inserting one. Null when the item is gone.
 */
export async function recordFrameFloat(
  trx: Db,
  r: {
    mediaId: string;
    frame: number;
    backend: string;
    key: string;
    size: number;
    sha256: string;
    contentType: string;
    info: RenditionInfo;
  },
): Promise<Selectable<MediaFileTable> | null> {
  const locked = await trx
    .updateTable('media')
    .set((eb) => ({ id: eb.ref('id') }))
    .where('id', '=', r.mediaId)
    .executeTakeFirst();
  if (Number(locked.numUpdatedRows) === 0) return null;
  const existing = await trx
    .selectFrom('media_file')
    .selectAll()
    .where('media_id', '=', r.mediaId)
    .where('role', '=', 'frame_float')
    .where('frame', '=', r.frame)
    .executeTakeFirst();
  if (existing) return existing;
  return trx
    .insertInto('media_file')
    .values({
      id: newId(),
      media_id: r.mediaId,
      role: 'frame_float',
      frame: r.frame,
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
    .returningAll()
    .executeTakeFirstOrThrow();
}
