import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import { relaxedTransaction, type DialectName } from '../db/connect.js';
import type { Database, Db, HistoryTable, MediaFileTable, MediaTable } from '../db/schema.js';

/**
 * The SQL of media items: rows, files, tags, version claims, lookups and statistics (search:
 * search-queries.ts). media-service.ts and media-records.ts decide (validation, history, events, which
 * transaction) and call these with values they have already checked.
 */

export type MediaRow = Selectable<MediaTable>;
export type MediaFileRow = Selectable<MediaFileTable>;
/** The rows of one new media item, as they are inserted. */
export interface NewMediaRows {
  media: Insertable<MediaTable>;
  files: Insertable<MediaFileTable>[];
  tags: Array<{ media_id: string; tag: string }>;
  history: Insertable<HistoryTable>;
}

/** Which projects a lookup may see: undefined is all of them, `[]` none. */
type ProjectIds = readonly string[] | undefined;

// ------------------------------------------------------------------ version claims

/** The highest version number of a task, taken or claimed (0 when there is none). */
export async function highestVersionNumber(db: Db, projectId: string, taskId: string): Promise<number> {
  const row = await sql<{ n: number | null }>`
    SELECT max(v) AS n FROM (
      SELECT max(version_number) AS v FROM media WHERE project_id = ${projectId} AND task_id = ${taskId}
      UNION ALL
      SELECT max(version_number) AS v FROM version_reservation WHERE project_id = ${projectId} AND task_id = ${taskId}
    ) AS versions`.execute(db);
  return Number(row.rows[0]?.n ?? 0);
}

/**
 * Inserts the claim of version `n`, committed with relaxed durability (media-records.ts says
 * why). Throws the unique violation when the number is claimed already.
 */
export async function insertVersionClaim(
  db: Db,
  dialect: DialectName,
  claim: { projectId: string; taskId: string; versionNumber: number; owner: string; createdAt: string },
): Promise<void> {
  await relaxedTransaction(db, dialect, (trx) =>
    trx
      .insertInto('version_reservation')
      .values({
        project_id: claim.projectId,
        task_id: claim.taskId,
        version_number: claim.versionNumber,
        owner: claim.owner,
        created_at: claim.createdAt,
      })
      .execute(),
  );
}

/** Whether a media row holds version `n` of the task. */
export async function versionRecorded(
  db: Db,
  projectId: string,
  taskId: string,
  n: number,
): Promise<boolean> {
  const row = await db
    .selectFrom('media')
    .select('id')
    .where('project_id', '=', projectId)
    .where('task_id', '=', taskId)
    .where('version_number', '=', n)
    .executeTakeFirst();
  return row !== undefined;
}

export async function deleteVersionClaim(
  db: Db,
  projectId: string,
  taskId: string,
  n: number,
): Promise<void> {
  await db
    .deleteFrom('version_reservation')
    .where('project_id', '=', projectId)
    .where('task_id', '=', taskId)
    .where('version_number', '=', n)
    .execute();
}

// ------------------------------------------------------------------ inserts

/** Inserts one item's rows; a long sequence's files go in batches of 500. */
export async function insertMediaRows(trx: Db, rows: NewMediaRows): Promise<void> {
  await trx.insertInto('media').values(rows.media).execute();
  for (let i = 0; i < rows.files.length; i += 500) {
    await trx
      .insertInto('media_file')
      .values(rows.files.slice(i, i + 500))
      .execute();
  }
  if (rows.tags.length > 0) await trx.insertInto('media_tag').values(rows.tags).execute();
  await trx.insertInto('history').values(rows.history).execute();
}

/** Inserts many items' rows in multi-row statements, table by table. */
export async function insertManyMediaRows(trx: Db, all: NewMediaRows[]): Promise<void> {
  await insertChunked(
    trx,
    'media',
    all.map((x) => x.media),
  );
  await insertChunked(
    trx,
    'media_file',
    all.flatMap((x) => x.files),
  );
  await insertChunked(
    trx,
    'media_tag',
    all.flatMap((x) => x.tags),
  );
  await insertChunked(
    trx,
    'history',
    all.map((x) => x.history),
  );
}

/** The tables a bulk import writes (insertManyMediaRows, the task rows, the search words). */
const BULK_TABLES = ['media', 'media_file', 'media_tag', 'history', 'task'] as const;

