import { setMaxListeners } from 'node:events';
import { runChain, type RunnerOptions } from './runner.js';
import type { JobQueue, QueueSetup } from './queue.js';
import { JOB_TYPES, type Job, type JobSpec, type JobType } from './types.js';

/** What the embedded queue takes of a QueueSetup (lease and poll have defaults: 30 s, 1 s). */
export type EmbeddedQueueOptions = Omit<
  QueueSetup,
  'leaseMs' | 'pollMs' | 'retry' | 'redisUrl' | 'queueName' | 'work'
> &
  Partial<Pick<QueueSetup, 'leaseMs' | 'pollMs'>>;

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
  /** Running (or being claimed) jobs of each capped type. */
  private readonly capped = new Map<JobType, number>();
  private readonly controller = new AbortController();
  private readonly leaseMs: number;
  private readonly pollMs: number;
  /** The types this process has handlers for: the only ones it claims. */
  private readonly handled: readonly JobType[];

  constructor(private readonly o: EmbeddedQueueOptions) {
    this.leaseMs = o.leaseMs ?? 30_000;
    this.pollMs = o.pollMs ?? 1000;
    this.handled = JOB_TYPES.filter((t) => o.handlers[t] !== undefined);
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
    const light = this.o.light;
    if (light?.types.length)
      for (let i = 0; i < light.concurrency; i++) this.loops.push(this.loop(light.types));
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
   * Wakes idle loops: one for each of `jobs` that can take it (a light loop first, so the
   * loops that hold a core stay free), or all of them. A loop that wakes for nothing sleeps again.
   */
  private nudge(jobs?: readonly Job[]): void {
    this.nudges++;
    const idle = [...this.idle];
    if (!jobs) {
      for (const w of idle) w.wake();
      return;
    }
    for (const job of jobs) {
      if (!this.handled.includes(job.type)) continue;
      const takes = (w: (typeof idle)[number]) => w.types === undefined || w.types.includes(job.type);
      const w = idle.find((x) => x.types !== undefined && takes(x)) ?? idle.find(takes);
      if (!w) continue;
      idle.splice(idle.indexOf(w), 1);
      w.wake();
    }
  }

  /**
   * The types a loop may claim now (undefined: any) and the capped ones among them, each of which
   * has a slot reserved until `release` (so two loops cannot both take the last slot). A loop
   * claims only types this process has handlers for.
   */
  private reserve(types: readonly JobType[] | undefined): {
    types: readonly JobType[] | undefined;
    held: JobType[];
  } {
    const caps = this.o.caps ?? {};
    const held: JobType[] = [];
    const allowed = (types ?? this.handled).filter((t) => {
      if (!this.handled.includes(t)) return false;
      const cap = caps[t];
      if (cap === undefined) return true;
      const n = this.capped.get(t) ?? 0;
      if (n >= cap) return false;
      this.capped.set(t, n + 1);
      held.push(t);
      return true;
    });
    return {
      types: types || allowed.length < JOB_TYPES.length ? allowed : undefined,
      held,
    };
  }

  private release(type: JobType): void {
    this.capped.set(type, (this.capped.get(type) ?? 1) - 1);
  }

  /** Claims and runs jobs (of `types` only, for a light loop) until stopped. */
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
      // A light loop leaves what follows (a thumbnail: real work) to the other loops; capped
      // types are claimed through their cap, never chained.
      chain: types ? false : (type) => this.o.caps?.[type] === undefined,
    };
    let sinceSweep = 0;
    while (this.running) {
      let job: Job | null = null;
      const slot = this.reserve(types);
      try {
        if (++sinceSweep >= 20) {
          sinceSweep = 0;
          await this.o.store.requeueExpired();
        }
        if (slot.types?.length !== 0)
          job = await this.o.store.claimNext(this.o.worker, this.leaseMs, slot.types);
      } catch {
        // The database is briefly unavailable (locked, restarting): try again shortly.
      }
      for (const t of slot.held) if (t !== job?.type) this.release(t);
      if (job) {
        await runChain(job, runner, this.controller.signal).catch(() => undefined);
        if (slot.held.includes(job.type)) this.release(job.type);
        continue;
      }
      await this.sleep(slot.types);
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
