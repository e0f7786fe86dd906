import { randomBytes } from 'node:crypto';
import {
  assertProjectId,
  assertTaskId,
  Conflict,
  directPartCount,
  directPartSize,
  displayFileName,
  NotFound,
  NotSupported,
  parseVersion,
  ValidationError,
} from '@montu/domain';
import type { ServiceContext } from '../context.js';
import { transaction } from '../db/connect.js';
import type { MediaService } from '../media/media-service.js';
import { SNIFF_BYTES, sniffBuffer } from '../processing/tools/sniff.js';
import { checkExpectedSha256 } from '../storage/hashing.js';
import { S3Storage } from '../storage/s3.js';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  copyIntoPlace,
  createMultipartUpload,
  deleteObject,
  directStagingKey,
  presignPart,
  readBack,
} from '../storage/s3-direct.js';
import {
  findDirectUpload,
  findDirectUploadWithSession,
  insertDirectUpload,
  listDirectUploadParts,
  upsertDirectUploadPart,
} from './direct-upload-queries.js';
import { insertSession } from './upload-session-queries.js';
import type { UploadError, UploadSessions } from './upload-sessions.js';

/** Where a direct upload's media goes, and who it is recorded as made by. */
export interface DirectUploadTarget {
  projectId?: string;
  taskId?: string;
  sourceMediaId?: string;
  version?: string | number;
  author: string;
  via?: string;
  description?: string;
  tags?: string[];
}

export interface StartDirectUploadInput extends DirectUploadTarget {
  /** The user who starts it: only they (and instance admins) may continue it. */
  userId: string;
  fileName: string;
  size: number;
  /** The file's sha256, when known now; it may also come with `complete`. */
  sha256?: string;
  contentType?: string;
}

export interface DirectUploadInfo {
  uploadId: string;
  userId: string;
  state: 'uploading' | 'finishing' | 'complete' | 'failed';
  fileName: string;
  size: number;
  partSize: number;
  partCount: number;
  /** Parts the client recorded as stored, by part number. */
  parts: Array<{ partNumber: number; etag: string }>;
  mediaId: string | null;
  /** Why it failed, when it did. */
  error: UploadError | null;
  target: DirectUploadTarget;
}

const SHA256 = /^[0-9a-f]{64}$/i;

/**
 * Uploads straight to the object store (decision 160). The server starts an S3 multipart upload
 * to a temporary key and signs a URL per part (part size max(8 MiB, ⌈size/9,000⌉), so no file
 * needs more than 9,000 of S3's 10,000 parts); clients PUT the parts in parallel and record each
 * part's ETag here, which is also what a resumed client lists. `complete` completes the multipart
 * upload, reads the object back to verify its size and sha256 (s3rver and multipart S3 objects
 * report no full-object SHA-256), copies it inside the store into the version's key and records
 * the media: nothing is visible before the media row commits, and a failed check removes the
 * object and leaves no media. The session (owner, finishing lease, outcome) is an
 * `upload_session` row of kind 's3-direct'.
 */
