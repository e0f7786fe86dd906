import { DelayedError, Queue, Worker, type ConnectionOptions } from 'bullmq';
import { maskUrl } from '../db/connect.js';
import type { JobQueue, QueueSetup } from './queue.js';
import { runChain, type RunnerOptions } from './runner.js';
import { RedisEventBridge } from './redis-events.js';
import type { Job, JobSpec, JobType } from './types.js';

/**
 * BullMQ queues by kind of work: a worker takes any job of a queue it listens to, so job types
 * that not every working process handles (webhook deliveries: `webhooks.deliver: false`) have a
 * queue of their own. The media queue keeps the configured name.
 */
const LANES: Record<string, { types: readonly JobType[]; suffix: string }> = {
  media: { types: ['probe', 'thumbnail', 'proxy'], suffix: '' },
  webhooks: { types: ['webhook.deliver'], suffix: '-webhooks' },
};

/** Longest a caller waits for Redis to take new jobs (they are in the database already). */
const PUBLISH_WAIT_MS = 2000;

function laneOf(type: JobType): string {
  for (const [lane, l] of Object.entries(LANES)) if (l.types.includes(type)) return lane;
  throw new Error(`job type ${type} has no BullMQ queue`);
}

/**
 * Scale mode: jobs are recorded in the database (visible, durable, the single source of truth
 * for attempts and state) and carried by BullMQ on Redis to `montu worker` processes anywhere.
 * BullMQ gives delivery and crash recovery (stalled jobs are redelivered); the database's guarded
 * updates make sure a job is finished once. A reconciler re-publishes any queued job Redis
 * lost (a crash between the insert and the publish, a flushed Redis).
 */
