import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are written against the schema of their own time */
/**
 * The words of the full-text index, for search at a million items (decision 220). Search asks
 * whether a word typed is a whole word of the index that starts no other; then it asks the index
 * for that exact word, which FTS5 and GIN read only as far as the other words need, instead of a
 * prefix, whose every row both merge first (`sq120 & sh040`: FTS5 2.4 ms against 27 ms for the
 * prefixes, GIN 19 ms against 131 ms, at a million items).
 * - SQLite: `media_fts_terms`, FTS5's own vocabulary (an `fts5vocab` table: it reads the index
 *   and holds no rows of its own, so existing libraries need no backfill).
 * - PostgreSQL: `media_search_word`, every lexeme of `media.search_vector` (byte order, "C"),
 *   added by statement triggers after inserts and updates of media and filled here from existing
 *   media. Words are never removed: a word left over only makes a typed word look like a prefix,
 *   which is slower but finds the same items.
 */
export async function up(db: Kysely<any>, dialect: DialectName): Promise<void> {
  if (dialect === 'sqlite') {
    await sql`CREATE VIRTUAL TABLE media_fts_terms USING fts5vocab(media_fts, row)`.execute(db);
    return;
  }
  await sql`CREATE TABLE media_search_word (word text COLLATE "C" PRIMARY KEY)`.execute(db);
  // Sorted, so concurrent uploads adding the same new words take their locks in one order.
  // search_path pinned: the trigger finds the table in the schema it was made in.
  await sql`CREATE FUNCTION media_search_word_add() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
    BEGIN
      INSERT INTO media_search_word (word)
        SELECT DISTINCT w FROM changed_media, unnest(tsvector_to_array(search_vector)) AS w ORDER BY w
        ON CONFLICT DO NOTHING;
      RETURN NULL;
    END $$`.execute(db);
  for (const [name, event] of [
    ['media_search_word_ai', 'INSERT'],
    ['media_search_word_au', 'UPDATE'],
  ] as const) {
    await sql`CREATE TRIGGER ${sql.id(name)} AFTER ${sql.raw(event)} ON media
      REFERENCING NEW TABLE AS changed_media FOR EACH STATEMENT EXECUTE FUNCTION media_search_word_add()`.execute(
      db,
    );
  }
  await sql`INSERT INTO media_search_word (word)
    SELECT DISTINCT w FROM media, unnest(tsvector_to_array(search_vector)) AS w ORDER BY w
    ON CONFLICT DO NOTHING`.execute(db);
}
