/**
 * The SQL of the job table: every state change is a guarded UPDATE (its WHERE says who may make
 * it), so two workers can never both finish one job. job-store.ts decides when each is made
 * (attempts, backoff, transactions). Only the job table is read or written: a job carries its own
 * project (migration 018, decision 203).
 */
import { sql, type Insertable, type Selectable } from 'kysely';
import type { DialectName } from '../db/connect.js';
import type { Db, JobTable } from '../db/schema.js';

export type JobRow = Selectable<JobTable>;

export async function insertJobs(db: Db, rows: Insertable<JobTable>[]): Promise<void> {
  await db.insertInto('job').values(rows).execute();
}

export function jobLeaseRow(
  db: Db,
  id: string,
): Promise<{ state: string; locked_by: string | null; locked_until: string | null } | undefined> {
  return db
    .selectFrom('job')
    .select(['state', 'locked_by', 'locked_until'])
    .where('id', '=', id)
    .executeTakeFirst();
}

export function jobRow(db: Db, id: string): Promise<JobRow | undefined> {
  return db.selectFrom('job').selectAll().where('id', '=', id).executeTakeFirst();
}

export function jobRowsById(db: Db, ids: string[]): Promise<JobRow[]> {
  return db
    .selectFrom('job')
    .selectAll()
    .where('id', 'in', ids.length ? ids : [''])
    .execute();
}

export interface JobFilter {
  state?: string;
  mediaId?: string;
  type?: string;
  /** Only jobs of these projects. */
  projectIds?: string[];
}

