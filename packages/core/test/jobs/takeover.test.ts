/**
 * Scale mode: a delivery that reaches a worker while another worker's database lease on the job
 * still runs (that worker died; BullMQ redelivered its stalled job early) waits for the lease to
 * lapse and takes the job over then, instead of being dropped and leaving the job to the next
 * reconcile a lease later (the 40–45 s takeover of issue 20 item 10; decision 101).
 */
import { describe, expect, it } from 'vitest';
import type { JobContext } from '../../src/jobs/types.js';
import { openTestLibrary } from '../helpers/montu.js';
import { makeQueue, REDIS_URL, waitFor } from './harness.js';

/**
 * A media job's item and project (decision 235). These tests' handlers never read the item and
 * the job store knows nothing of media (decision 203), so the item need not exist.
 */
const ITEM = { mediaId: 'jobs-test-item', projectId: 'JOBS' };

describe.skipIf(!REDIS_URL)("BullMQ: a delivery for a job under another worker's lease", () => {
  it('waits for the lease to lapse, then takes the job over', async () => {
    const lib = await openTestLibrary('sqlite', { jobs: false });
    const ran: string[] = [];
    // A long lease for this queue: its reconciler (every leaseMs) cannot be what rescues the job.
    const h = await makeQueue(
      'bullmq',
      lib.montu,
      { thumbnail: async ({ job }: JobContext) => void ran.push(job.id) },
      { leaseMs: 300_000 },
    );
    try {
      // A job held by a dead worker on another host, its lease lapsing in 1.5 s.
      const [job] = await h.store.create([{ type: 'thumbnail', ...ITEM }]);
      const held = await h.store.claim(job!.id, 'otherhost~4242~dead', 1500, { onlyQueued: true });
      expect(held?.lockedBy).toBe('otherhost~4242~dead');
      // Delivered while the lease still runs, as a stalled delivery comes back.
      await h.queue.requeue([held!]);
      await waitFor(async () => ran.includes(job!.id), 60_000, 'the takeover');
      expect(await h.store.get(job!.id)).toMatchObject({ state: 'done', attempts: 2 });
    } finally {
      await h.stop();
      await lib.cleanup();
    }
  });
});
