import fs from 'node:fs';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Conflict, NotFound, ValidationError } from '@montu/domain';
import { newId, nowIso } from '../ids.js';
import { assertProjectId, assertTaskId, displayFileName, formatVersion } from '@montu/domain';
import { actingName } from '@montu/domain';
import type { ServiceContext } from '../context.js';
import type { Job } from '../jobs/types.js';
import { insertMediaRecord, releaseReservation, reserveVersion } from '../media/media-records.js';
import type { ProjectService } from '../projects/project-service.js';
import { normaliseTags } from '../media/media-service.js';
import { mediaKey, storedName } from '../storage/keys.js';
import { ABANDONED_AFTER_MS, CLIENT_OWNER, OWNER, ownerIsDeadLocalProcess } from '../storage/owner.js';
import { SNIFF_BYTES, sniffBuffer } from '../processing/tools/sniff.js';
import { detectSequence, type ImageSequence } from '../processing/tools/sequence.js';
import { normaliseRational } from '@montu/domain';
import { peekStream } from '../util/streams.js';
import { transaction } from '../db/connect.js';
import {
  completeSequenceSession,
  deleteSession,
  findSession,
  insertSession,
  openSequenceSessions,
  receivedFrameNumbers,
  receivedFrames,
  recordFrame,
} from './upload-session-queries.js';

export interface SequenceFrameSpec {
  frame: number;
  /** The frame's original file name, e.g. `beauty.1001.exr`. */
  fileName: string;
  size?: number;
  sha256?: string;
}

export interface StartSequenceInput {
  projectId: string;
  taskId: string;
  version?: string | number;
  /** The person the version is recorded as made by. */
  author: string;
  /** Who really uploads, when that is not `author` (history shows "author via …"). */
  via?: string;
  description?: string;
  tags?: string[];
  /** Frame rate for the proxy movie, an exact rational such as `24/1` or `24000/1001`. */
  fps?: string;
  /** Display name of the sequence, e.g. `beauty.####.exr`; derived from the frames when omitted. */
  fileName?: string;
  frames: SequenceFrameSpec[];
}

export interface SequenceUploadInfo {
  uploadId: string;
  version: string;
  /** Frames still to be sent. */
  pendingFrames: number[];
}

export interface UploadSequenceInput extends Omit<StartSequenceInput, 'frames'> {
  /** A pattern (`beauty.####.exr`, `beauty.%04d.exr`), a folder, a list of frame files, or a detected sequence. */
  source: string | string[] | ImageSequence;
  wait?: boolean;
  /** Called after each stored frame. */
  onProgress?: (done: number, total: number) => void;
}

const MAX_FRAMES = 100_000;

/** What a sequence upload declared when it started (`upload_session.details`). */
interface SequenceDeclaration {
  projectId: string;
  taskId: string;
  versionNumber: number;
  author: string;
  via: string | null;
  description: string;
  tags: string[];
  fps: string | null;
  fileName: string;
  frames: SequenceFrameSpec[];
}

/** A sequence upload in flight: its session's id and what it declared. */
interface SequenceUpload extends SequenceDeclaration {
  id: string;
}

/**
 * Image sequences as one media item. An upload claims its version, receives frames one by one
 * (each stored atomically with its own sha256) and commits them all in one transaction; until
 * then nothing is visible. The same path serves local ingest and HTTP uploads. Its state is an
 * upload session (`upload_session`, kind `sequence`: the model tus uploads share; decision 155):
 * its frames received count as its offset, a local upload's process holds its lease.
 */
