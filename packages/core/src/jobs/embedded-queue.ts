import { setMaxListeners } from 'node:events';
import type { EventBus } from '../events.js';
import type { JobStore } from './job-store.js';
import { runChain, type RunnerOptions } from './runner.js';
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
  /** Jobs run at once. */
  concurrency: number;
  /** Lease on a running job; a crashed worker's jobs are retaken after it (default 30 s). */
  leaseMs?: number;
  /** Longest idle sleep between polls (default 1 s); new jobs of this process wake it at once. */
  pollMs?: number;
  onSettled?: RunnerOptions['onSettled'];
  settleIn?: RunnerOptions['settleIn'];
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
  /** Idle loops, each with the job types it takes (all when undefined). */
  private readonly idle = new Set<{ types: readonly JobType[] | undefined; wake: () => void }>();
  /** Counts nudges, so a loop about to sleep notices one it was not yet idle for. */
  private nudges = 0;
  private readonly controller = new AbortController();
  private readonly leaseMs: number;
  private readonly pollMs: number;

  constructor(private readonly o: EmbeddedQueueOptions) {
    this.leaseMs = o.leaseMs ?? 30_000;
    this.pollMs = o.pollMs ?? 1000;
    // Every running job listens to the stop signal.
    setMaxListeners(0, this.controller.signal);
  }

  get working(): boolean {
    return this.running;
  }

  async enqueue(specs: JobSpec[]): Promise<Job[]> {
    const jobs = await this.o.store.create(specs);
    this.nudge(jobs);
    return jobs;
  }

  async requeue(jobs: Job[]): Promise<void> {
    this.nudge(jobs);
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

  /**
   * Wakes idle loops: one for each of `jobs` that can take it, or all of them. A loop that wakes
   * for nothing sleeps again.
   */
  private nudge(jobs?: readonly Job[]): void {
    this.nudges++;
    const idle = [...this.idle];
    if (!jobs) {
      for (const w of idle) w.wake();
      return;
    }
    for (const job of jobs) {
      const takes = (w: (typeof idle)[number]) => w.types === undefined || w.types.includes(job.type);
      const w = idle.find((x) => x.types !== undefined && takes(x)) ?? idle.find(takes);
      if (!w) continue;
      idle.splice(idle.indexOf(w), 1);
      w.wake();
    }
  }

  /** Claims and runs jobs (of `types` only, when given) until stopped. */
  private async loop(types?: readonly JobType[]): Promise<void> {
    const runner: RunnerOptions = {
      store: this.o.store,
      handlers: this.o.handlers,
      events: this.o.events,
      worker: this.o.worker,
      leaseMs: this.leaseMs,
      ...(this.o.onSettled ? { onSettled: this.o.onSettled } : {}),
      ...(this.o.settleIn ? { settleIn: this.o.settleIn } : {}),
      // Follow-ups this loop does not run itself are waiting in the table: wake loops for them.
      onQueued: async (jobs) => this.nudge(jobs),
    };
    let sinceSweep = 0;
    while (this.running) {
      let job: Job | null = null;
      try {
        if (++sinceSweep >= 20) {
          sinceSweep = 0;
          await this.o.store.requeueExpired();
        }
        job = await this.o.store.claimNext(this.o.worker, this.leaseMs, types);
      } catch {
        // The database is briefly unavailable (locked, restarting): try again shortly.
      }
      if (job) {
        await runChain(job, runner, this.controller.signal).catch(() => undefined);
        continue;
      }
      await this.sleep(types);
    }
  }

  private async sleep(types?: readonly JobType[]): Promise<void> {
    const nudges = this.nudges;
    let delay = this.pollMs;
    try {
      const next = types?.length === 0 ? null : await this.o.store.nextRunAfter(types);
      if (next) delay = Math.max(10, Math.min(delay, new Date(next).getTime() - Date.now()));
    } catch {
      // keep the default delay
    }
    if (!this.running || this.nudges !== nudges) return;
    await new Promise<void>((resolve) => {
      const waiter = {
        types,
        wake: () => {
          clearTimeout(t);
          this.idle.delete(waiter);
          resolve();
        },
      };
      const t = setTimeout(waiter.wake, delay);
      this.idle.add(waiter);
    });
  }
}
