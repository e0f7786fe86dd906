import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/index.js';
import { insertMediaRecords, type NewMediaRecord } from '../../src/media/media-records.js';
import { searchTokens } from '../../src/media/search-query.js';
import { fullTextCondition } from '../../src/media/search-queries.js';
import { DATABASES } from '../helpers/env.js';
import { openTestLibrary, type TestLibrary } from '../helpers/montu.js';

/**
 * searchMedia finds rows in steps on SQLite (a short list of full-text matches, the newest
 * items checked one by one, a longer list, the whole match set; decisions 165 and 220). Every
 * step must give exactly what the single full-text query gives: compared here on 6,000 items
 * (more than the newest-first window), with common, rare and prefix words, filters, and text
 * beyond ASCII that the tokenizer may see its own way.
 */
describe.each(DATABASES)('search strategies agree with the plain full-text query on %s', (kind) => {
  let lib: TestLibrary;
  const COUNT = 6000;
  beforeAll(async () => {
    lib = await openTestLibrary(kind, { jobs: false });
    const { montu } = lib;
    await montu.projects.createProject({ id: 'S' });
    const words = ['explosion', 'rim', 'hero', 'smoke', 'rain', 'neon', 'Ørsted', 'café', 'naïve', 'straße'];
    const records: NewMediaRecord[] = [];
    for (let i = 0; i < COUNT; i++) {
      const taskId = `ep01_sq${String(10 + (i % 7) * 10).padStart(3, '0')}_sh${String(10 + (i % 11) * 10).padStart(3, '0')}_comp`;
      records.push({
        id: newId(),
        projectId: 'S',
        taskId,
        versionNumber: 1 + Math.floor(i / 77),
        mediaType: i % 3 ? 'image' : 'video',
        fileName: `${taskId}.exr`,
        mimeType: 'image/x-exr',
        size: 1,
        sha256: 'a'.repeat(64),
        author: `artist${i % 5}`,
        description: `${words[i % words.length]} ${i % 97 === 0 ? 'rarething' : ''} pass ${i}`,
        tags: [],
        processing: false,
        metadata: {},
        customProperties: {},
        files: [],
      });
    }
    const tasks = [...new Set(records.map((r) => r.taskId))];
    await montu.db.transaction().execute(async (trx) => {
      for (const t of tasks) await montu.projects.ensureTask(trx, 'S', t);
      await insertMediaRecords(trx, records);
    });
    await montu.db.updateTable('media').set({ status: 'approved' }).where('author', '=', 'artist2').execute();
    // Statistics, so PostgreSQL's search tells common words from rare ones as autovacuum lets it.
    if (kind === 'postgres') await sql`ANALYZE media`.execute(montu.db);
  });
  afterAll(async () => lib.cleanup());

  const plain = async (query: string, extra: (q: ReturnType<typeof base>) => ReturnType<typeof base>) =>
    (
      await extra(base())
        .where(fullTextCondition(kind, searchTokens(query)))
        .select('media.id')
        .orderBy('media.created_at', 'desc')
        .orderBy('media.id', 'desc')
        .limit(50)
        .execute()
    ).map((r) => r.id);
  const base = () => lib.montu.db.selectFrom('media').where('media.archived_at', 'is', null);

  const cases: Array<[string, Record<string, string>]> = [
    ['explosion', {}],
    ['pass', {}],
    ['pass 5999', {}],
    ['pass 12', {}],
    ['rarething', {}],
    ['rarething pass', {}],
    ['sq020 sh030', {}],
    ['sq0', {}],
    ['e', {}],
    ['orsted', {}],
    ['cafe', {}],
    ['naive pass', {}],
    ['strasse', {}],
    ['rim', { status: 'approved' }],
    ['rarething', { author: 'artist2' }],
    ['nothing', {}],
    // No match among the newest, more than the list's limit in the index: the third step.
    ['pass', { status: 'approved', author: 'artist3' }],
    ['pass', { author: 'artist2', status: 'approved' }],
  ];
  it.each(cases)('"%s" %j', async (query, filters) => {
    const got = (await lib.montu.media.searchMedia({ query, ...filters })).items.map((m) => m.id);
    const want = await plain(query, (q) => {
      let r = q;
      if (filters['status']) r = r.where('media.status', '=', filters['status']);
      if (filters['author']) r = r.where('media.author_key', '=', filters['author']);
      return r;
    });
    expect(got).toEqual(want);
  });
});
