import type { Selectable } from 'kysely';
import type { Db, MediaFileTable } from '../db/schema.js';
import { lockMediaRow, readyRenditionRow, type StoredRendition } from '../media/rendition-queries.js';

/**
 * Records a sequence frame's float rendition unless one is recorded (decision 217). Locks the
 * item's row first (a no-op update on PostgreSQL; SQLite transactions are serial), so concurrent
 * first requests see each other's record instead of both inserting one. Null when the item is gone.
 */
export async function recordFrameFloat(
  trx: Db,
  r: StoredRendition & { frame: number },
): Promise<Selectable<MediaFileTable> | null> {
  if (!(await lockMediaRow(trx, r.mediaId))) return null;
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
    .values(readyRenditionRow(r, 'frame_float', r.frame))
    .returningAll()
    .executeTakeFirstOrThrow();
}
