import { errorMessage, ProcessingError, ValidationError, NotFound } from '../errors.js';
import type { EventBus } from '../events.js';
import type { JobStore } from './job-store.js';
import type { Job, JobHandler, JobType } from './types.js';

export interface RunnerOptions {
  store: JobStore;
  handlers: Partial<Record<JobType, JobHandler>>;
  events: EventBus;
  /** Identifies this worker in job leases. */
  worker: string;
  leaseMs: number;
  /** Called after a job settled (done or finally failed), e.g. to update its media item. */
  onSettled?: (job: Job, outcome: 'done' | 'failed') => Promise<void>;
}

/**
 * Runs one claimed job: the handler with progress and a lease heartbeat, then the guarded
 * state change. Shared by the embedded queue and the BullMQ worker so the rules are written once.
 * Returns the outcome, or 'lost' when another worker took the job over.
 */
export async function runClaimedJob(
  job: Job,
  o: RunnerOptions,
  parentSignal?: AbortSignal,
): Promise<'done' | 'retry' | 'failed' | 'lost' | 'released'> {
  const handler = o.handlers[job.type];
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
  o.events.publish({
    type: 'job.started',
    projectId: job.projectId,
    ...(job.mediaId ? { mediaId: job.mediaId } : {}),
    data: { jobId: job.id, jobType: job.type, attempt: job.attempts },
  });
  try {
    if (!handler) throw new ProcessingError(`No handler for job type ${job.type} in this process.`);
    await handler({
      job,
      signal: controller.signal,
      progress(p) {
        progress = Math.max(0, Math.min(100, Math.round(p)));
        if (progress - lastPublished >= 5 || progress === 100) {
          lastPublished = progress;
          o.events.publish({
            type: 'job.progress',
            projectId: job.projectId,
            ...(job.mediaId ? { mediaId: job.mediaId } : {}),
            data: { jobId: job.id, jobType: job.type, progress },
          });
        }
      },
    });
    clearInterval(beat);
    if (lost || !(await o.store.complete(job.id, o.worker))) return 'lost';
    const done = await o.store.get(job.id);
    o.events.publish({
      type: 'job.done',
      projectId: job.projectId,
      ...(job.mediaId ? { mediaId: job.mediaId } : {}),
      data: { jobId: job.id, jobType: job.type },
    });
    await o.onSettled?.(done, 'done');
    return 'done';
  } catch (e) {
    clearInterval(beat);
    if (lost) return 'lost';
    if (parentSignal?.aborted) {
      // This process is shutting down: hand the job back untouched (the attempt does not count).
      const released = await o.store.release(job.id, o.worker).catch(() => false);
      if (released) {
        o.events.publish({
          type: 'job.released',
          projectId: job.projectId,
          ...(job.mediaId ? { mediaId: job.mediaId } : {}),
          data: { jobId: job.id, jobType: job.type },
        });
      }
      return released ? 'released' : 'lost';
    }
    // Bad input never gets better by retrying: a file the tools cannot read fails at once with
    // the reason. Storage and database hiccups (anything else) are retried with backoff.
    const permanent =
      e instanceof ValidationError ||
      e instanceof NotFound ||
      (e instanceof ProcessingError && e.details?.['transient'] !== true);
    const result = await o.store.fail(job.id, o.worker, errorMessage(e), { permanent });
    if (!result) return 'lost';
    const failed = await o.store.get(job.id);
    o.events.publish({
      type: result.final ? 'job.failed' : 'job.retrying',
      projectId: job.projectId,
      ...(job.mediaId ? { mediaId: job.mediaId } : {}),
      data: {
        jobId: job.id,
        jobType: job.type,
        error: errorMessage(e),
        attempt: failed.attempts,
        retryInMs: result.retryInMs,
      },
    });
    if (result.final) {
      await o.onSettled?.(failed, 'failed');
      return 'failed';
    }
    return 'retry';
  } finally {
    parentSignal?.removeEventListener('abort', abort);
  }
}
