import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Db, PlaylistItemTable, PlaylistTable } from '../db/schema.js';

/** The SQL of playlists and their items (playlist-service.ts decides who may change what). */

export type PlaylistRow = Selectable<PlaylistTable>;
export type PlaylistItemRow = Selectable<PlaylistItemTable>;

export async function projectExists(db: Db, projectId: string): Promise<boolean> {
  const row = await db.selectFrom('project').select('id').where('id', '=', projectId).executeTakeFirst();
  return row !== undefined;
}

export async function insertPlaylist(db: Db, row: Insertable<PlaylistTable>): Promise<void> {
  await db.insertInto('playlist').values(row).execute();
}

export function playlistRow(db: Db, id: string): Promise<PlaylistRow | undefined> {
  return db.selectFrom('playlist').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A project's playlists with their item counts, newest first. */
export async function playlistRowsWithCounts(
  db: Db,
  projectId: string,
  limit: number,
): Promise<Array<PlaylistRow & { itemCount: number }>> {
  const rows = await db
    .selectFrom('playlist')
    .selectAll('playlist')
    .select((eb) =>
      eb
        .selectFrom('playlist_item')
        .select(eb.fn.countAll().as('n'))
        .whereRef('playlist_item.playlist_id', '=', 'playlist.id')
        .as('item_count'),
    )
    .where('project_id', '=', projectId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  // PostgreSQL answers count(*) as a bigint string, SQLite as a number.
  return rows.map(({ item_count, ...r }) => ({ ...r, itemCount: Number(item_count ?? 0) }));
}

export async function updatePlaylistRow(db: Db, id: string, set: Updateable<PlaylistTable>): Promise<void> {
  await db.updateTable('playlist').set(set).where('id', '=', id).execute();
}

export async function deletePlaylistRow(db: Db, id: string): Promise<void> {
  await db.deleteFrom('playlist').where('id', '=', id).execute();
}

/** A playlist's items in order. */
export function itemRows(db: Db, playlistId: string): Promise<PlaylistItemRow[]> {
  return db
    .selectFrom('playlist_item')
    .selectAll()
    .where('playlist_id', '=', playlistId)
    .orderBy('position')
    .execute();
}

/** The media ids of a playlist's items, in order. */
export async function itemMediaIds(db: Db, playlistId: string): Promise<string[]> {
  return (
    await db
      .selectFrom('playlist_item')
      .select('media_id')
      .where('playlist_id', '=', playlistId)
      .orderBy('position')
      .execute()
  ).map((r) => r.media_id);
}

export async function insertItem(db: Db, row: PlaylistItemTable): Promise<void> {
  await db.insertInto('playlist_item').values(row).execute();
}

/** Removes an item; false when the media item was not in the playlist. */
export async function deleteItem(db: Db, playlistId: string, mediaId: string): Promise<boolean> {
  const res = await db
    .deleteFrom('playlist_item')
    .where('playlist_id', '=', playlistId)
    .where('media_id', '=', mediaId)
    .executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** Numbers the items 0, 1, … in the order of `mediaIds`. */
export async function writeOrder(db: Db, playlistId: string, mediaIds: string[]): Promise<void> {
  for (let i = 0; i < mediaIds.length; i++) {
    await db
      .updateTable('playlist_item')
      .set({ position: i })
      .where('playlist_id', '=', playlistId)
      .where('media_id', '=', mediaIds[i]!)
      .execute();
  }
}
