import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/index.js';
import { insertMediaRecords, type NewMediaRecord } from '../../src/media/media-records.js';
import { searchTokens } from '../../src/media/search-query.js';
import { fullTextCondition } from '../../src/media/search-queries.js';
import { DATABASES } from '../helpers/env.js';
import { openTestLibrary, type TestLibrary } from '../helpers/montu.js';

/**
 * Search asks the full-text index for a typed word as that exact word when the index holds no
 * longer word starting with it (decision 220; migration 016: FTS5's vocabulary on SQLite,
 * `media_search_word` kept by triggers on PostgreSQL). Words added later by an insert or an
 * update must turn the typed word back into a prefix, and a library made before the migration
 * gets its words: every search here is compared with the plain prefix query.
 */
describe.each(DATABASES)('search by exact index words on %s', (kind) => {
  let lib: TestLibrary;
  // More items than the newest-first window (2,000); `sq020 sh030` in 1 of 77 is a short list
  // from the index, `plate` (in every item) is found by the window.
  const COUNT = 3000;
  const record = (i: number, description: string): NewMediaRecord => {
    const taskId = `ep01_sq${String(10 + (i % 7) * 10).padStart(3, '0')}_sh${String(10 + (i % 11) * 10).padStart(3, '0')}_comp`;
    return {
      id: newId(),
      projectId: 'W',
      taskId,
      versionNumber: 1 + i,
      mediaType: 'image',
      fileName: `${taskId}.exr`,
      mimeType: 'image/x-exr',
      size: 1,
      sha256: 'a'.repeat(64),
      author: 'artist',
      description,
      tags: [],
      processing: false,
      metadata: {},
      customProperties: {},
      files: [],
    };
  };
  const insert = async (records: NewMediaRecord[]) => {
    const { montu } = lib;
    await montu.db.transaction().execute(async (trx) => {
      for (const t of new Set(records.map((r) => r.taskId))) await montu.projects.ensureTask(trx, 'W', t);
      await insertMediaRecords(trx, records);
    });
  };
  beforeAll(async () => {
    lib = await openTestLibrary(kind, { jobs: false });
    await lib.montu.projects.createProject({ id: 'W' });
    await insert(Array.from({ length: COUNT }, (_, i) => record(i, `plate pass ${i}`)));
    if (kind === 'postgres') await sql`ANALYZE media`.execute(lib.montu.db);
  });
  afterAll(async () => lib.cleanup());

  const plain = async (query: string, taskId?: string) =>
    (
      await lib.montu.db
        .selectFrom('media')
        .where('media.archived_at', 'is', null)
        .$if(taskId !== undefined, (q) => q.where('media.task_id', '=', taskId!))
        .where(fullTextCondition(kind, searchTokens(query)))
        .select('media.id')
        .orderBy('media.created_at', 'desc')
        .orderBy('media.id', 'desc')
        .limit(50)
        .execute()
    ).map((r) => r.id);
  const expectSame = async (query: string, taskId?: string) => {
    const want = await plain(query, taskId);
    expect(want.length).toBeGreaterThan(0);
    const got = await lib.montu.media.searchMedia({ query, ...(taskId ? { taskId } : {}) });
    expect(got.items.map((m) => m.id)).toEqual(want);
    return want;
  };

  it('finds rows by each step: a short list, the window, a longer list', async () => {
    await expectSame('pass 1234'); // one match: the list first
    await expectSame('plate'); // in every item (3,000): the window
    await expectSame('pla'); // a prefix that is no word: the window
    await expectSame('pla sq020 sh030'); // with exact words: the list, checked for the prefix
    // In every item, but the task holds 39 items: the window finds too few, the longer list.
    expect(await expectSame('plate', 'ep01_sq010_sh010_comp')).toHaveLength(39);
  });

  it('finds what the prefix query finds, before and after longer words arrive', async () => {
    const before = await expectSame('sq020 sh030');
    // An insert adds `sq0205`: `sq020` is now a prefix of another word, and the new item (whose
    // only word starting with sq020 is the longer one) must be found.
    const [longer] = [record(COUNT, 'sq0205 sh030 plate')];
    await insert([longer!]);
    const after = await expectSame('sq020 sh030');
    expect(after).toContain(longer!.id);
    expect(after.length).toBe(Math.min(50, before.length + 1));
    // An update adds `pass12x` to an old item: `pass 12x`… and `pass12` now start a longer word.
    const old = await lib.montu.media.searchMedia({ query: 'pass 1234' });
    await lib.montu.media.updateMediaInfo(old.items[0]!.id, { description: 'pass12x sh030 sq020' });
    const found = await expectSame('pass12 sq020');
    expect(found).toContain(old.items[0]!.id);
    await expectSame('pass 7');
    await expectSame('sq0205');
  });

  it('gives a library made before the words table its words', async () => {
    const db = lib.montu.db;
    if (kind === 'sqlite') {
      await sql`DROP TABLE media_fts_terms`.execute(db);
    } else {
      await sql`DROP TRIGGER media_search_word_ai ON media`.execute(db);
      await sql`DROP TRIGGER media_search_word_au ON media`.execute(db);
      await sql`DROP FUNCTION media_search_word_add()`.execute(db);
      await sql`DROP TABLE media_search_word`.execute(db);
      // Migration 018 (words written at commit) is undone too, and runs again after 016.
      await sql`DROP TABLE media_search_word_pending`.execute(db);
      await sql`DROP FUNCTION media_search_word_flush()`.execute(db);
      await sql`DROP FUNCTION media_search_word_add_changed()`.execute(db);
    }
    await sql`DELETE FROM kysely_migration WHERE name IN ('016_search_terms', '018_search_words_at_commit')`.execute(
      db,
    );
    await lib.reopen();
    const words =
      kind === 'sqlite'
        ? await sql<{
            w: string;
          }>`SELECT term AS w FROM media_fts_terms WHERE term >= 'sq020' AND term < 'sq021'`.execute(
            lib.montu.db,
          )
        : await sql<{
            w: string;
          }>`SELECT word AS w FROM media_search_word WHERE word >= 'sq020' AND word < 'sq021' ORDER BY word`.execute(
            lib.montu.db,
          );
    expect(words.rows.map((r) => r.w)).toEqual(['sq020', 'sq0205']);
    await expectSame('sq020 sh030');
    await expectSame('pass12 sq020');
    // Kept by the triggers after the migration too.
    const newer = record(COUNT + 1, 'sq0207 sh030');
    await insert([newer]);
    expect(await expectSame('sq020 sh030')).toContain(newer.id);
    if (kind === 'postgres') {
      const kept = await sql<{
        w: string;
      }>`SELECT word AS w FROM media_search_word WHERE word >= 'sq020' AND word < 'sq021' ORDER BY word`.execute(
        lib.montu.db,
      );
      expect(kept.rows.map((r) => r.w)).toEqual(['sq020', 'sq0205', 'sq0207']);
    }
  });

  // The edges of asking typed words as exact index words (decision 220; decision 240 tried
  // asking them first without the lookup on PostgreSQL): no item holding the words together,
  // pages after a cursor, words beyond ASCII beside exact ones, a token that only starts words.
  it("gives the prefix query's rows when the exact words find nothing, after a cursor, beside other letters", async () => {
    // Two words that are each in items but never together (item 1235 is in sq040): nothing.
    expect((await plain('sq010 1235')).length).toBe(0);
    expect((await lib.montu.media.searchMedia({ query: 'sq010 1235' })).items).toEqual([]);
    // Words of no item at all.
    expect((await lib.montu.media.searchMedia({ query: 'zzqx 9q9q' })).items).toEqual([]);
    // Pages after a cursor, exact words.
    const want = await plain('plate sh030');
    expect(want.length).toBeGreaterThan(20);
    const first = await lib.montu.media.searchMedia({ query: 'plate sh030', limit: 10 });
    expect(first.items.map((m) => m.id)).toEqual(want.slice(0, 10));
    const second = await lib.montu.media.searchMedia({
      query: 'plate sh030',
      limit: 10,
      cursor: first.nextCursor!,
    });
    expect(second.items.map((m) => m.id)).toEqual(want.slice(10, 20));
    // A word beyond ASCII stays a prefix beside exact ones.
    const norse = record(COUNT + 2, 'ørnen sq030 sh040');
    await insert([norse]);
    expect(await expectSame('ørn sq030 sh040')).toContain(norse.id);
    expect(await expectSame('ørnen sh040')).toContain(norse.id);
    // A token that is no word but starts one (sh03 of sh030): asked again, as a prefix.
    await expectSame('plate sh03');
  });
});
