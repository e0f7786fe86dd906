/** SQL of live review sessions (decision 140): only this module builds their queries. */
import type { Db } from '../db/schema.js';

export type SessionRow = Awaited<ReturnType<typeof sessionRow>> & object;

export function sessionRow(db: Db, id: string) {
  return db.selectFrom('review_session').selectAll().where('id', '=', id).executeTakeFirst();
}

export function sessionRows(db: Db, projectId: string, status: 'live' | 'ended' | undefined, limit: number) {
  let q = db.selectFrom('review_session').selectAll().where('project_id', '=', projectId);
  if (status) q = q.where('status', '=', status);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export async function insertSession(
  db: Db,
  row: {
    id: string;
    project_id: string;
    playlist_id: string | null;
    media_id: string | null;
    owner: string;
    driver: string;
    state: string;
    at: string;
  },
): Promise<void> {
  await db
    .insertInto('review_session')
    .values({
      id: row.id,
      project_id: row.project_id,
      playlist_id: row.playlist_id,
      media_id: row.media_id,
      owner: row.owner,
      driver: row.driver,
      state: row.state,
      seq: 0,
      status: 'live',
      created_at: row.at,
      updated_at: row.at,
      ended_at: null,
      ended_by: null,
    })
    .execute();
}

/**
 * Moves the session from sequence number `from` to `from + 1` with `set`, only if no other
 * process moved it meanwhile (compare-and-set: the caller retries on false).
 */
export async function advanceSession(
  db: Db,
  id: string,
  from: number,
  set: { state?: string; driver?: string; status?: string; ended_at?: string; ended_by?: string },
  at: string,
): Promise<boolean> {
  const r = await db
    .updateTable('review_session')
    .set({ ...set, seq: from + 1, updated_at: at })
    .where('id', '=', id)
    .where('seq', '=', from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function insertEvent(
  db: Db,
  e: { session_id: string; seq: number; type: string; actor: string; data: string; at: string },
): Promise<void> {
  await db.insertInto('review_session_event').values(e).execute();
}

export function eventRows(db: Db, id: string, after: number, limit: number) {
  return db
    .selectFrom('review_session_event')
    .selectAll()
    .where('session_id', '=', id)
    .where('seq', '>', after)
    .orderBy('seq')
    .limit(limit)
    .execute();
}

/** How many events after `after` are stored: fewer than `seq - after` means some were pruned. */
export async function eventCountAfter(db: Db, id: string, after: number): Promise<number> {
  const r = await db
    .selectFrom('review_session_event')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .where('session_id', '=', id)
    .where('seq', '>', after)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/**
 * Deletes the events of sessions that ended before `endedBefore`, except those the summary and
 * the end read (`note`, `ended`); answers how many went.
 */
export async function pruneEndedSessionEvents(db: Db, endedBefore: string): Promise<number> {
  const r = await db
    .deleteFrom('review_session_event')
    .where('type', 'not in', ['note', 'ended'])
    .where('session_id', 'in', (eb) =>
      eb
        .selectFrom('review_session')
        .select('id')
        .where('status', '=', 'ended')
        .where('ended_at', '<', endedBefore),
    )
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

export function noteEventRows(db: Db, id: string) {
  return db
    .selectFrom('review_session_event')
    .select(['data'])
    .where('session_id', '=', id)
    .where('type', '=', 'note')
    .orderBy('seq')
    .execute();
}

export function presenceRows(db: Db, id: string) {
  return db
    .selectFrom('review_session_presence')
    .selectAll()
    .where('session_id', '=', id)
    .orderBy('joined_at')
    .orderBy('username')
    .execute();
}

/** Records `username` as here now; true when they were not here before. */
export async function touchPresence(db: Db, id: string, username: string, at: string): Promise<boolean> {
  const r = await db
    .updateTable('review_session_presence')
    .set({ last_seen_at: at })
    .where('session_id', '=', id)
    .where('username', '=', username)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 1) return false;
  // Two requests of one person at once: the second finds the row the first inserted.
  const ins = await db
    .insertInto('review_session_presence')
    .values({ session_id: id, username, joined_at: at, last_seen_at: at })
    .onConflict((oc) => oc.columns(['session_id', 'username']).doUpdateSet({ last_seen_at: at }))
    .executeTakeFirst();
  return Number(ins.numInsertedOrUpdatedRows ?? 1) === 1;
}

export async function removePresence(db: Db, id: string, username: string): Promise<boolean> {
  const r = await db
    .deleteFrom('review_session_presence')
    .where('session_id', '=', id)
    .where('username', '=', username)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Removes who has not been seen since `cutoff`; returns their names. */
export async function expirePresence(db: Db, id: string, cutoff: string): Promise<string[]> {
  const gone = await db
    .selectFrom('review_session_presence')
    .select('username')
    .where('session_id', '=', id)
    .where('last_seen_at', '<', cutoff)
    .execute();
  if (!gone.length) return [];
  await db
    .deleteFrom('review_session_presence')
    .where('session_id', '=', id)
    .where('last_seen_at', '<', cutoff)
    .execute();
  return gone.map((g) => g.username);
}

export function playlistMediaIds(db: Db, playlistId: string) {
  return db
    .selectFrom('playlist_item')
    .select('media_id')
    .where('playlist_id', '=', playlistId)
    .orderBy('position')
    .execute();
}
