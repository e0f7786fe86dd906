import { errorMessage, ProcessingError, ValidationError, NotFound } from '@montu/domain';
import type { EventBus, MontuEvent } from '../events.js';
import type { Db } from '../db/schema.js';
import type { JobStore } from './job-store.js';
import { isAnnounced, runHandler, type Job, type JobHandlers, type JobType } from './types.js';

/**
 * Settling, inside the transaction that finishes a job (or records its final failure): e.g. the
 * media item's state. Returns what to announce once that transaction has committed.
 */
export type SettleIn = (trx: Db, job: Job, outcome: 'done' | 'failed') => Promise<(() => void) | void>;

export interface RunnerOptions {
  store: JobStore;
  handlers: JobHandlers;
  events: EventBus;
  /** Identifies this worker in job leases. */
  worker: string;
  leaseMs: number;
  /** Recorded with the job's outcome, in the same transaction (see SettleIn). */
  settleIn?: SettleIn;
  /** Called after a job settled (done or finally failed) and that was committed. */
  onSettled?: (job: Job, outcome: 'done' | 'failed') => Promise<void>;
  /** Jobs that followed from a finished job and went to the queue (BullMQ publishes them). */
  onQueued?: (jobs: Job[]) => Promise<void>;
  /**
   * Run the first follow-up of a finished job in this process straight away, claimed in the
   * finishing transaction: an item's probe → thumbnail needs no extra trip through the queue, no
   * extra claim commit. Default: any type this process has a handler for; or those the function
   * accepts; false: never.
   */
  chain?: false | ((type: JobType) => boolean);
}

export type RunOutcome = 'done' | 'retry' | 'failed' | 'lost' | 'released';

export interface RunResult {
  outcome: RunOutcome;
  /** A follow-up already claimed for this worker (see RunnerOptions.chain): run it next. */
  next: Job | null;
}

/**
 * Runs one claimed job: the handler with progress and a lease heartbeat, then the guarded
 * state change. Shared by the embedded queue and the BullMQ worker so the rules are written once.
 * The outcome is 'lost' when another worker took the job over.
 */
export async function runClaimedJob(
  job: Job,
  o: RunnerOptions,
  parentSignal?: AbortSignal,
): Promise<RunResult> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  parentSignal?.addEventListener('abort', abort, { once: true });
  if (parentSignal?.aborted) controller.abort();
  let progress = 0;
  let lastPublished = -1;
  let lost = false;
  const beat = setInterval(
    () => {
      void o.store.heartbeat(job.id, o.worker, o.leaseMs, progress).then(
        (ok) => {
          if (!ok) {
            lost = true;
            controller.abort();
          }
        },
        () => undefined,
      );
      // A third of the lease, and often enough (2 s) that the stored progress is worth showing.
    },
    Math.max(250, Math.min(2000, Math.floor(o.leaseMs / 3))),
  );
  beat.unref();
  const scope = { projectId: job.projectId, ...(job.mediaId ? { mediaId: job.mediaId } : {}) };
  const announced = isAnnounced(job.type);
  const publish = (type: MontuEvent['type'], data: Record<string, unknown>) => {
    if (announced) o.events.publish({ type, ...scope, data: { jobId: job.id, jobType: job.type, ...data } });
  };
  publish('job.started', { attempt: job.attempts });
  try {
    const running = runHandler(o.handlers, {
      job,
      signal: controller.signal,
      progress(p) {
        progress = Math.max(0, Math.min(100, Math.round(p)));
        if (progress - lastPublished >= 5 || progress === 100) {
          lastPublished = progress;
          publish('job.progress', { progress });
        }
      },
    });
    if (!running) throw new ProcessingError(`No handler for job type ${job.type} in this process.`);
    const result = await running;
    clearInterval(beat);
    if (lost) return { outcome: 'lost', next: null };
    const settleIn = o.settleIn;
    const finished = await o.store.finish(job, o.worker, o.leaseMs, {
      ...(result?.record ? { record: result.record } : {}),
      ...(result?.durable ? { durable: true } : {}),
      ...(settleIn ? { settle: (trx: Db, done: Job) => settleIn(trx, done, 'done') } : {}),
      chain: (type) =>
        o.handlers[type] !== undefined &&
        !parentSignal?.aborted &&
        (o.chain === undefined || (o.chain !== false && o.chain(type))),
    });
    if (!finished) return { outcome: 'lost', next: null };
    // Committed: the job is done whatever happens below, and the chained job must still run.
    try {
      await result?.after?.();
      publish('job.done', {});
      finished.settled?.();
      await o.onSettled?.(finished.done, 'done');
      if (finished.queued.length) await o.onQueued?.(finished.queued);
    } catch {
      // Clean-up, events and wake-ups only: the recorded state is right, and the reconciler or
      // the next poll picks up queued follow-ups.
    }
    return { outcome: 'done', next: finished.next };
  } catch (e) {
    clearInterval(beat);
    if (lost) return { outcome: 'lost', next: null };
    if (parentSignal?.aborted) {
      // This process is shutting down: hand the job back untouched (the attempt does not count).
      const released = await o.store.release(job.id, o.worker).catch(() => false);
      if (released) publish('job.released', {});
      return { outcome: released ? 'released' : 'lost', next: null };
    }
    // Bad input never gets better by retrying: a file the tools cannot read fails at once with
    // the reason. Storage and database hiccups (anything else) are retried with backoff.
    const permanent =
      e instanceof ValidationError ||
      e instanceof NotFound ||
      (e instanceof ProcessingError && e.details?.['transient'] !== true);
    const result = await o.store.fail(job.id, o.worker, errorMessage(e), { permanent });
    if (!result) return { outcome: 'lost', next: null };
    const failed = await o.store.get(job.id);
    publish(result.final ? 'job.failed' : 'job.retrying', {
      error: errorMessage(e),
      attempt: failed.attempts,
      retryInMs: result.retryInMs,
    });
    if (result.final) {
      if (o.settleIn) {
        const settleIn = o.settleIn;
        const announce = await o.store.settle((trx) => settleIn(trx, failed, 'failed'));
        announce?.();
      }
      await o.onSettled?.(failed, 'failed');
      return { outcome: 'failed', next: null };
    }
    return { outcome: 'retry', next: null };
  } finally {
    parentSignal?.removeEventListener('abort', abort);
  }
}

/**
 * Runs a claimed job and then each follow-up chained to it (already claimed for this worker).
 * `each` sees every job's outcome (BullMQ re-publishes retries and handed-back jobs). When the
 * process is stopping, a chained job is handed back instead of started.
 */
export async function runChain(
  first: Job,
  o: RunnerOptions,
  signal: AbortSignal | undefined,
  each?: (job: Job, outcome: RunOutcome) => Promise<void>,
): Promise<void> {
  let job: Job | null = first;
  let chained = false;
  while (job) {
    if (chained && signal?.aborted) {
      const released = await o.store.release(job.id, o.worker).catch(() => false);
      await each?.(job, released ? 'released' : 'lost');
      return;
    }
    const { outcome, next } = await runClaimedJob(job, o, signal);
    await each?.(job, outcome);
    job = next;
    chained = true;
  }
}
