import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { checkJsonValue, NotFound, NotSupported, ValidationError } from '@montu/domain';
import { newId, nowIso } from '../ids.js';
import { fileFromRow, mediaFromRow } from '../db/rows.js';
import { assertProjectId, assertTaskId, displayFileName, formatVersion, parseVersion } from '@montu/domain';
import {
  MEDIA_TYPES,
  type Media,
  type MediaFile,
  type MediaType,
  type Page,
  type StepProcessing,
} from '@montu/domain';
import { parseStatus, statusWord, type StatusInput } from '@montu/domain';
import { actingName, nameKey } from '@montu/domain';
import { mediaKey, storedName } from '../storage/keys.js';
import { forStorage } from '../storage/lent-chunks.js';
import { SNIFF_BYTES, sniffBuffer, sniffFile, type SniffResult } from '../processing/tools/sniff.js';
import { checkMetadata } from '../processing/tools/metadata-schema.js';
import { peekStream } from '../util/streams.js';
import type { Db, ServiceContext } from '../context.js';
import { transaction } from '../db/connect.js';
import type { Job } from '../jobs/types.js';
import type { StoredObject } from '../storage/backend.js';
import { insertMediaRecord, releaseReservation, reserveVersion } from './media-records.js';
import {
  deleteMediaRow,
  findMediaRow,
  listMediaFiles,
  listMediaJobs,
  listTaskMediaRows,
  listTaskVersionNames,
  mediaStatisticsRows,
  replaceMediaTags,
  setReviewSelection,
  updateMediaRow,
  type MediaRow,
} from './media-queries.js';
import { sourceStartColumns } from './source-start.js';
import { recordHistory } from '../history/history-service.js';
import { applyStatusChange } from '../review/status-change.js';
import type { ProjectService } from '../projects/project-service.js';
import { buildSearchText, decodeCursor, encodeCursor, searchTokens } from './search-query.js';
import { searchMediaRows, type SearchFilters } from './search-queries.js';

export interface UploadMediaInput {
  /** A file to read. Give either this or `stream`. */
  filePath?: string;
  stream?: Readable | AsyncIterable<Uint8Array>;
  /** The original file name; defaults to the base name of `filePath`. Required with `stream`. */
  fileName?: string;
  projectId: string;
  taskId: string;
  /** `v003` or 3; defaults to the next free version of the task. */
  version?: string | number;
  /** The person the version is recorded as made by (a pipeline names the artist). */
  author: string;
  /** Who really uploaded, when that is not `author` (history shows "author via …"). */
  via?: string;
  description?: string;
  tags?: string[];
  /** When given, the upload is refused (and nothing kept) unless the content hashes to this. */
  expectedSha256?: string;
  /**
   * The file at `filePath` may be moved into storage rather than copied (it is consumed). For
   * servers that already received the bytes into a file on the storage volume (tus uploads).
   */
  moveFile?: boolean;
  /**
   * With `moveFile`: the file's size and sha256 as the caller computed them while writing it,
   * so storage need not read the whole file again to hash it.
   */
  hashed?: { size: number; sha256: string };
  customProperties?: Record<string, unknown>;
  /** Wait for metadata, thumbnail and proxy before returning (when processing is configured). */
  wait?: boolean;
}

/** A version whose bytes are received and verified elsewhere (a direct-to-S3 upload). */
export interface PlacedUploadInput {
  /** Either projectId and taskId, or sourceMediaId (a new version of its task). */
  projectId?: string;
  taskId?: string;
  sourceMediaId?: string;
  fileName: string;
  version?: string | number;
  author: string;
  via?: string;
  description?: string;
  /** The new version's tags; the source version's when left out with `sourceMediaId`. */
  tags?: string[];
  /** What the bytes are (sniffed from their head). */
  sniff: SniffResult;
  /** Stores the verified bytes at `key` and says what landed; run once the version is reserved. */
  place: (key: string, contentType: string) => Promise<StoredObject>;
}

export interface CreateMediaVersionInput {
  sourceMediaId: string;
  filePath?: string;
  stream?: Readable | AsyncIterable<Uint8Array>;
  fileName?: string;
  version?: string | number;
  author: string;
  /** Who really uploaded, when that is not `author`. */
  via?: string;
  description?: string;
  /** The new version's tags; the source version's when left out. */
  tags?: string[];
  expectedSha256?: string;
  moveFile?: boolean;
  hashed?: { size: number; sha256: string };
  wait?: boolean;
}

