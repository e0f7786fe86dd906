import { sql, type Expression, type RawBuilder, type Selectable, type SelectQueryBuilder } from 'kysely';
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

/** Rows of the newest-first window (step 2 of searchRows). */
const NEWEST_WINDOW = 2000;
/** A word in more items than this is common: it is checked row by row, not used to find rows. */
const COMMON_WORD = 10_000;
/** Full-text matches read as a list of rows before the newest-first window is tried. */
const MATCH_LIST_FIRST = 1000;
/** Full-text matches read as a list of rows; beyond this the whole match set is sorted. */
const MATCH_LIST_MAX = 5000;
const ASCII_TOKEN = /^[a-z0-9]+$/;

/**
 * The first `n` media of `filtered` matching every token, newest first (created_at, id).
 *
 * On PostgreSQL, one query (postgresTextCondition); on SQLite for words with letters beyond
 * ASCII, one query with the full-text condition. On SQLite with ASCII words, the same rows found
 * faster (decisions 165, 220): the `IN (full-text matches)` form builds the whole match set and
 * then either sorts it (a common word: 230,000 rows of a million) or walks every item newest
 * first against it (a rare one), and a prefix (`"pass"*`) makes FTS5 merge the whole of every
 * word it covers, where an exact word (`pass`) is read only as far as the other words need.
 * The index is driven by the tokens that are a whole word of it and no other's prefix (asked as
 * that exact word) and the prefixes that are a rare word themselves; its matches are counted
 * (up to MATCH_LIST_MAX + 1). Then:
 * 1. At most MATCH_LIST_FIRST matches: they are the list of rows, checked with every token
 *    (unless every token drove the index) and sorted.
 * 2. Otherwise the newest NEWEST_WINDOW filtered items are checked one by one; enough matches
 *    there are the answer (a common word).
 * 3. Otherwise, driven also by the prefixes that are no word, at most MATCH_LIST_MAX matches:
 *    the list of rows as in 1.
 * 4. Otherwise the whole match set (exact words where they are the same).
 * Each step gives exactly the rows the single query gives (fullTextCondition).
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

  // The page's keys are found first and its rows read whole after: sorting 816 matches' whole
  // rows took 4 ms, their keys 0.6 ms (a million items).
  const byKeys = (keys: Expression<unknown>) =>
    db
      .selectFrom('media')
      .selectAll('media')
      .where(sql<boolean>`media.rowid IN (${keys})`)
      .orderBy('media.created_at', 'desc')
      .orderBy('media.id', 'desc')
      .execute();

  const terms = await ftsTerms(db, tokens);
  // The index is driven by the exact words and by the prefixes that are a rare word themselves
  // (`77777`, starting `777770`…). A prefix that is no word (`expl`) may cover a common one:
  // FTS5 would merge its whole list, so it drives only after the window (as in decision 165).
  const drivers = terms.filter((x) => x.exact || (x.words > 0 && x.words < COMMON_WORD && x.t.length >= 3));
  const driven = drivers.map((x) => x.match).join(' AND ');
  const matches = drivers.length === 0 ? null : await matchCount(db, driven, MATCH_LIST_MAX + 1);
  if (matches === 0) return [];
  const fromList = (by: typeof drivers) => {
    const listed = filtered.where(
      sql<boolean>`media.rowid IN (SELECT rowid FROM media_fts WHERE media_fts MATCH ${by.map((x) => x.match).join(' AND ')})`,
    );
    // Rows the index found from every token need no second check.
    return byKeys(
      (by.length === tokens.length ? listed : listed.where(asciiTextCondition(tokens, sql`media.rowid`)))
        .select(sql<number>`media.rowid`.as('r'))
        .orderBy('media.created_at', 'desc')
        .orderBy('media.id', 'desc')
        .limit(n),
    );
  };
  // 1. A short list.
  if (matches !== null && matches <= MATCH_LIST_FIRST) return fromList(drivers);

  // 2. The window as a subquery read in order (a co-routine): `rowid IN (window)` made SQLite
  // read the window's rows twice and sort them (16–34 ms against 0.8 ms at a million items).
  const window = filtered
    .select([sql<number>`media.rowid`.as('r'), 'media.search_text', 'media.created_at', 'media.id'])
    .orderBy('media.created_at', 'desc')
    .orderBy('media.id', 'desc')
    .limit(NEWEST_WINDOW);
  const near = await byKeys(
    db
      .selectFrom(window.as('media'))
      .select('media.r')
      .where(asciiTextCondition(tokens, sql`media.r`))
      .orderBy('media.created_at', 'desc')
      .orderBy('media.id', 'desc')
      .limit(n),
  );
  if (near.length >= n) return near;

  // 3. A longer list, now also driven by the prefixes that are no word (their own list merged).
  const later = terms.filter((x) => drivers.includes(x) || (x.words === 0 && x.t.length >= 3));
  if (later.length > 0) {
    const count =
      later.length === drivers.length
        ? matches!
        : await matchCount(db, later.map((x) => x.match).join(' AND '), MATCH_LIST_MAX + 1);
    if (count === 0) return [];
    if (count <= MATCH_LIST_MAX) return fromList(later);
  }
  // 4. The whole match set.
  const all = terms.map((t) => t.match).join(' AND ');
  return page(
    filtered.where(sql<boolean>`media.rowid IN (SELECT rowid FROM media_fts WHERE media_fts MATCH ${all})`),
  );
}

/** Items matching an FTS5 query, counted up to `max` (FTS5 stops reading there). */
async function matchCount(db: Db, match: string, max: number): Promise<number> {
  const c = await sql<{
    c: number;
  }>`SELECT count(*) AS c FROM (SELECT rowid FROM media_fts WHERE media_fts MATCH ${match} LIMIT ${max})`.execute(
    db,
  );
  return Number(c.rows[0]?.c ?? 0);
}

