import { EmbeddedQueue } from './embedded-queue.js';
import type { JobQueue, QueueSetup } from './queue.js';

/**
 * The queue for a setup: BullMQ with a Redis URL (loaded only then), else the embedded queue in
 * the library's database; started when this process works jobs (BullMQ's start also joins the
 * event bridge, which API servers need even when they do not work).
 */
export async function startQueue(setup: QueueSetup): Promise<JobQueue> {
  let queue: JobQueue;
  if (setup.redisUrl) {
    const { BullmqQueue } = await import('./bullmq-queue.js');
    queue = new BullmqQueue(setup);
  } else {
    queue = new EmbeddedQueue(setup);
  }
  try {
    if (setup.work || queue.mode === 'bullmq') await queue.start();
  } catch (e) {
    // Close what started (Redis clients would keep reconnecting and hold the process open).
    await queue.stop().catch(() => undefined);
    throw e;
  }
  return queue;
}