export class BullmqQueue implements JobQueue {
  readonly mode = 'bullmq' as const;
  /** One BullMQ queue per lane (LANES). */
  private readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];
  private readonly bridge: RedisEventBridge;
  private reconciler: NodeJS.Timeout | null = null;
  private readonly active = new Set<Promise<void>>();
  private readonly connection: ConnectionOptions;
  /** Aborted at stop(): running jobs are handed back rather than waited for. */
  private readonly controller = new AbortController();
  /** Running deliveries of capped types (QueueSetup.caps). */
  private readonly capped = new Map<string, number>();
  /** Redis, secrets masked, as log lines and errors name it. */
  private readonly where: string;
  /** Set while Redis is unreachable: the outage is logged once, and its end. */
  private redisDown = false;

  constructor(private readonly s: QueueSetup) {
    if (!s.redisUrl) throw new Error('BullmqQueue needs a Redis URL');
    this.connection = redisConnection(s.redisUrl);
    this.where = maskUrl(s.redisUrl);
    for (const [lane, l] of Object.entries(LANES)) {
      const queue = new Queue(`${s.queueName}${l.suffix}`, { connection: this.connection });
      queue.on('error', this.onRedisError);
      void queue.client.then(
        (c) => c.on('ready', this.onRedisReady),
        () => undefined,
      );
      this.queues.set(lane, queue);
    }
    this.bridge = new RedisEventBridge(s.redisUrl, s.events, `${s.queueName}:events`);
  }

  private readonly onRedisError = (e: Error): void => {
    if (this.redisDown || this.controller.signal.aborted) return;
    this.redisDown = true;
    this.s.log?.(
      'warn',
      `Redis at ${this.where} is unreachable (${e.message}): new jobs wait in the database and are published when it is back`,
    );
  };

  private readonly onRedisReady = (): void => {
    if (!this.redisDown) return;
    this.redisDown = false;
    this.s.log?.('info', `Redis at ${this.where} is reachable again`);
    // Publish what was queued in the database meanwhile (publish skipped it).
    if (!this.controller.signal.aborted) void this.reconcile().catch(() => undefined);
  };

  async ping(timeoutMs = 1000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis at ${this.where} did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      const client = await Promise.race([this.queues.get('media')!.client, timeout]);
      // BullMQ types its connection narrowly; it is an ioredis client, which has ping().
      await Promise.race([(client as unknown as { ping(): Promise<string> }).ping(), timeout]);
    } catch (e) {
      const message = (e as Error).message;
      throw new Error(message.includes(this.where) ? message : `Redis at ${this.where}: ${message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  get working(): boolean {
    return this.workers.length > 0;
  }

  async enqueue(specs: JobSpec[]): Promise<Job[]> {
    const jobs = await this.s.store.create(specs);
    await this.publish(jobs);
    return jobs;
  }

  async requeue(jobs: Job[]): Promise<void> {
    await this.publish(jobs);
  }

  /** BullMQ job ids carry the attempt, so a retry is a new delivery and a re-publish of the same attempt is a no-op. */
  /**
   * Hands jobs (already recorded in the database) to Redis. Never blocks its caller on a Redis
   * outage — an upload must answer, not hang and fail after committing (a retry would make a
   * duplicate version): while Redis is down, or when it does not take them within
   * PUBLISH_WAIT_MS, they stay queued in the database and the reconcile after the outage (and
   * every working process's periodic one) publishes them.
   */
  private async publish(jobs: Job[], suffix?: string): Promise<void> {
    if (jobs.length === 0 || this.redisDown) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.addToRedis(jobs, suffix),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${PUBLISH_WAIT_MS} ms`)),
            PUBLISH_WAIT_MS,
          );
        }),
      ]);
    } catch (e) {
      this.s.log?.(
        'warn',
        `${jobs.length} job(s) not handed to Redis at ${this.where} (${(e as Error).message}): they stay queued in the database and are published when Redis answers`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  private async addToRedis(jobs: Job[], suffix?: string): Promise<void> {
    const now = Date.now();
    for (const [lane, queue] of this.queues) {
      const mine = jobs.filter((j) => laneOf(j.type) === lane);
      if (mine.length === 0) continue;
      await queue.addBulk(
        mine.map((j) => ({
          name: j.type,
          data: { id: j.id },
          opts: {
            jobId: suffix ? `${j.id}.${j.attempts}.${suffix}` : `${j.id}.${j.attempts}`,
            delay: Math.max(0, new Date(j.runAfter).getTime() - now),
            removeOnComplete: true,
            removeOnFail: 1000,
          },
        })),
      );
    }
  }

  async start(): Promise<void> {
    try {
      await this.bridge.start();
    } catch (e) {
      throw new Error(`Cannot reach Redis at ${this.where} (the job queue): ${(e as Error).message}`, {
        cause: e,
      });
    }
    if (!this.s.work || this.workers.length) return;
    const runner: RunnerOptions = {
      store: this.s.store,
      handlers: this.s.handlers,
      events: this.s.events,
      worker: this.s.worker,
      leaseMs: this.s.leaseMs,
      ...(this.s.onSettled ? { onSettled: this.s.onSettled } : {}),
      ...(this.s.settleIn ? { settleIn: this.s.settleIn } : {}),
      // Follow-ups not chained here go out through Redis like any new job (the reconciler
      // re-publishes them should this fail).
      onQueued: (jobs) => this.publish(jobs),
      // Capped types wait for their turn as deliveries, never chained past the cap.
      chain: (type) => this.s.caps?.[type] === undefined,
    };
    // A worker for each lane whose job types this process handles.
    const lanes = Object.entries(LANES).filter(([, l]) => l.types.some((t) => this.s.handlers[t]));
    for (const [, lane] of lanes) {
      const worker = new Worker(
        `${this.s.queueName}${lane.suffix}`,
        async (bj, token) => {
          const cap = this.s.caps?.[bj.name as JobType];
          const running = this.capped.get(bj.name) ?? 0;
          if (cap !== undefined) {
            if (running >= cap) {
              // At its cap: back to the queue for a moment rather than hold a slot other jobs can use.
              await bj.moveToDelayed(Date.now() + 500, token);
              throw new DelayedError();
            }
            this.capped.set(bj.name, running + 1);
          }
          const run = this.process(bj.data as { id?: unknown }, runner, (until) =>
            bj.moveToDelayed(until, token),
          );
          this.active.add(run);
          return run.finally(() => {
            this.active.delete(run);
            if (cap !== undefined) this.capped.set(bj.name, (this.capped.get(bj.name) ?? 1) - 1);
          });
        },
        {
          connection: this.connection,
          concurrency: this.s.concurrency,
          // A dead worker's delivery comes back well before its database lease lapses (lock
          // renewed every lockDuration/2, stalls checked every leaseMs/6): redelivered within
          // about leaseMs/2 + leaseMs/6, it then waits for the lapse (process), so the job is
          // taken over about leaseMs after the death (decision 101).
          lockDuration: Math.max(1000, Math.floor(this.s.leaseMs / 2)),
          stalledInterval: Math.max(500, Math.floor(this.s.leaseMs / 6)),
          maxStalledCount: 10,
        },
      );
      worker.on('error', this.onRedisError);
      this.workers.push(worker);
      await worker.waitUntilReady();
    }
    await this.reconcile();
    this.reconciler = setInterval(
      () => void this.reconcile().catch(() => undefined),
      Math.max(1000, this.s.leaseMs),
    );
    this.reconciler.unref();
  }

  private async process(
    data: { id?: unknown },
    runner: RunnerOptions,
    delayUntil: (ms: number) => Promise<void>,
  ): Promise<void> {
    const id = data.id;
    // A stopping worker takes nothing new; the job stays queued for others (the reconciler of any
    // running worker re-publishes queued jobs).
    if (typeof id !== 'string' || this.controller.signal.aborted) return;
    // Taken over only if queued, or running with a lapsed lease (its worker died).
    const claimed = await this.s.store.claim(id, this.s.worker, this.s.leaseMs, { onlyQueued: false });
    if (!claimed) {
      const lease = await this.s.store.lease(id);
      if (!lease)
        this.s.log?.(
          'warn',
          `Redis queue ${this.s.queueName} delivered job ${id}, which this process's database does not know: ` +
            'is this worker on the same database (MONTU_DATABASE_URL) as the server that queued it?',
        );
      else if (lease.state === 'running' && lease.until !== null && lease.lockedBy !== this.s.worker) {
        // Another worker's lease still runs (it died, or only stalled): come back when it lapses
        // rather than drop the delivery and leave the job to the next reconcile.
        await delayUntil(lease.until + 100);
        throw new DelayedError();
      }
      return;
    }
    // A chained follow-up (claimed for this worker when its predecessor finished) runs here
    // too, under this delivery; if this process dies meanwhile, its lapsed lease puts it back in
    // the queue and the reconciler publishes it.
    await runChain(claimed, runner, this.controller.signal, async (job, outcome) => {
      if (outcome === 'retry') await this.publish([await this.s.store.get(job.id)]);
      // Handed back at shutdown: a fresh delivery id (the current one may still be active) lets
      // another worker take it at once; the claim's guard makes any duplicate harmless.
      if (outcome === 'released')
        await this.publish([await this.s.store.get(job.id)], `r${Date.now().toString(36)}`);
    });
  }

  /** Puts lapsed running jobs back in the queue and re-publishes queued jobs Redis may have lost. */
  private async reconcile(): Promise<void> {
    await this.s.store.requeueExpired();
    const queued = await this.s.store.list({ state: 'queued', limit: 1000 });
    await this.publish(queued);
  }

  async stop(): Promise<void> {
    if (this.reconciler) clearInterval(this.reconciler);
    this.reconciler = null;
    this.controller.abort();
    // Our handlers hand their jobs back when aborted; wait for that, then close without waiting on
    // BullMQ's own bookkeeping of those deliveries (its graceful close can hang after an abort;
    // a delivery left active is redelivered later and its claim finds the job already settled).
    await Promise.allSettled([...this.active]);
    for (const w of this.workers.splice(0)) await w.close(true);
    for (const q of this.queues.values()) await q.close();
    await this.bridge.stop();
  }
}

export function redisConnection(url: string): ConnectionOptions {
  const u = new URL(url);
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(Number.isInteger(db) ? { db } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ workers block on Redis; they must not give up on a slow command.
    maxRetriesPerRequest: null,
  };
}