export interface SearchMediaOptions {
  /** Words matched (as prefixes) against file name, description, tags, task and author. */
  query?: string;
  projectId?: string;
  /** Restricts results to these projects (used to scope a user's view). */
  projectIds?: string[];
  taskId?: string;
  mediaType?: MediaType;
  /** The author's name, whatever its case. */
  author?: string;
  /** A workflow status, or the document's word (`pending`, `approved`, `rejected`). */
  status?: StatusInput;
  /** Every listed tag must be present. */
  tags?: string[];
  /** Inclusive lower bound on the creation time (ISO-8601 date or time). */
  dateFrom?: string;
  /** Inclusive upper bound on the creation time; a bare date covers that whole day. */
  dateTo?: string;
  reviewSelected?: boolean;
  /** `exclude` (default) hides archived media, `only` lists just them, `include` both. */
  archived?: 'exclude' | 'include' | 'only';
  limit?: number;
  cursor?: string;
}

export interface UpdateMediaInfoInput {
  description?: string;
  tags?: string[];
  reviewSelected?: boolean;
  /**
   * A workflow status or the document's word (`pending`, …): changed through the review
   * workflow (review/status-change.ts, the one path that changes a status), after the other fields.
   */
  approvalStatus?: StatusInput;
  /** Who makes the change (recorded in the history log). */
  actor?: string;
  /** With `approvalStatus`: the comment recorded with the status change. */
  comment?: string;
}

/**
 * A metadata patch: technical metadata keys at the top level (any name), and/or `metadata` (the
 * same, nested) and `customProperties`. A `null` value removes its key.
 */
