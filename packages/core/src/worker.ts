import { ValidationError } from '@montu/domain';
import type { MontuEvent } from './events.js';
import { openMontu, type Montu, type MontuOptions } from './montu.js';

export interface WorkerOptions {
  /** Redis of the job queue (scale mode); required. */
  redisUrl: string;
  dataDir?: string;
  databaseUrl?: string;
  /** The same storage the API servers use (local folder shared by all machines, or S3). */
  storage?: MontuOptions['storage'];
  /** Jobs worked at once (default: number of cores). */
  concurrency?: number;
  /** BullMQ queue name (default `montu`). */
  queueName?: string;
  leaseMs?: number;
  processing?: MontuOptions['processing'];
  /** Sees every job event this worker produces (for a log line per job). */
  onEvent?: (e: MontuEvent) => void;
}

export interface RunningWorker {
  montu: Montu;
  /** Stops taking jobs, hands running ones back to the queue (they run again elsewhere) and closes the library. */
  close(): Promise<void>;
}

/**
 * `montu worker`: opens the library in scale mode and works jobs from BullMQ until closed.
 * Any number of workers may run on any machine that reaches the database, Redis and storage.
 */
export async function runWorker(options: WorkerOptions): Promise<RunningWorker> {
  if (!options.redisUrl)
    throw new ValidationError('A worker needs the Redis URL of the job queue (MONTU_REDIS_URL).');
  const montu = await openMontu({
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    ...(options.databaseUrl !== undefined ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.storage !== undefined ? { storage: options.storage } : {}),
    ...(options.processing !== undefined ? { processing: options.processing } : {}),
    jobs: {
      redisUrl: options.redisUrl,
      work: true,
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      ...(options.queueName !== undefined ? { queueName: options.queueName } : {}),
      ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
    },
  });
  const off = options.onEvent
    ? montu.events.subscribe((e) => e.type.startsWith('job.') && options.onEvent?.(e))
    : () => undefined;
  let closing: Promise<void> | null = null;
  return {
    montu,
    close() {
      closing ??= (async () => {
        off();
        await montu.close();
      })();
      return closing;
    },
  };
}
