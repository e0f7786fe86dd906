/**
 * Background jobs: the unit of background work, the same in embedded and scale mode. The job map
 * (JobPayloads) names every kind of job and the payload it carries; a handler gets its own kind's
 * payload, typed.
 */
import { JOB_STATES, ValidationError, type JobState } from '@montu/domain';
import { JOB_TYPES as WIRE_JOB_TYPES } from '@montu/domain/wire';
import type { Db } from '../db/schema.js';

/** Every kind of job, with the payload it carries. */
export interface JobPayloads {
  /** Reads a media item's technical metadata and queues its renditions. */
  probe: Record<string, never>;
  /**
   * Makes a media item's thumbnail (of a movie or sequence: at `timestamp` seconds). `regenerate`:
   * asked for again after ingest, stored under a key of its own (decision 124).
   */
  thumbnail: { timestamp?: number; regenerate?: boolean };
  /** Makes a media item's browser proxy: movie, web still or audio preview. */
  proxy: Record<string, never>;
  /** Sends one recorded webhook delivery. */
  'webhook.deliver': { deliveryId: string };
}

export type JobType = keyof JobPayloads;

/** What the job system knows of each kind: how to read its stored payload back, and whether it is announced. */
interface JobKind<T extends JobType> {
  /** The stored payload as this kind's type: checks the fields the kind declares, throws when one is wrong. */
  payload(value: Record<string, unknown>): JobPayloads[T];
  /**
   * Whether the job's lifecycle is published as `job.*` events. Webhook deliveries are not:
   * their events would themselves be delivered to webhooks, each making another delivery.
   */
  announced: boolean;
}

// The casts below follow the checks of each kind's declared fields.
const noPayload = (v: Record<string, unknown>) => v as Record<string, never>;

const JOB_KINDS: { [T in JobType]: JobKind<T> } = {
  probe: { payload: noPayload, announced: true },
  thumbnail: {
    payload: (v) => {
      const t = v['timestamp'];
      if (t !== undefined && typeof t !== 'number') throw new TypeError('timestamp must be a number');
      const r = v['regenerate'];
      if (r !== undefined && typeof r !== 'boolean') throw new TypeError('regenerate must be true or false');
      return v as JobPayloads['thumbnail'];
    },
    announced: true,
  },
  proxy: { payload: noPayload, announced: true },
  'webhook.deliver': {
    payload: (v) => {
      const id = v['deliveryId'];
      if (typeof id !== 'string') throw new TypeError('deliveryId must be a string');
      return v as JobPayloads['webhook.deliver'];
    },
    announced: false,
  },
};

export const JOB_TYPES = Object.keys(JOB_KINDS) as JobType[];

/**
 * The job types media processing runs, each on one media item (the others are the library's own
 * background work). A job of these types is always queued with its item and the item's project.
 */
export const MEDIA_JOB_TYPES = ['probe', 'thumbnail', 'proxy'] as const satisfies readonly JobType[];
export type MediaJobType = (typeof MEDIA_JOB_TYPES)[number];

export function isMediaJobType(type: JobType): type is MediaJobType {
  return (MEDIA_JOB_TYPES as readonly JobType[]).includes(type);
}

export function isJobType(v: unknown): v is JobType {
  return typeof v === 'string' && Object.hasOwn(JOB_KINDS, v);
}

/** A stored payload read back as its kind's type (see JobKind.payload). */
export function jobPayload<T extends JobType>(type: T, value: Record<string, unknown>): JobPayloads[T] {
  return JOB_KINDS[type].payload(value);
}

/** Whether `job.*` events are published for jobs of this type. */
export function isAnnounced(type: JobType): boolean {
  return JOB_KINDS[type].announced;
}

// The job states are vocabulary every surface shows (the CLI's --state): their home is the domain.
export { JOB_STATES, type JobState };
// The job map has exactly the job types the API speaks (`@montu/domain/wire`).
const jobTypesMatchTheWire: [JobType] extends [(typeof WIRE_JOB_TYPES)[number]]
  ? [(typeof WIRE_JOB_TYPES)[number]] extends [JobType]
    ? true
    : false
  : false = true;
void jobTypesMatchTheWire;

export interface JobRecord {
  id: string;
  /** The media item the job works on (media processing), else null. */
  mediaId: string | null;
  /** The job's project, given when it was queued (null for jobs of none); listings and events are scoped by it. */
  projectId: string | null;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  /** 0–100. */
  progress: number;
  error: string | null;
  /** Not before this time (retries back off exponentially). */
  runAfter: string;
  lockedBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
}

/** A job of one kind (or, for the default, of any kind: a union narrowed by `type`). */
export type Job<T extends JobType = JobType> = {
  [K in T]: JobRecord & { type: K; payload: JobPayloads[K] };
}[T];

/**
 * What a job works on. A media job names its item and the item's project, which scopes who sees
 * the job (decision 203): without one it would be in no project's listing, visible only to
 * administrators (decision 235). The library's own work (webhook deliveries) has no item.
 */
export type JobTarget<K extends JobType> = K extends MediaJobType
  ? { mediaId: string; projectId: string }
  : { mediaId?: null; projectId?: string | null };

/**
 * Refuses a job whose target does not fit its kind: the type-level rule (JobTarget) again at run
 * time, for callers the compiler did not see (JavaScript, values read back from elsewhere).
 */
export function checkJobTarget(spec: { type: JobType; mediaId?: unknown; projectId?: unknown }): void {
  const given = (v: unknown) => typeof v === 'string' && v !== '';
  if (isMediaJobType(spec.type)) {
    if (!given(spec.mediaId) || !given(spec.projectId))
      throw new ValidationError(`A ${spec.type} job needs its media item and the item's project.`);
  } else if (spec.mediaId != null) {
    throw new ValidationError(`A ${spec.type} job works on no media item.`);
  } else if (spec.projectId != null && !given(spec.projectId)) {
    throw new ValidationError(`A ${spec.type} job's project must be a project id or none.`);
  }
}

/** A job to create. Kinds whose payload has no required field may leave it out. */
export type JobSpec<T extends JobType = JobType> = {
  [K in T]: {
    type: K;
    priority?: number;
    maxAttempts?: number;
  } & JobTarget<K> &
    (Record<string, never> extends JobPayloads[K]
      ? { payload?: JobPayloads[K] }
      : { payload: JobPayloads[K] });
}[T];

export interface JobContext<T extends JobType = JobType> {
  job: Job<T>;
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

export type JobHandler<T extends JobType = JobType> = (ctx: JobContext<T>) => Promise<void | JobResult>;

/** The handlers a process has: it works only jobs of these types. */
export type JobHandlers = { [T in JobType]?: JobHandler<T> };

/** Runs a job with its own kind's handler (TypeScript cannot pair a union's members by itself). */
export function runHandler(handlers: JobHandlers, ctx: JobContext): Promise<void | JobResult> | undefined {
  const handler = handlers[ctx.job.type] as JobHandler | undefined;
  return handler?.(ctx);
}

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