/** Jobs matching `f`, newest first, at most `limit`. */
export function jobRows(db: Db, f: JobFilter, limit: number): Promise<JobRow[]> {
  let q = db.selectFrom('job').selectAll();
  if (f.state !== undefined) q = q.where('state', '=', f.state);
  if (f.mediaId !== undefined) q = q.where('media_id', '=', f.mediaId);
  if (f.type !== undefined) q = q.where('type', '=', f.type);
  if (f.projectIds) q = q.where('project_id', 'in', f.projectIds.length ? f.projectIds : ['']);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

/** True when a queued job (of `types`) may run at `now`: a plain read, no write transaction. */
export async function anyRunnable(db: Db, now: string, types?: readonly string[]): Promise<boolean> {
  let q = db.selectFrom('job').select('id').where('state', '=', 'queued').where('run_after', '<=', now);
  if (types) q = q.where('type', 'in', [...types]);
  return (await q.limit(1).executeTakeFirst()) !== undefined;
}

/**
 * Which job a claim takes: the next runnable one (by priority, then age; PostgreSQL skips rows
 * other workers are taking), or one by id — only while queued, or also when its lease ran out.
 */
export type ClaimTarget =
  { next: true; now: string; types?: readonly string[] } | { id: string; onlyQueued: boolean; now: string };

/**
 * Marks the target running for `worker` until `lockedUntil`, one more attempt: one guarded
 * UPDATE … RETURNING. Undefined when nothing was taken.
 */
export function claimJob(
  trx: Db,
  dialect: DialectName,
  target: ClaimTarget,
  worker: string,
  startedAt: string,
  lockedUntil: string,
): Promise<JobRow | undefined> {
  return trx
    .updateTable('job')
    .set((eb) => ({
      state: 'running',
      attempts: eb('job.attempts', '+', 1),
      locked_by: worker,
      locked_until: lockedUntil,
      started_at: startedAt,
      updated_at: startedAt,
      error: null,
      progress: 0,
    }))
    .where((eb) => {
      let which;
      if ('next' in target) {
        let q = eb
          .selectFrom('job as next')
          .select('next.id')
          .where('next.state', '=', 'queued')
          .where('next.run_after', '<=', target.now);
        if (target.types) q = q.where('next.type', 'in', [...target.types]);
        q = q.orderBy('next.priority', 'desc').orderBy('next.created_at').orderBy('next.id').limit(1);
        which = eb('job.id', '=', dialect === 'postgres' ? q.forUpdate().skipLocked() : q);
      } else {
        which = eb.and([
          eb('job.id', '=', target.id),
          target.onlyQueued
            ? eb('job.state', '=', 'queued')
            : eb.or([
                eb('job.state', '=', 'queued'),
                eb.and([eb('job.state', '=', 'running'), eb('job.locked_until', '<', target.now)]),
              ]),
        ]);
      }
      return eb.and([which, eb('job.state', 'in', ['queued', 'running'])]);
    })
    .returningAll()
    .executeTakeFirst();
}

/** Extends the lease of a job `worker` runs; false when it is no longer theirs. */
export async function extendLease(
  trx: Db,
  id: string,
  worker: string,
  lockedUntil: string,
  now: string,
  progress?: number,
): Promise<boolean> {
  const result = await trx
    .updateTable('job')
    .set({ locked_until: lockedUntil, updated_at: now, ...(progress !== undefined ? { progress } : {}) })
    .where('id', '=', id)
    .where('state', '=', 'running')
    .where('locked_by', '=', worker)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Done, if `worker` still runs it. */
export async function markJobDone(trx: Db, id: string, worker: string, now: string): Promise<boolean> {
  const result = await trx
    .updateTable('job')
    .set({
      state: 'done',
      progress: 100,
      finished_at: now,
      updated_at: now,
      locked_by: null,
      locked_until: null,
      error: null,
    })
    .where('id', '=', id)
    .where('state', '=', 'running')
    .where('locked_by', '=', worker)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export function jobAttempts(
  trx: Db,
  id: string,
): Promise<
  | { type: string; state: string; locked_by: string | null; attempts: number; max_attempts: number }
  | undefined
> {
  return trx
    .selectFrom('job')
    .select(['type', 'state', 'locked_by', 'attempts', 'max_attempts'])
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Records a failed attempt of a job `worker` runs: `failed`, or `queued` until `runAfter`. */
export async function recordFailedAttempt(
  trx: Db,
  id: string,
  worker: string,
  o: { final: boolean; error: string; runAfter: string; now: string },
): Promise<boolean> {
  const result = await trx
    .updateTable('job')
    .set({
      state: o.final ? 'failed' : 'queued',
      error: o.error,
      run_after: o.runAfter,
      finished_at: o.final ? o.now : null,
      updated_at: o.now,
      locked_by: null,
      locked_until: null,
    })
    .where('id', '=', id)
    .where('state', '=', 'running')
    .where('locked_by', '=', worker)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Queues a job `worker` runs again at once, its attempt not counted. */
export async function releaseJob(trx: Db, id: string, worker: string, now: string): Promise<boolean> {
  const result = await trx
    .updateTable('job')
    .set((eb) => ({
      state: 'queued',
      attempts: sql<number>`case when ${eb.ref('attempts')} > 0 then ${eb.ref('attempts')} - 1 else 0 end`,
      locked_by: null,
      locked_until: null,
      started_at: null,
      progress: 0,
      run_after: now,
      updated_at: now,
    }))
    .where('id', '=', id)
    .where('state', '=', 'running')
    .where('locked_by', '=', worker)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The workers holding running jobs. */
export async function runningHolders(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom('job')
    .select('locked_by')
    .distinct()
    .where('state', '=', 'running')
    .execute();
  return rows.map((r) => r.locked_by).filter((w): w is string => w !== null);
}

/** Queues again the running jobs of these workers; how many. */
export async function requeueHeldBy(db: Db, workers: string[], now: string): Promise<number> {
  if (workers.length === 0) return 0;
  const r = await db
    .updateTable('job')
    .set({ state: 'queued', locked_by: null, locked_until: null, updated_at: now })
    .where('state', '=', 'running')
    .where('locked_by', 'in', workers)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Queues again the running jobs whose lease ended before `now`; how many. */
export async function requeueLeaseExpired(db: Db, now: string): Promise<number> {
  const r = await db
    .updateTable('job')
    .set({ state: 'queued', locked_by: null, locked_until: null, updated_at: now })
    .where('state', '=', 'running')
    .where('locked_until', '<', now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Ids of failed jobs, of `ids` and/or of one item. */
export async function failedJobIds(db: Db, o: { ids?: string[]; mediaId?: string }): Promise<string[]> {
  let q = db.selectFrom('job').select('id').where('state', '=', 'failed');
  if (o.ids) q = q.where('id', 'in', o.ids.length ? o.ids : ['']);
  if (o.mediaId) q = q.where('media_id', '=', o.mediaId);
  return (await q.execute()).map((r) => r.id);
}

/** Queues failed jobs again with fresh attempts. */
export async function requeueFailed(db: Db, ids: string[], now: string): Promise<void> {
  await db
    .updateTable('job')
    .set({
      state: 'queued',
      attempts: 0,
      error: null,
      run_after: now,
      finished_at: null,
      updated_at: now,
      progress: 0,
    })
    .where('id', 'in', ids)
    .where('state', '=', 'failed')
    .execute();
}

export async function countsByState(db: Db): Promise<Array<{ state: string; n: number }>> {
  const rows = await db
    .selectFrom('job')
    .select((eb) => ['state', eb.fn.countAll<number>().as('n')])
    .groupBy('state')
    .execute();
  return rows.map((r) => ({ state: r.state, n: Number(r.n) }));
}

/** The earliest run_after of queued jobs (of `types`), or null. */
export async function earliestRunAfter(db: Db, types?: readonly string[]): Promise<string | null> {
  let q = db
    .selectFrom('job')
    .select(sql<string>`min(run_after)`.as('t'))
    .where('state', '=', 'queued');
  if (types) q = q.where('type', 'in', [...types]);
  const row = await q.executeTakeFirst();
  return row?.t ?? null;
}
