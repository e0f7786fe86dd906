import { newId, nowIso } from '../ids.js';
import { historyFromRow } from '../db/rows.js';
import type { HistoryEntry } from '@montu/domain';
import type { Db, ServiceContext } from '../context.js';

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
  await db
    .insertInto('history')
    .values({
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
    })
    .execute();
}

/** The audit log: who changed what, when. */
export class HistoryService {
  constructor(private readonly ctx: ServiceContext) {}

  async forSubject(subjectType: string, subjectId: string): Promise<HistoryEntry[]> {
    const rows = await this.ctx.db
      .selectFrom('history')
      .selectAll()
      .where('subject_type', '=', subjectType)
      .where('subject_id', '=', subjectId)
      .orderBy('id', 'asc')
      .execute();
    return rows.map(historyFromRow);
  }

  async forProject(
    projectId: string,
    options: { limit?: number; before?: string } = {},
  ): Promise<HistoryEntry[]> {
    let q = this.ctx.db.selectFrom('history').selectAll().where('project_id', '=', projectId);
    if (options.before) q = q.where('id', '<', options.before);
    const rows = await q
      .orderBy('id', 'desc')
      .limit(Math.min(Math.max(options.limit ?? 100, 1), 1000))
      .execute();
    return rows.map(historyFromRow);
  }
}
