import { sql, type RawBuilder, type Selectable, type SelectQueryBuilder } from 'kysely';
import type { ApprovalStatus, MediaType } from '@montu/domain';
import type { DialectName } from '../db/connect.js';
import type { Database, Db, MediaTable } from '../db/schema.js';
import type { Cursor } from './search-query.js';

/** What a search is restricted to, checked and normalised by the caller (MediaService). */
export interface SearchFilters {
  projectId?: string;
  /** Only these projects (a user's view); never empty (an empty scope finds nothing before asking). */
  projectIds?: string[];
  taskId?: string;
  mediaType?: MediaType;
  /** The author folded by `nameKey`. */
  authorKey?: string;
  status?: ApprovalStatus;
  reviewSelected?: boolean;
  /** Every one present (normalised tags). */
  tags: string[];
  /** Inclusive bounds on created_at (ISO-8601 times). */
  createdFrom?: string;
  createdTo?: string;
  archived: 'exclude' | 'include' | 'only';
  /** Only items after this one, newest first. */
  after?: Cursor;
}

/**
 * The first `n` media matching `filters` and every token (a word prefix), newest first
 * (created_at, id): the rows of one page of searchMedia (and one more, to know a next exists).
 */
export function searchMediaRows(
  db: Db,
  dialect: DialectName,
  filters: SearchFilters,
  tokens: string[],
  n: number,
): Promise<Selectable<MediaTable>[]> {
  return searchRows(db, dialect, filteredMedia(db, filters), tokens, n);
}

/** Media filtered by everything but the full text, nothing selected yet. */
function filteredMedia(db: Db, f: SearchFilters): FilteredMedia {
  let q = db.selectFrom('media');
  if (f.projectId !== undefined) q = q.where('media.project_id', '=', f.projectId);
  if (f.projectIds) q = q.where('media.project_id', 'in', f.projectIds);
  if (f.taskId !== undefined) q = q.where('media.task_id', '=', f.taskId);
  if (f.mediaType !== undefined) q = q.where('media.media_type', '=', f.mediaType);
  if (f.authorKey !== undefined) q = q.where('media.author_key', '=', f.authorKey);
  if (f.status !== undefined) q = q.where('media.status', '=', f.status);
  if (f.reviewSelected !== undefined) q = q.where('media.review_selected', '=', f.reviewSelected ? 1 : 0);
  for (const tag of f.tags) {
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('media_tag')
          .select('media_tag.media_id')
          .whereRef('media_tag.media_id', '=', 'media.id')
          .where('media_tag.tag', '=', tag),
      ),
    );
  }
  if (f.createdFrom !== undefined) q = q.where('media.created_at', '>=', f.createdFrom);
  if (f.createdTo !== undefined) q = q.where('media.created_at', '<=', f.createdTo);
  if (f.archived === 'exclude') q = q.where('media.archived_at', 'is', null);
  else if (f.archived === 'only') q = q.where('media.archived_at', 'is not', null);
  const c = f.after;
  if (c) {
    q = q.where((eb) =>
      eb.or([
        eb('media.created_at', '<', c.createdAt),
        eb.and([eb('media.created_at', '=', c.createdAt), eb('media.id', '<', c.id)]),
      ]),
    );
  }
  return q;
}

/** A WHERE condition on `media` matching every token as a word prefix. */
export function fullTextCondition(dialect: DialectName, tokens: string[]): RawBuilder<boolean> {
  if (dialect === 'sqlite') {
    // Tokens hold only letters and digits, so quoting them is enough for FTS5 syntax.
    return sql<boolean>`media.rowid IN (SELECT rowid FROM media_fts WHERE media_fts MATCH ${ftsMatch(tokens)})`;
  }
  return sql<boolean>`media.search_vector @@ to_tsquery('simple', ${tsQuery(tokens)})`;
}

/** FTS5 query text: every token as a word prefix. Tokens hold only letters and digits. */
function ftsMatch(tokens: string[]): string {
  return tokens.map((t) => `"${t}"*`).join(' AND ');
}

/** Media filtered by everything but the full text (and the cursor applied), nothing selected yet. */
export type FilteredMedia = SelectQueryBuilder<Database, 'media', object>;

/** Rows of the newest-first scan at a time, before asking the full-text index instead. */
const NEWEST_WINDOW = 2000;
/** A word in more items than this is common: it is checked row by row, not used to find rows. */
const COMMON_WORD = 10_000;
/** Full-text matches fetched as a list of rows; beyond this the index is walked newest first. */
const MATCH_LIST_MAX = 5000;
const ASCII_TOKEN = /^[a-z0-9]+$/;

/**
 * The first `n` media of `filtered` matching every token, newest first (created_at, id).
 *
 * On PostgreSQL, one query (postgresTextCondition); on SQLite for words with letters beyond
 * ASCII, one query with the full-text condition. On SQLite with ASCII words, the same rows found faster (decision 165):
 * the `IN (full-text matches)` form builds the whole match set and then either sorts it (a
 * common word: 230,000 rows of a million) or walks every item newest first against it (a rare
 * one), and a prefix (`"pass"*`) makes FTS5 merge the whole of every word it covers.
 * 1. The newest NEWEST_WINDOW filtered items are checked one by one; enough matches there are
 *    the answer (a common word).
 * 2. Otherwise the index finds the rows, from the tokens whose exact word is rare (a common
 *    one is checked row by row), as a list of at most MATCH_LIST_MAX rows sorted here.
 * 3. Otherwise the full-text condition as before.
 * Each step gives exactly the rows the single query gives (textCondition).
 */
