import type { EventBus } from '../events.js';
import type { JobStore } from './job-store.js';
import { runClaimedJob, type RunnerOptions } from './runner.js';
import type { Job, JobHandler, JobSpec, JobType } from './types.js';

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

export interface EmbeddedQueueOptions {
  store: JobStore;
  events: EventBus;
  handlers: Partial<Record<JobType, JobHandler>>;
  worker: string;
  /** Jobs run at once (default: number of cores). */
  concurrency: number;
  /** Lease on a running job; a crashed worker's jobs are retaken after it (default 30 s). */
  leaseMs?: number;
  /** Longest idle sleep between polls (default 1 s); new jobs of this process wake it at once. */
  pollMs?: number;
  onSettled?: RunnerOptions['onSettled'];
}

/**
 * The default queue: jobs live in the library's own database (SQLite or PostgreSQL) and are
 * worked by this process. Queued and running jobs survive a crash: running jobs are retaken
 * when their lease expires (immediately at start for this host's dead processes).
 */
export class EmbeddedQueue implements JobQueue {
  readonly mode = 'embedded' as const;
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private wake: (() => void) | null = null;
  private readonly controller = new AbortController();
  private readonly leaseMs: number;
  private readonly pollMs: number;

  constructor(private readonly o: EmbeddedQueueOptions) {
    this.leaseMs = o.leaseMs ?? 30_000;
    this.pollMs = o.pollMs ?? 1000;
  }

  get working(): boolean {
    return this.running;
  }

  async enqueue(specs: JobSpec[]): Promise<Job[]> {
    const jobs = await this.o.store.create(specs);
    this.nudge();
    return jobs;
  }

  async requeue(_jobs: Job[]): Promise<void> {
    this.nudge();
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.o.store.requeueExpired();
    for (let i = 0; i < Math.max(1, this.o.concurrency); i++) this.loops.push(this.loop());
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.controller.abort();
    this.nudge();
    await Promise.allSettled(this.loops);
    this.loops.length = 0;
  }

  private nudge(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async loop(): Promise<void> {
    const runner: RunnerOptions = {
      store: this.o.store,
      handlers: this.o.handlers,
      events: this.o.events,
      worker: this.o.worker,
      leaseMs: this.leaseMs,
      ...(this.o.onSettled ? { onSettled: this.o.onSettled } : {}),
    };
    let sinceSweep = 0;
    while (this.running) {
      let job: Job | null = null;
      try {
        if (++sinceSweep >= 20) {
          sinceSweep = 0;
          await this.o.store.requeueExpired();
        }
        job = await this.o.store.claimNext(this.o.worker, this.leaseMs);
      } catch {
        // The database is briefly unavailable (locked, restarting): try again shortly.
      }
      if (job) {
        await runClaimedJob(job, runner, this.controller.signal).catch(() => undefined);
        continue;
      }
      await this.sleep();
    }
  }

  private async sleep(): Promise<void> {
    let delay = this.pollMs;
    try {
      const next = await this.o.store.nextRunAfter();
      if (next) delay = Math.max(10, Math.min(delay, new Date(next).getTime() - Date.now()));
    } catch {
      // keep the default delay
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        if (this.wake === done) this.wake = null;
        resolve();
      }, delay);
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      // Several idle loops share one wake-up hook; chain them so a nudge wakes all.
      const previous = this.wake;
      this.wake = previous
        ? () => {
            previous();
            done();
          }
        : done;
    });
  }
}
