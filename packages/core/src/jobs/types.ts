/** Processing jobs: the unit of background work, the same in embedded and scale mode. */
import type { Db } from '../db/schema.js';

export const JOB_TYPES = ['probe', 'thumbnail', 'proxy', 'cleanup'] as const;
export type JobType = (typeof JOB_TYPES)[number];

export const JOB_STATES = ['queued', 'running', 'done', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface Job {
  id: string;
  type: JobType;
  mediaId: string | null;
  /** The project of the job's media item (null for jobs without one); events are scoped by it. */
  projectId: string | null;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  /** 0–100. */
  progress: number;
  payload: Record<string, unknown>;
  error: string | null;
  /** Not before this time (retries back off exponentially). */
  runAfter: string;
  lockedBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
}

export interface JobSpec {
  type: JobType;
  mediaId?: string | null;
  payload?: Record<string, unknown>;
  priority?: number;
  maxAttempts?: number;
}

export interface JobContext {
  job: Job;
  /** Reports progress (0–100); cheap to call often, stored and published at most a few times a second. */
  progress(percent: number): void;
  /** Aborted when the worker shuts down or the job's lease is lost. */
  signal: AbortSignal;
}

/**
 * What a handler may hand back besides finishing: the job's own records and the jobs that follow
 * from it, committed in the one transaction that marks the job done — so a crash leaves either
 * all of it or none (and the job runs again).
 */
export interface JobResult {
  /**
   * Runs inside the completing transaction (use only `trx`). Returns the jobs that follow from
   * this one; the first of them this process can run is claimed for it in the same transaction
   * and run next, without a trip through the queue.
   */
  record?: (trx: Db) => Promise<JobSpec[] | void>;
  /** Runs after that commit, only if it happened: events, removing files the job replaced. */
  after?: () => Promise<void> | void;
  /**
   * Commit the completion durably. Completions are otherwise relaxed bookkeeping (a power
   * failure may lose them and the job runs again); a job whose `after` cannot be undone by
   * running again (it deletes a file the previous record pointed at) needs the commit on disk first.
   */
  durable?: boolean;
}

export type JobHandler = (ctx: JobContext) => Promise<void | JobResult>;

/** Retry policy: attempts and exponential backoff. */
export interface RetryPolicy {
  maxAttempts: number;
  /** Delay before the first retry; doubled for each further one. */
  backoffMs: number;
  /** Longest delay between attempts. */
  maxBackoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, backoffMs: 2_000, maxBackoffMs: 5 * 60_000 };

export function backoffDelay(policy: RetryPolicy, attemptsMade: number): number {
  return Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.max(0, attemptsMade - 1));
}
