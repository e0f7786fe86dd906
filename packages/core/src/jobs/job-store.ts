import { sql, type Expression, type ExpressionBuilder, type Selectable, type SqlBool } from 'kysely';
import { NotFound, ProcessingError, ValidationError } from '@montu/domain';
import { newId, nowIso } from '../ids.js';
import type { Database, Db, JobTable } from '../db/schema.js';
import { relaxedTransaction, type DialectName } from '../db/connect.js';
import { parseJson } from '../db/rows.js';
import { ownerIsDeadLocalProcess } from '../storage/owner.js';
import {
  backoffDelay,
  DEFAULT_RETRY,
  isJobType,
  JOB_STATES,
  jobPayload,
  type Job,
  type JobSpec,
  type JobState,
  type JobType,
  type RetryPolicy,
} from './types.js';

export function jobFromRow(r: Selectable<JobTable> & { project_id?: string | null }): Job {
  const type = r.type;
  if (!isJobType(type)) throw new ProcessingError(`Job ${r.id} has an unknown type ${JSON.stringify(type)}.`);
  const payload = jobPayload(type, parseJson<Record<string, unknown>>(r.payload, {}));
  // TypeScript cannot pair `type` and `payload` of a union by itself: jobPayload read the payload as `type`'s.
  return {
    id: r.id,
    type,
    payload,
    mediaId: r.media_id,
    projectId: r.project_id ?? null,
    state: r.state as JobState,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    progress: r.progress,
    error: r.error,
    runAfter: r.run_after,
    lockedBy: r.locked_by,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    updatedAt: r.updated_at,
  } as Job;
}

export interface JobStoreOptions {
  /** Retry policies of job types that do not follow the store's default (webhook deliveries). */
  retryFor?: Partial<Record<JobType, RetryPolicy>>;
  /**
   * Runs inside the transaction that claims a job, for what the job's owner records about it
   * starting (media processing marks the item `processing`). The store itself knows only jobs.
   */
  onClaim?: (trx: Db, job: Job) => Promise<void>;
}

/**
 * The job table: the durable queue in embedded mode and the visible record in both modes.
 * Every state change is a guarded UPDATE, so two workers can never both finish one job. It reads
 * the media table only to scope a job by its item's project; it never writes it.
 */
export class JobStore {
  constructor(
    private readonly db: Db,
    private readonly dialect: DialectName,
    readonly retry: RetryPolicy = DEFAULT_RETRY,
    private readonly options: JobStoreOptions = {},
  ) {}

  /** The retry policy of a job type. */
  retryOf(type: JobType): RetryPolicy {
    return this.options.retryFor?.[type] ?? this.retry;
  }

  /**
   * Inserts queued jobs (in `db`, e.g. the transaction that creates their media item). `claimed`
   * inserts one of them already running for a worker (a job chained to the one it finishes).
   */
  async create(
    specs: JobSpec[],
    db: Db = this.db,
    o: { claimed?: { index: number; worker: string; leaseMs: number } } = {},
  ): Promise<Job[]> {
    if (specs.length === 0) return [];
    const now = nowIso();
    const c = o.claimed;
    const rows = specs.map((s, i) => ({
      id: newId(),
      type: s.type,
      media_id: s.mediaId ?? null,
      state: c?.index === i ? 'running' : 'queued',
      priority: s.priority ?? 0,
      attempts: c?.index === i ? 1 : 0,
      max_attempts: s.maxAttempts ?? this.retryOf(s.type).maxAttempts,
      progress: 0,
      payload: JSON.stringify(s.payload ?? {}),
      error: null,
      run_after: now,
      locked_by: c?.index === i ? c.worker : null,
      locked_until: c?.index === i ? new Date(Date.parse(now) + c.leaseMs).toISOString() : null,
      created_at: now,
      started_at: c?.index === i ? now : null,
      finished_at: null,
      updated_at: now,
    }));
    await db.insertInto('job').values(rows).execute();
    return rows.map((r) => jobFromRow(r));
  }

