import { NotFound, ProcessingError, ValidationError } from '@montu/domain';
import { newId, nowIso } from '../ids.js';
import type { Db } from '../db/schema.js';
import { relaxedTransaction, transaction, type DialectName } from '../db/connect.js';
import { parseJson } from '../db/rows.js';
import { ownerIsDeadLocalProcess } from '../storage/owner.js';
import {
  backoffDelay,
  checkJobTarget,
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
import {
  anyRunnable,
  claimJob,
  countsByState,
  earliestRunAfter,
  extendLease,
  failedJobIds,
  insertJobs,
  jobAttempts,
  jobLeaseRow,
  jobRow,
  jobRows,
  jobRowsById,
  markJobDone,
  recordFailedAttempt,
  releaseJob,
  requeueLeaseExpired,
  requeueFailed,
  requeueHeldBy,
  runningHolders,
  type ClaimTarget,
  type JobRow,
} from './job-queries.js';

export function jobFromRow(r: JobRow): Job {
  const type = r.type;
  if (!isJobType(type)) throw new ProcessingError(`Job ${r.id} has an unknown type ${JSON.stringify(type)}.`);
  const payload = jobPayload(type, parseJson<Record<string, unknown>>(r.payload, {}));
  // TypeScript cannot pair `type` and `payload` of a union by itself: jobPayload read the payload as `type`'s.
  return {
    id: r.id,
    type,
    payload,
    mediaId: r.media_id,
    projectId: r.project_id,
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
 * Every state change is a guarded UPDATE (job-queries.ts), so two workers can never both finish
 * one job. It knows nothing of media: a job carries its own project (given by whoever queues it,
 * decision 203), and job-queries.ts reads and writes only the job table.
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
    for (const s of specs) checkJobTarget(s);
    const now = nowIso();
    const c = o.claimed;
    const rows = specs.map((s, i) => ({
      id: newId(),
      type: s.type,
      media_id: s.mediaId ?? null,
      project_id: s.projectId ?? null,
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
    await insertJobs(db, rows);
    return rows.map((r) => jobFromRow(r));
  }

  /**
   * A job's state and when its lease ends (epoch ms; null when not leased), or null when the
   * database has no such job. For a delivery that could not claim its job.
   */
  async lease(
    id: string,
  ): Promise<{ state: JobState; lockedBy: string | null; until: number | null } | null> {
    const row = await jobLeaseRow(this.db, id);
    if (!row) return null;
    return {
      state: row.state as JobState,
      lockedBy: row.locked_by,
      until: row.locked_until ? Date.parse(String(row.locked_until)) : null,
    };
  }

  async get(id: string): Promise<Job> {
    const row = await jobRow(this.db, id);
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
    if (options.state !== undefined && !(JOB_STATES as readonly string[]).includes(options.state)) {
      throw new ValidationError(`state must be one of ${JOB_STATES.join(', ')}.`);
    }
    const rows = await jobRows(
      this.db,
      {
        ...(options.state !== undefined ? { state: options.state } : {}),
        ...(options.mediaId !== undefined ? { mediaId: options.mediaId } : {}),
        ...(options.type !== undefined ? { type: options.type } : {}),
        ...(options.projectIds ? { projectIds: options.projectIds } : {}),
      },
      Math.min(Math.max(options.limit ?? 100, 1), 1000),
    );
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
    if (!(await anyRunnable(this.db, now, types))) return null;
    return relaxedTransaction(this.db, this.dialect, (trx) =>
      this.claimWhere(trx, worker, leaseMs, { next: true, now, ...(types ? { types } : {}) }),
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
      this.claimWhere(trx, worker, leaseMs, { id, onlyQueued: options.onlyQueued, now }),
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
    which: ClaimTarget,
  ): Promise<Job | null> {
    const now = new Date();
    const row = await claimJob(
      trx,
      this.dialect,
      which,
      worker,
      now.toISOString(),
      new Date(now.getTime() + leaseMs).toISOString(),
    );
    if (!row) return null;
    const job = jobFromRow(row);
    await this.options.onClaim?.(trx, job);
    return job;
  }

  /** Extends the lease of a running job; false when the job is no longer ours. */
  async heartbeat(id: string, worker: string, leaseMs: number, progress?: number): Promise<boolean> {
    const now = new Date();
    return relaxedTransaction(this.db, this.dialect, (trx) =>
      extendLease(
        trx,
        id,
        worker,
        new Date(now.getTime() + leaseMs).toISOString(),
        now.toISOString(),
        progress !== undefined ? Math.max(0, Math.min(100, Math.round(progress))) : undefined,
      ),
    );
  }

  /** Done, once: only the worker holding the job can finish it. */
  async complete(id: string, worker: string): Promise<boolean> {
    return relaxedTransaction(this.db, this.dialect, (trx) => this.markDone(trx, id, worker));
  }

  private markDone(trx: Db, id: string, worker: string, now = nowIso()): Promise<boolean> {
    return markJobDone(trx, id, worker, now);
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
      const next = chained >= 0 ? created[chained]! : null;
      const queued = created.filter((_, i) => i !== chained);
      const settled = await o.settle?.(trx, done);
      return { done, queued, next, settled };
    };
    if (o.durable) return transaction(this.db, work);
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
      const job = await jobAttempts(trx, id);
      if (!job) throw new NotFound(`Job ${id} does not exist.`);
      if (job.state !== 'running' || job.locked_by !== worker) return null;
      const final = options.permanent === true || job.attempts >= job.max_attempts;
      const delay = final
        ? 0
        : backoffDelay(isJobType(job.type) ? this.retryOf(job.type) : this.retry, job.attempts);
      const now = new Date();
      const recorded = await recordFailedAttempt(trx, id, worker, {
        final,
        error: error.slice(0, 4000),
        runAfter: new Date(now.getTime() + delay).toISOString(),
        now: now.toISOString(),
      });
      return recorded ? { final, retryInMs: delay } : null;
    });
  }

  /**
   * Gives a running job back without counting the attempt (this worker is shutting down and
   * aborted it): queued again at once for another worker.
   */
  async release(id: string, worker: string): Promise<boolean> {
    const now = nowIso();
    return relaxedTransaction(this.db, this.dialect, (trx) => releaseJob(trx, id, worker, now));
  }

  /**
   * Jobs whose worker died go back to the queue: those whose lease expired, and at once those
   * held by a process of this machine that is no longer running.
   */
  async requeueExpired(): Promise<number> {
    const now = nowIso();
    // A worker is `<host>~<pid>~<suffix>`: its process is the first two parts.
    const dead = (await runningHolders(this.db)).filter((w) =>
      ownerIsDeadLocalProcess(w.split('~').slice(0, 2).join('~')),
    );
    const n = await requeueHeldBy(this.db, dead, now);
    return n + (await requeueLeaseExpired(this.db, now));
  }

  /** Puts failed jobs back in the queue with fresh attempts (`montu jobs retry`). */
  async retryFailed(options: { ids?: string[]; mediaId?: string } = {}): Promise<Job[]> {
    const ids = await failedJobIds(this.db, {
      ...(options.ids ? { ids: options.ids } : {}),
      ...(options.mediaId ? { mediaId: options.mediaId } : {}),
    });
    if (ids.length === 0) return [];
    await requeueFailed(this.db, ids, nowIso());
    return (await jobRowsById(this.db, ids)).map((r) => jobFromRow(r));
  }

  /** Counts per state (queue depth for metrics). */
  async counts(): Promise<Record<JobState, number>> {
    const out: Record<JobState, number> = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const r of await countsByState(this.db)) out[r.state as JobState] = r.n;
    return out;
  }

  /** The next time a queued job (of `types`) becomes runnable, for an idle worker's sleep. */
  async nextRunAfter(types?: readonly JobType[]): Promise<string | null> {
    return earliestRunAfter(this.db, types);
  }
}
