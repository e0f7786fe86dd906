/** The audit log's SQL: the only module of history/ that uses Kysely. */
import type { Insertable, Selectable } from 'kysely';
import { newId, nowIso } from '../ids.js';
import type { Db, HistoryTable } from '../db/schema.js';

export interface HistoryRecord {
  actor: string;
  action: string;
  projectId: string | null;
  subjectType: string;
  subjectId: string;
  from?: string | null;
  to?: string | null;
  comment?: string | null;
  data?: Record<string, unknown> | null;
}

/** Writes one audit entry; call it inside the transaction that makes the change. */
export async function recordHistory(db: Db, entry: HistoryRecord): Promise<void> {
  await db.insertInto('history').values(historyRow(entry)).execute();
}

/** The row of one audit entry, stamped now (bulk imports insert many at once). */
export function historyRow(entry: HistoryRecord): Insertable<HistoryTable> {
  return {
    id: newId(),
    at: nowIso(),
    actor: entry.actor,
    action: entry.action,
    project_id: entry.projectId,
    subject_type: entry.subjectType,
    subject_id: entry.subjectId,
    from_value: entry.from ?? null,
    to_value: entry.to ?? null,
    comment: entry.comment ?? null,
    data: entry.data ? JSON.stringify(entry.data) : null,
  };
}

/** Entries about one subject, oldest first. */
export function historyOfSubject(
  db: Db,
  subjectType: string,
  subjectId: string,
): Promise<Selectable<HistoryTable>[]> {
  return db
    .selectFrom('history')
    .selectAll()
    .where('subject_type', '=', subjectType)
    .where('subject_id', '=', subjectId)
    .orderBy('id', 'asc')
    .execute();
}

/** A project's entries, newest first, before the entry `before` when given. */
export function historyOfProject(
  db: Db,
  projectId: string,
  options: { limit: number; before?: string },
): Promise<Selectable<HistoryTable>[]> {
  let q = db.selectFrom('history').selectAll().where('project_id', '=', projectId);
  if (options.before) q = q.where('id', '<', options.before);
  return q.orderBy('id', 'desc').limit(options.limit).execute();
}
