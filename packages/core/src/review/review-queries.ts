/** The review workflow's SQL (status changes, superseded versions): a query module of review/. */
import type { ApprovalStatus } from '@montu/domain';
import { nowIso } from '../ids.js';
import type { Db } from '../db/schema.js';

/**
 * Moves an item from `from` to `to` (approval fields set for `approved`, cleared otherwise);
 * false when the item is no longer in `from` (another reviewer was first).
 */
export async function setStatus(
  db: Db,
  id: string,
  from: ApprovalStatus,
  to: ApprovalStatus,
  approval: { by: string; comment: string | null },
): Promise<boolean> {
  const now = nowIso();
  const result = await db
    .updateTable('media')
    .set({
      status: to,
      updated_at: now,
      ...(to === 'approved'
        ? { approved_by: approval.by, approved_at: now, approval_comment: approval.comment }
        : { approved_by: null, approved_at: null, approval_comment: null }),
    })
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Versions of a project older than `cutoff` that a newer version of their task supersedes, not
 * approved and not put forward for review (and, when `unarchivedOnly`, not archived), oldest first.
 */
export function supersededVersions(db: Db, projectId: string, cutoff: string, unarchivedOnly: boolean) {
  return db
    .selectFrom('media as m')
    .select(['m.id', 'm.task_id', 'm.version', 'm.created_at', 'm.size'])
    .where('m.project_id', '=', projectId)
    .where('m.created_at', '<', cutoff)
    .where('m.status', '!=', 'approved')
    .where('m.review_selected', '=', 0)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('media as newer')
          .select('newer.id')
          .whereRef('newer.project_id', '=', 'm.project_id')
          .whereRef('newer.task_id', '=', 'm.task_id')
          .whereRef('newer.version_number', '>', 'm.version_number'),
      ),
    )
    .$if(unarchivedOnly, (q) => q.where('m.archived_at', 'is', null))
    .orderBy('m.created_at')
    .execute();
}
