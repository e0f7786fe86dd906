import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { ValidationError } from '@montu/domain';
import { relaxedTransaction } from '../../src/db/connect.js';
import { JobStore } from '../../src/jobs/job-store.js';
import type { Db } from '../../src/context.js';
import { backoffDelay, type JobSpec } from '../../src/jobs/types.js';
import { DATABASES, makePng, tempDir } from '../helpers/env.js';
import { openTestLibrary, type TestLibrary } from '../helpers/montu.js';
import path from 'node:path';

/**
 * A media job's item and project (decision 235). These tests' handlers never read the item and
 * the job store knows nothing of media (decision 203), so the item need not exist.
 */
const ITEM = { mediaId: 'jobs-test-item', projectId: 'JOBS' };

describe.each(DATABASES)('job store on %s', (kind) => {
  let lib: TestLibrary;
  let store: JobStore;
  beforeAll(async () => {
    lib = await openTestLibrary(kind, { jobs: false });
    store = new JobStore(lib.montu.db, lib.montu.dialect, {
      maxAttempts: 3,
      backoffMs: 1000,
      maxBackoffMs: 3000,
    });
  });
  afterAll(async () => lib.cleanup());

  it('claims each queued job once, in priority then creation order', async () => {
    const [a, b, c] = await store.create([
      { type: 'thumbnail', ...ITEM },
      { type: 'thumbnail', priority: 5, ...ITEM },
      { type: 'thumbnail', ...ITEM },
    ]);
    const claims = await Promise.all(
      Array.from({ length: 6 }, (_, i) => store.claimNext(`w${i}`, 10_000, ['thumbnail'])),
    );
    const got = claims.filter((j) => j !== null);
    expect(got.map((j) => j.id).sort()).toEqual([a!.id, b!.id, c!.id].sort());
    expect(got.every((j) => j.state === 'running' && j.attempts === 1 && j.lockedBy !== null)).toBe(true);
    const again = await store.claimNext('late', 10_000, ['thumbnail']);
    expect(again).toBeNull();
    // Only the holder finishes it, and only once.
    const first = got[0]!;
    expect(await store.complete(first.id, 'someone-else')).toBe(false);
    expect(await store.complete(first.id, first.lockedBy!)).toBe(true);
    expect(await store.complete(first.id, first.lockedBy!)).toBe(false);
    const done = await store.get(first.id);
    expect(done).toMatchObject({ state: 'done', progress: 100, lockedBy: null });
    expect(done.finishedAt).not.toBeNull();
    for (const j of got.slice(1)) await store.complete(j.id, j.lockedBy!);
  });

  it('backs off exponentially between attempts and fails after the last', async () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(store.retry, n))).toEqual([1000, 2000, 3000, 3000]);
    const [job] = await store.create([{ type: 'thumbnail', ...ITEM }]);
    const c1 = await store.claim(job!.id, 'w', 10_000, { onlyQueued: true });
    expect(c1?.attempts).toBe(1);
    const t0 = Date.now();
    expect(await store.fail(job!.id, 'w', 'boom 1')).toEqual({ final: false, retryInMs: 1000 });
    const q1 = await store.get(job!.id);
    expect(q1).toMatchObject({ state: 'queued', error: 'boom 1', attempts: 1, lockedBy: null });
    expect(new Date(q1.runAfter).getTime()).toBeGreaterThanOrEqual(t0 + 900);
    // Not runnable before its time.
    expect(await store.claimNext('w', 10_000, ['thumbnail'])).toBeNull();
    await store.claim(job!.id, 'w', 10_000, { onlyQueued: true });
    expect((await store.fail(job!.id, 'w', 'boom 2'))?.retryInMs).toBe(2000);
    await store.claim(job!.id, 'w', 10_000, { onlyQueued: true });
    expect(await store.fail(job!.id, 'w', 'boom 3')).toEqual({ final: true, retryInMs: 0 });
    expect(await store.get(job!.id)).toMatchObject({ state: 'failed', attempts: 3, error: 'boom 3' });
    // A failure report from a worker that no longer holds it changes nothing.
    expect(await store.fail(job!.id, 'w', 'late')).toBeNull();

    const retried = await store.retryFailed({ ids: [job!.id] });
    expect(retried).toHaveLength(1);
    expect(retried[0]).toMatchObject({ state: 'queued', attempts: 0, error: null });
    expect(await store.claimNext('w2', 10_000, ['thumbnail'])).toMatchObject({ id: job!.id, attempts: 1 });
    await store.complete(job!.id, 'w2');
  });

  it('fails permanently at once when told so', async () => {
    const [job] = await store.create([{ type: 'thumbnail', ...ITEM }]);
    await store.claim(job!.id, 'w', 10_000, { onlyQueued: true });
    expect(await store.fail(job!.id, 'w', 'bad input', { permanent: true })).toEqual({
      final: true,
      retryInMs: 0,
    });
    expect((await store.get(job!.id)).state).toBe('failed');
  });

  it('lets a lapsed lease be retaken and stops the old holder from finishing', async () => {
    const [job] = await store.create([{ type: 'thumbnail', ...ITEM }]);
    await store.claim(job!.id, 'dead', 50, { onlyQueued: true });
    expect(await store.claim(job!.id, 'live', 10_000, { onlyQueued: false })).toBeNull(); // lease still valid
    await new Promise((r) => setTimeout(r, 80));
    expect(await store.heartbeat(job!.id, 'live', 10_000)).toBe(false);
    const taken = await store.claim(job!.id, 'live', 10_000, { onlyQueued: false });
    expect(taken).toMatchObject({ lockedBy: 'live', attempts: 2 });
    expect(await store.heartbeat(job!.id, 'dead', 10_000)).toBe(false);
    expect(await store.complete(job!.id, 'dead')).toBe(false);
    expect(await store.heartbeat(job!.id, 'live', 10_000, 42)).toBe(true);
    expect((await store.get(job!.id)).progress).toBe(42);
    expect(await store.complete(job!.id, 'live')).toBe(true);
  });

  it('requeues expired jobs and releases without counting the attempt', async () => {
    const [a, b] = await store.create([
      { type: 'thumbnail', ...ITEM },
      { type: 'thumbnail', ...ITEM },
    ]);
    await store.claim(a!.id, 'dead', 20, { onlyQueued: true });
    await store.claim(b!.id, 'stopping', 10_000, { onlyQueued: true });
    await new Promise((r) => setTimeout(r, 50));
    expect(await store.requeueExpired()).toBe(1);
    expect(await store.get(a!.id)).toMatchObject({ state: 'queued', attempts: 1, lockedBy: null });
    expect(await store.release(b!.id, 'other')).toBe(false);
    expect(await store.release(b!.id, 'stopping')).toBe(true);
    expect(await store.get(b!.id)).toMatchObject({ state: 'queued', attempts: 0, lockedBy: null });
    for (const j of [a!, b!]) {
      await store.claim(j.id, 'w', 10_000, { onlyQueued: true });
      await store.complete(j.id, 'w');
    }
  });

  it('lists by state and media item, scoped to projects, with the project of each job', async () => {
    const dir = tempDir();
    const png = await makePng(path.join(dir, 'a.png'));
    const m1 = await lib.montu.media.uploadMedia({
      filePath: png,
      projectId: 'AAA',
      taskId: 'sh010_comp',
      author: 'x',
    });
    const m2 = await lib.montu.media.uploadMedia({
      filePath: png,
      projectId: 'BBB',
      taskId: 'sh010_comp',
      author: 'x',
    });
    await store.create([
      { type: 'probe', mediaId: m1, projectId: 'AAA' },
      { type: 'probe', mediaId: m2, projectId: 'BBB' },
      { type: 'webhook.deliver', payload: { deliveryId: 'none' } },
    ]);
    const forM1 = await store.list({ mediaId: m1 });
    expect(forM1).toHaveLength(1);
    expect(forM1[0]).toMatchObject({ mediaId: m1, projectId: 'AAA', state: 'queued' });
    const scoped = await store.list({ state: 'queued', projectIds: ['BBB'] });
    expect(scoped.map((j) => j.mediaId)).toEqual([m2]);
    expect(await store.list({ projectIds: [] })).toEqual([]);
    // A job of no project is in no project's listing, only in the unscoped one.
    const unscoped = await store.list({ type: 'webhook.deliver' });
    expect(unscoped).toHaveLength(1);
    expect(unscoped[0]).toMatchObject({ projectId: null });
    expect((await store.counts()).queued).toBeGreaterThanOrEqual(2);
    await expect(store.list({ state: 'bogus' as 'queued' })).rejects.toThrow(/state must be/);
  });
  it('finishes a job, its records and its follow-ups in one transaction, the first follow-up claimed for the same worker', async () => {
    const [job, marker] = await store.create([
      { type: 'probe', ...ITEM },
      { type: 'thumbnail', ...ITEM },
    ]);
    const claimed = (await store.claim(job!.id, 'w~1', 10_000, { onlyQueued: true }))!;
    let recorded = 0;
    const record = async (trx: Db) => {
      recorded++;
      await trx.updateTable('job').set({ error: 'noted' }).where('id', '=', marker!.id).execute();
      return [
        { type: 'thumbnail' as const, ...ITEM },
        { type: 'proxy' as const, ...ITEM },
      ];
    };
    // Not this worker's job: nothing is written, not even the handler's records.
    expect(await store.finish(claimed, 'someone-else', 10_000, { record })).toBeNull();
    expect(recorded).toBe(0);
    const out = await store.finish(claimed, 'w~1', 10_000, {
      record,
      chain: (type) => type === 'thumbnail',
      settle: async (_trx, done) => done.state,
    });
    expect(out?.settled).toBe('done');
    expect(await store.get(job!.id)).toMatchObject({ state: 'done', progress: 100, lockedBy: null });
    expect((await store.get(marker!.id)).error).toBe('noted');
    // The thumbnail was created already running for this worker (no claim of its own) …
    const next = await store.get(out!.next!.id);
    expect(next).toMatchObject({ type: 'thumbnail', state: 'running', attempts: 1, lockedBy: 'w~1' });
    expect(next.startedAt).toBe(next.createdAt);
    // … the proxy waits in the queue for any worker.
    expect(out!.queued.map((j) => [j.type, j.state])).toEqual([['proxy', 'queued']]);
    expect(await store.complete(next.id, 'w~1')).toBe(true);
    await store.claim(out!.queued[0]!.id, 'w', 10_000, { onlyQueued: true });
    await store.complete(out!.queued[0]!.id, 'w');
    await store.claim(marker!.id, 'w', 10_000, { onlyQueued: true });
    await store.complete(marker!.id, 'w');
  });

  it('rolls the whole completion back when recording fails: the job stays with its worker', async () => {
    const [job, marker] = await store.create([
      { type: 'thumbnail', ...ITEM },
      { type: 'thumbnail', ...ITEM },
    ]);
    const claimed = (await store.claim(job!.id, 'w', 10_000, { onlyQueued: true }))!;
    await expect(
      store.finish(claimed, 'w', 10_000, {
        record: async (trx) => {
          await trx.updateTable('job').set({ error: 'half' }).where('id', '=', marker!.id).execute();
          throw new Error('disk full');
        },
      }),
    ).rejects.toThrow('disk full');
    expect(await store.get(job!.id)).toMatchObject({ state: 'running', lockedBy: 'w' });
    expect((await store.get(marker!.id)).error).toBeNull();
    await store.complete(job!.id, 'w');
    await store.claim(marker!.id, 'w', 10_000, { onlyQueued: true });
    await store.complete(marker!.id, 'w');
  });

  it('refuses a media job without its item or project, writing none of the batch (decision 235)', async () => {
    // What JavaScript callers, or a cast, could still hand the store: the job map refuses these at compile time.
    const unchecked = (specs: unknown[]) => specs as JobSpec[];
    const target = { mediaId: 'refused-item', projectId: 'REF' };
    for (const wrong of [
      { type: 'probe', mediaId: 'refused-item' },
      { type: 'thumbnail', mediaId: 'refused-item', projectId: null },
      { type: 'proxy', mediaId: 'refused-item', projectId: '' },
      { type: 'proxy', projectId: 'REF' },
      { type: 'webhook.deliver', mediaId: 'refused-item', payload: { deliveryId: 'd' } },
    ]) {
      const refused = store.create(unchecked([{ type: 'thumbnail', ...target }, wrong]));
      await expect(refused).rejects.toBeInstanceOf(ValidationError);
      await expect(refused).rejects.toMatchObject({ code: 'validation_error' });
    }
    expect(await store.list({ mediaId: 'refused-item' })).toEqual([]);
    // A follow-up without a project rolls the whole completion back: the job stays with its worker.
    const [job] = await store.create([{ type: 'probe', ...target }]);
    const claimed = (await store.claim(job!.id, 'w', 10_000, { onlyQueued: true }))!;
    await expect(
      store.finish(claimed, 'w', 10_000, {
        record: async () => unchecked([{ type: 'thumbnail', mediaId: 'refused-item' }]),
      }),
    ).rejects.toThrow(/needs its media item and the item's project/);
    expect(await store.list({ mediaId: 'refused-item' })).toEqual([
      expect.objectContaining({ id: job!.id, state: 'running', lockedBy: 'w', projectId: 'REF' }),
    ]);
    expect(await store.complete(job!.id, 'w')).toBe(true);
  });

  it('puts a chained job of a dead worker back in the queue when its lease lapses', async () => {
    const [job] = await store.create([{ type: 'probe', ...ITEM }]);
    const claimed = (await store.claim(job!.id, 'gone', 10_000, { onlyQueued: true }))!;
    const out = await store.finish(claimed, 'gone', 50, {
      record: async () => [{ type: 'thumbnail', ...ITEM }],
      chain: () => true,
    });
    await new Promise((r) => setTimeout(r, 80));
    expect(await store.requeueExpired()).toBeGreaterThanOrEqual(1);
    const again = await store.claim(out!.next!.id, 'live', 10_000, { onlyQueued: true });
    expect(again).toMatchObject({ state: 'running', attempts: 2, lockedBy: 'live' });
    expect(await store.complete(out!.next!.id, 'gone')).toBe(false);
    expect(await store.complete(out!.next!.id, 'live')).toBe(true);
  });

  it('commits bookkeeping without waiting for the disk, and only that', async () => {
    const level = async (db: Db): Promise<string> =>
      kind === 'sqlite'
        ? String((await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows[0]!.synchronous)
        : (await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(db)).rows[0]!
            .synchronous_commit;
    const durable = kind === 'sqlite' ? '2' : 'on'; // FULL
    const relaxed = kind === 'sqlite' ? '1' : 'off'; // NORMAL
    expect(await level(lib.montu.db)).toBe(durable);
    expect(await relaxedTransaction(lib.montu.db, lib.montu.dialect, (trx) => level(trx))).toBe(relaxed);
    expect(await level(lib.montu.db)).toBe(durable);
    // Back to durable after a failure too.
    await expect(
      relaxedTransaction(lib.montu.db, lib.montu.dialect, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await level(lib.montu.db)).toBe(durable);
    // Inside a durable transaction it joins that transaction (and its durability).
    await lib.montu.db.transaction().execute(async (trx) => {
      expect(await relaxedTransaction(trx, lib.montu.dialect, (t) => level(t))).toBe(durable);
    });
  });
});
