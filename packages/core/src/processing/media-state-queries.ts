/**
 * The SQL of a media item's processing state: the only module that writes
 * `media.processing_state` and `processing_error`. Only media-state.ts, which decides the
 * state, imports it (the architecture check holds that line: .dependency-cruiser.cjs).
 */
import type { ProcessingState } from '@montu/domain';
import type { Db } from '../db/schema.js';

/** `pending` → `processing` (a job of the item was claimed). */
export async function setProcessingFromPending(trx: Db, mediaId: string, now: string): Promise<void> {
  await trx
    .updateTable('media')
    .set({ processing_state: 'processing', updated_at: now })
    .where('id', '=', mediaId)
    .where('processing_state', '=', 'pending')
    .execute();
}

/** Sets the state (and error) of these items, whatever it was. */
export async function setProcessingState(
  db: Db,
  mediaIds: string[],
  state: ProcessingState,
  error: string | null,
  now: string,
): Promise<void> {
  if (mediaIds.length === 0) return;
  await db
    .updateTable('media')
    .set({ processing_state: state, processing_error: error, updated_at: now })
    .where('id', 'in', mediaIds)
    .execute();
}

/**
 * Write-locks the item's row (a no-op update) so that two settles of one item are serialised.
 * False when the item is gone.
 */
export async function lockItem(trx: Db, mediaId: string): Promise<boolean> {
  const locked = await trx
    .updateTable('media')
    .set((eb) => ({ processing_state: eb.ref('processing_state') }))
    .where('id', '=', mediaId)
    .executeTakeFirst();
  return Number(locked.numUpdatedRows) === 1;
}

export interface ItemJobRow {
  type: string;
  state: string;
  error: string | null;
  created_at: string;
  id: string;
}

/** The item's jobs, oldest first. */
export function itemJobs(trx: Db, mediaId: string): Promise<ItemJobRow[]> {
  return trx
    .selectFrom('job')
    .select(['type', 'state', 'error', 'created_at', 'id'])
    .where('media_id', '=', mediaId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function itemProject(trx: Db, mediaId: string): Promise<string | undefined> {
  const row = await trx
    .selectFrom('media')
    .select(['project_id'])
    .where('id', '=', mediaId)
    .executeTakeFirst();
  return row?.project_id;
}

/** Sets the state and error unless they are already so; true when the row changed. */
export async function changeProcessingState(
  trx: Db,
  mediaId: string,
  state: ProcessingState,
  error: string | null,
  now: string,
): Promise<boolean> {
  const changed = await trx
    .updateTable('media')
    .set({ processing_state: state, processing_error: error, updated_at: now })
    .where('id', '=', mediaId)
    .where((eb) =>
      eb.or([
        eb('processing_state', '!=', state),
        error === null ? eb('processing_error', 'is not', null) : eb('processing_error', 'is', null),
      ]),
    )
    .executeTakeFirst();
  return Number(changed.numUpdatedRows) === 1;
}

/** Items in one of `states` with no queued or running job, at most `limit`. */
export async function itemsWithoutOpenJobs(
  db: Db,
  states: ProcessingState[],
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('media')
    .select('media.id')
    .where('media.processing_state', 'in', states)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('job')
            .select('job.id')
            .whereRef('job.media_id', '=', 'media.id')
            .where('job.state', 'in', ['queued', 'running']),
        ),
      ),
    )
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** The item's state and how many of its jobs are open; undefined when it is gone. */
export async function stateAndOpenJobs(
  db: Db,
  mediaId: string,
): Promise<{ state: string; openJobs: number } | undefined> {
  const m = await db
    .selectFrom('media')
    .select((eb) => [
      'processing_state',
      eb
        .selectFrom('job')
        .select((j) => j.fn.countAll<number>().as('n'))
        .where('job.media_id', '=', mediaId)
        .where('job.state', 'in', ['queued', 'running'])
        .as('open'),
    ])
    .where('id', '=', mediaId)
    .executeTakeFirst();
  return m && { state: m.processing_state, openJobs: Number(m.open) };
}
