import type { EventBus } from '../events.js';
import type { JobStore } from './job-store.js';
import type { RunnerOptions } from './runner.js';
import type { Job, JobHandler, JobSpec, JobType, RetryPolicy } from './types.js';

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
}

/** What a queue implementation needs; the embedded queue and the BullMQ adapter both take it. */
export interface QueueSetup {
  store: JobStore;
  events: EventBus;
  handlers: Partial<Record<JobType, JobHandler>>;
  worker: string;
  concurrency: number;
  /** Most jobs of a type at once (see JobsOptions.proxyConcurrency). */
  caps?: Partial<Record<JobType, number>>;
  /** Embedded queue: extra loops for probes only (see JobsOptions.probeConcurrency). */
  light?: { types: readonly JobType[]; concurrency: number };
  leaseMs: number;
  pollMs: number;
  retry: RetryPolicy;
  /** Settles a job's media item in the transaction that records the job's outcome. */
  settleIn?: RunnerOptions['settleIn'];
  /** After a job settled and that committed. */
  onSettled?: RunnerOptions['onSettled'];
  redisUrl?: string;
  queueName: string;
  work: boolean;
}
