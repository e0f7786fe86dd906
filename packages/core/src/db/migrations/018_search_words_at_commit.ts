import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time */
/**
 * PostgreSQL's `media_search_word` (migration 016) is written once per transaction, at its commit,
 * in one sorted pass (decision 236). Migration 016's statement triggers inserted each statement's
 * words at once, sorted within the statement; a transaction of several statements then held the
 * first statement's new words until commit while it inserted the next's, so two transactions adding
 * the same new words in opposite orders deadlocked and PostgreSQL aborted one of them.
 * - The statement triggers now note the statement's words not yet in the table in
 *   `media_search_word_pending`, under the transaction's id: a plain insert, no unique index,
 *   nothing for another transaction to wait for. An update notes only the words it adds.
 * - A deferred constraint trigger on that table runs at commit: it inserts all of the
 *   transaction's noted words into `media_search_word` sorted (ON CONFLICT DO NOTHING) and deletes
 *   the notes. Every transaction takes the words' index entries in the one order, as the last
 *   thing it does, holding nothing else it waits on: no cycle of waits is possible.
 * Unlogged: a note lives only until its transaction ends (rolled back with it, deleted at commit).
 * SQLite: nothing (FTS5's own vocabulary; one writer at a time).
 */
export async function up(db: Kysely<any>, dialect: DialectName): Promise<void> {
  if (dialect === 'sqlite') return;
  await sql`CREATE UNLOGGED TABLE media_search_word_pending (xact bigint NOT NULL, words text[] NOT NULL)`.execute(
    db,
  );
  await sql`CREATE INDEX media_search_word_pending_xact_idx ON media_search_word_pending (xact)`.execute(db);
  // search_path pinned: the functions find the tables in the schema they were made in.
  await sql`CREATE OR REPLACE FUNCTION media_search_word_add() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
    BEGIN
      INSERT INTO media_search_word_pending (xact, words)
        SELECT txid_current(), array_agg(DISTINCT w)
        FROM changed_media, unnest(tsvector_to_array(search_vector)) AS w
        WHERE NOT EXISTS (SELECT 1 FROM media_search_word s WHERE s.word = w)
        HAVING count(*) > 0;
      RETURN NULL;
    END $$`.execute(db);
  // An update notes only words its new rows have and its old rows had not (a status change: none);
  // the old rows' words are in the table already, or noted by this transaction.
  await sql`CREATE FUNCTION media_search_word_add_changed() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
    BEGIN
      INSERT INTO media_search_word_pending (xact, words)
        SELECT txid_current(), array_agg(w)
        FROM (
          SELECT unnest(tsvector_to_array(search_vector)) AS w FROM changed_media
          EXCEPT
          SELECT unnest(tsvector_to_array(search_vector)) FROM old_media
        ) AS added
        WHERE NOT EXISTS (SELECT 1 FROM media_search_word s WHERE s.word = added.w)
        HAVING count(*) > 0;
      RETURN NULL;
    END $$`.execute(db);
  await sql`DROP TRIGGER media_search_word_au ON media`.execute(db);
  await sql`CREATE TRIGGER media_search_word_au AFTER UPDATE ON media
    REFERENCING OLD TABLE AS old_media NEW TABLE AS changed_media
    FOR EACH STATEMENT EXECUTE FUNCTION media_search_word_add_changed()`.execute(db);
  await sql`CREATE FUNCTION media_search_word_flush() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
    BEGIN
      -- Fired once per note at commit; the first does the transaction's words, the rest find none.
      INSERT INTO media_search_word (word)
        SELECT DISTINCT w FROM media_search_word_pending p, unnest(p.words) AS w
        WHERE p.xact = txid_current() ORDER BY w
        ON CONFLICT DO NOTHING;
      DELETE FROM media_search_word_pending WHERE xact = txid_current();
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE CONSTRAINT TRIGGER media_search_word_flush AFTER INSERT ON media_search_word_pending
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION media_search_word_flush()`.execute(db);
}