export class SequenceIngest {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly projects: ProjectService,
  ) {}

  /**
   * Starts an upload a client drives frame by frame (the HTTP API). It belongs to no process: a
   * server restarted meanwhile keeps it, and the client carries on with the frames still pending.
   * Abandoned uploads go after ABANDONED_AFTER_MS.
   */
  async startSequenceUpload(input: StartSequenceInput): Promise<SequenceUploadInfo> {
    return this.start(input, CLIENT_OWNER);
  }

  /** `owner`: OWNER for an upload this process drives itself, swept as soon as the process is gone. */
  private async start(input: StartSequenceInput, owner: string): Promise<SequenceUploadInfo> {
    const projectId = assertProjectId(input.projectId);
    const taskId = assertTaskId(input.taskId);
    const author = typeof input.author === 'string' ? input.author.trim() : '';
    if (!author) throw new ValidationError('author is required.', { field: 'author' });
    const tags = normaliseTags(input.tags);
    const fps = input.fps === undefined ? null : normaliseRational(input.fps);
    if (input.fps !== undefined && !fps) {
      throw new ValidationError(
        `Invalid frame rate ${JSON.stringify(input.fps)}: use 24, 25, 24000/1001, …`,
        { field: 'fps' },
      );
    }
    const frames = checkFrames(input.frames);
    const fileName = displayFileName(input.fileName ?? sequenceName(frames));
    await this.projects.ensureTask(this.ctx.db, projectId, taskId);
    const versionNumber = await reserveVersion(this.ctx, projectId, taskId, input.version, owner);
    const id = newId();
    const declaration: SequenceDeclaration = {
      projectId,
      taskId,
      versionNumber,
      author,
      via: input.via ?? null,
      description: input.description ?? '',
      tags,
      fps,
      fileName,
      frames,
    };
    const now = nowIso();
    try {
      await insertSession(this.ctx.db, {
        id,
        kind: 'sequence',
        user_id: input.via ?? author,
        state: 'uploading',
        // A client-driven upload belongs to no process (a restart keeps it); a local one to this.
        lease: owner === CLIENT_OWNER ? null : owner,
        offset: 0,
        size: frames.length,
        media_id: null,
        error: null,
        created_at: now,
        updated_at: now,
        details: JSON.stringify(declaration),
      });
    } catch (e) {
      await releaseReservation(this.ctx.db, projectId, taskId, versionNumber);
      throw e;
    }
    return { uploadId: id, version: formatVersion(versionNumber), pendingFrames: frames.map((f) => f.frame) };
  }

  async getSequenceUpload(
    uploadId: string,
  ): Promise<SequenceUploadInfo & { projectId: string; taskId: string }> {
    const up = await this.load(uploadId);
    const received = new Set(await receivedFrameNumbers(this.ctx.db, uploadId));
    return {
      uploadId,
      projectId: up.projectId,
      taskId: up.taskId,
      version: formatVersion(up.versionNumber),
      pendingFrames: up.frames.filter((f) => !received.has(f.frame)).map((f) => f.frame),
    };
  }

  /** Stores one frame. Sending the same frame again replaces it (a retried request is harmless). */
  async putSequenceFrame(
    uploadId: string,
    frame: number,
    body: Readable | AsyncIterable<Uint8Array>,
    options: { expectedSha256?: string } = {},
  ): Promise<{ frame: number; size: number; sha256: string }> {
    const up = await this.load(uploadId);
    const spec = up.frames.find((f) => f.frame === frame);
    if (!spec)
      throw new ValidationError(`Frame ${frame} is not part of this sequence upload.`, { field: 'frame' });
    const { head, stream } = await peekStream(body, SNIFF_BYTES);
    const sniff = await sniffBuffer(head, spec.fileName);
    if (!sniff || sniff.mediaType !== 'image') {
      stream.destroy();
      throw new ValidationError(`Frame ${frame} (${spec.fileName}) is not a supported image.`, {
        field: 'file',
        frame,
      });
    }
    const key = frameKey(up, frame, sniff.format);
    const expected = options.expectedSha256 ?? spec.sha256;
    const stored = await this.ctx.storage.put(key, stream, {
      contentType: sniff.mimeType,
      maxBytes: this.ctx.limits.maxFileBytes,
      ...(expected !== undefined ? { expectedSha256: expected } : {}),
    });
    const recorded = await recordFrame(
      this.ctx.db,
      {
        upload_id: uploadId,
        frame,
        storage_key: key,
        size: stored.size,
        sha256: stored.sha256,
        content_type: sniff.mimeType,
      },
      nowIso(),
    );
    if (!recorded) {
      // Completed or cancelled while this frame was stored: nothing points at the file.
      await this.ctx.storage.delete(key).catch(() => undefined);
      throw new Conflict('This sequence upload was completed or cancelled meanwhile.');
    }
    return { frame, size: stored.size, sha256: stored.sha256 };
  }

  /** Commits a sequence whose frames have all arrived; returns the new media id. */
  async completeSequenceUpload(uploadId: string, options: { wait?: boolean } = {}): Promise<string> {
    const up = await this.load(uploadId);
    const rows = await receivedFrames(this.ctx.db, uploadId);
    const received = new Set(rows.map((r) => r.frame));
    const pending = up.frames.filter((f) => !received.has(f.frame)).map((f) => f.frame);
    if (pending.length) {
      throw new ValidationError(
        `The sequence is incomplete: ${pending.length} frame(s) not received (${pending.slice(0, 10).join(', ')}${pending.length > 10 ? ', …' : ''}).`,
        { pendingFrames: pending.slice(0, 1000) },
      );
    }
    const formats = new Set(rows.map((r) => r.content_type));
    if (formats.size > 1) {
      throw new ValidationError(
        `A sequence holds one image format; these frames mix ${[...formats].join(', ')}.`,
      );
    }
    const numbers = rows.map((r) => r.frame);
    const start = numbers[0]!;
    const end = numbers[numbers.length - 1]!;
    const missing: number[] = [];
    for (let f = start, i = 0; f <= end; f++) {
      if (numbers[i] === f) i++;
      else missing.push(f);
    }
    const manifest = createHash('sha256');
    for (const r of rows) manifest.update(`${r.frame} ${r.sha256}\n`);
    const size = rows.reduce((n, r) => n + Number(r.size), 0);
    const sha256 = manifest.digest('hex');
    const contentType = rows[0]!.content_type;
    const id = newId();
    let queued: Job[] | undefined;
    await transaction(this.ctx.db, async (trx) => {
      if (!(await completeSequenceSession(trx, uploadId, id, nowIso())))
        throw new Conflict('This sequence upload was completed or cancelled meanwhile.');
      await insertMediaRecord(trx, {
        id,
        projectId: up.projectId,
        taskId: up.taskId,
        versionNumber: up.versionNumber,
        mediaType: 'sequence',
        fileName: up.fileName,
        mimeType: contentType,
        size,
        sha256,
        author: up.author,
        via: up.via,
        description: up.description,
        tags: up.tags,
        processing: this.ctx.processing !== undefined,
        metadata: {
          format: contentType,
          size,
          sha256,
          frameStart: start,
          frameEnd: end,
          frameCount: rows.length,
          missingFrames: missing,
          ...(up.fps ? { fps: up.fps } : {}),
        },
        customProperties: {},
        files: rows.map((r) => ({
          role: 'frame' as const,
          frame: r.frame,
          backend: this.ctx.storage.name,
          key: r.storage_key,
          size: Number(r.size),
          sha256: r.sha256,
          contentType: r.content_type,
        })),
      });
      queued = await this.ctx.processing?.queueIngest?.(trx, { id, projectId: up.projectId });
    });
    this.ctx.events.publish({
      type: 'media.created',
      projectId: up.projectId,
      mediaId: id,
      actor: actingName(up.author, up.via),
      data: {
        taskId: up.taskId,
        version: formatVersion(up.versionNumber),
        mediaType: 'sequence',
        fileName: up.fileName,
      },
    });
    if (this.ctx.processing)
      await this.ctx.processing.schedule(
        { id, projectId: up.projectId },
        {
          wait: options.wait ?? false,
          reason: 'ingest',
          ...(queued ? { queued } : {}),
        },
      );
    return id;
  }

  /** Cancels an upload: its stored frames are removed and the version claim released. */
  async abortSequenceUpload(uploadId: string): Promise<void> {
    await this.discard(await this.load(uploadId));
  }

  /** Ingests a whole sequence from local files (pattern, folder or list) as one media item. */
  async uploadSequence(input: UploadSequenceInput): Promise<string> {
    const seq =
      typeof input.source === 'object' && !Array.isArray(input.source)
        ? input.source
        : await detectSequence(input.source);
    if (seq.frames.length === 0) throw new ValidationError('The sequence has no frames.');
    const name = (p: string) => p.split(/[\\/]/).pop() ?? p;
    const started = await this.start(
      {
        ...input,
        fileName: input.fileName ?? `${seq.base}${'#'.repeat(Math.max(seq.padding, 1))}${seq.ext}`,
        frames: seq.frames.map((f) => ({ frame: f.frame, fileName: name(f.path) })),
      },
      OWNER,
    );
    try {
      let done = 0;
      for (const f of seq.frames) {
        await this.putSequenceFrame(
          started.uploadId,
          f.frame,
          fs.createReadStream(f.path, { highWaterMark: 1 << 20 }),
        );
        input.onProgress?.(++done, seq.frames.length);
      }
      return await this.completeSequenceUpload(started.uploadId, { wait: input.wait ?? false });
    } catch (e) {
      await this.abortSequenceUpload(started.uploadId).catch(() => undefined);
      throw e;
    }
  }

  /** Uploads left by dead processes (or abandoned for a day) are discarded. */
  async sweepAbandoned(): Promise<number> {
    const rows = await openSequenceSessions(this.ctx.db);
    const cutoff = new Date(Date.now() - ABANDONED_AFTER_MS).toISOString();
    let n = 0;
    for (const r of rows) {
      if ((r.lease !== null && ownerIsDeadLocalProcess(r.lease)) || r.created_at < cutoff) {
        await this.discard(sequenceUpload(r.id, r.details));
        n++;
      }
    }
    return n;
  }

  /** Removes an upload in flight: its session (and frame rows), its stored frames, its version claim. */
  private async discard(up: SequenceUpload): Promise<void> {
    const frames = await receivedFrames(this.ctx.db, up.id);
    await transaction(this.ctx.db, async (trx) => {
      await deleteSession(trx, up.id);
      await releaseReservation(trx, up.projectId, up.taskId, up.versionNumber);
    });
    for (const f of frames) await this.ctx.storage.delete(f.storage_key).catch(() => undefined);
  }

  /** The upload, while it is in flight (a completed one is gone for this API, as before). */
  private async load(uploadId: string): Promise<SequenceUpload> {
    if (typeof uploadId !== 'string' || uploadId.length > 64)
      throw new NotFound('Sequence upload not found.');
    const row = await findSession(this.ctx.db, uploadId, ['sequence']);
    if (row?.state !== 'uploading')
      throw new NotFound(`Sequence upload ${uploadId} does not exist (completed, cancelled or expired).`);
    return sequenceUpload(row.id, row.details);
  }
}

