/**
 * The one owner of a media item's processing state (`media.processing_state` and
 * `processing_error`): every write of those columns is here. A new item starts `pending` (or
 * `ready` when the library runs no processing), becomes `processing` when its first job is
 * claimed or its failed jobs are retried, and is settled to `ready` or `failed` from its latest
 * jobs; a missing or corrupt stored file marks it `failed`.
 */
import type { ProcessingState } from '@montu/domain';
import { nowIso } from '../ids.js';
import type { Db } from '../db/schema.js';

/** The state columns of a new item's row. */
export function newItemState(processing: boolean): {
  processing_state: ProcessingState;
  processing_error: null;
} {
  return { processing_state: processing ? 'pending' : 'ready', processing_error: null };
}

/** A job of the item was claimed: a `pending` item is now being processed. */
export async function markClaimed(trx: Db, mediaId: string): Promise<void> {
  await trx
    .updateTable('media')
    .set({ processing_state: 'processing', updated_at: nowIso() })
    .where('id', '=', mediaId)
    .where('processing_state', '=', 'pending')
    .execute();
}

/** Failed jobs of these items were queued again: they are being processed again. */
export async function markRetried(db: Db, mediaIds: string[]): Promise<void> {
  if (mediaIds.length === 0) return;
  await db
    .updateTable('media')
    .set({ processing_state: 'processing', processing_error: null, updated_at: nowIso() })
    .where('id', 'in', mediaIds)
    .execute();
}

/** A stored file of the item is missing or corrupt (the orphan and checksum sweep found it). */
export async function markFileFailed(trx: Db, mediaId: string, message: string): Promise<void> {
  await trx
    .updateTable('media')
    .set({ processing_state: 'failed', processing_error: message, updated_at: nowIso() })
    .where('id', '=', mediaId)
    .execute();
}

export interface SettleOutcome {
  changed: boolean;
  state: 'ready' | 'failed' | 'processing';
  error: string | null;
  projectId: string;
}

/**
 * Settles an item from its latest job of each type: `failed` (with the reasons) when any
 * failed, `ready` when none is open, otherwise `processing`. Null when the item is gone.
 */
export async function settleItem(
  trx: Db,
  mediaId: string,
  knownProject: string | null = null,
): Promise<SettleOutcome | null> {
  // First write-lock the media row: two jobs of one item settling at once (on two workers)
  // are serialised, so a stale "processing" computed before the other job finished can never
  // overwrite the final state.
  const locked = await trx
    .updateTable('media')
    .set((eb) => ({ processing_state: eb.ref('processing_state') }))
    .where('id', '=', mediaId)
    .executeTakeFirst();
  if (Number(locked.numUpdatedRows) !== 1) return null;
  const jobs = await trx
    .selectFrom('job')
    .select(['type', 'state', 'error', 'created_at', 'id'])
    .where('media_id', '=', mediaId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const latest = new Map<string, (typeof jobs)[number]>();
  for (const j of jobs) latest.set(j.type, j);
  const open = [...latest.values()].some((j) => j.state === 'queued' || j.state === 'running');
  const failed = [...latest.values()].filter((j) => j.state === 'failed');
  // The job knows its item's project; a sweep of stuck items does not.
  const projectId =
    knownProject ??
    (await trx.selectFrom('media').select(['project_id']).where('id', '=', mediaId).executeTakeFirst())
      ?.project_id;
  if (!projectId) return null;
  const state = failed.length ? 'failed' : open ? 'processing' : 'ready';
  const error = failed.length
    ? failed.map((j) => `${labelOf(j.type)}: ${j.error ?? 'failed'}`).join('; ')
    : null;
  // Guarded: only the settle that changes the state announces it.
  const changed = await trx
    .updateTable('media')
    .set({ processing_state: state, processing_error: error, updated_at: nowIso() })
    .where('id', '=', mediaId)
    .where((eb) =>
      eb.or([
        eb('processing_state', '!=', state),
        error === null ? eb('processing_error', 'is not', null) : eb('processing_error', 'is', null),
      ]),
    )
    .executeTakeFirst();
  return { changed: Number(changed.numUpdatedRows) === 1, state, error, projectId };
}

/**
 * Items still `pending`/`processing` with no open job: their last job finished but the process
 * died before recording the outcome.
 */
export async function stuckItems(db: Db, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('media')
    .select('media.id')
    .where('media.processing_state', 'in', ['pending', 'processing'])
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

/** True when the item is settled (`ready` or `failed`, no job open) or gone. */
export async function isSettled(db: Db, mediaId: string): Promise<boolean> {
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
  if (!m) return true;
  return Number(m.open) === 0 && (m.processing_state === 'ready' || m.processing_state === 'failed');
}

function labelOf(type: string): string {
  return type === 'probe' ? 'metadata' : type;
}
