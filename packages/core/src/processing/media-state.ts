/**
 * The one owner of a media item's processing state (`media.processing_state` and
 * `processing_error`): every write of those columns is here. A new item starts `pending` (or
 * `ready` when the library runs no processing), becomes `processing` when its first job is
 * claimed or its failed jobs are retried, and is settled to `ready` or `failed` from its latest
 * jobs; a missing or corrupt stored file marks it `failed`. The SQL is media-state-queries.ts,
 * which nothing else imports.
 */
import type { ProcessingState } from '@montu/domain';
import { nowIso } from '../ids.js';
import type { Db } from '../db/schema.js';
import {
  changeProcessingState,
  itemJobs,
  itemProject,
  itemsWithoutOpenJobs,
  lockItem,
  setProcessingFromPending,
  setProcessingState,
  stateAndOpenJobs,
} from './media-state-queries.js';

/** The state columns of a new item's row. */
export function newItemState(processing: boolean): {
  processing_state: ProcessingState;
  processing_error: null;
} {
  return { processing_state: processing ? 'pending' : 'ready', processing_error: null };
}

/** A job of the item was claimed: a `pending` item is now being processed. */
export async function markClaimed(trx: Db, mediaId: string): Promise<void> {
  await setProcessingFromPending(trx, mediaId, nowIso());
}

/** Failed jobs of these items were queued again: they are being processed again. */
export async function markRetried(db: Db, mediaIds: string[]): Promise<void> {
  await setProcessingState(db, mediaIds, 'processing', null, nowIso());
}

/** A stored file of the item is missing or corrupt (the orphan and checksum sweep found it). */
export async function markFileFailed(trx: Db, mediaId: string, message: string): Promise<void> {
  await setProcessingState(trx, [mediaId], 'failed', message, nowIso());
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
  if (!(await lockItem(trx, mediaId))) return null;
  const jobs = await itemJobs(trx, mediaId);
  const latest = new Map<string, (typeof jobs)[number]>();
  for (const j of jobs) latest.set(j.type, j);
  const open = [...latest.values()].some((j) => j.state === 'queued' || j.state === 'running');
  const failed = [...latest.values()].filter((j) => j.state === 'failed');
  // The job knows its item's project; a sweep of stuck items does not.
  const projectId = knownProject ?? (await itemProject(trx, mediaId));
  if (!projectId) return null;
  const state = failed.length ? 'failed' : open ? 'processing' : 'ready';
  const error = failed.length
    ? failed.map((j) => `${labelOf(j.type)}: ${j.error ?? 'failed'}`).join('; ')
    : null;
  // Guarded: only the settle that changes the state announces it.
  const changed = await changeProcessingState(trx, mediaId, state, error, nowIso());
  return { changed, state, error, projectId };
}

/**
 * Items still `pending`/`processing` with no open job: their last job finished but the process
 * died before recording the outcome.
 */
export async function stuckItems(db: Db, limit: number): Promise<string[]> {
  return itemsWithoutOpenJobs(db, ['pending', 'processing'], limit);
}

/** True when the item is settled (`ready` or `failed`, no job open) or gone. */
export async function isSettled(db: Db, mediaId: string): Promise<boolean> {
  const m = await stateAndOpenJobs(db, mediaId);
  if (!m) return true;
  return m.openJobs === 0 && (m.state === 'ready' || m.state === 'failed');
}

function labelOf(type: string): string {
  return type === 'probe' ? 'metadata' : type;
}
