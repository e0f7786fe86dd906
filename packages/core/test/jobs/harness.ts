/** Shared set-up for the job tests: a queue of either mode over a fresh library database. */
import { randomBytes } from 'node:crypto';
import { EventBus, type MontuEvent } from '../../src/events.js';
import { JobStore } from '../../src/jobs/job-store.js';
import { EmbeddedQueue, type JobQueue } from '../../src/jobs/embedded-queue.js';
import { BullmqQueue } from '../../src/jobs/bullmq-queue.js';
import {
  DEFAULT_RETRY,
  type Job,
  type JobHandler,
  type JobType,
  type RetryPolicy,
} from '../../src/jobs/types.js';
import type { Montu } from '../../src/index.js';

export const REDIS_URL = process.env['MONTU_TEST_REDIS_URL'];

/** Queue modes the suite runs: embedded always, BullMQ when MONTU_TEST_REDIS_URL is set. */
export const MODES: Array<'embedded' | 'bullmq'> = REDIS_URL ? ['embedded', 'bullmq'] : ['embedded'];

export function uniqueQueueName(): string {
  return `montu-test-${randomBytes(5).toString('hex')}`;
}

export interface QueueHarness {
  queue: JobQueue;
  store: JobStore;
  events: EventBus;
  seen: MontuEvent[];
  settled: Array<{ job: Job; outcome: 'done' | 'failed' }>;
  stop(): Promise<void>;
}

export async function makeQueue(
  mode: 'embedded' | 'bullmq',
  montu: Montu,
  handlers: Partial<Record<JobType, JobHandler>>,
  o: {
    retry?: Partial<RetryPolicy>;
    leaseMs?: number;
    concurrency?: number;
    worker?: string;
    queueName?: string;
    /** Most jobs of a type at once. */
    caps?: Partial<Record<JobType, number>>;
    /** Embedded queue: extra loops for these types only. */
    light?: { types: JobType[]; concurrency: number };
  } = {},
): Promise<QueueHarness> {
  const retry: RetryPolicy = { ...DEFAULT_RETRY, backoffMs: 50, ...o.retry };
  const store = new JobStore(montu.db, montu.dialect, retry);
  const events = new EventBus();
  const seen: MontuEvent[] = [];
  events.subscribe((e) => seen.push(e));
  const settled: QueueHarness['settled'] = [];
  const onSettled = async (job: Job, outcome: 'done' | 'failed') => {
    settled.push({ job, outcome });
  };
  const worker = o.worker ?? `test~${randomBytes(3).toString('hex')}`;
  const leaseMs = o.leaseMs ?? 5000;
  const concurrency = o.concurrency ?? 2;
  const common = {
    store,
    events,
    handlers,
    worker,
    concurrency,
    leaseMs,
    pollMs: 50,
    onSettled,
    ...(o.caps ? { caps: o.caps } : {}),
  };
  const queue: JobQueue =
    mode === 'embedded'
      ? new EmbeddedQueue({ ...common, ...(o.light ? { light: o.light } : {}) })
      : new BullmqQueue({
          ...common,
          retry,
          redisUrl: REDIS_URL!,
          queueName: o.queueName ?? uniqueQueueName(),
          work: true,
        });
  await queue.start();
  return { queue, store, events, seen, settled, stop: () => queue.stop() };
}

export async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