async function searchRows(
  db: Db,
  dialect: DialectName,
  filtered: FilteredMedia,
  tokens: string[],
  n: number,
): Promise<Selectable<MediaTable>[]> {
  const page = (q: FilteredMedia) =>
    q.selectAll('media').orderBy('media.created_at', 'desc').orderBy('media.id', 'desc').limit(n).execute();
  if (tokens.length === 0) return page(filtered);
  if (dialect === 'postgres') return page(await postgresTextCondition(db, filtered, tokens));
  if (!tokens.every((t) => ASCII_TOKEN.test(t)))
    return page(filtered.where(fullTextCondition(dialect, tokens)));

  const text = asciiTextCondition(tokens);
  const newest = filtered
    .select(sql<number>`media.rowid`.as('r'))
    .orderBy('media.created_at', 'desc')
    .orderBy('media.id', 'desc')
    .limit(NEWEST_WINDOW);
  const near = await page(filtered.where(sql<boolean>`media.rowid IN (${newest})`).where(text));
  if (near.length >= n) return near;

  const rare: string[] = [];
  for (const t of tokens) {
    if (t.length < 3) continue; // a short prefix covers many words, whatever its own count
    const c = await sql<{
      c: number;
    }>`SELECT count(*) AS c FROM (SELECT rowid FROM media_fts WHERE media_fts MATCH ${`"${t}"`} LIMIT ${COMMON_WORD})`.execute(
      db,
    );
    if (Number(c.rows[0]?.c ?? 0) < COMMON_WORD) rare.push(t);
  }
  const found = await sql<{
    r: number;
  }>`SELECT rowid AS r FROM media_fts WHERE media_fts MATCH ${ftsMatch(rare.length > 0 ? rare : tokens)} LIMIT ${MATCH_LIST_MAX + 1}`.execute(
    db,
  );
  if (found.rows.length === 0) return [];
  if (found.rows.length <= MATCH_LIST_MAX) {
    const ids = JSON.stringify(found.rows.map((x) => Number(x.r)));
    return page(
      filtered.where(sql<boolean>`media.rowid IN (SELECT value FROM json_each(${ids}))`).where(text),
    );
  }
  return page(filtered.where(fullTextCondition(dialect, tokens)));
}

/** A word in more than this share of items is common (PostgreSQL's statistics). */
const COMMON_SHARE = 0.005;

/**
 * PostgreSQL: the GIN index finds rows from the tokens whose word is not common, and the whole
 * query is checked on each of those rows (`ts_match_vq`, the function behind `@@`, which the
 * planner does not take to the index). A prefix like `pass:*` in the index builds a bitmap of
 * every item holding the word (a million), which `77777:*` alone avoids: 290 ms → 1.3 ms at a
 * million items. Common words come from the column's statistics (`pg_stats.most_common_elems`,
 * kept by ANALYZE / autovacuum); without statistics, or with only common words, the plain query.
 */
async function postgresTextCondition(
  db: Db,
  filtered: FilteredMedia,
  tokens: string[],
): Promise<FilteredMedia> {
  const all = filtered.where(fullTextCondition('postgres', tokens));
  if (tokens.length < 2) return all;
  const stats = await sql<{ elems: string[] | null; freqs: number[] | null }>`
    SELECT most_common_elems::text::text[] AS elems, most_common_elem_freqs AS freqs FROM pg_stats
    WHERE schemaname = current_schema() AND tablename = 'media' AND attname = 'search_vector'`.execute(db);
  const row = stats.rows[0];
  if (!row?.elems || !row.freqs) return all;
  const share = new Map(row.elems.map((e, i) => [e, row.freqs![i] ?? 0]));
  const rare = tokens.filter((t) => t.length >= 3 && (share.get(t) ?? 0) < COMMON_SHARE);
  if (rare.length === 0 || rare.length === tokens.length) return all;
  return filtered
    .where(fullTextCondition('postgres', rare))
    .where(sql<boolean>`ts_match_vq(media.search_vector, to_tsquery('simple', ${tsQuery(tokens)}))`);
}

function tsQuery(tokens: string[]): string {
  return tokens.map((t) => `${t}:*`).join(' & ');
}

/**
 * Every ASCII token as a word prefix, decided without the full-text index where it gives the
 * same answer: `search_text` holds the item's words, lower case, one space apart, so when it is
 * ASCII its FTS5 tokens are exactly those words and `"t"*` matches exactly when some word
 * starts with t. Items whose text has other characters (which FTS5's tokenizer may split or
 * fold its own way) ask the index.
 */
function asciiTextCondition(tokens: string[]): RawBuilder<boolean> {
  const words = sql.join(
    tokens.map((t) => sql`(' ' || media.search_text) LIKE ${`% ${t}%`}`),
    sql` AND `,
  );
  return sql<boolean>`(CASE WHEN media.search_text GLOB '*[^ -~]*' THEN ${fullTextCondition('sqlite', tokens)} ELSE (${words}) END)`;
}
