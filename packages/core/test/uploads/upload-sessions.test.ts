/**
 * Resumable upload sessions on a table (issue 19, item 4): any process on the database answers
 * for any upload; one process at a time holds the lease to finish it; a lease whose process died
 * is taken over; the outcome is kept. On SQLite and PostgreSQL.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST, openMontu, type Montu } from '../../src/index.js';
import { DATABASES } from '../helpers/env.js';
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
  });
}