/**
 * Brings the planner's statistics (and on PostgreSQL the visibility map and the dead row
 * versions of updates) up to date after a bulk import, as autovacuum would some minutes later:
 * a library searched before that was about twice as slow (decision 240). Runs outside any
 * transaction (PostgreSQL refuses VACUUM inside one): `db` must not be a transaction.
 */
export async function refreshTableStatistics(db: Db, dialect: DialectName): Promise<void> {
  // One rule on both engines, though only PostgreSQL's VACUUM needs it.
  if (db.isTransaction) throw new Error('Table statistics are refreshed outside a transaction.');
  if (dialect === 'sqlite') {
    // The statistics SQLite judges stale, as on opening and closing (db/connect.ts).
    await sql`PRAGMA optimize`.execute(db);
    return;
  }
  // The table list keeps to this schema's tables (a bare VACUUM would visit the whole database).
  // media_search_word is filled by triggers and read by index-only scans; its notes table
  // (migration 018) is written and emptied by every import transaction.
  const tables = [...BULK_TABLES, 'media_search_word', 'media_search_word_pending'];
  await sql`VACUUM (ANALYZE) ${sql.join(tables.map((t) => sql.id(t)))}`.execute(db);
}

/** Bound parameters per statement: below SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMETERS = 30_000;

async function insertChunked<T extends 'media' | 'media_file' | 'media_tag' | 'history'>(
  trx: Db,
  table: T,
  rows: Insertable<Database[T]>[],
): Promise<void> {
  if (rows.length === 0) return;
  const perRow = Object.keys(rows[0]!).length;
  const chunk = Math.max(1, Math.floor(MAX_PARAMETERS / perRow));
  for (let i = 0; i < rows.length; i += chunk) {
    await trx
      .insertInto(table)
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one generic insert over four tables; each row is typed by the table at the call
      .values(rows.slice(i, i + chunk) as any)
      .execute();
  }
}

/** Replaces an item's tags (the `media_tag` rows search filters on). */
export async function replaceMediaTags(db: Db, mediaId: string, tags: readonly string[]): Promise<void> {
  await db.deleteFrom('media_tag').where('media_id', '=', mediaId).execute();
  if (tags.length === 0) return;
  await db
    .insertInto('media_tag')
    .values(tags.map((tag) => ({ media_id: mediaId, tag })))
    .execute();
}

// ------------------------------------------------------------------ lookups

export async function findMediaRow(
  db: Db,
  id: string,
  projectIds: ProjectIds,
): Promise<MediaRow | undefined> {
  if (projectIds?.length === 0) return undefined;
  let q = db.selectFrom('media').selectAll().where('id', '=', id);
  if (projectIds) q = q.where('project_id', 'in', [...projectIds]);
  return q.executeTakeFirst();
}

export interface TaskFilter {
  taskId: string;
  projectId?: string;
  projectIds?: readonly string[];
  versionNumber?: number;
  includeArchived?: boolean;
}

function taskMedia(db: Db, f: TaskFilter) {
  let q = db.selectFrom('media').where('task_id', '=', f.taskId);
  if (f.projectId !== undefined) q = q.where('project_id', '=', f.projectId);
  if (f.projectIds) q = q.where('project_id', 'in', [...f.projectIds]);
  if (f.versionNumber !== undefined) q = q.where('version_number', '=', f.versionNumber);
  if (!f.includeArchived) q = q.where('archived_at', 'is', null);
  return q;
}

/** A task's items (or the one version asked for), by project then version. */
export async function listTaskMediaRows(db: Db, f: TaskFilter): Promise<MediaRow[]> {
  if (f.projectIds?.length === 0) return [];
  return taskMedia(db, f).selectAll().orderBy('project_id').orderBy('version_number').execute();
}

/** A task's version names in version order (one per item: a name may repeat across projects). */
export async function listTaskVersionNames(db: Db, f: TaskFilter): Promise<string[]> {
  if (f.projectIds?.length === 0) return [];
  const rows = await taskMedia(db, f)
    .select(['version', 'version_number'])
    .orderBy('version_number')
    .execute();
  return rows.map((r) => r.version);
}

/** The files of these items, by item, role and frame. */
export async function listMediaFiles(db: Db, mediaIds: readonly string[]): Promise<MediaFileRow[]> {
  return db
    .selectFrom('media_file')
    .selectAll()
    .where('media_id', 'in', [...mediaIds])
    .orderBy('media_id')
    .orderBy('role')
    .orderBy('frame')
    .execute();
}