/** A token as FTS5 query text; for a prefix, how many items hold it as a whole word (up to COMMON_WORD). */
interface FtsTerm {
  t: string;
  match: string;
  exact: boolean;
  words: number;
}

/**
 * Each ASCII token as FTS5 query text matching exactly the same items as its prefix form
 * (`"t"*`): the exact word `"t"` when t is a word of the index and the index holds no longer
 * word starting with it (asked of the index's own vocabulary, `media_fts_terms`, so the
 * tokenizer's view decides), else the prefix. The vocabulary table counts the rows of the first
 * word it reads past t, so it is asked only for a token that is a word itself: a prefix typed
 * on the way to a common word (`expl`) would cost that word's whole list.
 */
async function ftsTerms(db: Db, tokens: string[]): Promise<FtsTerm[]> {
  const out: FtsTerm[] = [];
  for (const t of tokens) {
    const word = `"${t}"`;
    if ((await matchCount(db, word, 1)) === 0) {
      out.push({ t, match: `${word}*`, exact: false, words: 0 });
      continue;
    }
    // `t || char(1)` sorts after t and before every longer word starting with t (words hold no
    // control characters).
    const longer = await sql<{ term: string }>`
      SELECT term FROM media_fts_terms WHERE term >= ${t} || char(1) AND term < ${after(t)} LIMIT 1`.execute(
      db,
    );
    if (longer.rows.length === 0) out.push({ t, match: word, exact: true, words: 1 });
    else out.push({ t, match: `${word}*`, exact: false, words: await matchCount(db, word, COMMON_WORD) });
  }
  return out;
}

/** A word in more than this share of items is common (PostgreSQL's statistics). */
const COMMON_SHARE = 0.005;

/**
 * PostgreSQL: each ASCII token that is a whole word of the index and starts no other is asked
 * as that exact word (`sq120`, not `sq120:*`: GIN reads a prefix's every entry into a bitmap,
 * 131 ms against 19 ms for `sq120 & sh040` at a million items; decision 220). When every token
 * is then exact, the plain query. Otherwise the GIN
 * index finds rows from the tokens whose word is not common, and the whole query is checked on
 * each of those rows (`ts_match_vq`, the function behind `@@`, which the planner does not take
 * to the index): `pass:* & 77777:*` went from 289 ms to 1.3 ms (decision 165). Common words come
 * from the column's statistics (`pg_stats.most_common_elems`, kept by ANALYZE / autovacuum);
 * without statistics, or with only common words, the plain query.
 */
