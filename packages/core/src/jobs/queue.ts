import type { EventBus } from '../events.js';
import type { JobStore } from './job-store.js';
import type { RunnerOptions } from './runner.js';
import type { Job, JobHandlers, JobSpec, JobType, RetryPolicy } from './types.js';

/** How a library runs its background jobs (`openMontu({ jobs })`). */
export interface JobsOptions {
  /** Redis URL for scale mode (BullMQ); without it jobs queue in the library's database. */
  redisUrl?: string;
  /** Work jobs in this process (default true; API servers in scale mode pass false). */
  work?: boolean;
  /**
   * Jobs run at once in this process. Embedded queue: default 2 × cores — a job alternates
   * computing with waiting for its files, the database and its tools, so one per core leaves
   * cores idle; decodes are bounded by their own pools, proxies by `proxyConcurrency`. BullMQ
   * workers: default the number of cores (`montu worker --concurrency`).
   */
  concurrency?: number;
  /**
   * Proxy jobs (video/sequence encodes, full-resolution web images) among those at once (default:
   * number of cores): each keeps every core busy, or holds a full-resolution picture, by itself.
   */
  proxyConcurrency?: number;
  /**
   * Embedded queue: probe jobs run at once besides `concurrency` (default 4 × cores, at most 16).
   * A probe mostly waits for exiftool/ffprobe (whose own pools bound their work), so it holds none
   * of the `concurrency` slots, and many probes in flight share exiftool batches.
   */
  probeConcurrency?: number;
  retry?: Partial<RetryPolicy>;
  /** Lease on a running embedded job before another worker may retake it (default 30 s). */
  leaseMs?: number;
  /** Idle poll interval of the embedded queue (default 1 s). */
  pollMs?: number;
  /** BullMQ queue name (default `montu`); lets several libraries share one Redis. */
  queueName?: string;
  /**
   * Where the queue reports what an operator must see: a Redis outage and its end, a delivery
   * whose job this process's database does not know (a worker on the wrong database).
   */
  log?: QueueLog;
}

/** A log line from the queue (`JobsOptions.log`). */
export type QueueLog = (level: 'warn' | 'info', message: string) => void;

/** Where jobs go: the embedded database queue or BullMQ. */
export interface JobQueue {
  readonly mode: 'embedded' | 'bullmq';
  enqueue(specs: JobSpec[]): Promise<Job[]>;
  /** Makes jobs put back in the `queued` state (retries) visible to workers again. */
  requeue(jobs: Job[]): Promise<void>;
  /** Starts working jobs in this process (no-op for a queue that only enqueues). */
  start(): Promise<void>;
  /** Stops taking jobs and waits for the running ones to finish or abort. */
  stop(): Promise<void>;
  readonly working: boolean;
  /** Scale mode: resolves when Redis answers a PING, rejects naming Redis otherwise (for /readyz). */
  ping?(timeoutMs?: number): Promise<void>;
}

/** What a queue implementation needs; the embedded queue and the BullMQ adapter both take it. */
export interface QueueSetup {
  store: JobStore;
  events: EventBus;
  /** This process works only jobs of these types. */
  handlers: JobHandlers;
  /** Identifies this process in job leases. */
  worker: string;
  /** Jobs run at once. */
  concurrency: number;
  /** Most jobs of a type run at once (proxy encodes keep every core busy themselves; JobsOptions.proxyConcurrency). */
  caps?: Partial<Record<JobType, number>>;
  /**
   * Embedded queue: jobs that wait on other processes more than they compute (probes: exiftool
   * and ffprobe do the work, in their own bounded pools) get this many more loops that take only
   * them, so they hold none of the `concurrency` slots; many in flight also share exiftool batches.
   */
  light?: { types: readonly JobType[]; concurrency: number };
  /** Lease on a running job; a crashed worker's jobs are retaken after it. */
  leaseMs: number;
  /** Longest idle sleep between polls of the embedded queue; new jobs of this process wake it at once. */
  pollMs: number;
  retry: RetryPolicy;
  /** Settles what a job worked on (its media item) in the transaction that records the job's outcome. */
  settleIn?: RunnerOptions['settleIn'];
  /** After a job settled and that committed. */
  onSettled?: RunnerOptions['onSettled'];
  redisUrl?: string;
  queueName: string;
  log?: QueueLog;
  work: boolean;
}

/**
 * Where services put jobs: created in the store (inside the caller's transaction, when given),
 * then `wake` makes them visible to the queue after the commit.
 */
export interface JobSink {
  store: JobStore;
  wake(jobs: Job[]): Promise<void>;
}

/** Creates jobs and wakes the queue for them (outside any transaction). */
export async function enqueueJobs(sink: JobSink, specs: JobSpec[]): Promise<Job[]> {
  const jobs = await sink.store.create(specs);
  await sink.wake(jobs);
  return jobs;
}