/** The jobs of these items, oldest first (one indexed query for a whole page). */
export async function listMediaJobs(db: Db, mediaIds: readonly string[]) {
  return db
    .selectFrom('job')
    .select(['id', 'media_id', 'type', 'state', 'progress', 'attempts', 'error', 'updated_at', 'created_at'])
    .where('media_id', 'in', [...mediaIds])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

// ------------------------------------------------------------------ updates

/** The columns of a media row an edit may set (`updated_at` included). */
export type MediaChanges = Pick<
  Updateable<MediaTable>,
  | 'metadata'
  | 'custom_properties'
  | 'start_timecode'
  | 'start_frame'
  | 'description'
  | 'tags'
  | 'search_text'
  | 'archived_at'
  | 'updated_at'
>;

export async function updateMediaRow(db: Db, id: string, changes: MediaChanges): Promise<void> {
  await db.updateTable('media').set(changes).where('id', '=', id).execute();
}

/**
 * Puts one version of a task forward for review (taking the mark from the task's other
 * versions), or takes it back.
 */
export async function setReviewSelection(
  db: Db,
  media: { id: string; projectId: string; taskId: string },
  selected: boolean,
): Promise<void> {
  if (selected) {
    await db
      .updateTable('media')
      .set({ review_selected: 0 })
      .where('project_id', '=', media.projectId)
      .where('task_id', '=', media.taskId)
      .where('review_selected', '=', 1)
      .execute();
  }
  await db
    .updateTable('media')
    .set({ review_selected: selected ? 1 : 0 })
    .where('id', '=', media.id)
    .execute();
}

/** Deletes a media row (its files, tags, notes and jobs go with it by foreign key). */
export async function deleteMediaRow(db: Db, id: string): Promise<void> {
  await db.deleteFrom('media').where('id', '=', id).execute();
}

// ------------------------------------------------------------------ statistics

/** The media statistics' counts, as the database gives them (PostgreSQL: bigint as strings). */
export async function mediaStatisticsRows(
  db: Db,
  scope: { projectId?: string; projectIds?: readonly string[] },
  /** How many of the tasks with the most versions to list. */
  topTaskCount: number,
) {
  const base = () => {
    let q = db.selectFrom('media').where('media.archived_at', 'is', null);
    if (scope.projectId !== undefined) q = q.where('media.project_id', '=', scope.projectId);
    if (scope.projectIds)
      q = q.where('media.project_id', 'in', scope.projectIds.length ? [...scope.projectIds] : ['']);
    return q;
  };
  const [totals, byType, byStatus, authors, perTask, topTasks, approvals] = await Promise.all([
    base()
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('media.size').as('bytes')])
      .executeTakeFirst(),
    base()
      .select((eb) => ['media.media_type as k', eb.fn.countAll<number>().as('n')])
      .groupBy('media.media_type')
      .execute(),
    base()
      .select((eb) => ['media.status as k', eb.fn.countAll<number>().as('n')])
      .groupBy('media.status')
      .execute(),
    base()
      .select((eb) => ['media.author as author', eb.fn.countAll<number>().as('n')])
      .groupBy('media.author')
      .orderBy('n', 'desc')
      .orderBy('media.author')
      .execute(),
    db
      .selectFrom(
        base()
          .select((eb) => ['media.project_id', 'media.task_id', eb.fn.countAll<number>().as('n')])
          .groupBy(['media.project_id', 'media.task_id'])
          .as('t'),
      )
      .select((eb) => [
        eb.fn.countAll<number>().as('tasks'),
        eb.fn.sum<number>('t.n').as('total'),
        eb.fn.max<number>('t.n').as('maxn'),
      ])
      .executeTakeFirst(),
    base()
      .select((eb) => [
        'media.project_id as projectId',
        'media.task_id as taskId',
        eb.fn.countAll<number>().as('n'),
      ])
      .groupBy(['media.project_id', 'media.task_id'])
      .orderBy('n', 'desc')
      .orderBy('media.task_id')
      .limit(topTaskCount)
      .execute(),
    // approved_at is an ISO 8601 UTC string: its first ten characters are the day.
    base()
      .where('media.status', '=', 'approved')
      .where('media.approved_at', 'is not', null)
      .select((eb) => [
        eb.fn<string>('substr', ['media.approved_at', eb.lit(1), eb.lit(10)]).as('day'),
        eb.fn.countAll<number>().as('n'),
      ])
      .groupBy('day')
      .orderBy('day')
      .execute(),
  ]);
  return { totals, byType, byStatus, authors, perTask, topTasks, approvals };
}
