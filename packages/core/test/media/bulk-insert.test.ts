import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/index.js';
import {
  finishBulkImport,
  insertMediaRecord,
  insertMediaRecords,
  type NewMediaRecord,
} from '../../src/media/media-records.js';
import { DATABASES } from '../helpers/env.js';
import { openTestLibrary, type TestLibrary } from '../helpers/montu.js';

/**
 * The bulk import (the search benchmark's seed path) must write exactly what one upload's
 * insert writes: the same media, file, tag and history rows, found by the same searches.
 */
describe.each(DATABASES)('insertMediaRecords on %s', (kind) => {
  let lib: TestLibrary;
  beforeAll(async () => {
    lib = await openTestLibrary(kind, { jobs: false });
    await lib.montu.projects.createProject({ id: 'ONE', settings: { movieStartFrame: 1001 } });
    await lib.montu.projects.createProject({ id: 'BULK', settings: { movieStartFrame: 1001 } });
  });
  afterAll(async () => lib.cleanup());

  const record = (projectId: string, i: number): NewMediaRecord => {
    const id = newId();
    const taskId = `ep01_sq010_sh0${i}0_comp`;
    return {
      id,
      projectId,
      taskId,
      versionNumber: 1,
      mediaType: i % 2 ? 'video' : 'image',
      fileName: `${taskId}_v001.${i % 2 ? 'mov' : 'exr'}`,
      mimeType: i % 2 ? 'video/quicktime' : 'image/x-exr',
      size: 1000 + i,
      sha256: String(i).repeat(64).slice(0, 64),
      author: i % 2 ? 'Ædith Ørn' : 'bob',
      via: i === 3 ? 'pipeline' : null,
      description: `Débris pass ${i}`,
      tags: i % 2 ? ['hero', 'fg'] : [],
      processing: i % 2 === 1,
      metadata: i % 2 ? { timecode: '01:00:00:00', fps: '24/1' } : { width: 10 },
      customProperties: { n: i },
      files: [
        {
          role: 'original',
          frame: null,
          backend: 'local',
          key: `${projectId}/${id}`,
          size: 1000 + i,
          sha256: 'a'.repeat(64),
          contentType: 'x/y',
        },
      ],
    };
  };

  it('writes the rows insertMediaRecord writes, and search finds them alike', async () => {
    const { montu } = lib;
    const singles = [1, 2, 3, 4].map((i) => record('ONE', i));
    const bulk = [1, 2, 3, 4].map((i) => record('BULK', i));
    await montu.db.transaction().execute(async (trx) => {
      for (const r of [...singles, ...bulk]) await montu.projects.ensureTask(trx, r.projectId, r.taskId);
      for (const r of singles) await insertMediaRecord(trx, r);
      await insertMediaRecords(trx, bulk);
    });

    // Everything but ids, the project, the storage key and timestamps is identical.
    const strip = (m: Awaited<ReturnType<typeof montu.media.getMediaById>>) => {
      const { id: _id, projectId: _p, createdAt: _c, updatedAt: _u, files, ...rest } = m;
      return { ...rest, files: files.map(({ id: _f, mediaId: _m, key: _k, createdAt: _fc, ...f }) => f) };
    };
    for (let i = 0; i < 4; i++) {
      const a = await montu.media.getMediaById(singles[i]!.id);
      const b = await montu.media.getMediaById(bulk[i]!.id);
      expect(strip(b)).toEqual(strip(a));
      const ha = await montu.history.forSubject('media', singles[i]!.id);
      const hb = await montu.history.forSubject('media', bulk[i]!.id);
      expect(hb.map(({ id: _i, at: _a, projectId: _p, subjectId: _s, ...h }) => h)).toEqual(
        ha.map(({ id: _i, at: _a, projectId: _p, subjectId: _s, ...h }) => h),
      );
      expect(hb).toHaveLength(1);
    }
    // The raw rows too (search_text, author_key, source start columns), not only what the API shows.
    const raw = async (id: string) => {
      const r = await montu.db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      const {
        id: _i,
        project_id: _p,
        created_at: _c,
        updated_at: _u,
        ...rest
      } = r as Record<string, unknown>;
      return rest;
    };
    for (let i = 0; i < 4; i++) expect(await raw(bulk[i]!.id)).toEqual(await raw(singles[i]!.id));
    expect((await raw(bulk[0]!.id)).start_frame).toBe(1001);

    // The full-text index holds the bulk rows: the same searches find both.
    for (const query of ['debris', 'sh020', 'bob', 'hero fg']) {
      const found = async (projectId: string) =>
        (await montu.media.searchMedia({ projectId, query })).items.map((m) => m.fileName).sort();
      expect(await found('BULK')).toEqual(await found('ONE'));
      expect((await found('BULK')).length).toBeGreaterThan(0);
    }
    expect((await montu.media.searchMedia({ projectId: 'BULK', tags: ['hero'] })).items).toHaveLength(2);
  });

  it('refuses a version that exists, writing nothing of the batch', async () => {
    const { montu } = lib;
    const taken = record('BULK', 1); // v001 of that task exists from the test above
    const fresh = record('BULK', 7);
    await expect(
      montu.db.transaction().execute(async (trx) => {
        await montu.projects.ensureTask(trx, fresh.projectId, fresh.taskId);
        await insertMediaRecords(trx, [fresh, taken]);
      }),
    ).rejects.toThrow();
    await expect(montu.media.getMediaById(fresh.id)).rejects.toThrow();
  });

  it('finishBulkImport leaves the planner statistics fresh (PostgreSQL: vacuumed and analysed)', async () => {
    const { montu } = lib;
    const records = [5, 6, 8, 9].map((i) => record('BULK', i));
    await montu.db.transaction().execute(async (trx) => {
      for (const r of records) await montu.projects.ensureTask(trx, r.projectId, r.taskId);
      await insertMediaRecords(trx, records);
      // A status per item as the bench's seed sets it: a dead row version each on PostgreSQL.
      await trx
        .updateTable('media')
        .set({ status: 'approved' })
        .where(
          'id',
          'in',
          records.map((r) => r.id),
        )
        .execute();
    });
    // VACUUM cannot run in a transaction: refused on both engines alike.
    await expect(montu.db.transaction().execute((trx) => finishBulkImport(trx, kind))).rejects.toThrow(
      /outside a transaction/,
    );
    await finishBulkImport(montu.db, kind);
    if (kind === 'postgres') {
      // Vacuumed and analysed. (Pages are marked all-visible only when no older transaction is
      // open anywhere in the database, which a shared test database does not promise.)
      const media = await sql<{ vacuumed: boolean; analysed: boolean }>`
        SELECT last_vacuum IS NOT NULL AS vacuumed, last_analyze IS NOT NULL AS analysed
        FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = 'media'`.execute(montu.db);
      expect(media.rows[0]).toEqual({ vacuumed: true, analysed: true });
      const stats = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM pg_stats
        WHERE schemaname = current_schema() AND tablename = 'media' AND attname = 'search_vector'`.execute(
        montu.db,
      );
      expect(stats.rows[0]!.n).toBe(1);
    } else {
      const stats = await sql<{
        n: number;
      }>`SELECT count(*) AS n FROM sqlite_stat1 WHERE tbl = 'media'`.execute(montu.db);
      expect(Number(stats.rows[0]!.n)).toBeGreaterThan(0);
    }
    expect((await montu.media.searchMedia({ projectId: 'BULK', status: 'approved' })).items).toHaveLength(4);
  });
});