async function postgresTextCondition(
  db: Db,
  filtered: FilteredMedia,
  tokens: string[],
): Promise<FilteredMedia> {
  const condition = (query: string[]) =>
    sql<boolean>`media.search_vector @@ to_tsquery('simple', ${query.join(' & ')})`;
  // One word: its prefix costs no more than the word (the bitmap holds its rows either way),
  // and the lookup below would be one more round trip.
  if (tokens.length < 2) return filtered.where(condition(tokens.map((t) => `${t}:*`)));
  const ascii = tokens.filter((t) => ASCII_TOKEN.test(t));
  // The tokens that start longer words of the index (media_search_word, byte order).
  const found = await sql<{ prefixes: string[] | null }>`
    SELECT (SELECT array_agg(x.t) FROM unnest(${ascii}::text[], ${ascii.map(after)}::text[]) AS x(t, past)
      WHERE EXISTS (SELECT 1 FROM media_search_word WHERE word > x.t AND word < x.past)) AS prefixes`.execute(
    db,
  );
  const prefixes = new Set(found.rows[0]?.prefixes ?? []);
  const query = tokens.map((t) => (ASCII_TOKEN.test(t) && !prefixes.has(t) ? t : `${t}:*`));
  const all = filtered.where(condition(query));
  // Every token an exact word: GIN skips through the common words' lists where the rare ones
  // allow (fast scan), so the statistics are not asked (the pg_stats view took most of the
  // lookup's time; decision 240). Prefixes have no such skipping: the rare ones drive below.
  if (query.every((q, i) => q === tokens[i])) return all;
  const stats = await sql<{ elems: string[] | null; freqs: number[] | null }>`
    SELECT s.most_common_elems::text::text[] AS elems, s.most_common_elem_freqs AS freqs
    FROM pg_stats AS s
    WHERE s.schemaname = current_schema() AND s.tablename = 'media' AND s.attname = 'search_vector'`.execute(
    db,
  );
  const row = stats.rows[0];
  if (!row?.elems || !row.freqs) return all;
  const share = new Map(row.elems.map((e, i) => [e, row.freqs![i] ?? 0]));
  const rare = query.filter((_, i) => tokens[i]!.length >= 3 && (share.get(tokens[i]!) ?? 0) < COMMON_SHARE);
  if (rare.length === 0 || rare.length === tokens.length) return all;
  return filtered
    .where(condition(rare))
    .where(sql<boolean>`ts_match_vq(media.search_vector, to_tsquery('simple', ${query.join(' & ')}))`);
}

/** The first string past every string starting with t (t: ASCII letters and digits, byte order). */
function after(t: string): string {
  return t.slice(0, -1) + String.fromCharCode(t.charCodeAt(t.length - 1) + 1);
}

function tsQuery(tokens: string[]): string {
  return tokens.map((t) => `${t}:*`).join(' & ');
}

/**
 * Every ASCII token as a word prefix, decided without the full-text index where it gives the
 * same answer: `search_text` holds the item's words, lower case, one space apart, so when it is
 * ASCII its FTS5 tokens are exactly those words and `"t"*` matches exactly when some word
 * starts with t. Items whose text has other characters (which FTS5's tokenizer may split or
 * fold its own way) ask the index. (SQLite libraries are UTF-8, Montu creates them.)
 */
function asciiTextCondition(tokens: string[], rowid: RawBuilder<unknown>): RawBuilder<boolean> {
  const words = sql.join(
    tokens.map((t) => sql`(' ' || media.search_text) LIKE ${`% ${t}%`}`),
    sql` AND `,
  );
  // Not ASCII when it has more bytes than characters (UTF-8): octet_length reads no text, and
  // the window's 2,000 rows took 3 ms this way against 14 ms with `GLOB '*[^ -~]*'`.
  return sql<boolean>`(CASE WHEN length(media.search_text) <> octet_length(media.search_text) THEN ${rowid} IN (SELECT rowid FROM media_fts WHERE media_fts MATCH ${ftsMatch(tokens)}) ELSE (${words}) END)`;
}
