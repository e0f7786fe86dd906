import { Conflict } from '@montu/domain';
import { newId, nowIso } from '../ids.js';
import { isUniqueViolation, type DialectName } from '../db/connect.js';
import { formatVersion, parseVersion } from '@montu/domain';
import { sourceStartColumns } from './source-start.js';
import { actingName, nameKey } from '@montu/domain';
import type { MediaFile, MediaType } from '@montu/domain';
import { OWNER } from '../storage/owner.js';
import type { Db } from '../context.js';
import { historyRow } from '../history/history-queries.js';
import { buildSearchText } from './search-query.js';
import { newItemState } from '../processing/media-state.js';
import {
  deleteVersionClaim,
  highestVersionNumber,
  insertManyMediaRows,
  insertMediaRows,
  insertVersionClaim,
  refreshTableStatistics,
  versionRecorded,
  type NewMediaRows,
} from './media-queries.js';

/**
 * Writing media records: version claims and the insert of a new item with its files, shared by
 * single-file uploads and image sequences so both follow the same rules.
 */

/**
 * Claims a version number for an upload in progress. The primary key on the reservation and
 * the unique index on media make the claim atomic; on a clash we take the next number.
 *
 * The claim commits with relaxed durability (no fsync of its own): nobody outside the process
 * has been told about it, and the item's insert — a durable commit — flushes it along with the
 * rest of the log. A claim lost to a power failure leaves at most a stored file under that
 * version with no record, which orphan cleanup removes (decision 071).
 */
export async function reserveVersion(
  { db, dialect }: { db: Db; dialect: DialectName },
  projectId: string,
  taskId: string,
  requested?: string | number,
  owner: string = OWNER,
): Promise<number> {
  if (requested !== undefined) {
    const n = parseVersion(requested);
    if (!(await tryReserve(db, dialect, projectId, taskId, n, owner))) {
      throw new Conflict(`Version ${formatVersion(n)} of task ${taskId} already exists.`, {
        projectId,
        taskId,
        version: formatVersion(n),
      });
    }
    return n;
  }
  for (let attempt = 0; attempt < 1000; attempt++) {
    const next = (await highestVersionNumber(db, projectId, taskId)) + 1;
    if (await tryReserve(db, dialect, projectId, taskId, next, owner)) return next;
  }
  throw new Conflict(`Could not allocate a version for task ${taskId}: too many concurrent uploads.`);
}

async function tryReserve(
  db: Db,
  dialect: DialectName,
  projectId: string,
  taskId: string,
  n: number,
  owner: string,
): Promise<boolean> {
  try {
    await insertVersionClaim(db, dialect, {
      projectId,
      taskId,
      versionNumber: n,
      owner,
      createdAt: nowIso(),
    });
  } catch (e) {
    if (isUniqueViolation(e)) return false;
    throw e;
  }
  // A media row may hold the number if it was committed between our max() and the insert.
  if (await versionRecorded(db, projectId, taskId, n)) {
    await releaseReservation(db, projectId, taskId, n);
    return false;
  }
  return true;
}

export async function releaseReservation(
  db: Db,
  projectId: string,
  taskId: string,
  n: number,
): Promise<void> {
  await deleteVersionClaim(db, projectId, taskId, n);
}

/** A file row as it is inserted: the domain's MediaFile without what the database fills in. */
export type NewFileRecord = Pick<
  MediaFile,
  'role' | 'frame' | 'backend' | 'key' | 'size' | 'sha256' | 'contentType'
>;

export interface NewMediaRecord {
  id: string;
  projectId: string;
  taskId: string;
  versionNumber: number;
  mediaType: MediaType;
  fileName: string;
  mimeType: string;
  size: number;
  sha256: string;
  author: string;
  /** Who really made the upload when `author` names someone else (history: "author via …"). */
  via?: string | null;
  description: string;
  tags: string[];
  /** True when processing will run (state `pending`), false when there is none (`ready`). */
  processing: boolean;
  metadata: Record<string, unknown>;
  customProperties: Record<string, unknown>;
  files: NewFileRecord[];
}

