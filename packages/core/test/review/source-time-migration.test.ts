import fs from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, tempDir } from '../helpers/env.js';
import { openTestLibrary, type TestLibrary } from '../helpers/montu.js';
import { makeProResMov } from '../../../../e2e/fixtures/media.js';

/**
 * Migrations 008 (source time) and 009 (note revision) on a library made before them: the
 * columns are dropped and the migrations forgotten, then the library is opened again.
 */
describe.each(DATABASES)('source-time and note-revision migrations on %s', (kind) => {
  let lib: TestLibrary;
  let work: string;
  beforeAll(async () => {
    lib = await openTestLibrary(kind, { jobs: false });
    work = tempDir();
  });
  afterAll(async () => {
    await lib.cleanup();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('fills start timecode and frame of existing movies and gives existing notes revision 1', async () => {
    await lib.montu.projects.createProject({ id: 'OLD' });
    const movie = await lib.montu.media.uploadMedia({
      filePath: makeProResMov(work),
      projectId: 'OLD',
      taskId: 'ep01_sq010_sh010_comp',
      author: 'ana',
    });
    await lib.montu.media.updateMediaMetadata(movie, {
      metadata: { fps: '24000/1001', frameCount: 48, timecode: '01:00:00:00' },
    });
    const note = await lib.montu.notes.addNote(movie, { content: 'old note', author: 'sup', frame: 41 });
    // Back to the schema of before 008/009.
    const db = lib.montu.db;
    await db.schema.alterTable('media').dropColumn('start_timecode').execute();
    await db.schema.alterTable('media').dropColumn('start_frame').execute();
    await db.schema.alterTable('annotation').dropColumn('revision').execute();
    await sql`DELETE FROM kysely_migration WHERE name IN ('008_source_time', '009_note_revision')`.execute(
      db,
    );

    await lib.reopen();
    const m = await lib.montu.media.getMediaById(movie);
    expect(m).toMatchObject({ startTimecode: '01:00:00:00', startFrame: 86400 });
    const after = await lib.montu.notes.getNote(note.id);
    expect(after).toMatchObject({ revision: 1, sourceFrame: 86441, timecode: '01:00:01:17' });
  });
});