export class DirectUploads {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly sessions: UploadSessions,
    private readonly media: MediaService,
  ) {}

  private get db(): ServiceContext['db'] {
    return this.ctx.db;
  }

  /** Whether this library takes direct uploads, and why not. */
  offer(): { offered: boolean; reason?: string } {
    const storage = this.ctx.storage;
    if (!(storage instanceof S3Storage))
      return { offered: false, reason: 'Storage is not S3: upload through the server.' };
    if (!storage.directUploads)
      return { offered: false, reason: 'Direct uploads are turned off (storage.directUploads).' };
    return { offered: true };
  }

  /**
   * The origin the part URLs point at (for the web app's Content-Security-Policy), or null when
   * direct uploads are not offered. Read from a signed URL, so it is exactly what clients get.
   */
  async uploadOrigin(): Promise<string | null> {
    if (!this.offer().offered) return null;
    const storage = this.ctx.storage as S3Storage;
    try {
      const url = await presignPart(storage, directStagingKey(storage, 'origin'), 'origin', 1, 60);
      return new URL(url).origin;
    } catch {
      return null; // no credentials to sign with: part URLs would fail the same way
    }
  }

  private s3(): S3Storage {
    const offer = this.offer();
    if (!offer.offered) throw new NotSupported(`Direct uploads are not offered here. ${offer.reason}`);
    return this.ctx.storage as S3Storage;
  }

  async start(input: StartDirectUploadInput): Promise<DirectUploadInfo> {
    const storage = this.s3();
    const fileName = displayFileName(input.fileName);
    const partSize = directPartSize(input.size);
    if (input.size > this.ctx.limits.maxFileBytes) {
      throw new ValidationError(
        `The file is larger than the limit of ${this.ctx.limits.maxFileBytes} bytes.`,
        {
          limit: this.ctx.limits.maxFileBytes,
        },
      );
    }
    if (input.sha256 !== undefined && !SHA256.test(input.sha256))
      throw new ValidationError('sha256 must be 64 hexadecimal digits.', { field: 'sha256' });
    if (input.sourceMediaId === undefined) {
      assertProjectId(input.projectId ?? '');
      assertTaskId(input.taskId ?? '');
    } else if (input.projectId !== undefined || input.taskId !== undefined) {
      throw new ValidationError('Give either sourceMediaId or projectId and taskId, not both.');
    }
    if (input.version !== undefined) parseVersion(input.version);

    const id = randomBytes(16).toString('hex');
    const objectKey = directStagingKey(storage, id);
    const s3UploadId = await createMultipartUpload(
      storage,
      objectKey,
      input.contentType && /^[\w.+-]+\/[\w.+-]+$/.test(input.contentType)
        ? input.contentType
        : 'application/octet-stream',
    );
    const target: DirectUploadTarget = {
      ...(input.projectId !== undefined ? { projectId: input.projectId } : {}),
      ...(input.taskId !== undefined ? { taskId: input.taskId } : {}),
      ...(input.sourceMediaId !== undefined ? { sourceMediaId: input.sourceMediaId } : {}),
      ...(input.version !== undefined ? { version: input.version } : {}),
      author: input.author,
      ...(input.via !== undefined ? { via: input.via } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.tags !== undefined ? { tags: input.tags } : {}),
    };
    const now = new Date().toISOString();
    await transaction(this.db, async (trx) => {
      await insertSession(trx, {
        id,
        kind: 's3-direct',
        user_id: input.userId,
        state: 'uploading',
        lease: null,
        offset: 0,
        size: input.size,
        media_id: null,
        error: null,
        created_at: now,
        updated_at: now,
        details: null,
      });
      await insertDirectUpload(trx, {
        id,
        object_key: objectKey,
        s3_upload_id: s3UploadId,
        file_name: fileName,
        size: input.size,
        part_size: partSize,
        sha256: input.sha256?.toLowerCase() ?? null,
        target: JSON.stringify(target),
      });
    });
    return this.get(id);
  }

  /** The upload and the parts recorded so far (what a resuming client sends the rest from). */
  async get(id: string): Promise<DirectUploadInfo> {
    const row = await findDirectUploadWithSession(this.db, id);
    if (!row) throw new NotFound(`Direct upload ${id} does not exist.`, { uploadId: id });
    const parts = await listDirectUploadParts(this.db, id);
    const size = Number(row.size);
    return {
      uploadId: row.id,
      userId: row.user_id,
      state: row.state,
      fileName: row.file_name,
      size,
      partSize: Number(row.part_size),
      partCount: directPartCount(size),
      parts: parts.map((p) => ({ partNumber: Number(p.part_number), etag: p.etag })),
      mediaId: row.media_id,
      error: row.error === null ? null : (JSON.parse(row.error) as UploadError),
      target: JSON.parse(row.target) as DirectUploadTarget,
    };
  }

  /** Presigned PUT URLs of these parts (any part may be sent again: the last one sent counts). */
  async partUrls(
    id: string,
    partNumbers: number[],
  ): Promise<{ urls: Array<{ partNumber: number; url: string }>; expiresInSeconds: number }> {
    const storage = this.s3();
    const up = await this.uploading(id);
    const row = await this.row(id);
    const urls = [];
    for (const n of partNumbers) {
      this.checkPart(up, n);
      urls.push({
        partNumber: n,
        url: await presignPart(storage, row.object_key, row.s3_upload_id, n, storage.directUploadUrlSeconds),
      });
    }
    return { urls, expiresInSeconds: storage.directUploadUrlSeconds };
  }

  /** Records that part `partNumber` is stored, with the ETag the store answered its PUT with. */
  async recordPart(id: string, partNumber: number, etag: string): Promise<void> {
    const up = await this.uploading(id);
    this.checkPart(up, partNumber);
    if (typeof etag !== 'string' || etag.length === 0 || etag.length > 200 || /[\u0000-\u001f]/.test(etag))
      throw new ValidationError('etag must be the ETag header the object store answered the part with.', {
        field: 'etag',
      });
    await upsertDirectUploadPart(this.db, {
      uploadId: id,
      partNumber,
      etag,
      createdAt: new Date().toISOString(),
    });
    const done = this.recordedBytes(up, [
      ...up.parts.filter((p) => p.partNumber !== partNumber),
      { partNumber },
    ]);
    await this.sessions.progress(id, done, up.size);
  }

  /**
   * Completes the upload and records the media; returns its id. Refused with nothing recorded: a
   * part not yet recorded (409, the upload stays open), parts the store does not hold as recorded
   * (400, open), and a size or sha256 that differs from the declared one (400; the object is
   * removed and the upload has failed).
   */
  async complete(id: string, sha256?: string): Promise<string> {
    const storage = this.s3();
    let up = await this.get(id);
    if (sha256 !== undefined && !SHA256.test(sha256))
      throw new ValidationError('sha256 must be 64 hexadecimal digits.', { field: 'sha256' });
    if (up.state === 'complete' && up.mediaId) return up.mediaId;
    if (up.state === 'failed') throw new Conflict(`This upload failed: ${up.error?.detail ?? 'unknown'}`);
    const row = await this.row(id);
    const declared = row.sha256 ?? undefined;
    if (sha256 !== undefined && declared !== undefined && sha256.toLowerCase() !== declared) {
      throw new ValidationError('The sha256 given now differs from the one the upload was started with.', {
        field: 'sha256',
      });
    }
    const expected = sha256?.toLowerCase() ?? declared;
    const missing = this.missingParts(up);
    if (missing.length > 0) {
      throw new Conflict(
        `Parts ${summarise(missing)} of ${up.partCount} have not been recorded as uploaded; upload them, record their ETags, then complete.`,
        { reason: 'parts_missing', missingParts: missing.slice(0, 100) },
      );
    }
    if (!(await this.sessions.claimFinish(id, up.userId, up.size))) {
      up = await this.get(id);
      if (up.state === 'complete' && up.mediaId) return up.mediaId;
      throw new Conflict('This upload is already being finished.', { uploadId: id });
    }

    // From here this process holds the lease: every way out settles or releases it.
    try {
      await completeMultipartUpload(storage, row.object_key, row.s3_upload_id, up.parts);
    } catch (e) {
      await this.sessions.release(id);
      throw e;
    }
    try {
      const back = await readBack(storage, row.object_key, SNIFF_BYTES);
      if (back.size !== up.size) {
        throw new ValidationError(
          `The stored upload is ${back.size} bytes, not the declared ${up.size}. Nothing was stored.`,
          { reason: 'size_mismatch', declaredSize: up.size, storedSize: back.size },
        );
      }
      checkExpectedSha256(back.sha256, expected);
      const sniff = await sniffBuffer(back.head, up.fileName);
      if (!sniff) {
        throw new ValidationError(
          `${up.fileName} is not a supported image, video or audio file (its content was not recognised).`,
          { field: 'file', reason: 'unsupported_type' },
        );
      }
      const t = up.target;
      const mediaId = await this.media.recordPlacedUpload({
        ...(t.sourceMediaId !== undefined
          ? { sourceMediaId: t.sourceMediaId }
          : { projectId: t.projectId ?? '', taskId: t.taskId ?? '' }),
        fileName: up.fileName,
        ...(t.version !== undefined ? { version: t.version } : {}),
        author: t.author,
        ...(t.via !== undefined ? { via: t.via } : {}),
        ...(t.description !== undefined ? { description: t.description } : {}),
        ...(t.tags !== undefined ? { tags: t.tags } : {}),
        sniff,
        place: (key, contentType) =>
          copyIntoPlace(storage, row.object_key, key, { size: back.size, sha256: back.sha256, contentType }),
      });
      await this.sessions.complete(id, mediaId);
      await deleteObject(storage, row.object_key).catch(() => undefined);
      return mediaId;
    } catch (e) {
      // The completed object is never media: it goes, and the upload has failed with this reason.
      await deleteObject(storage, row.object_key).catch(() => undefined);
      // As the HTTP layer words it: a checksum mismatch is its 422 `checksum_mismatch`.
      const checksum = e instanceof ValidationError && e.details?.['expected'] !== undefined;
      const status = checksum ? 422 : e instanceof ValidationError ? 400 : e instanceof Conflict ? 409 : 500;
      const code = checksum ? 'checksum_mismatch' : ((e as { code?: string }).code ?? 'internal_error');
      await this.sessions
        .fail(id, { status, code, detail: e instanceof Error ? e.message : String(e) })
        .catch(() => undefined);
      throw e;
    }
  }

  /** Cancels an upload that has not been completed: the parts are given up, the session goes. */
  async abort(id: string): Promise<void> {
    const storage = this.s3();
    const up = await this.get(id);
    if (up.state === 'finishing' || up.state === 'complete')
      throw new Conflict(`This upload is ${up.state === 'complete' ? 'complete' : 'being finished'}.`);
    const row = await this.row(id);
    await abortMultipartUpload(storage, row.object_key, row.s3_upload_id);
    await this.sessions.remove(id);
  }

  private async row(id: string) {
    const row = await findDirectUpload(this.db, id);
    if (!row) throw new NotFound(`Direct upload ${id} does not exist.`, { uploadId: id });
    return row;
  }

  private async uploading(id: string): Promise<DirectUploadInfo> {
    const up = await this.get(id);
    if (up.state !== 'uploading')
      throw new Conflict(`This upload takes no more parts: it is ${up.state}.`, { uploadId: id });
    return up;
  }

  private checkPart(up: DirectUploadInfo, n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > up.partCount)
      throw new ValidationError(`Part ${n} is not one of parts 1–${up.partCount} of this upload.`, {
        field: 'partNumber',
      });
  }

  private missingParts(up: DirectUploadInfo): number[] {
    const have = new Set(up.parts.map((p) => p.partNumber));
    const missing = [];
    for (let n = 1; n <= up.partCount; n++) if (!have.has(n)) missing.push(n);
    return missing;
  }

  private recordedBytes(up: DirectUploadInfo, parts: Array<{ partNumber: number }>): number {
    let bytes = 0;
    for (const p of parts) bytes += Math.min(up.partSize, up.size - (p.partNumber - 1) * up.partSize);
    return bytes;
  }
}

/** `2, 5–9, 12` */
function summarise(numbers: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < numbers.length && out.length < 20;) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j]! + 1) j++;
    out.push(i === j ? `${numbers[i]}` : `${numbers[i]}–${numbers[j]}`);
    i = j + 1;
  }
  return out.join(', ') + (out.length === 20 ? ', …' : '');
}
