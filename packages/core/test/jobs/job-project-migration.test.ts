/**
 * Migration 017 on a library made before it (decision 203): the job table gains `project_id`,
 * existing jobs take their media item's project, jobs of no item keep none, and listings scope
 * by the column through its index. On SQLite and PostgreSQL.
 */
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStore } from '../../src/jobs/job-store.js';
import { DATABASES, makePng, tempDir } from '../helpers/env.js';
import { openTestLibrary, type TestLibrary } from '../helpers/montu.js';

describe.each(DATABASES)('jobs carry their project (migration 017) on %s', (kind) => {
  let lib: TestLibrary;
  beforeAll(async () => {
    lib = await openTestLibrary(kind, { jobs: false });
  });
  afterAll(async () => lib.cleanup());

  it('fills the project of existing jobs from their media items', async () => {
    const png = await makePng(path.join(tempDir(), 'a.png'));
    const upload = (projectId: string) =>
      lib.montu.media.uploadMedia({ filePath: png, projectId, taskId: 'sh010_comp', author: 'x' });
    const [m1, m2] = [await upload('OLDA'), await upload('OLDB')];
    const store = new JobStore(lib.montu.db, lib.montu.dialect);
    const [j1, j2, j3] = await store.create([
      { type: 'probe', mediaId: m1, projectId: 'OLDA' },
      { type: 'thumbnail', mediaId: m2, projectId: 'OLDB' },
      { type: 'webhook.deliver', payload: { deliveryId: 'd1' } },
    ]);

    // Back to the schema of before 017: no column, no index, the jobs' projects unknown.
    const db = lib.montu.db;
    await db.schema.dropIndex('job_project_idx').execute();
    await db.schema.alterTable('job').dropColumn('project_id').execute();
    await sql`DELETE FROM kysely_migration WHERE name = '017_job_project'`.execute(db);

    await lib.reopen();
    const after = new JobStore(lib.montu.db, lib.montu.dialect);
    expect(await after.get(j1!.id)).toMatchObject({ mediaId: m1, projectId: 'OLDA' });
    expect(await after.get(j2!.id)).toMatchObject({ mediaId: m2, projectId: 'OLDB' });
    expect(await after.get(j3!.id)).toMatchObject({ mediaId: null, projectId: null });
    expect((await after.list({ projectIds: ['OLDB'] })).map((j) => j.id)).toEqual([j2!.id]);
    const index =
      lib.montu.dialect === 'sqlite'
        ? sql`SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'job_project_idx'`
        : sql`SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'job_project_idx'`;
    expect((await index.execute(lib.montu.db)).rows).toHaveLength(1);
  });
});
