import os from 'node:os';
import { ProcessingError } from '@montu/domain';
import type { Db, ProcessingHook, ServiceContext } from '../context.js';
import type { JobStore } from '../jobs/job-store.js';
import {
  enqueueJobs,
  type JobQueue,
  type JobSink,
  type JobsOptions,
  type QueueSetup,
} from '../jobs/queue.js';
import type { Job, JobHandlers, JobState, JobType } from '../jobs/types.js';
import type { Scope } from '../media/media-service.js';
import { MediaPipeline, type ProcessingOptions } from './pipeline.js';
import { isSettled, markClaimed, markRetried } from './media-state.js';

/** Jobs as the library shows them: list, inspect, retry. */
export class JobsService {
  constructor(
    private readonly db: Db,
    readonly store: JobStore,
    readonly queue: JobQueue,
  ) {}

  list(
    options: { state?: JobState; mediaId?: string; type?: JobType; limit?: number } & Scope = {},
  ): Promise<Job[]> {
    return this.store.list(options);
  }

  get(id: string): Promise<Job> {
    return this.store.get(id);
  }

  counts(): Promise<Record<JobState, number>> {
    return this.store.counts();
  }

  /** Re-queues failed jobs (all, some ids, or those of one media item) with fresh attempts. */
  async retry(options: { ids?: string[]; mediaId?: string } & Scope = {}): Promise<Job[]> {
    let ids = options.ids;
    if (options.projectIds) {
      // Scoped: only failed jobs of media items in the caller's projects.
      const visible = await this.store.list({
        state: 'failed',
        ...(options.mediaId ? { mediaId: options.mediaId } : {}),
        projectIds: options.projectIds,
        limit: 1000,
      });
      const allowed = new Set(visible.map((j) => j.id));
      ids = (ids ?? [...allowed]).filter((id) => allowed.has(id));
    }
    const jobs = await this.store.retryFailed({
      ...(ids ? { ids } : {}),
      ...(options.mediaId ? { mediaId: options.mediaId } : {}),
    });
    const mediaIds = [...new Set(jobs.map((j) => j.mediaId).filter((m): m is string => m !== null))];
    // The items are being worked on again; settling decides ready or failed once the jobs end.
    await markRetried(this.db, mediaIds);
    await this.queue.requeue(jobs);
    return jobs;
  }
}

/**
 * Media processing in a library: the pipeline's job handlers, the hook uploads call, and the
 * processing state of items as their jobs start and settle (media-state.ts). openMontu wires it to
 * the library's job queue unless processing is switched off.
 */
export class MediaProcessing {
  readonly pipeline: MediaPipeline;
  readonly hook: ProcessingHook;
  private resettle: NodeJS.Timeout | null = null;

  constructor(
    private readonly ctx: ServiceContext,
    jobs: JobSink,
    options: ProcessingOptions,
  ) {
    this.pipeline = new MediaPipeline(ctx, jobs.store, options);
    this.hook = {
      queueIngest: (trx, item) =>
        jobs.store.create([{ type: 'probe', mediaId: item.id, projectId: item.projectId }], trx),
      schedule: async (item, o) => {
        const mediaId = item.id;
        const projectId = item.projectId;
        if (o.queued) await jobs.wake(o.queued); // recorded with the item: just wake the queue
        const created = o.queued
          ? o.queued
          : await enqueueJobs(jobs, [
              o.reason === 'regenerate'
                ? {
                    type: 'thumbnail',
                    mediaId,
                    projectId,
                    payload: {
                      regenerate: true,
                      ...(o.timestamp !== undefined ? { timestamp: o.timestamp } : {}),
                    },
                  }
                : { type: 'probe', mediaId, projectId },
            ]);
        if (!o.wait) return created;
        await this.waitSettled(mediaId);
        if (o.reason === 'regenerate') {
          const job = await jobs.store.get(created[0]!.id);
          if (job.state === 'failed')
            throw new ProcessingError(`The thumbnail could not be made: ${job.error ?? 'unknown error'}`);
        }
        return created;
      },
    };
  }

  handlers(): JobHandlers {
    return this.pipeline.handlers();
  }

  /** Inside a job's claim: its item, still `pending`, is now being processed. */
  static async onClaim(trx: Db, job: Job): Promise<void> {
    if (job.mediaId) await markClaimed(trx, job.mediaId);
  }

  /** The queue settings media processing needs: proxies capped, probes in loops of their own. */
  queueTuning(jobs: JobsOptions): Pick<QueueSetup, 'caps' | 'light'> {
    const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
    return {
      caps: { proxy: Math.max(1, jobs.proxyConcurrency ?? cores) },
      light: { types: ['probe'], concurrency: Math.max(0, jobs.probeConcurrency ?? Math.min(16, 4 * cores)) },
    };
  }

  /**
   * In a process that works jobs: the probe's in-process path is warmed now rather than when the
   * first upload arrives (pipeline.ts warmUp), and items a killed worker left `processing` with nothing left to run (between
   * finishing an item's last job and recording its outcome) are settled now and every half minute.
   */
  async startWorking(): Promise<void> {
    // In the background; stop() closes the tools, and a warm-up cut short just fails quietly.
    void this.pipeline.warmUp().catch(() => undefined);
    await this.pipeline.settleStuck().catch(() => 0);
    this.resettle = setInterval(() => void this.pipeline.settleStuck().catch(() => 0), 30_000);
    this.resettle.unref();
  }

  async stop(): Promise<void> {
    if (this.resettle) clearInterval(this.resettle);
    this.resettle = null;
    await this.pipeline.close();
  }

  /**
   * Settled when none of the item's jobs is open and the last one has recorded the outcome;
   * events wake us early, polling backs them up (events from other processes may not reach us).
   */
  private async waitSettled(mediaId: string): Promise<void> {
    while (!(await isSettled(this.ctx.db, mediaId))) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, 250);
        const off = this.ctx.events.subscribe((e) => {
          if (
            e.mediaId === mediaId &&
            (e.type === 'job.done' || e.type === 'job.failed' || e.type.startsWith('processing.'))
          )
            done();
        });
        function done() {
          clearTimeout(t);
          off();
          resolve();
        }
      });
    }
  }
}
