import os from 'node:os';
import { ProcessingError } from '@montu/domain';
import type { ProcessingHook, ServiceContext } from '../context.js';
import { OWNER } from '../storage/owner.js';
import { JobStore } from '../jobs/job-store.js';
import { EmbeddedQueue } from '../jobs/embedded-queue.js';
import type { JobQueue, QueueSetup } from '../jobs/queue.js';
import { DEFAULT_RETRY, type Job, type JobState, type JobType, type RetryPolicy } from '../jobs/types.js';
import type { Scope } from '../media/media-service.js';
import { MediaPipeline, type ProcessingOptions } from './pipeline.js';

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
}

/** Jobs as the library shows them: list, inspect, retry. */
export class JobsService {
  constructor(
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
    if (mediaIds.length) {
      // The item is being worked on again; settle() decides ready or failed once the jobs end.
      await this.store.markProcessing(mediaIds);
    }
    await this.queue.requeue(jobs);
    return jobs;
  }
}

export interface ProcessingRuntime {
  hook: ProcessingHook;
  jobs: JobsService;
  pipeline: MediaPipeline;
  stop(): Promise<void>;
}

/**
 * Wires media processing into a library: the pipeline's job handlers, the queue (embedded or
 * BullMQ) and the hook that uploads call. Started by openMontu unless jobs are switched off.
 */
export async function startProcessing(
  ctx: ServiceContext,
  jobs: JobsOptions,
  processing: ProcessingOptions,
): Promise<ProcessingRuntime> {
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...jobs.retry };
  const store = new JobStore(ctx.db, ctx.dialect, retry);
  const pipeline = new MediaPipeline(ctx, store, processing);
  const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const setup: QueueSetup = {
    store,
    events: ctx.events,
    handlers: pipeline.handlers(),
    worker: `${OWNER}~${Math.random().toString(36).slice(2, 8)}`,
    concurrency: jobs.concurrency ?? (jobs.redisUrl ? cores : 2 * cores),
    caps: { proxy: Math.max(1, jobs.proxyConcurrency ?? cores) },
    light: { types: ['probe'], concurrency: Math.max(0, jobs.probeConcurrency ?? Math.min(16, 4 * cores)) },
    leaseMs: jobs.leaseMs ?? 30_000,
    pollMs: jobs.pollMs ?? 1000,
    retry,
    settleIn: (trx, job) => pipeline.settleIn(trx, job),
    // MONTU_QUEUE_NAME lets several libraries (or test runs) share one Redis.
    queueName: jobs.queueName ?? (process.env['MONTU_QUEUE_NAME'] || 'montu'),
    work: jobs.work ?? true,
    ...(jobs.redisUrl ? { redisUrl: jobs.redisUrl } : {}),
  };
  let queue: JobQueue;
  if (jobs.redisUrl) {
    const { BullmqQueue } = await import('../jobs/bullmq-queue.js');
    queue = new BullmqQueue(setup);
  } else {
    queue = new EmbeddedQueue(setup);
  }
  // BullMQ's start also joins the event bridge, which API servers need even when not working.
  if (setup.work || queue.mode === 'bullmq') await queue.start();
  // A worker killed between finishing an item's last job and recording the item's outcome leaves
  // it `processing` with nothing left to run: working processes put such items right at start and
  // then every half minute.
  let resettle: NodeJS.Timeout | null = null;
  if (setup.work) {
    // In the background: a working process starts its metadata tools now rather than when the
    // first upload arrives (stop() closes them; a warm-up cut short just fails quietly).
    void pipeline.warmUp().catch(() => undefined);
    await pipeline.settleStuck().catch(() => 0);
    resettle = setInterval(() => void pipeline.settleStuck().catch(() => 0), 30_000);
    resettle.unref();
  }

  const waitSettled = async (mediaId: string): Promise<void> => {
    // Settled when none of the item's jobs is open and the last one has recorded the outcome;
    // events wake us early, polling backs them up (events from other processes may not reach us).
    for (;;) {
      const m = await ctx.db
        .selectFrom('media')
        .select((eb) => [
          'processing_state',
          eb
            .selectFrom('job')
            .select((j) => j.fn.countAll<number>().as('n'))
            .where('job.media_id', '=', mediaId)
            .where('job.state', 'in', ['queued', 'running'])
            .as('open'),
        ])
        .where('id', '=', mediaId)
        .executeTakeFirst();
      if (!m) return;
      if (Number(m.open) === 0 && (m.processing_state === 'ready' || m.processing_state === 'failed')) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, 250);
        const off = ctx.events.subscribe((e) => {
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
  };

  const hook: ProcessingHook = {
    async queueIngest(trx, mediaId) {
      return store.create([{ type: 'probe', mediaId }], trx);
    },
    async schedule(mediaId, options) {
      if (options.queued) await queue.requeue(options.queued); // recorded with the item: just wake the queue
      const created = options.queued
        ? options.queued
        : options.reason === 'regenerate'
          ? await queue.enqueue([
              {
                type: 'thumbnail',
                mediaId,
                payload: options.timestamp !== undefined ? { timestamp: options.timestamp } : {},
              },
            ])
          : await queue.enqueue([{ type: 'probe', mediaId }]);
      if (!options.wait) return created;
      await waitSettled(mediaId);
      if (options.reason === 'regenerate') {
        const job = await store.get(created[0]!.id);
        if (job.state === 'failed')
          throw new ProcessingError(`The thumbnail could not be made: ${job.error ?? 'unknown error'}`);
      }
      return created;
    },
  };

  return {
    hook,
    jobs: new JobsService(store, queue),
    pipeline,
    async stop() {
      if (resettle) clearInterval(resettle);
      await queue.stop();
      await pipeline.close();
    },
  };
}
