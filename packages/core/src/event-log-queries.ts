import type { Db } from './db/schema.js';

/** The SQL of the event log (event-log.ts decides what is kept and for how long). */

export interface EventLogRow {
  id: string;
  at: string;
  /** The MontuEvent as JSON. */
  event: string;
}

/** Writes events; one already written (same id) is left as it is. */
export async function insertEvents(db: Db, rows: EventLogRow[]): Promise<void> {
  await db
    .insertInto('event_log')
    .values(rows)
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

/** Deletes the events that happened before `before`. */
export async function deleteEventsBefore(db: Db, before: string): Promise<void> {
  await db.deleteFrom('event_log').where('at', '<', before).execute();
}

/** The events after `id` (as JSON, oldest first), at most `limit`. */
export async function eventsAfter(db: Db, id: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('event_log')
    .select('event')
    .where('id', '>', id)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.event);
}

/** True when the log still holds an event at or before `id`. */
export async function holdsEventAtOrBefore(db: Db, id: string): Promise<boolean> {
  const row = await db
    .selectFrom('event_log')
    .select('id')
    .where('id', '<=', id)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