/** Rows of one new media item, exactly as they are written (single inserts and bulk imports alike). */
function newMediaRows(
  r: NewMediaRecord,
  sourceStart: { start_timecode: string | null; start_frame: number | null },
): NewMediaRows {
  const now = nowIso();
  const version = formatVersion(r.versionNumber);
  return {
    media: {
      id: r.id,
      project_id: r.projectId,
      task_id: r.taskId,
      version,
      version_number: r.versionNumber,
      media_type: r.mediaType,
      file_name: r.fileName,
      mime_type: r.mimeType,
      size: r.size,
      sha256: r.sha256,
      author: r.author,
      author_key: nameKey(r.author),
      description: r.description,
      tags: JSON.stringify(r.tags),
      status: 'wip',
      review_selected: 0,
      approved_by: null,
      approved_at: null,
      approval_comment: null,
      archived_at: null,
      ...newItemState(r.processing),
      metadata: JSON.stringify(r.metadata),
      ...sourceStart,
      custom_properties: JSON.stringify(r.customProperties),
      search_text: buildSearchText({
        fileName: r.fileName,
        description: r.description,
        tags: r.tags,
        taskId: r.taskId,
        author: r.author,
      }),
      created_at: now,
      updated_at: now,
    },
    files: r.files.map((f) => ({
      id: newId(),
      media_id: r.id,
      role: f.role,
      frame: f.frame,
      backend: f.backend,
      storage_key: f.key,
      size: f.size,
      sha256: f.sha256,
      content_type: f.contentType,
      state: 'ready',
      error: null,
      created_at: now,
    })),
    tags: r.tags.map((tag) => ({ media_id: r.id, tag })),
    history: historyRow({
      actor: actingName(r.author, r.via),
      action: 'media.created',
      projectId: r.projectId,
      subjectType: 'media',
      subjectId: r.id,
      to: version,
      data: {
        taskId: r.taskId,
        fileName: r.fileName,
        size: r.size,
        sha256: r.sha256,
        mediaType: r.mediaType,
      },
    }),
  };
}

/**
 * Inserts a media item, its files and tags, writes the history entry and releases the version
 * claim. Call inside a transaction.
 */
export async function insertMediaRecord(trx: Db, r: NewMediaRecord): Promise<void> {
  const rows = newMediaRows(r, await sourceStartColumns(trx, r.projectId, r.mediaType, r.metadata));
  await insertMediaRows(trx, rows);
  await releaseReservation(trx, r.projectId, r.taskId, r.versionNumber);
}

/**
 * Inserts many new media items at once — imports of existing libraries, and the search
 * benchmark's million records — writing for each exactly the rows `insertMediaRecord` writes
 * (media, files, tags, history; the full-text index follows from the schema), in multi-row
 * statements. The caller picks the version numbers: no claim is taken or released, and the
 * unique index still refuses a version that exists. Each item's project and task must exist.
 * Call inside a transaction; after the last one, finishBulkImport.
 */
export async function insertMediaRecords(trx: Db, records: NewMediaRecord[]): Promise<void> {
  const settings = new Map<string, Record<string, unknown>>();
  const all: NewMediaRows[] = [];
  for (const r of records) {
    all.push(newMediaRows(r, await sourceStartColumns(trx, r.projectId, r.mediaType, r.metadata, settings)));
  }
  await insertManyMediaRows(trx, all);
}

/**
 * Ends a bulk import (insertMediaRecords in one or more transactions): the planner's statistics
 * and, on PostgreSQL, the visibility map brought up to date at once (VACUUM (ANALYZE) of the
 * tables written), so the first searches after the import are as fast as later ones
 * (decision 240). Call outside any transaction.
 */
export async function finishBulkImport(db: Db, dialect: DialectName): Promise<void> {
  await refreshTableStatistics(db, dialect);
}
