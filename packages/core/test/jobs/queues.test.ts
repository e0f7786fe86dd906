import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '@montu/domain';
import type { Job, JobContext } from '../../src/jobs/types.js';
import { DATABASES, makePng, tempDir } from '../helpers/env.js';
import { openTestLibrary, type TestLibrary } from '../helpers/montu.js';
import { makeQueue, MODES, REDIS_URL, uniqueQueueName, waitFor } from './harness.js';

/**
 * A media job's item and project (decision 235). These tests' handlers never read the item and
 * the job store knows nothing of media (decision 203), so the item need not exist.
 */
const ITEM = { mediaId: 'jobs-test-item', projectId: 'JOBS' };

const cases = DATABASES.flatMap((db) => MODES.map((mode) => [mode, db] as const));

describe.each(cases)('%s queue on %s', (mode, kind) => {
  let lib: TestLibrary;
  beforeAll(async () => {
    lib = await openTestLibrary(kind, { jobs: false });
  });
  afterAll(async () => lib.cleanup());

  it('runs jobs once with progress, events and the settle hook', async () => {
    const ran: string[] = [];
    const h = await makeQueue(mode, lib.montu, {
      thumbnail: async ({ job, progress }: JobContext) => {
        ran.push(job.id);
        progress(50);
        await new Promise((r) => setTimeout(r, 20));
        progress(100);
      },
    });
    try {
      const jobs = await h.queue.enqueue(
        Array.from({ length: 8 }, () => ({ type: 'thumbnail' as const, ...ITEM })),
      );
      await waitFor(async () => h.settled.length === 8, 20_000, 'eight jobs');
      expect(ran.sort()).toEqual(jobs.map((j) => j.id).sort());
      for (const j of jobs)
        expect(await h.store.get(j.id)).toMatchObject({ state: 'done', attempts: 1, progress: 100 });
      const types = (id: string) => h.seen.filter((e) => e.data?.['jobId'] === id).map((e) => e.type);
      expect(types(jobs[0]!.id)).toEqual(['job.started', 'job.progress', 'job.progress', 'job.done']);
    } finally {
      await h.stop();
    }
  });

  it('retries with exponential backoff, fails after the last attempt, and retry re-queues', async () => {
    let fail = true;
    const starts: number[] = [];
    const h = await makeQueue(
      mode,
      lib.montu,
      {
        thumbnail: async () => {
          starts.push(Date.now());
          if (fail) throw new Error('storage hiccup');
        },
      },
      { retry: { maxAttempts: 3, backoffMs: 150 } },
    );
    try {
      const [job] = await h.queue.enqueue([{ type: 'thumbnail', ...ITEM }]);
      await waitFor(async () => h.settled.length === 1, 20_000, 'final failure');
      expect(h.settled[0]!.outcome).toBe('failed');
      expect(await h.store.get(job!.id)).toMatchObject({
        state: 'failed',
        attempts: 3,
        error: 'storage hiccup',
      });
      expect(starts).toHaveLength(3);
      expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(140);
      expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(290);
      const kinds = h.seen
        .filter((e) => e.data?.['jobId'] === job!.id && e.type !== 'job.started')
        .map((e) => e.type);
      expect(kinds).toEqual(['job.retrying', 'job.retrying', 'job.failed']);

      fail = false;
      const jobsService = { store: h.store, queue: h.queue };
      const again = await jobsService.store.retryFailed({ ids: [job!.id] });
      await jobsService.queue.requeue(again);
      await waitFor(async () => h.settled.length === 2, 20_000, 'retried job');
      expect(h.settled[1]!.outcome).toBe('done');
      expect(await h.store.get(job!.id)).toMatchObject({ state: 'done', attempts: 1, error: null });
    } finally {
      await h.stop();
    }
  });

  it('fails bad input at once, without retrying', async () => {
    let calls = 0;
    const h = await makeQueue(mode, lib.montu, {
      thumbnail: async () => {
        calls++;
        throw new ValidationError('not a picture');
      },
    });
    try {
      const [job] = await h.queue.enqueue([{ type: 'thumbnail', ...ITEM }]);
      await waitFor(async () => h.settled.length === 1, 20_000, 'failure');
      expect(calls).toBe(1);
      expect(await h.store.get(job!.id)).toMatchObject({
        state: 'failed',
        attempts: 1,
        error: 'not a picture',
      });
    } finally {
      await h.stop();
    }
  });

  it("takes over a dead worker's job when its lease lapses; the dead worker cannot finish it", async () => {
    const queueName = uniqueQueueName();
    let ran = 0;
    const h = await makeQueue(
      mode,
      lib.montu,
      { thumbnail: async () => void ran++ },
      { leaseMs: 600, queueName },
    );
    try {
      // A worker that claimed the job and died: running, lease about to lapse. The queue's own
      // poller may claim a new job first; then that one runs normally and the test takes another.
      let job: Job | undefined;
      for (let tries = 0; !job && tries < 5; tries++) {
        const [created] = await h.store.create([{ type: 'thumbnail', ...ITEM }]);
        if (await h.store.claim(created!.id, 'dead-worker', 600, { onlyQueued: true })) job = created;
        else await waitFor(async () => (await h.store.get(created!.id)).state === 'done', 20_000, 'poller');
      }
      expect(job, 'the dead worker never won the claim').toBeDefined();
      const ranBefore = ran;
      await h.queue.requeue([await h.store.get(job!.id)]);
      await waitFor(async () => (await h.store.get(job!.id)).state === 'done', 20_000, 'takeover');
      expect(ran - ranBefore).toBe(1);
      expect(await h.store.get(job!.id)).toMatchObject({ attempts: 2, state: 'done' });
      expect(await h.store.complete(job!.id, 'dead-worker')).toBe(false);
    } finally {
      await h.stop();
    }
  });

  it('hands running jobs back at shutdown without counting the attempt, and another worker finishes them', async () => {
    const queueName = uniqueQueueName();
    let started = 0;
    const h1 = await makeQueue(
      mode,
      lib.montu,
      {
        thumbnail: ({ signal }: JobContext) =>
          new Promise<void>((_resolve, reject) => {
            started++;
            signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
          }),
      },
      { queueName, concurrency: 2 },
    );
    const [job] = await h1.queue.enqueue([{ type: 'thumbnail', ...ITEM }]);
    await waitFor(async () => started === 1, 20_000, 'start');
    await h1.stop();
    expect(await h1.store.get(job!.id)).toMatchObject({ state: 'queued', attempts: 0 });
    expect(h1.seen.some((e) => e.type === 'job.released')).toBe(true);
    const h2 = await makeQueue(mode, lib.montu, { thumbnail: async () => undefined }, { queueName });
    try {
      await waitFor(async () => (await h2.store.get(job!.id)).state === 'done', 20_000, 'second worker');
      expect((await h2.store.get(job!.id)).attempts).toBe(1);
    } finally {
      await h2.stop();
    }
  });
  it('runs a follow-up right after the job that asked for it, on the same worker, not through the queue', async () => {
    const order: string[] = [];
    const h = await makeQueue(
      mode,
      lib.montu,
      {
        probe: async ({ job }: JobContext) => {
          order.push(`probe ${job.id}`);
          return {
            record: async () => [{ type: 'thumbnail' as const, ...ITEM, payload: { after: job.id } }],
          };
        },
        thumbnail: async ({ job }: JobContext) => {
          order.push(`thumbnail ${String(job.payload['after'])}`);
        },
      },
      { concurrency: 1 },
    );
    try {
      const [probe] = await h.queue.enqueue([{ type: 'probe', ...ITEM }]);
      await waitFor(async () => h.settled.length === 2, 20_000, 'probe and thumbnail');
      expect(order).toEqual([`probe ${probe!.id}`, `thumbnail ${probe!.id}`]);
      const thumb = (await h.store.list({ type: 'thumbnail' })).find(
        (j) => j.payload['after'] === probe!.id,
      )!;
      // Created already claimed (in the probe's completing transaction): one attempt, no queue trip.
      expect(thumb).toMatchObject({ state: 'done', attempts: 1 });
      expect(thumb.startedAt).toBe(thumb.createdAt);
      const kinds = h.seen
        .filter((e) => e.data?.['jobId'] === probe!.id || e.data?.['jobId'] === thumb.id)
        .map((e) => `${e.type} ${String(e.data?.['jobType'])}`);
      expect(kinds).toEqual([
        'job.started probe',
        'job.done probe',
        'job.started thumbnail',
        'job.done thumbnail',
      ]);
    } finally {
      await h.stop();
    }
  });

  it('runs at most the capped number of proxy jobs at once, and other jobs beside them', async () => {
    let running = 0;
    let most = 0;
    const finished: Array<[string, number]> = [];
    const h = await makeQueue(
      mode,
      lib.montu,
      {
        proxy: async () => {
          most = Math.max(most, ++running);
          await new Promise((r) => setTimeout(r, 150));
          running--;
          finished.push(['proxy', Date.now()]);
        },
        thumbnail: async () => {
          finished.push(['thumbnail', Date.now()]);
        },
      },
      { concurrency: 3, caps: { proxy: 1 } },
    );
    try {
      await h.queue.enqueue([
        ...Array.from({ length: 3 }, () => ({ type: 'proxy' as const, ...ITEM })),
        ...Array.from({ length: 3 }, () => ({ type: 'thumbnail' as const, ...ITEM })),
      ]);
      await waitFor(async () => h.settled.length === 6, 30_000, 'six jobs');
      expect(most).toBe(1);
      // The thumbnails did not wait behind the proxies.
      const lastThumbnail = Math.max(...finished.filter((f) => f[0] === 'thumbnail').map((f) => f[1]));
      const lastProxy = Math.max(...finished.filter((f) => f[0] === 'proxy').map((f) => f[1]));
      expect(lastThumbnail).toBeLessThan(lastProxy);
    } finally {
      await h.stop();
    }
  });

  it.runIf(mode === 'embedded')('runs probes in loops of their own, beside `concurrency`', async () => {
    let running = 0;
    let most = 0;
    const h = await makeQueue(
      mode,
      lib.montu,
      {
        probe: async () => {
          most = Math.max(most, ++running);
          await new Promise((r) => setTimeout(r, 200));
          running--;
        },
      },
      { concurrency: 1, light: { types: ['probe'], concurrency: 3 } },
    );
    try {
      await h.queue.enqueue(Array.from({ length: 4 }, () => ({ type: 'probe' as const, ...ITEM })));
      await waitFor(async () => h.settled.length === 4, 20_000, 'four probes');
      expect(most).toBe(4);
    } finally {
      await h.stop();
    }
  });
});

