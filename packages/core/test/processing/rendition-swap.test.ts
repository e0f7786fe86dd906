import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/context.js';
import { newId } from '../../src/index.js';
import { JobStore } from '../../src/jobs/job-store.js';
import type { Job } from '../../src/jobs/types.js';
import { insertMediaRecords } from '../../src/media/media-records.js';
import { filesOf, newerJobDone, swapRendition } from '../../src/processing/pipeline-queries.js';
import { DATABASES } from '../helpers/env.js';
import { openTestLibrary, type TestLibrary } from '../helpers/montu.js';
import { pgSession, settledOrWaiting } from '../helpers/pg-sessions.js';

/**
 * Two regenerations of one item's thumbnail finishing at once: the newer request's rendition
 * stays (decision 124), also when the older job's completing transaction runs while the newer
 * one's has swapped its record in and not yet committed (decision 237). On PostgreSQL the older
 * one then waits for the item's row lock; whether a newer job is done must be asked after that
 * wait, not before it.
 */
describe.runIf(DATABASES.includes('postgres'))('rendition swaps of two regenerations on postgres', () => {
  let lib: TestLibrary;
  let store: JobStore;
  beforeAll(async () => {
    lib = await openTestLibrary('postgres', { jobs: false });
    store = new JobStore(lib.montu.db, lib.montu.dialect);
    await lib.montu.projects.createProject({ id: 'RSW' });
  });
  afterAll(async () => lib?.cleanup());

  let version = 1;
  /** An item and two thumbnail jobs for it, the second asked for after the first. */
  const twoRequests = async () => {
    const mediaId = newId();
    await lib.montu.db.transaction().execute(async (trx) => {
      await lib.montu.projects.ensureTask(trx, 'RSW', 'sh010_comp');
      await insertMediaRecords(trx, [
        {
          id: mediaId,
          projectId: 'RSW',
          taskId: 'sh010_comp',
          versionNumber: version++,
          mediaType: 'image',
          fileName: 'sh010_comp.png',
          mimeType: 'image/png',
          size: 1,
          sha256: 'a'.repeat(64),
          author: 'x',
          description: '',
          tags: [],
          processing: false,
          metadata: {},
          customProperties: {},
          files: [],
        },
      ]);
    });
    const target = { mediaId, projectId: 'RSW' };
    const [older] = await store.create([{ type: 'thumbnail', ...target, payload: { regenerate: true } }]);
    const [newer] = await store.create([{ type: 'thumbnail', ...target, payload: { regenerate: true } }]);
    return { mediaId, older: older!, newer: newer! };
  };
  const rendition = (mediaId: string, job: Job) => ({
    mediaId,
    role: 'thumbnail' as const,
    backend: 'local',
    key: `RSW/sh010_comp/_renditions/thumbnail-${job.id}.jpg`,
    size: 1,
    sha256: 'b'.repeat(64),
    contentType: 'image/jpeg',
    info: {},
  });
  const markDone = (c: Db, job: Job) => sql`UPDATE job SET state = 'done' WHERE id = ${job.id}`.execute(c);

  /**
   * The newer job's completion swaps its record in and holds the item's row; the older job's
   * completion (`older`) runs meanwhile; then the newer one commits.
   */
  const race = async (older: (c: Db, mediaId: string, job: Job) => Promise<unknown>) => {
    const { mediaId, older: o, newer: n } = await twoRequests();
    const db = lib.montu.db;
    const two = await pgSession(db);
    await two.run(async (c) => {
      await markDone(c, n);
      expect(Array.isArray(await swapRendition(c, rendition(mediaId, n), n))).toBe(true);
    });
    const one = await pgSession(db);
    const olderDone = one.run(async (c) => {
      await markDone(c, o);
      return older(c, mediaId, o);
    });
    // The older completion waits for the item's row (or, before the fix, its question was answered).
    const waited = await settledOrWaiting(db, one.pid, olderDone);
    await two.end();
    const outcome = await olderDone;
    await one.end();
    const [kept] = await filesOf(db, mediaId, 'thumbnail');
    return { waited, outcome, kept: kept!.storage_key, older: o, newer: n, mediaId };
  };

  it('keeps the newer rendition when the older completion waited for the newer one', async () => {
    const r = await race((c, mediaId, job) => swapRendition(c, rendition(mediaId, job), job));
    expect(r.waited).toBe('waiting');
    expect(r.outcome).toBe('superseded');
    expect(r.kept).toBe(rendition(r.mediaId, r.newer).key);
  });

  it('lost the newer rendition when asked before the lock, as the pipeline did (control)', async () => {
    // The pipeline's order before decision 237: is a newer job done? then swap (lock, replace).
    const r = await race(async (c, mediaId, job) =>
      (await newerJobDone(c, job)) ? 'superseded' : swapRendition(c, rendition(mediaId, job)),
    );
    expect(r.waited).toBe('waiting');
    expect(Array.isArray(r.outcome)).toBe(true);
    expect(r.kept).toBe(rendition(r.mediaId, r.older).key);
  });
});