  /**
   * A job's state and when its lease ends (epoch ms; null when not leased), or null when the
   * database has no such job. For a delivery that could not claim its job.
   */
  async lease(
    id: string,
  ): Promise<{ state: JobState; lockedBy: string | null; until: number | null } | null> {
    const row = await this.db
      .selectFrom('job')
      .select(['state', 'locked_by', 'locked_until'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return null;
    return {
      state: row.state as JobState,
      lockedBy: row.locked_by,
      until: row.locked_until ? Date.parse(String(row.locked_until)) : null,
    };
  }

  async get(id: string): Promise<Job> {
    const row = await this.db
      .selectFrom('job')
      .leftJoin('media', 'media.id', 'job.media_id')
      .selectAll('job')
      .select('media.project_id')
      .where('job.id', '=', id)
      .executeTakeFirst();
    if (!row) throw new NotFound(`Job ${id} does not exist.`);
    return jobFromRow(row);
  }

  async list(
    options: {
      state?: JobState;
      mediaId?: string;
      type?: JobType;
      limit?: number;
      projectIds?: string[];
    } = {},
  ): Promise<Job[]> {
    let q = this.db
      .selectFrom('job')
      .leftJoin('media', 'media.id', 'job.media_id')
      .selectAll('job')
      .select('media.project_id');
    if (options.state !== undefined) {
      if (!(JOB_STATES as readonly string[]).includes(options.state)) {
        throw new ValidationError(`state must be one of ${JOB_STATES.join(', ')}.`);
      }
      q = q.where('job.state', '=', options.state);
    }
    if (options.mediaId !== undefined) q = q.where('job.media_id', '=', options.mediaId);
    if (options.type !== undefined) q = q.where('job.type', '=', options.type);
    if (options.projectIds) {
      const ids = options.projectIds.length ? options.projectIds : [''];
      q = q.where('media.project_id', 'in', ids);
    }
    const rows = await q
      .orderBy('job.created_at', 'desc')
      .orderBy('job.id', 'desc')
      .limit(Math.min(Math.max(options.limit ?? 100, 1), 1000))
      .execute();
    return rows.map((r) => jobFromRow(r));
  }

  /**
   * Takes the next runnable job for `worker`, holding it for `leaseMs`: one guarded UPDATE … RETURNING
   * (PostgreSQL skips rows other workers are taking), committed as relaxed bookkeeping — a claim
   * lost to a power failure only means the job is queued again.
   */
  async claimNext(worker: string, leaseMs: number, types?: readonly JobType[]): Promise<Job | null> {
    const now = nowIso();
    // Idle loops ask often: a plain read answers "nothing to do" without opening a write transaction.
    let any = this.db
      .selectFrom('job')
      .select('id')
      .where('state', '=', 'queued')
      .where('run_after', '<=', now);
    if (types) any = any.where('type', 'in', [...types]);
    if (!(await any.limit(1).executeTakeFirst())) return null;
    return relaxedTransaction(this.db, this.dialect, (trx) =>
      this.claimWhere(trx, worker, leaseMs, (eb) => {
        let q = eb
          .selectFrom('job as next')
          .select('next.id')
          .where('next.state', '=', 'queued')
          .where('next.run_after', '<=', now);
        if (types) q = q.where('next.type', 'in', [...types]);
        q = q.orderBy('next.priority', 'desc').orderBy('next.created_at').orderBy('next.id').limit(1);
        return eb('job.id', '=', this.dialect === 'postgres' ? q.forUpdate().skipLocked() : q);
      }),
    );
  }

  /**
   * Marks a job running for `worker`. With onlyQueued the job must be waiting; otherwise a job
   * whose lease ran out (its worker died) may be taken over too.
   */
  async claim(
    id: string,
    worker: string,
    leaseMs: number,
    options: { onlyQueued: boolean },
  ): Promise<Job | null> {
    const now = nowIso();
    return relaxedTransaction(this.db, this.dialect, (trx) =>
      this.claimWhere(trx, worker, leaseMs, (eb) =>
        eb.and([
          eb('job.id', '=', id),
          options.onlyQueued
            ? eb('job.state', '=', 'queued')
            : eb.or([
                eb('job.state', '=', 'queued'),
                eb.and([eb('job.state', '=', 'running'), eb('job.locked_until', '<', now)]),
              ]),
        ]),
      ),
    );
  }

  /**
   * The claim itself: running, one more attempt, leased to `worker`, and the owner's onClaim in
   * the same transaction. Returns the claimed job (with its project), or null.
   */
  private async claimWhere(
    trx: Db,
    worker: string,
    leaseMs: number,
    which: (eb: ExpressionBuilder<Database, 'job'>) => Expression<SqlBool>,
  ): Promise<Job | null> {
    const now = new Date();
    const row = await trx
      .updateTable('job')
      .set((eb) => ({
        state: 'running',
        attempts: eb('job.attempts', '+', 1),
        locked_by: worker,
        locked_until: new Date(now.getTime() + leaseMs).toISOString(),
        started_at: now.toISOString(),
        updated_at: now.toISOString(),
        error: null,
        progress: 0,
      }))
      .where((eb) => eb.and([which(eb), eb('job.state', 'in', ['queued', 'running'])]))
      .returningAll()
      .returning((eb) =>
        eb
          .selectFrom('media')
          .select('media.project_id')
          .whereRef('media.id', '=', 'job.media_id')
          .as('project_id'),
      )
      .executeTakeFirst();
    if (!row) return null;
    const job = jobFromRow(row);
    await this.options.onClaim?.(trx, job);
    return job;
  }

  /** Extends the lease of a running job; false when the job is no longer ours. */
  async heartbeat(id: string, worker: string, leaseMs: number, progress?: number): Promise<boolean> {
    const now = new Date();
    const result = await relaxedTransaction(this.db, this.dialect, (trx) =>
      trx
        .updateTable('job')
        .set({
          locked_until: new Date(now.getTime() + leaseMs).toISOString(),
          updated_at: now.toISOString(),
          ...(progress !== undefined ? { progress: Math.max(0, Math.min(100, Math.round(progress))) } : {}),
        })
        .where('id', '=', id)
        .where('state', '=', 'running')
        .where('locked_by', '=', worker)
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) === 1;
  }

  /** Done, once: only the worker holding the job can finish it. */
  async complete(id: string, worker: string): Promise<boolean> {
    return relaxedTransaction(this.db, this.dialect, (trx) => this.markDone(trx, id, worker));
  }

  private async markDone(trx: Db, id: string, worker: string, now = nowIso()): Promise<boolean> {
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

  /**
   * Finishes a job and records everything that follows from it in one transaction: the job done
   * (guarded: only its holder), the handler's own records, the jobs that follow (the first one
   * `chain` accepts claimed for this worker at once, the rest queued) and `settle` (e.g. the
   * media item's state). Null when the job is no longer this worker's (nothing is written).
   * Relaxed durability unless `durable` (see relaxedTransaction).
   */
  async finish<S>(
    job: Job,
    worker: string,
    leaseMs: number,
    o: {
      record?: (trx: Db) => Promise<JobSpec[] | void>;
      chain?: (type: JobType) => boolean;
      settle?: (trx: Db, done: Job) => Promise<S>;
      durable?: boolean;
    } = {},
  ): Promise<{ done: Job; queued: Job[]; next: Job | null; settled: S | undefined } | null> {
    const work = async (trx: Db) => {
      const now = nowIso();
      if (!(await this.markDone(trx, job.id, worker, now))) return null;
      const done: Job = {
        ...job,
        state: 'done',
        progress: 100,
        error: null,
        finishedAt: now,
        updatedAt: now,
        lockedBy: null,
      };
      const specs = (await o.record?.(trx)) ?? [];
      const chained = specs.findIndex((s) => o.chain?.(s.type) === true);
      const created = await this.create(specs, trx, {
        ...(chained >= 0 ? { claimed: { index: chained, worker, leaseMs } } : {}),
      });
      const next = chained >= 0 ? { ...created[chained]!, projectId: job.projectId } : null;
      const queued = created.filter((_, i) => i !== chained).map((j) => ({ ...j, projectId: job.projectId }));
      const settled = await o.settle?.(trx, done);
      return { done, queued, next, settled };
    };
    if (o.durable) return this.db.transaction().execute(work);
    return relaxedTransaction(this.db, this.dialect, work);
  }

  /** Runs `fn` in a relaxed transaction of its own (settling an item after a final failure). */
  settle<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    return relaxedTransaction(this.db, this.dialect, fn);
  }

  /**
   * Records a failed attempt: back to `queued` after a backoff while attempts remain (or
   * straight to `failed` when `permanent`), `failed` after the last. Relaxed bookkeeping: lost
   * to a power failure, the attempt simply runs again.
   */
  async fail(
    id: string,
    worker: string,
    error: string,
    options: { permanent?: boolean } = {},
  ): Promise<{ final: boolean; retryInMs: number } | null> {
    return relaxedTransaction(this.db, this.dialect, async (trx) => {
      const job = await trx
        .selectFrom('job')
        .select(['type', 'state', 'locked_by', 'attempts', 'max_attempts'])
        .where('id', '=', id)
        .executeTakeFirst();
      if (!job) throw new NotFound(`Job ${id} does not exist.`);
      if (job.state !== 'running' || job.locked_by !== worker) return null;
      const final = options.permanent === true || job.attempts >= job.max_attempts;
      const delay = final
        ? 0
        : backoffDelay(isJobType(job.type) ? this.retryOf(job.type) : this.retry, job.attempts);
      const now = new Date();
      const result = await trx
        .updateTable('job')
        .set({
          state: final ? 'failed' : 'queued',
          error: error.slice(0, 4000),
          run_after: new Date(now.getTime() + delay).toISOString(),
          finished_at: final ? now.toISOString() : null,
          updated_at: now.toISOString(),
          locked_by: null,
          locked_until: null,
        })
        .where('id', '=', id)
        .where('state', '=', 'running')
        .where('locked_by', '=', worker)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1 ? { final, retryInMs: delay } : null;
    });
  }

  /**
   * Gives a running job back without counting the attempt (this worker is shutting down and
   * aborted it): queued again at once for another worker.
   */
  async release(id: string, worker: string): Promise<boolean> {
    const now = nowIso();
    const result = await relaxedTransaction(this.db, this.dialect, (trx) =>
      trx
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
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Jobs whose worker died go back to the queue: those whose lease expired, and at once those
   * held by a process of this machine that is no longer running.
   */
  async requeueExpired(): Promise<number> {
    const now = nowIso();
    const holders = await this.db
      .selectFrom('job')
      .select('locked_by')
      .distinct()
      .where('state', '=', 'running')
      .execute();
    const dead = holders
      .map((h) => h.locked_by)
      .filter((w): w is string => w !== null && ownerIsDeadLocalProcess(w.split('~').slice(0, 2).join('~')));
    let n = 0;
    if (dead.length) {
      const r = await this.db
        .updateTable('job')
        .set({ state: 'queued', locked_by: null, locked_until: null, updated_at: now })
        .where('state', '=', 'running')
        .where('locked_by', 'in', dead)
        .executeTakeFirst();
      n += Number(r.numUpdatedRows);
    }
    const result = await this.db
      .updateTable('job')
      .set({ state: 'queued', locked_by: null, locked_until: null, updated_at: now })
      .where('state', '=', 'running')
      .where('locked_until', '<', now)
      .executeTakeFirst();
    return n + Number(result.numUpdatedRows);
  }

  /** Puts failed jobs back in the queue with fresh attempts (`montu jobs retry`). */
  async retryFailed(options: { ids?: string[]; mediaId?: string } = {}): Promise<Job[]> {
    let q = this.db.selectFrom('job').select('id').where('state', '=', 'failed');
    if (options.ids) q = q.where('id', 'in', options.ids.length ? options.ids : ['']);
    if (options.mediaId) q = q.where('media_id', '=', options.mediaId);
    const ids = (await q.execute()).map((r) => r.id);
    if (ids.length === 0) return [];
    const now = nowIso();
    await this.db
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
    const rows = await this.db
      .selectFrom('job')
      .leftJoin('media', 'media.id', 'job.media_id')
      .selectAll('job')
      .select('media.project_id')
      .where('job.id', 'in', ids)
      .execute();
    return rows.map((r) => jobFromRow(r));
  }

  /** Counts per state (queue depth for metrics). */
  async counts(): Promise<Record<JobState, number>> {
    const rows = await this.db
      .selectFrom('job')
      .select((eb) => ['state', eb.fn.countAll<number>().as('n')])
      .groupBy('state')
      .execute();
    const out: Record<JobState, number> = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const r of rows) out[r.state as JobState] = Number(r.n);
    return out;
  }

  /** The next time a queued job (of `types`) becomes runnable, for an idle worker's sleep. */
  async nextRunAfter(types?: readonly JobType[]): Promise<string | null> {
    let q = this.db
      .selectFrom('job')
      .select(sql<string>`min(run_after)`.as('t'))
      .where('state', '=', 'queued');
    if (types) q = q.where('type', 'in', [...types]);
    const row = await q.executeTakeFirst();
    return row?.t ?? null;
  }
}