describe.each(DATABASES)('processing jobs are idempotent on %s', (kind) => {
  let lib: TestLibrary;
  beforeAll(async () => {
    // A web image for the PNG too, so that there is a proxy job to run again.
    lib = await openTestLibrary(kind, {
      jobs: { concurrency: 2, retry: { backoffMs: 50 } },
      processing: { webImages: 'always' },
    });
  });
  afterAll(async () => lib.cleanup());

  it('running thumbnail and proxy again leaves the same renditions and nothing else', async () => {
    const png = await makePng(path.join(tempDir(), 'still.png'), 640, 360);
    const id = await lib.montu.media.uploadMedia({
      filePath: png,
      projectId: 'IDM',
      taskId: 'sh010_comp',
      author: 'x',
      wait: true,
    });
    const snapshot = async () => {
      const m = await lib.montu.media.getMediaById(id);
      const objects: string[] = [];
      for await (const o of lib.montu.storage.list('IDM/')) objects.push(o.key);
      return {
        state: m.processingState,
        files: m.files.map((f) => [f.role, f.key, f.sha256, f.size]).sort(),
        objects: objects.sort(),
      };
    };
    const before = await snapshot();
    expect(before.state).toBe('ready');
    expect(before.files.map((f) => f[0])).toEqual(['original', 'thumbnail', 'web']);
    const again = await lib.montu.jobs!.queue.enqueue([
      { type: 'thumbnail', mediaId: id, projectId: 'IDM' },
      { type: 'proxy', mediaId: id, projectId: 'IDM' },
      { type: 'thumbnail', mediaId: id, projectId: 'IDM' },
    ]);
    // Done, and the last job's outcome recorded on the item (that happens right after completion).
    await waitFor(
      async () =>
        (await Promise.all(again.map((j) => lib.montu.jobs!.get(j.id)))).every((j) => j.state === 'done') &&
        (await lib.montu.media.getMediaById(id)).processingState === 'ready',
      30_000,
      'rerun',
    );
    const after = await snapshot();
    expect(after).toEqual(before);
  });
});

if (!REDIS_URL) {
  describe('BullMQ mode', () => {
    it.skip('needs MONTU_TEST_REDIS_URL', () => undefined);
  });
}
