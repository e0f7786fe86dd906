import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/context.js';
import { newId } from '../../src/index.js';
import { insertMediaRecords, type NewMediaRecord } from '../../src/media/media-records.js';
import { DATABASES } from '../helpers/env.js';
import { openTestLibrary, type TestLibrary } from '../helpers/montu.js';
import { pgSession, settledOrWaiting } from '../helpers/pg-sessions.js';

/**
 * PostgreSQL keeps `media_search_word` (decision 220) for every media insert and update. Two
 * transactions that each add the same two new words, in opposite orders and in separate
 * statements, must both commit (decision 236): A adds word a, B adds word b, then A adds b
 * while B adds a. With migration 016's trigger each held its first word's index entry until
 * commit and waited for the other's: a deadlock, and PostgreSQL aborted one of them.
 */
describe.runIf(DATABASES.includes('postgres'))(
  'search words under concurrent transactions on postgres',
  () => {
    let lib: TestLibrary;
    let version = 1;
    const record = (description: string): NewMediaRecord => ({
      id: newId(),
      projectId: 'W',
      taskId: 'sq010_sh010_comp',
      versionNumber: version++,
      mediaType: 'image',
      fileName: 'sq010_sh010_comp.exr',
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
    });

    const session = async (db: Db) => {
      const s = await pgSession(db);
      return {
        ...s,
        insert: (description: string) => s.run((c) => insertMediaRecords(c, [record(description)])),
      };
    };

    /** The interleaving above; the error codes of what failed (40P01: deadlock detected). */
    const interleave = async (db: Db, a: string, b: string) => {
      const one = await session(db);
      const two = await session(db);
      const failures: string[] = [];
      const note = (e: unknown) => void failures.push(String((e as { code?: string }).code ?? e));
      await one.insert(`${a} first`);
      await two.insert(`${b} first`);
      const oneSecond = one.insert(`${b} second`).catch(note);
      const oneState = await settledOrWaiting(db, one.pid, oneSecond);
      const twoSecond = two.insert(`${a} second`).catch(note);
      await Promise.all([oneSecond, twoSecond]);
      await Promise.all([one.end().catch(note), two.end().catch(note)]);
      return { failures, oneState };
    };

    const words = async (db: Db, list: string[]) =>
      (
        await sql<{
          word: string;
        }>`SELECT word FROM media_search_word WHERE word = ANY(${list}) ORDER BY word`.execute(db)
      ).rows.map((r) => r.word);

    beforeAll(async () => {
      lib = await openTestLibrary('postgres', { jobs: false });
      await lib.montu.projects.createProject({ id: 'W' });
      // Every other word of the records is in the words table before the race: only a and b are new.
      await lib.montu.db.transaction().execute(async (trx) => {
        await lib.montu.projects.ensureTask(trx, 'W', 'sq010_sh010_comp');
        await insertMediaRecords(trx, [record('first second')]);
      });
    });
    afterAll(async () => lib?.cleanup());

    it('commits both transactions and keeps both words', async () => {
      const db = lib.montu.db;
      for (let round = 0; round < 3; round++) {
        const tag = randomBytes(4).toString('hex');
        const [a, b] = [`dla${tag}`, `dlb${tag}`];
        const before = Number(
          (await sql<{ n: string }>`SELECT count(*) AS n FROM media`.execute(db)).rows[0]!.n,
        );
        const { failures, oneState } = await interleave(db, a, b);
        expect(failures).toEqual([]);
        // A's second statement did not wait for B: nothing of the words table is locked before commit.
        expect(oneState).toBe('settled');
        const after = Number(
          (await sql<{ n: string }>`SELECT count(*) AS n FROM media`.execute(db)).rows[0]!.n,
        );
        expect(after - before).toBe(4);
        expect(await words(db, [a, b])).toEqual([a, b]);
      }
      // The words waiting for their transaction's commit are gone with it.
      expect((await sql`SELECT 1 FROM media_search_word_pending`.execute(db)).rows).toEqual([]);
    });

    it('commits two transactions adding the same many words in opposite orders, committed at once', async () => {
      const db = lib.montu.db;
      const tag = randomBytes(4).toString('hex');
      const list = Array.from({ length: 20 }, (_, i) => `dlm${tag}w${String(i).padStart(2, '0')}`);
      const one = await session(db);
      const two = await session(db);
      const failures: string[] = [];
      const note = (e: unknown) => void failures.push(String((e as { code?: string }).code ?? e));
      // One item per word per statement, the two transactions in step: ascending and descending.
      for (let i = 0; i < list.length; i++) {
        await Promise.all([
          one.insert(list[i]!).catch(note),
          two.insert(list[list.length - 1 - i]!).catch(note),
        ]);
      }
      await Promise.all([one.end().catch(note), two.end().catch(note)]);
      expect(failures).toEqual([]);
      expect(await words(db, list)).toEqual(list);
    });

    it('deadlocked with the trigger of migration 016 (the same interleaving, as a control)', async () => {
      const control = await openTestLibrary('postgres', { jobs: false });
      try {
        const db = control.montu.db;
        await control.montu.projects.createProject({ id: 'W' });
        await db.transaction().execute(async (trx) => {
          await control.montu.projects.ensureTask(trx, 'W', 'sq010_sh010_comp');
          await insertMediaRecords(trx, [record('first second')]);
        });
        // Migration 016's statement trigger, as it was: each statement's words into the table at once.
        await sql`CREATE OR REPLACE FUNCTION media_search_word_add() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO media_search_word (word)
            SELECT DISTINCT w FROM changed_media, unnest(tsvector_to_array(search_vector)) AS w ORDER BY w
            ON CONFLICT DO NOTHING;
          RETURN NULL;
        END $$`.execute(db);
        const tag = randomBytes(4).toString('hex');
        const { failures, oneState } = await interleave(db, `dla${tag}`, `dlb${tag}`);
        expect(oneState).toBe('waiting');
        expect(failures).toEqual(['40P01']);
      } finally {
        await control.cleanup();
      }
    });
  },
);
