/**
 * Resumable upload sessions on a table (issue 19, item 4): any process on the database answers
 * for any upload; one process at a time holds the lease to finish it; a lease whose process died
 * is taken over; the outcome is kept. On SQLite and PostgreSQL.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST, openMontu, type Montu } from '../../src/index.js';
import { DATABASES, makePng } from '../helpers/env.js';
import { openTestLibrary, type TestLibrary } from '../helpers/montu.js';

/** The owner string of a process of this host that has exited. */
function deadProcessLease(): string {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return `${HOST}~${r.stdout}`;
}

for (const kind of DATABASES) {
  describe(`upload sessions (${kind})`, () => {
    let lib: TestLibrary;
    let other: Montu;
    beforeAll(async () => {
      lib = await openTestLibrary(kind);
      // A second handle on the same database stands for a second API process (same pid here,
      // so the lease test below uses a dead process's lease).
      other = await openMontu({ dataDir: lib.dir, databaseUrl: lib.databaseUrl, jobs: false });
    });
    afterAll(async () => {
      await other.close();
      await lib.cleanup();
    });

    it('keeps owner, offset and outcome, seen from any handle', async () => {
      const s = lib.montu.uploads;
      await s.open('a'.repeat(32), 'user-1', 5_000_000_000);
      await s.progress('a'.repeat(32), 4_000_000_000, 5_000_000_000);
      expect(await other.uploads.get('a'.repeat(32))).toMatchObject({
        userId: 'user-1',
        state: 'uploading',
        offset: 4_000_000_000,
        size: 5_000_000_000,
        lease: null,
      });
      expect(await s.claimFinish('a'.repeat(32), 'user-1', 5_000_000_000)).toBe(true);
      // Held: neither this process nor another takes it again.
      expect(await s.claimFinish('a'.repeat(32), 'user-1', 5_000_000_000)).toBe(false);
      expect(await other.uploads.claimFinish('a'.repeat(32), 'user-1', 5_000_000_000)).toBe(false);
      await s.complete('a'.repeat(32), 'media-1');
      expect(await other.uploads.get('a'.repeat(32))).toMatchObject({
        state: 'complete',
        mediaId: 'media-1',
        lease: null,
      });
      expect(await s.claimFinish('a'.repeat(32), 'user-1', 5_000_000_000)).toBe(false);
    });

    it('records a refusal, and a released lease can be taken again', async () => {
      const s = lib.montu.uploads;
      const id = 'b'.repeat(32);
      expect(await s.claimFinish(id, 'user-2', 10)).toBe(true); // created here (an upload older than sessions)
      await s.release(id);
      expect((await s.get(id))?.state).toBe('uploading');
      expect(await s.claimFinish(id, 'user-2', 10)).toBe(true);
      await s.fail(id, { status: 422, code: 'checksum_mismatch', detail: 'no' });
      expect(await other.uploads.get(id)).toMatchObject({
        state: 'failed',
        error: { status: 422, code: 'checksum_mismatch', detail: 'no' },
      });
    });

    it('takes over the lease of a process that died while finishing, once', async () => {
      const id = 'c'.repeat(32);
      await lib.montu.uploads.open(id, 'user-3', 10);
      await lib.montu.db
        .updateTable('upload_session')
        .set({ state: 'finishing', lease: deadProcessLease() })
        .where('id', '=', id)
        .execute();
      const taken = await Promise.all([
        lib.montu.uploads.claimFinish(id, 'user-3', 10),
        other.uploads.claimFinish(id, 'user-3', 10),
      ]);
      expect(taken.filter(Boolean)).toHaveLength(1);
      await lib.montu.uploads.remove(id);
      expect(await other.uploads.get(id)).toBeUndefined();
    });

    it('keeps a sequence upload on the same session model: frames received, outcome', async () => {
      const png = fs.readFileSync(await makePng(path.join(lib.dir, 'frame.png')));
      const up = await lib.montu.sequences.startSequenceUpload({
        projectId: 'SESS',
        taskId: 'seq',
        author: 'Ana',
        frames: [
          { frame: 1001, fileName: 'seq.1001.png' },
          { frame: 1002, fileName: 'seq.1002.png' },
        ],
      });
      const session = () =>
        lib.montu.db
          .selectFrom('upload_session')
          .selectAll()
          .where('id', '=', up.uploadId)
          .executeTakeFirst();
      // A client-driven upload: held by no process, so a restart (or any other process) carries on.
      expect(await session()).toMatchObject({
        kind: 'sequence',
        state: 'uploading',
        lease: null,
        user_id: 'Ana',
      });
      expect(Number((await session())!.size)).toBe(2);
      await lib.montu.sequences.putSequenceFrame(up.uploadId, 1001, Readable.from([png]));
      expect(Number((await session())!.offset)).toBe(1);
      expect((await other.sequences.getSequenceUpload(up.uploadId)).pendingFrames).toEqual([1002]);
      await other.sequences.putSequenceFrame(up.uploadId, 1002, Readable.from([png]));
      const mediaId = await lib.montu.sequences.completeSequenceUpload(up.uploadId);
      expect(await session()).toMatchObject({ state: 'complete', media_id: mediaId, lease: null });
      expect(Number((await session())!.offset)).toBe(2);
      // The frames are the media's files now; the session keeps no copy of them.
      const frameRows = await lib.montu.db
        .selectFrom('upload_session_frame')
        .select('frame')
        .where('upload_id', '=', up.uploadId)
        .execute();
      expect(frameRows).toEqual([]);
      expect((await lib.montu.media.getMediaById(mediaId)).mediaType).toBe('sequence');
      // Completed: gone for the sequence API, as before; a second completion is refused.
      await expect(other.sequences.getSequenceUpload(up.uploadId)).rejects.toMatchObject({
        code: 'not_found',
      });
      await expect(other.sequences.completeSequenceUpload(up.uploadId)).rejects.toMatchObject({
        code: 'not_found',
      });
      // Neither API answers for the other's kind of session.
      expect(await lib.montu.uploads.get(up.uploadId)).toBeUndefined();
    });

    it('prunes ended and expired sessions after the retention, at start-up and by cleanup', async () => {
      const m = lib.montu;
      const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
      const age = (id: string, days: number) =>
        m.db
          .updateTable('upload_session')
          .set({ updated_at: ago(days) })
          .where('id', '=', id)
          .execute();
      const ids = {
        oldComplete: 'd'.repeat(32),
        oldFailed: 'e'.repeat(32),
        idleTus: 'f'.repeat(32),
        newComplete: '1'.repeat(32),
        activeTus: '2'.repeat(32),
      };
      for (const id of Object.values(ids)) await m.uploads.open(id, 'user-9', 10);
      for (const id of [ids.oldComplete, ids.newComplete]) {
        expect(await m.uploads.claimFinish(id, 'user-9', 10)).toBe(true);
        await m.uploads.complete(id, 'media-x');
      }
      expect(await m.uploads.claimFinish(ids.oldFailed, 'user-9', 10)).toBe(true);
      await m.uploads.fail(ids.oldFailed, { status: 422, code: 'checksum_mismatch', detail: 'no' });
      // A sequence upload in flight for 8 days (but started within the day: not yet abandoned).
      const seq = await m.sequences.startSequenceUpload({
        projectId: 'SESS',
        taskId: 'prune',
        author: 'Ana',
        frames: [{ frame: 1, fileName: 'p.0001.png' }],
      });
      for (const id of [ids.oldComplete, ids.oldFailed, ids.idleTus, seq.uploadId]) await age(id, 8);

      const pruned = await m.maintenance.pruneUploadSessions();
      expect(pruned).toEqual({ abandonedSequences: 0, prunedSessions: 3 });
      for (const id of [ids.oldComplete, ids.oldFailed, ids.idleTus])
        expect(await other.uploads.get(id)).toBeUndefined();
      expect((await other.uploads.get(ids.newComplete))?.state).toBe('complete');
      expect((await other.uploads.get(ids.activeTus))?.state).toBe('uploading');
      expect((await other.sequences.getSequenceUpload(seq.uploadId)).pendingFrames).toEqual([1]);

      // The retention is a setting: a library opened with one minute prunes at start-up what
      // ended two minutes ago; a cleanup (not a dry run) prunes too.
      await m.db
        .updateTable('upload_session')
        .set({ updated_at: new Date(Date.now() - 120_000).toISOString() })
        .where('id', '=', ids.newComplete)
        .execute();
      const short = await openMontu({
        dataDir: lib.dir,
        databaseUrl: lib.databaseUrl,
        storage: { type: 'local', root: lib.storageRoot },
        jobs: false,
        limits: { uploadSessionRetentionSeconds: 60 },
      });
      try {
        expect(await short.uploads.get(ids.newComplete)).toBeUndefined();
        await age(ids.activeTus, 1);
        await short.maintenance.cleanupOrphanedFiles({ dryRun: true, verifyChecksums: false });
        expect((await short.uploads.get(ids.activeTus))?.state).toBe('uploading');
        await short.maintenance.cleanupOrphanedFiles({ dryRun: false, verifyChecksums: false });
        expect(await short.uploads.get(ids.activeTus)).toBeUndefined();
      } finally {
        await short.close();
      }
      // A sequence upload older than a day is abandoned: its session and version claim go.
      await m.db
        .updateTable('upload_session')
        .set({ created_at: ago(2) })
        .where('id', '=', seq.uploadId)
        .execute();
      expect(await m.maintenance.pruneUploadSessions()).toMatchObject({ abandonedSequences: 1 });
      await expect(m.sequences.getSequenceUpload(seq.uploadId)).rejects.toMatchObject({ code: 'not_found' });
    });
  });
}