export interface MetadataPatch {
  metadata?: Record<string, unknown>;
  customProperties?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface MediaStatistics {
  projectId: string | null;
  totalMedia: number;
  byType: Record<string, number>;
  /** Counts by status, named by the document's words where one stands for it (`pending`, …). */
  byStatus: Record<string, number>;
  /** Bytes of original files (renditions not counted). */
  totalSize: number;
  authors: Array<{ author: string; count: number }>;
  versions: { tasks: number; total: number; averagePerTask: number; maxPerTask: number };
  /** The tasks with the most versions, most first (at most STATISTICS_TOP_TASKS). */
  versionsPerTask: Array<{ projectId: string; taskId: string; versions: number }>;
  /** Approved items by the UTC day (`YYYY-MM-DD`) of their approval, oldest first. */
  approvalsByDay: Array<{ date: string; count: number }>;
}

/** How many tasks `versionsPerTask` lists. */
export const STATISTICS_TOP_TASKS = 20;

/** Options that let a caller (the HTTP layer) restrict lookups to what a user may see. */
export interface Scope {
  /** Projects visible to the caller; undefined means all. */
  projectIds?: string[];
}

const DEFAULT_PAGE = 50;

/** Media items and their versions: ingest, lookup, search, update, archive, delete. */
export class MediaService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly projects: ProjectService,
  ) {}

  // ---------------------------------------------------------------- ingest

  /** Stores a file as a new version of a task and returns the new media id. */
  async uploadMedia(input: UploadMediaInput): Promise<string> {
    const projectId = assertProjectId(input.projectId);
    const taskId = assertTaskId(input.taskId);
    const author = requireText(input.author, 'author', 200);
    const description = optionalText(input.description, 'description', 10_000);
    const tags = normaliseTags(input.tags);
    if ((input.filePath === undefined) === (input.stream === undefined)) {
      throw new ValidationError('Give either filePath or stream to upload.', { field: 'filePath' });
    }
    if (input.customProperties !== undefined)
      this.assertJsonObject(input.customProperties, 'customProperties');
    const fileName = displayFileName(
      input.fileName ?? (input.filePath !== undefined ? path.basename(input.filePath) : ''),
    );

    // Know what the file is before storing a byte of it.
    let sniff: SniffResult | null;
    let body: Readable | AsyncIterable<Uint8Array>;
    if (input.filePath !== undefined) {
      await assertReadableFile(input.filePath);
      sniff = await sniffFile(input.filePath, fileName);
      // Opened only once the version is reserved (below): a stream opened and then abandoned
      // (refused type, version conflict) still opens the file later, and fails unhandled —
      // crashing the process — if the caller removed it meanwhile (tus removes its partial file).
      body = (async function* () {})();
    } else {
      const peeked = await peekStream(input.stream!, SNIFF_BYTES);
      sniff = await sniffBuffer(peeked.head, fileName);
      body = peeked.stream;
    }
    if (!sniff) {
      if (typeof (body as Readable).destroy === 'function') (body as Readable).destroy();
      throw new ValidationError(
        `${fileName} is not a supported image, video or audio file (its content was not recognised).`,
        { field: 'file', reason: 'unsupported_type' },
      );
    }

    const found = sniff;
    const place = async (key: string): Promise<StoredObject> => {
      const putOptions = {
        contentType: found.mimeType,
        maxBytes: this.ctx.limits.maxFileBytes,
        ...(input.expectedSha256 !== undefined ? { expectedSha256: input.expectedSha256 } : {}),
      };
      if (input.filePath !== undefined && input.moveFile && this.ctx.storage.adopt) {
        return this.ctx.storage.adopt(input.filePath, key, {
          ...putOptions,
          ...(input.hashed ? { hashed: input.hashed } : {}),
        });
      }
      if (input.filePath !== undefined && this.ctx.storage.putFile)
        return this.ctx.storage.putFile(input.filePath, key, putOptions);
      if (input.filePath !== undefined)
        body = fs.createReadStream(input.filePath, { highWaterMark: 1 << 20 });
      return this.ctx.storage.put(key, forStorage(this.ctx.storage, body), putOptions);
    };
    return this.recordVersion(
      { ...input, projectId, taskId, author, description, tags, fileName },
      found,
      place,
    );
  }

  /**
   * Records media whose bytes another path has already received and verified: a direct-to-S3
   * upload (uploads/s3-direct.ts), whose `place` copies the verified object into the version's
   * key. As atomic as `uploadMedia`: nothing is visible until the media row commits, and a
   * failure removes what `place` stored.
   */
  async recordPlacedUpload(input: PlacedUploadInput): Promise<string> {
    let target: {
      projectId: string;
      taskId: string;
      tags: string[] | undefined;
      description: string | undefined;
    };
    if (input.sourceMediaId !== undefined) {
      const source = await this.getMediaById(input.sourceMediaId);
      target = {
        projectId: source.projectId,
        taskId: source.taskId,
        tags: input.tags ?? source.tags,
        description: input.description ?? '',
      };
    } else {
      target = {
        projectId: input.projectId ?? '',
        taskId: input.taskId ?? '',
        tags: input.tags,
        description: input.description,
      };
    }
    const projectId = assertProjectId(target.projectId);
    const taskId = assertTaskId(target.taskId);
    return this.recordVersion(
      {
        projectId,
        taskId,
        ...(input.version !== undefined ? { version: input.version } : {}),
        author: requireText(input.author, 'author', 200),
        ...(input.via !== undefined ? { via: input.via } : {}),
        description: optionalText(target.description, 'description', 10_000),
        tags: normaliseTags(target.tags),
        fileName: displayFileName(input.fileName),
      },
      input.sniff,
      (key) => input.place(key, input.sniff.mimeType),
    );
  }

  /** Reserves the version, has `place` store the bytes at its key, and commits the records. */
  private async recordVersion(
    input: {
      projectId: string;
      taskId: string;
      version?: string | number;
      author: string;
      via?: string;
      description: string;
      tags: string[];
      fileName: string;
      customProperties?: Record<string, unknown>;
      wait?: boolean;
    },
    sniff: SniffResult,
    place: (key: string) => Promise<StoredObject>,
  ): Promise<string> {
    const { projectId, taskId, author, description, tags, fileName } = input;
    const versionNumber = await reserveVersion(this.ctx, projectId, taskId, input.version);
    const version = formatVersion(versionNumber);
    const id = newId();
    const key = mediaKey({
      projectId,
      taskId,
      version,
      name: storedName({ taskId, version, format: sniff.format }),
    });
    let stored = false;
    let queued: Job[] | undefined;
    try {
      const object = await place(key);
      stored = true;
      await transaction(this.ctx.db, async (trx) => {
        await this.projects.ensureTask(trx, projectId, taskId);
        await insertMediaRecord(trx, {
          id,
          projectId,
          taskId,
          versionNumber,
          mediaType: sniff.mediaType,
          fileName,
          mimeType: sniff.mimeType,
          size: object.size,
          sha256: object.sha256,
          author,
          via: input.via ?? null,
          description,
          tags,
          processing: this.ctx.processing !== undefined,
          metadata: { format: sniff.format, size: object.size, sha256: object.sha256 },
          customProperties: input.customProperties ?? {},
          files: [
            {
              role: 'original',
              frame: null,
              backend: this.ctx.storage.name,
              key,
              size: object.size,
              sha256: object.sha256,
              contentType: sniff.mimeType,
            },
          ],
        });
        queued = await this.ctx.processing?.queueIngest?.(trx, { id, projectId });
      });
    } catch (e) {
      if (stored) await this.ctx.storage.delete(key).catch(() => undefined);
      await releaseReservation(this.ctx.db, projectId, taskId, versionNumber).catch(() => undefined);
      throw e;
    }
    this.ctx.events.publish({
      type: 'media.created',
      projectId,
      mediaId: id,
      actor: actingName(author, input.via),
      data: { taskId, version, mediaType: sniff.mediaType, fileName },
    });
    if (this.ctx.processing) {
      await this.ctx.processing.schedule(
        { id, projectId },
        {
          wait: input.wait ?? false,
          reason: 'ingest',
          ...(queued ? { queued } : {}),
        },
      );
    }
    return id;
  }

  /** Stores a file as a new version of the source item's task, inheriting project, task and tags. */
  async createMediaVersion(input: CreateMediaVersionInput): Promise<string> {
    const source = await this.getMediaById(input.sourceMediaId);
    return this.uploadMedia({
      ...(input.filePath !== undefined ? { filePath: input.filePath } : {}),
      ...(input.stream !== undefined ? { stream: input.stream } : {}),
      ...(input.fileName !== undefined ? { fileName: input.fileName } : {}),
      ...(input.version !== undefined ? { version: input.version } : {}),
      ...(input.expectedSha256 !== undefined ? { expectedSha256: input.expectedSha256 } : {}),
      ...(input.moveFile !== undefined ? { moveFile: input.moveFile } : {}),
      ...(input.hashed !== undefined ? { hashed: input.hashed } : {}),
      ...(input.wait !== undefined ? { wait: input.wait } : {}),
      projectId: source.projectId,
      taskId: source.taskId,
      author: input.author,
      ...(input.via !== undefined ? { via: input.via } : {}),
      description: input.description ?? '',
      tags: input.tags ?? source.tags,
    });
  }

  // ---------------------------------------------------------------- lookup

  async getMediaById(id: string, scope: Scope = {}): Promise<Media> {
    if (typeof id !== 'string' || id.length > 64)
      throw new NotFound(`Media ${String(id).slice(0, 64)} does not exist.`);
    const row = await findMediaRow(this.ctx.db, id, scope.projectIds);
    if (!row) throw new NotFound(`Media ${id} does not exist.`, { mediaId: id });
    return (await this.withFiles([row]))[0]!;
  }

  /** Every version of a task, oldest first, or just the one asked for. */
  async getMediaByTask(
    taskId: string,
    version?: string | number,
    options: { projectId?: string; includeArchived?: boolean } & Scope = {},
  ): Promise<Media[]> {
    assertTaskId(taskId);
    const rows = await listTaskMediaRows(this.ctx.db, {
      taskId,
      ...(options.projectId !== undefined ? { projectId: assertProjectId(options.projectId) } : {}),
      ...(options.projectIds ? { projectIds: options.projectIds } : {}),
      ...(version !== undefined ? { versionNumber: parseVersion(version) } : {}),
      ...(options.includeArchived ? { includeArchived: true } : {}),
    });
    return this.withFiles(rows);
  }

  /** Version names of a task, sorted numerically: `['v001', 'v002', …]`. */
  async getMediaVersions(
    taskId: string,
    options: { projectId?: string; includeArchived?: boolean } & Scope = {},
  ): Promise<string[]> {
    assertTaskId(taskId);
    const names = await listTaskVersionNames(this.ctx.db, {
      taskId,
      ...(options.projectId !== undefined ? { projectId: assertProjectId(options.projectId) } : {}),
      ...(options.projectIds ? { projectIds: options.projectIds } : {}),
      ...(options.includeArchived ? { includeArchived: true } : {}),
    });
    return [...new Set(names)];
  }

  async searchMedia(options: SearchMediaOptions = {}): Promise<Page<Media>> {
    const limit = pageSize(options.limit, this.ctx.limits.maxPageSize);
    const filters: SearchFilters = {
      ...(options.projectId !== undefined ? { projectId: assertProjectId(options.projectId) } : {}),
      ...(options.projectIds ? { projectIds: options.projectIds } : {}),
      ...(options.taskId !== undefined ? { taskId: assertTaskId(options.taskId) } : {}),
      ...(options.mediaType !== undefined
        ? { mediaType: oneOf(options.mediaType, MEDIA_TYPES, 'mediaType') }
        : {}),
      ...(options.author !== undefined
        ? { authorKey: nameKey(requireText(options.author, 'author', 200)) }
        : {}),
      ...(options.status !== undefined ? { status: parseStatus(options.status) } : {}),
      ...(options.reviewSelected !== undefined ? { reviewSelected: options.reviewSelected } : {}),
      tags: normaliseTags(options.tags),
      ...(options.dateFrom !== undefined ? { createdFrom: isoBound(options.dateFrom, 'from') } : {}),
      ...(options.dateTo !== undefined ? { createdTo: isoBound(options.dateTo, 'to') } : {}),
      archived: archivedFilter(options.archived),
    };
    if (filters.projectIds?.length === 0) return { items: [], nextCursor: null };
    const tokens =
      options.query !== undefined && options.query.trim() !== '' ? searchTokens(options.query) : [];
    if (options.cursor) filters.after = decodeCursor(options.cursor);
    const rows = await searchMediaRows(this.ctx.db, this.ctx.dialect, filters, tokens, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: await this.withFiles(page),
      nextCursor:
        rows.length > limit && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null,
    };
  }

  private async withFiles(rows: MediaRow[]): Promise<Media[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const files = await listMediaFiles(this.ctx.db, ids);
    const byMedia = new Map<string, MediaFile[]>();
    for (const f of files) {
      const list = byMedia.get(f.media_id) ?? [];
      list.push(fileFromRow(f));
      byMedia.set(f.media_id, list);
    }
    // Per-step processing: the latest job of each type, one indexed query for the whole page.
    const jobs = await listMediaJobs(this.ctx.db, ids);
    const steps = new Map<string, Record<string, StepProcessing>>();
    for (const j of jobs) {
      if (!j.media_id) continue;
      const rec = steps.get(j.media_id) ?? {};
      rec[j.type] = {
        jobId: j.id,
        state: j.state as StepProcessing['state'],
        progress: j.progress,
        attempts: j.attempts,
        error: j.error,
        updatedAt: j.updated_at,
      };
      steps.set(j.media_id, rec);
    }
    return rows.map((r) => {
      const m = mediaFromRow(r, byMedia.get(r.id) ?? []);
      const p = steps.get(r.id);
      return p ? { ...m, processing: p } : m;
    });
  }

  // ---------------------------------------------------------------- update

  /**
   * Merges a patch into the technical metadata and the custom properties, as the media services
   * document writes it: top-level keys are technical metadata (`colorSpace`, `renderEngine`,
   * anything), `customProperties` holds custom properties. The nested form `{ metadata: {…} }`
   * still works. Objects merge recursively; a `null` value removes its key.
   */
  async updateMediaMetadata(
    id: string,
    patch: MetadataPatch,
    options: { actor?: string } & Scope = {},
  ): Promise<Media> {
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
      throw new ValidationError('The metadata patch must be an object.');
    const { metadata: nested, customProperties: custom, ...flat } = patch;
    if (nested !== undefined) this.assertJsonObject(nested, 'metadata');
    if (custom !== undefined) this.assertJsonObject(custom, 'customProperties');
    const twice = Object.keys(flat).filter((k) => nested !== undefined && Object.hasOwn(nested, k));
    if (twice.length) {
      throw new ValidationError(
        `${twice.join(', ')} given both at the top level and inside metadata: give each key once.`,
        { field: 'metadata' },
      );
    }
    const technical =
      nested !== undefined || Object.keys(flat).length > 0 ? { ...nested, ...flat } : undefined;
    if (technical !== undefined) this.assertJsonObject(technical, 'metadata');
    const current = await this.getMediaById(id, options);
    const metadata = technical ? mergePatch(current.metadata, technical) : current.metadata;
    const customProperties = custom ? mergePatch(current.customProperties, custom) : current.customProperties;
    this.assertJsonObject(metadata, 'metadata');
    if (technical) checkMetadata(metadata);
    this.assertJsonObject(customProperties, 'customProperties');
    await transaction(this.ctx.db, async (trx) => {
      await updateMediaRow(trx, id, {
        metadata: JSON.stringify(metadata),
        ...(technical ? await sourceStartColumns(trx, current.projectId, current.mediaType, metadata) : {}),
        custom_properties: JSON.stringify(customProperties),
        updated_at: nowIso(),
      });
      await recordHistory(trx, {
        actor: options.actor ?? 'system',
        action: 'media.metadata_updated',
        projectId: current.projectId,
        subjectType: 'media',
        subjectId: id,
        data: { fields: Object.keys(patch) },
      });
    });
    return this.getMediaById(id);
  }

  /**
   * Updates description, tags, review selection and/or approval status (the last through the
   * review workflow, as `review.changeStatus` does).
   */
  async updateMediaInfo(id: string, input: UpdateMediaInfoInput, scope: Scope = {}): Promise<Media> {
    const current = await this.getMediaById(id, scope);
    const actor = input.actor ?? 'system';
    const description =
      input.description !== undefined
        ? optionalText(input.description, 'description', 10_000)
        : current.description;
    const tags = input.tags !== undefined ? normaliseTags(input.tags) : current.tags;
    if (input.reviewSelected !== undefined && typeof input.reviewSelected !== 'boolean') {
      throw new ValidationError('reviewSelected must be true or false.', { field: 'reviewSelected' });
    }
    await transaction(this.ctx.db, async (trx) => {
      await updateMediaRow(trx, id, {
        description,
        tags: JSON.stringify(tags),
        search_text: buildSearchText({
          fileName: current.fileName,
          description,
          tags,
          taskId: current.taskId,
          author: current.author,
        }),
        updated_at: nowIso(),
      });
      if (input.tags !== undefined) await replaceMediaTags(trx, id, tags);
      if (input.reviewSelected !== undefined && input.reviewSelected !== current.reviewSelected) {
        await setReviewSelected(trx, current, input.reviewSelected, actor);
      }
      if (input.description !== undefined || input.tags !== undefined) {
        await recordHistory(trx, {
          actor,
          action: 'media.info_updated',
          projectId: current.projectId,
          subjectType: 'media',
          subjectId: id,
          data: {
            ...(input.description !== undefined ? { description } : {}),
            ...(input.tags !== undefined ? { tags } : {}),
          },
        });
      }
    });
    if (
      input.approvalStatus !== undefined &&
      parseStatus(input.approvalStatus, 'approvalStatus') !== current.status
    ) {
      await applyStatusChange(this.ctx, this.projects, current, input.approvalStatus, {
        actor,
        ...(input.comment !== undefined ? { comment: input.comment } : {}),
      });
    }
    this.ctx.events.publish({ type: 'media.updated', projectId: current.projectId, mediaId: id, actor });
    return this.getMediaById(id);
  }

  /**
   * Remakes the thumbnail (for video and sequences at `timestamp` seconds). Returns the job that
   * makes it: with `wait: false`, follow it (`jobs.get(jobId)`) to know when the thumbnail is there.
   */
  async regenerateThumbnail(
    id: string,
    options: { timestamp?: number; wait?: boolean } & Scope = {},
  ): Promise<{ jobId: string }> {
    const media = await this.getMediaById(id, options);
    if (!this.ctx.processing) {
      throw new NotSupported(
        'Thumbnails cannot be made: media processing is not configured in this library.',
      );
    }
    if (options.timestamp !== undefined && (!Number.isFinite(options.timestamp) || options.timestamp < 0)) {
      throw new ValidationError('timestamp must be a number of seconds, 0 or more.', { field: 'timestamp' });
    }
    const duration = media.metadata['duration'];
    if (options.timestamp !== undefined && typeof duration === 'number' && options.timestamp >= duration) {
      throw new ValidationError(
        `timestamp ${options.timestamp} is past the end of this item (${duration} s long).`,
        { field: 'timestamp', duration },
      );
    }
    const [job] = await this.ctx.processing.schedule(media, {
      wait: options.wait ?? true,
      reason: 'regenerate',
      ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}),
    });
    return { jobId: job!.id };
  }

  // ---------------------------------------------------------------- statistics

  async getMediaStatistics(options: { projectId?: string } & Scope = {}): Promise<MediaStatistics> {
    const projectId = options.projectId !== undefined ? assertProjectId(options.projectId) : undefined;
    const { totals, byType, byStatus, authors, perTask, topTasks, approvals } = await mediaStatisticsRows(
      this.ctx.db,
      {
        ...(projectId !== undefined ? { projectId } : {}),
        ...(options.projectIds ? { projectIds: options.projectIds } : {}),
      },
      STATISTICS_TOP_TASKS,
    );
    const tasks = Number(perTask?.tasks ?? 0);
    const total = Number(perTask?.total ?? 0);
    return {
      projectId: projectId ?? null,
      totalMedia: Number(totals?.n ?? 0),
      byType: Object.fromEntries(byType.map((r) => [r.k, Number(r.n)])),
      byStatus: Object.fromEntries(byStatus.map((r) => [statusWord(r.k), Number(r.n)])),
      totalSize: Number(totals?.bytes ?? 0),
      authors: authors.map((r) => ({ author: r.author, count: Number(r.n) })),
      versions: {
        tasks,
        total,
        averagePerTask: tasks ? Math.round((total / tasks) * 100) / 100 : 0,
        maxPerTask: Number(perTask?.maxn ?? 0),
      },
      versionsPerTask: topTasks.map((r) => ({
        projectId: r.projectId,
        taskId: r.taskId,
        versions: Number(r.n),
      })),
      approvalsByDay: approvals.map((r) => ({ date: r.day, count: Number(r.n) })),
    };
  }

  // ---------------------------------------------------------------- archive and delete

  /** Hides a media item from default queries; its files and history stay. */
  async archiveMedia(id: string, options: { actor?: string } & Scope = {}): Promise<Media> {
    return this.setArchived(id, true, options);
  }

  async restoreMedia(id: string, options: { actor?: string } & Scope = {}): Promise<Media> {
    return this.setArchived(id, false, options);
  }

  private async setArchived(
    id: string,
    archive: boolean,
    options: { actor?: string } & Scope,
  ): Promise<Media> {
    const current = await this.getMediaById(id, options);
    if ((current.archivedAt !== null) === archive) return current;
    const now = nowIso();
    await transaction(this.ctx.db, async (trx) => {
      await updateMediaRow(trx, id, { archived_at: archive ? now : null, updated_at: now });
      await recordHistory(trx, {
        actor: options.actor ?? 'system',
        action: archive ? 'media.archived' : 'media.restored',
        projectId: current.projectId,
        subjectType: 'media',
        subjectId: id,
      });
    });
    this.ctx.events.publish({
      type: archive ? 'media.archived' : 'media.restored',
      projectId: current.projectId,
      mediaId: id,
      ...(options.actor !== undefined ? { actor: options.actor } : {}),
    });
    return this.getMediaById(id);
  }

  /**
   * Deletes the record (with its notes) and, unless `removeFiles` is false, its stored files.
   * The record goes first: a crash in between leaves orphan files for `cleanupOrphanedFiles`,
   * never a record pointing at nothing.
   */
  async deleteMedia(
    id: string,
    options: { removeFiles?: boolean; actor?: string } & Scope = {},
  ): Promise<void> {
    const current = await this.getMediaById(id, options);
    // Deleting is how space is freed: on a full disk it may use the space reserve (decision 123).
    await this.ctx.spaceReserve.freeing(() => this.deleteRecord(current, options));
    if (options.removeFiles !== false) {
      for (const f of current.files) {
        if (f.backend === this.ctx.storage.name) await this.ctx.storage.delete(f.key).catch(() => undefined);
      }
    }
    await this.ctx.spaceReserve.ensure();
    this.ctx.events.publish({
      type: 'media.deleted',
      projectId: current.projectId,
      mediaId: id,
      ...(options.actor !== undefined ? { actor: options.actor } : {}),
    });
  }

  private async deleteRecord(
    current: Media,
    options: { removeFiles?: boolean; actor?: string },
  ): Promise<void> {
    const id = current.id;
    await transaction(this.ctx.db, async (trx) => {
      await deleteMediaRow(trx, id);
      await recordHistory(trx, {
        actor: options.actor ?? 'system',
        action: 'media.deleted',
        projectId: current.projectId,
        subjectType: 'media',
        subjectId: id,
        from: current.version,
        data: {
          taskId: current.taskId,
          fileName: current.fileName,
          removeFiles: options.removeFiles !== false,
        },
      });
    });
  }

  private assertJsonObject(value: unknown, field: string): asserts value is Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ValidationError(`${field} must be a JSON object.`, { field });
    }
    checkJsonValue(value, field, this.ctx.limits.maxJsonBytes);
  }
}

