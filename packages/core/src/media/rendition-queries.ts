import type { Insertable } from 'kysely';
import type { FileRole, RenditionInfo } from '@montu/domain';
import type { Db, MediaFileTable } from '../db/schema.js';
import { newId, nowIso } from '../ids.js';

/** A stored rendition as the pipeline and the on-demand frame floats record it. */
export interface StoredRendition {
  mediaId: string;
  backend: string;
  key: string;
  size: number;
  sha256: string;
  contentType: string;
  info: RenditionInfo;
}

/**
 * Locks an item's row for the rest of the transaction (a no-op update locks it on PostgreSQL;
 * SQLite transactions are serial already), so two writers of one item's files run one after the
 * other. False when the item is gone.
 */
export async function lockMediaRow(db: Db, mediaId: string): Promise<boolean> {
  const locked = await db
    .updateTable('media')
    .set((eb) => ({ id: eb.ref('id') }))
    .where('id', '=', mediaId)
    .executeTakeFirst();
  return Number(locked.numUpdatedRows) > 0;
}

/** The `media_file` row of a ready rendition. */
export function readyRenditionRow(
  r: StoredRendition,
  role: FileRole,
  frame: number | null,
): Insertable<MediaFileTable> {
  return {
    id: newId(),
    media_id: r.mediaId,
    role,
    frame,
    backend: r.backend,
    storage_key: r.key,
    size: r.size,
    sha256: r.sha256,
    content_type: r.contentType,
    state: 'ready',
    error: null,
    created_at: nowIso(),
    info: JSON.stringify(r.info),
  };
}
