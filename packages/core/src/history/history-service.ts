import { historyFromRow } from '../db/rows.js';
import type { HistoryEntry } from '@montu/domain';
import type { ServiceContext } from '../context.js';
import { historyOfProject, historyOfSubject } from './history-queries.js';

export { recordHistory, type HistoryRecord } from './history-queries.js';

/** The audit log: who changed what, when. */
export class HistoryService {
  constructor(private readonly ctx: ServiceContext) {}

  async forSubject(subjectType: string, subjectId: string): Promise<HistoryEntry[]> {
    return (await historyOfSubject(this.ctx.db, subjectType, subjectId)).map(historyFromRow);
  }

  async forProject(
    projectId: string,
    options: { limit?: number; before?: string } = {},
  ): Promise<HistoryEntry[]> {
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
    const rows = await historyOfProject(this.ctx.db, projectId, {
      limit,
      ...(options.before ? { before: options.before } : {}),
    });
    return rows.map(historyFromRow);
  }
}