// ------------------------------------------------------------------ helpers

/** Only one version of a task is put forward for review at a time. */
async function setReviewSelected(db: Db, media: Media, selected: boolean, actor: string): Promise<void> {
  await setReviewSelection(db, media, selected);
  await recordHistory(db, {
    actor,
    action: selected ? 'media.review_selected' : 'media.review_unselected',
    projectId: media.projectId,
    subjectType: 'media',
    subjectId: media.id,
    to: selected ? 'selected' : 'unselected',
  });
}

export function normaliseTags(tags: unknown): string[] {
  if (tags === undefined || tags === null) return [];
  if (!Array.isArray(tags)) throw new ValidationError('tags must be a list of strings.', { field: 'tags' });
  const out = new Set<string>();
  for (const t of tags) {
    if (typeof t !== 'string')
      throw new ValidationError('tags must be a list of strings.', { field: 'tags' });
    const tag = t.trim().toLowerCase();
    if (!tag) continue;

    if (tag.length > 64 || /[\u0000-\u001f\u007f]/.test(tag)) {
      throw new ValidationError(`Invalid tag ${JSON.stringify(t)}: at most 64 printable characters.`, {
        field: 'tags',
      });
    }
    out.add(tag);
  }
  if (out.size > 100) throw new ValidationError('At most 100 tags per media item.', { field: 'tags' });
  return [...out].sort();
}