function sequenceUpload(id: string, details: string | null): SequenceUpload {
  return { id, ...(JSON.parse(details ?? '{}') as SequenceDeclaration) };
}

function checkFrames(frames: unknown): SequenceFrameSpec[] {
  if (!Array.isArray(frames) || frames.length === 0) {
    throw new ValidationError('A sequence needs a list of frames.', { field: 'frames' });
  }
  if (frames.length > MAX_FRAMES)
    throw new ValidationError(`A sequence may hold at most ${MAX_FRAMES} frames.`);
  const seen = new Set<number>();
  const out: SequenceFrameSpec[] = [];
  for (const f of frames as SequenceFrameSpec[]) {
    if (
      typeof f !== 'object' ||
      f === null ||
      !Number.isInteger(f.frame) ||
      f.frame < 0 ||
      f.frame > 99_999_999
    ) {
      throw new ValidationError('Every frame needs a whole frame number between 0 and 99999999.', {
        field: 'frames',
      });
    }
    if (seen.has(f.frame))
      throw new ValidationError(`Frame ${f.frame} is listed twice.`, { field: 'frames' });
    seen.add(f.frame);
    out.push({
      frame: f.frame,
      fileName: displayFileName(String(f.fileName ?? '')),
      ...(f.size !== undefined ? { size: f.size } : {}),
      ...(f.sha256 !== undefined ? { sha256: String(f.sha256) } : {}),
    });
  }
  return out.sort((a, b) => a.frame - b.frame);
}

function sequenceName(frames: SequenceFrameSpec[]): string {
  const first = frames[0]!.fileName;
  const m = /^(.*?)(\d+)((?:\.[A-Za-z][A-Za-z0-9]*)*)$/.exec(first);
  return m ? `${m[1]}${'#'.repeat(m[2]!.length)}${m[3]}` : first;
}

function frameKey(up: SequenceDeclaration, frame: number, format: string): string {
  // Generated from the task, version and frame number (never from names a client sends), so
  // frames cannot overwrite each other; the padding follows the sequence's own pattern.
  const version = formatVersion(up.versionNumber);
  const padding = /#+/.exec(up.fileName)?.[0].length ?? 4;
  return mediaKey({
    projectId: up.projectId,
    taskId: up.taskId,
    version,
    name: storedName({ taskId: up.taskId, version, format, frame, padding }),
  });
}