function requireText(v: unknown, field: string, max: number): string {
  if (typeof v !== 'string' || !v.trim()) throw new ValidationError(`${field} is required.`, { field });
  const t = v.trim();
  if (t.length > max) throw new ValidationError(`${field} is longer than ${max} characters.`, { field });
  return t;
}

function optionalText(v: unknown, field: string, max: number): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new ValidationError(`${field} must be text.`, { field });
  if (v.length > max) throw new ValidationError(`${field} is longer than ${max} characters.`, { field });
  return v;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], field: string): T {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new ValidationError(`${field} must be one of ${allowed.join(', ')}.`, { field });
}

function archivedFilter(v: unknown): SearchFilters['archived'] {
  if (v === undefined) return 'exclude';
  if (v === 'exclude' || v === 'include' || v === 'only') return v;
  throw new ValidationError('archived must be exclude, include or only.');
}

function pageSize(limit: number | undefined, max: number): number {
  if (limit === undefined) return DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1)
    throw new ValidationError('limit must be a whole number, 1 or more.');
  return Math.min(limit, max);
}

/** Accepts a date (`2026-11-24`) or a full ISO time; returns the comparable stored form. */
function isoBound(v: string, side: 'from' | 'to'): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return side === 'from' ? `${v}T00:00:00.000Z` : `${v}T23:59:59.999Z`;
  const d = new Date(v);
  if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(v)) {
    throw new ValidationError(`Invalid date ${JSON.stringify(v)}: use YYYY-MM-DD or an ISO-8601 time.`, {
      field: side === 'from' ? 'dateFrom' : 'dateTo',
    });
  }
  return d.toISOString();
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(
  target: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (typeof v === 'object' && !Array.isArray(v)) {
      const base = out[k];
      out[k] = mergePatch(
        typeof base === 'object' && base !== null && !Array.isArray(base)
          ? (base as Record<string, unknown>)
          : {},
        v as Record<string, unknown>,
      );
    } else out[k] = v;
  }
  return out;
}

async function assertReadableFile(p: string): Promise<void> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(p);
  } catch {
    throw new NotFound(`File ${p} does not exist or cannot be read.`, { field: 'filePath' });
  }
  if (!st.isFile()) throw new ValidationError(`${p} is not a regular file.`, { field: 'filePath' });
}
