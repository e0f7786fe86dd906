import type { Readable } from 'node:stream';
import { checkJsonValue, Conflict, Forbidden, NotFound, ValidationError } from '@montu/domain';
import { newId, nowIso } from '../ids.js';
import { noteFromRow } from '../db/rows.js';
import type { Media, Note } from '@montu/domain';
import {
  mergeStrokes,
  parseDrawing,
  parseStrokeChanges,
  withStrokeIds,
  type Drawing,
  type Point,
  type Shape,
} from '@montu/domain';
import { actingName } from '@montu/domain';
import { normalisedToPixels, pixelsToNormalised, uprightSize } from '@montu/domain';
import { mediaKey } from '../storage/keys.js';
import { decoderFailure } from '../processing/tools/decoder-pool.js';
import { DEFAULT_MEDIA_LIMITS } from '../processing/tools/limits.js';
import { mediaTiming, sourceFrameAt, sourceTimecodeAt, type MediaTiming } from '@montu/domain';
import type { ServiceContext } from '../context.js';
import { recordHistory } from '../history/history-service.js';
import { transaction } from '../db/connect.js';
import {
  attachmentFiles,
  attachmentsOf,
  deleteNote,
  fileKey,
  insertAttachment,
  insertNote,
  noteRow,
  noteRows,
  playlistHolds,
  setResolved,
  threadIds,
  updateNoteIfUnchanged,
} from './note-queries.js';
import type { MediaService, Scope } from '../media/media-service.js';
import type { ProjectService } from '../projects/project-service.js';

export interface NoteAttachment {
  fileId: string;
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
  width: number | null;
  height: number | null;
  createdAt: string;
}

/** A note as the review API shows it: the stored note plus what is derived from it. */
export interface ReviewNote extends Note {
  drawing: Drawing | null;
  /** `position` in pixels of the upright picture; null without a position or a known size. */
  positionPx: Point | null;
  /** The playlist (review session) the note was made in, if any. */
  playlistId: string | null;
  /**
   * Source frame numbers of `frame`/`frameEnd` (a sequence's own numbers; a movie's start frame +
   * index, decision 130); null without a frame or for untimed media.
   */
  sourceFrame: number | null;
  sourceFrameEnd: number | null;
  /** Source timecode of `frame`/`frameEnd` (the media's start timecode + offset, drop-frame kept). */
  timecode: string | null;
  timecodeEnd: string | null;
  attachments: NoteAttachment[];
}

export interface AddNoteInput {
  /** `comment` (default), `drawing`, … */
  type?: string;
  content: string;
  /** The person the note is recorded as written by. */
  author: string;
  /** Who really wrote it, when that is not `author` (history shows "author via …"). */
  via?: string;
  /** Frame number the note belongs to (for sequences, the sequence's own frame number). */
  frame?: number;
  /** Last frame, for a note on a range. */
  frameEnd?: number;
  /** A point on the image in normalised coordinates, `{ x: 0..1, y: 0..1 }`. */
  position?: { x: number; y: number } & Record<string, unknown>;
  /** The same point in pixels of the upright picture (give this or `position`), stored normalised. */
  positionPx?: Point;
  /** Vector shapes (see `Drawing`), validated. */
  drawing?: unknown;
  parentId?: string;
  mentions?: string[];
  /** sha256 of the rendition the note was made on; defaults to the original file's. */
  renditionSha256?: string;
  /** The playlist the note is made in (must contain the media item). */
  playlistId?: string;
}

export interface UpdateNoteInput {
  /** Who edits: only the note's author may. */
  actor: string;
  content?: string;
  /** A new drawing, or null to remove it. */
  drawing?: unknown;
  mentions?: string[];
  frame?: number | null;
  frameEnd?: number | null;
  /**
   * The note's revision the edit was made on. When given and the note has moved on, nothing is
   * written: 409 `details: { reason: 'stale_revision', revision, drawing }` (the current strokes).
   */
  revision?: number;
}

export interface StrokesInput {
  /** Who draws: anyone who may see the note; added strokes are stamped with the name. */
  actor: string;
  /** Strokes to add (or replace, by id) and stroke ids to remove; see `StrokeChanges`. */
  add?: unknown;
  remove?: unknown;
}

export interface AttachmentInput {
  actor: string;
  fileName: string;
  /** The image: bytes or a stream (read up to the attachment size limit). */
  data: Buffer | Readable;
}

const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;
const ATTACHMENT_FORMATS: Record<string, { ext: string; type: string }> = {
  png: { ext: 'png', type: 'image/png' },
  jpeg: { ext: 'jpg', type: 'image/jpeg' },
  webp: { ext: 'webp', type: 'image/webp' },
  gif: { ext: 'gif', type: 'image/gif' },
};

/** Notes on media: frames and ranges, drawings, threads, mentions, resolution, attachments. */
export class NoteService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly media: MediaService,
    private readonly projects: ProjectService,
  ) {}

  async timingOf(media: Media): Promise<MediaTiming> {
    const project = await this.projects.getProject(media.projectId);
    const def = project.settings.defaultFps;
    return mediaTiming(media, typeof def === 'string' ? def : null);
  }

  async addNote(mediaId: string, input: AddNoteInput, scope: Scope = {}): Promise<ReviewNote> {
    const media = await this.media.getMediaById(mediaId, scope);
    const author = requiredActor(input.author, 'author');
    const content = noteContent(input.content);
    const type = (input.type ?? (input.drawing ? 'drawing' : 'comment')).trim();
    if (!/^[a-z][a-z0-9_-]{0,31}$/.test(type))
      throw new ValidationError(`Invalid note type ${JSON.stringify(type)}.`, { field: 'type' });
    const { frame, frameEnd } = frames(input.frame, input.frameEnd);
    checkFramesOf(media, await this.timingOf(media), frame, frameEnd);
    if (content.trim() === '' && (input.drawing === undefined || input.drawing === null))
      throw new ValidationError('A note needs text or a drawing.', { field: 'content' });
    const position = notePosition(media, input.position, input.positionPx);
    const drawing =
      input.drawing === undefined || input.drawing === null
        ? null
        : withStrokeIds(parseDrawing(input.drawing), () => newId());
    if (input.parentId !== undefined) {
      const parent = await noteRow(this.ctx.db, input.parentId);
      if (!parent || parent.media_id !== mediaId) {
        throw new NotFound(`Note ${input.parentId} does not exist on this media item.`, {
          field: 'parentId',
        });
      }
    }
    if (input.playlistId !== undefined) {
      if (!(await playlistHolds(this.ctx.db, input.playlistId, mediaId)))
        throw new NotFound(`Playlist ${input.playlistId} does not hold this media item.`, {
          field: 'playlistId',
        });
    }
    if (input.renditionSha256 !== undefined && !/^[0-9a-f]{64}$/.test(input.renditionSha256)) {
      throw new ValidationError('renditionSha256 must be a sha256 in lower-case hex.', {
        field: 'renditionSha256',
      });
    }
    const mentions = cleanMentions(input.mentions);
    const original = media.files.find((f) => f.role === 'original');
    const id = newId();
    const now = nowIso();
    await transaction(this.ctx.db, async (trx) => {
      await insertNote(trx, {
        id,
        media_id: mediaId,
        parent_id: input.parentId ?? null,
        author,
        type,
        content,
        frame,
        frame_end: frameEnd,
        position: position ? JSON.stringify(position) : null,
        drawing: drawing ? JSON.stringify(drawing) : null,
        mentions: JSON.stringify(mentions),
        resolved: 0,
        rendition_sha256: input.renditionSha256 ?? original?.sha256 ?? media.sha256,
        playlist_id: input.playlistId ?? null,
        created_at: now,
        updated_at: now,
      });
      await recordHistory(trx, {
        actor: actingName(author, input.via),
        action: 'annotation.created',
        projectId: media.projectId,
        subjectType: 'media',
        subjectId: mediaId,
        data: { annotationId: id, frame, ...(input.parentId ? { parentId: input.parentId } : {}) },
      });
    });
    const timing = await this.timingOf(media);
    this.ctx.events.publish({
      type: 'annotation.created',
      projectId: media.projectId,
      mediaId,
      actor: actingName(author, input.via),
      data: {
        annotationId: id,
        frame,
        frameEnd,
        sourceFrame: sourceFrameAt(frame, timing),
        sourceFrameEnd: sourceFrameAt(frameEnd, timing),
        timecode: sourceTimecodeAt(frame, timing),
        timecodeEnd: sourceTimecodeAt(frameEnd, timing),
        parentId: input.parentId ?? null,
        mentions,
        playlistId: input.playlistId ?? null,
        taskId: media.taskId,
        version: media.version,
      },
    });
    return this.getNote(id);
  }

  async getNote(id: string, scope: Scope = {}): Promise<ReviewNote> {
    const row = await noteRow(this.ctx.db, id);
    if (!row) throw new NotFound(`Note ${id} does not exist.`, { annotationId: id });
    const media = await this.media.getMediaById(row.media_id, scope);
    const [note] = await this.decorate([row], media);
    return note!;
  }

  async listNotes(
    mediaId: string,
    options: Scope & { frame?: number; resolved?: boolean; playlistId?: string } = {},
  ): Promise<ReviewNote[]> {
    const media = await this.media.getMediaById(mediaId, options);
    const rows = await noteRows(this.ctx.db, mediaId, {
      ...(options.frame !== undefined ? { frame: options.frame } : {}),
      ...(options.resolved !== undefined ? { resolved: options.resolved } : {}),
      ...(options.playlistId !== undefined ? { playlistId: options.playlistId } : {}),
    });
    return this.decorate(rows, media);
  }

  /** Edits a note's text, drawing, mentions or frames: only its author may. */
  async updateNote(id: string, input: UpdateNoteInput, scope: Scope = {}): Promise<ReviewNote> {
    const actor = requiredActor(input.actor, 'actor');
    const current = await this.getNote(id, scope);
    if (current.author !== actor) {
      throw new Forbidden(`Only ${current.author}, who wrote this note, may edit it.`, { annotationId: id });
    }
    const patch: Record<string, unknown> = {};
    const changed: string[] = [];
    if (input.content !== undefined) {
      patch['content'] = noteContent(input.content);
      changed.push('content');
    }
    if (input.revision !== undefined && input.revision !== current.revision) throw staleRevision(current);
    if (input.drawing !== undefined) {
      patch['drawing'] =
        input.drawing === null
          ? null
          : JSON.stringify(withStrokeIds(parseDrawing(input.drawing), () => newId()));
      changed.push('drawing');
    }
    if (input.mentions !== undefined) {
      patch['mentions'] = JSON.stringify(cleanMentions(input.mentions));
      changed.push('mentions');
    }
    if (input.frame !== undefined || input.frameEnd !== undefined) {
      const f = frames(
        input.frame === undefined ? (current.frame ?? undefined) : (input.frame ?? undefined),
        input.frameEnd === undefined ? (current.frameEnd ?? undefined) : (input.frameEnd ?? undefined),
      );
      const media = await this.media.getMediaById(current.mediaId);
      checkFramesOf(media, await this.timingOf(media), f.frame, f.frameEnd);
      patch['frame'] = f.frame;
      patch['frame_end'] = f.frameEnd;
      changed.push('frame');
    }
    const content = input.content !== undefined ? (patch['content'] as string) : current.content;
    const hasDrawing = input.drawing !== undefined ? input.drawing !== null : current.drawing !== null;
    if (content.trim() === '' && !hasDrawing)
      throw new ValidationError('A note needs text or a drawing.', { field: 'content' });
    if (changed.length === 0) return current;
    const media = await this.media.getMediaById(current.mediaId);
    await transaction(this.ctx.db, async (trx) => {
      if (!(await updateNoteIfUnchanged(trx, id, current.revision, patch))) {
        if (input.revision !== undefined) throw staleRevision(await this.getNote(id));
        throw new Conflict('The note changed while it was being edited; reload and try again.');
      }
      await recordHistory(trx, {
        actor,
        action: 'annotation.updated',
        projectId: media.projectId,
        subjectType: 'media',
        subjectId: media.id,
        data: { annotationId: id, changed },
      });
    });
    this.ctx.events.publish({
      type: 'annotation.updated',
      projectId: media.projectId,
      mediaId: media.id,
      actor,
      data: { annotationId: id, changed },
    });
    return this.getNote(id);
  }

  /**
   * Adds, replaces and removes strokes of a note's drawing one by one, merged into whatever is
   * stored now: two people drawing at once both keep their strokes (the merge path after a 409).
   * Anyone who may see the note may add strokes; a stroke someone else drew may be replaced or
   * removed only by them or the note's author.
   */
  async changeStrokes(id: string, input: StrokesInput, scope: Scope = {}): Promise<ReviewNote> {
    const actor = requiredActor(input.actor, 'actor');
    const changes = parseStrokeChanges({
      ...(input.add !== undefined ? { add: input.add } : {}),
      ...(input.remove !== undefined ? { remove: input.remove } : {}),
    });
    const add: Shape[] = changes.add.map((s) => ({ ...s, id: s.id ?? newId(), author: actor }));
    // Compare-and-swap on the revision, retried: a concurrent writer makes us merge again, never lose.
    for (let attempt = 0; attempt < 50; attempt++) {
      const current = await this.getNote(id, scope);
      // Strokes without a drawer were saved whole by the note's author (PATCH, or before stamps).
      const mine = (stroke: Shape | undefined) =>
        stroke === undefined || current.author === actor || (stroke.author ?? current.author) === actor;
      const byId = new Map((current.drawing?.shapes ?? []).map((s) => [s.id, s]));
      const touched = [...changes.remove, ...add.map((s) => s.id!)].filter((sid) => !mine(byId.get(sid)));
      if (touched.length > 0)
        throw new Forbidden(
          `Stroke ${touched[0]} was drawn by someone else: only they or the note's author may change it.`,
          {
            annotationId: id,
          },
        );
      const drawing = mergeStrokes(current.drawing, { add, remove: changes.remove });
      const media = await this.media.getMediaById(current.mediaId);
      const done = await transaction(this.ctx.db, async (trx) => {
        if (!(await updateNoteIfUnchanged(trx, id, current.revision, { drawing: JSON.stringify(drawing) })))
          return false;
        await recordHistory(trx, {
          actor,
          action: 'annotation.updated',
          projectId: media.projectId,
          subjectType: 'media',
          subjectId: media.id,
          data: { annotationId: id, changed: ['drawing'], added: add.length, removed: changes.remove.length },
        });
        return true;
      });
      if (!done) continue;
      this.ctx.events.publish({
        type: 'annotation.updated',
        projectId: media.projectId,
        mediaId: media.id,
        actor,
        data: { annotationId: id, changed: ['drawing'], revision: current.revision + 1 },
      });
      return this.getNote(id);
    }
    throw new Conflict('The note is being changed by too many people at once; try again.');
  }

  /** Deletes a note (with its replies and attachments): only its author may. */
  async deleteNote(id: string, options: { actor: string } & Scope): Promise<void> {
    const actor = requiredActor(options.actor, 'actor');
    const current = await this.getNote(id, options);
    if (current.author !== actor) {
      throw new Forbidden(`Only ${current.author}, who wrote this note, may delete it.`, {
        annotationId: id,
      });
    }
    const media = await this.media.getMediaById(current.mediaId);
    // The note, its replies (any depth) and their attachment files.
    const ids = await threadIds(this.ctx.db, id);
    const files = await attachmentFiles(this.ctx.db, ids);
    await transaction(this.ctx.db, async (trx) => {
      await deleteNote(
        trx,
        id,
        files.map((f) => f.id),
      );
      await recordHistory(trx, {
        actor,
        action: 'annotation.deleted',
        projectId: media.projectId,
        subjectType: 'media',
        subjectId: media.id,
        data: { annotationId: id, replies: ids.length - 1 },
      });
    });
    for (const f of files) await this.ctx.storage.delete(f.storage_key).catch(() => undefined);
    this.ctx.events.publish({
      type: 'annotation.deleted',
      projectId: media.projectId,
      mediaId: media.id,
      actor,
      data: { annotationId: id },
    });
  }

  /** Marks a note resolved (or open again). Anyone who can see the note may. */
  async resolveNote(id: string, options: { actor: string; resolved?: boolean } & Scope): Promise<ReviewNote> {
    const actor = requiredActor(options.actor, 'actor');
    const resolved = options.resolved ?? true;
    const current = await this.getNote(id, options);
    if (current.resolved === resolved) return current;
    const media = await this.media.getMediaById(current.mediaId);
    await transaction(this.ctx.db, async (trx) => {
      await setResolved(trx, id, resolved);
      await recordHistory(trx, {
        actor,
        action: resolved ? 'annotation.resolved' : 'annotation.reopened',
        projectId: media.projectId,
        subjectType: 'media',
        subjectId: media.id,
        from: current.resolved ? 'resolved' : 'open',
        to: resolved ? 'resolved' : 'open',
        data: { annotationId: id },
      });
    });
    this.ctx.events.publish({
      type: resolved ? 'annotation.resolved' : 'annotation.reopened',
      projectId: media.projectId,
      mediaId: media.id,
      actor,
      data: { annotationId: id },
    });
    return this.getNote(id);
  }

  /**
   * Attaches an image (PNG, JPEG, WebP, GIF; at most 25 MB) to a note: only the note's author
   * may. Stored through the storage backend as a media_file of role `attachment`.
   */
  async addAttachment(
    annotationId: string,
    input: AttachmentInput,
    scope: Scope = {},
  ): Promise<NoteAttachment> {
    const actor = requiredActor(input.actor, 'actor');
    const note = await this.getNote(annotationId, scope);
    if (note.author !== actor)
      throw new Forbidden(`Only ${note.author}, who wrote this note, may attach files to it.`);
    const fileName = cleanFileName(input.fileName);
    const bytes = Buffer.isBuffer(input.data)
      ? input.data
      : await readLimited(input.data, MAX_ATTACHMENT_BYTES);
    if (bytes.length > MAX_ATTACHMENT_BYTES)
      throw new ValidationError('An attachment may be at most 25 MB.', { field: 'file' });
    let meta: { format?: string | undefined; width?: number | undefined; height?: number | undefined };
    try {
      // Read by libvips in a decoder process: a file crafted to crash it cannot take this one down.
      // The bytes go over the pool's channel (at most 25 MB): they are on no local disk yet.
      meta = await this.ctx.tools
        .decoders()
        .metadata(
          bytes,
          { maxPixels: DEFAULT_MEDIA_LIMITS.maxPixels, failOn: 'warning' },
          { timeoutMs: DEFAULT_MEDIA_LIMITS.probeTimeoutMs, label: fileName },
        );
    } catch (e) {
      // The decoder could not be run at all: a server problem, not a bad file.
      const failure = decoderFailure(e);
      if (failure === 'start' || failure === 'closed') throw e;
      throw new ValidationError(
        'The attachment is not an image Montu can read (use PNG, JPEG, WebP or GIF).',
        { field: 'file' },
      );
    }
    const fmt = ATTACHMENT_FORMATS[meta.format ?? ''];
    if (!fmt)
      throw new ValidationError(
        `Attachments must be PNG, JPEG, WebP or GIF, not ${meta.format ?? 'unknown'}.`,
        { field: 'file' },
      );
    const media = await this.media.getMediaById(note.mediaId);
    const fileId = newId();
    const key = mediaKey({
      projectId: media.projectId,
      taskId: media.taskId,
      version: media.version,
      name: `attachments/${annotationId}/${fileId}.${fmt.ext}`,
    });
    const { Readable } = await import('node:stream');
    const stored = await this.ctx.storage.put(key, Readable.from([bytes]), { contentType: fmt.type });
    const now = nowIso();
    try {
      await transaction(this.ctx.db, async (trx) => {
        await insertAttachment(
          trx,
          {
            id: fileId,
            media_id: media.id,
            role: 'attachment',
            frame: null,
            backend: this.ctx.storage.name,
            storage_key: key,
            size: stored.size,
            sha256: stored.sha256,
            content_type: fmt.type,
            state: 'ready',
            error: null,
            created_at: now,
          },
          {
            annotation_id: annotationId,
            file_id: fileId,
            file_name: fileName,
            width: meta.width ?? null,
            height: meta.height ?? null,
            created_at: now,
          },
        );
        await recordHistory(trx, {
          actor,
          action: 'annotation.attachment_added',
          projectId: media.projectId,
          subjectType: 'media',
          subjectId: media.id,
          data: { annotationId, fileId, fileName },
        });
      });
    } catch (e) {
      await this.ctx.storage.delete(key).catch(() => undefined);
      throw e;
    }
    return {
      fileId,
      fileName,
      contentType: fmt.type,
      size: stored.size,
      sha256: stored.sha256,
      width: meta.width ?? null,
      height: meta.height ?? null,
      createdAt: now,
    };
  }

  /** An attachment's bytes as a stream, with its description. */
  async getAttachment(
    annotationId: string,
    fileId: string,
    scope: Scope = {},
  ): Promise<{ attachment: NoteAttachment; stream: Readable }> {
    const note = await this.getNote(annotationId, scope);
    const attachment = note.attachments.find((a) => a.fileId === fileId);
    if (!attachment) throw new NotFound(`Attachment ${fileId} does not exist on note ${annotationId}.`);
    const key = await fileKey(this.ctx.db, fileId);
    if (key === undefined) throw new NotFound(`Attachment ${fileId} does not exist on note ${annotationId}.`);
    return { attachment, stream: await this.ctx.storage.get(key) };
  }

  private async decorate(rows: Parameters<typeof noteFromRow>[0][], media: Media): Promise<ReviewNote[]> {
    if (rows.length === 0) return [];
    const timing = await this.timingOf(media);
    const size = uprightSize(media.metadata);
    const atts = await attachmentsOf(
      this.ctx.db,
      rows.map((r) => r.id),
    );
    return rows.map((r) => {
      const base = noteFromRow(r);
      return {
        ...base,
        // Strokes saved before ids get stable ones (`s<index>`) until their next save.
        drawing: base.drawing ? withStrokeIds(base.drawing as Drawing) : null,
        positionPx:
          base.position && size ? normalisedToPixels(base.position as unknown as Point, size) : null,
        playlistId: r.playlist_id ?? null,
        sourceFrame: sourceFrameAt(base.frame, timing),
        sourceFrameEnd: sourceFrameAt(base.frameEnd, timing),
        timecode: sourceTimecodeAt(base.frame, timing),
        timecodeEnd: sourceTimecodeAt(base.frameEnd, timing),
        attachments: atts
          .filter((a) => a.annotation_id === r.id)
          .map((a) => ({
            fileId: a.file_id,
            fileName: a.file_name,
            contentType: a.content_type,
            size: Number(a.size),
            sha256: a.sha256,
            width: a.width,
            height: a.height,
            createdAt: a.created_at,
          })),
      };
    });
  }
}

/** 409 for a save against an old revision, with what the client needs to merge. */
function staleRevision(current: ReviewNote): Conflict {
  return new Conflict(
    `The note is at revision ${current.revision}: someone changed it since. Merge your strokes into the current drawing (POST /notes/${current.id}/strokes) or reload.`,
    {
      reason: 'stale_revision',
      annotationId: current.id,
      revision: current.revision,
      drawing: current.drawing,
    },
  );
}

function requiredActor(v: unknown, field: string): string {
  const s = typeof v === 'string' ? v.trim() : '';
  if (!s) throw new ValidationError(`${field} is required: who is acting?`, { field });
  return s;
}

function noteContent(v: unknown): string {
  if (typeof v !== 'string' || v.length > 20_000) {
    throw new ValidationError('The note content must be text of at most 20000 characters.', {
      field: 'content',
    });
  }
  return v;
}

function optionalFrame(v: unknown, field: string): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -10_000_000 || v > 100_000_000) {
    throw new ValidationError(`${field} must be a whole frame number.`, { field });
  }
  return v;
}

function frames(frameIn: unknown, frameEndIn: unknown): { frame: number | null; frameEnd: number | null } {
  const frame = optionalFrame(frameIn, 'frame');
  const frameEnd = optionalFrame(frameEndIn, 'frameEnd');
  if (frameEnd !== null && (frame === null || frameEnd < frame)) {
    throw new ValidationError('frameEnd needs a frame and must not come before it.', { field: 'frameEnd' });
  }
  return { frame, frameEnd: frameEnd === frame ? null : frameEnd };
}

/**
 * Refuses frames the media item does not have: a movie's frames are 0…count−1, a sequence's its
 * own numbers (1001…1004). Where the count is not known (a still, audio, an item not probed
 * yet) only negative frames are refused.
 */
function checkFramesOf(
  media: Media,
  timing: MediaTiming,
  frame: number | null,
  frameEnd: number | null,
): void {
  if (frame === null) return;
  const first = timing.frameStart ?? (media.mediaType === 'sequence' ? null : 0);
  const last = timing.frameEnd;
  for (const [field, f] of [
    ['frame', frame],
    ['frameEnd', frameEnd],
  ] as const) {
    if (f === null) continue;
    if ((first !== null && f < first) || (last !== null && f > last)) {
      const range =
        first !== null && last !== null
          ? `${first}–${last}`
          : first !== null
            ? `${first} or later`
            : `up to ${last}`;
      throw new ValidationError(
        `${field} ${f} is not a frame of this media item (its frames are ${range}).`,
        {
          field,
          frameStart: first,
          frameEnd: last,
        },
      );
    }
  }
}

/** The position to store (normalised), from `position` (normalised) or `positionPx` (pixels). */
/** A position is two numbers and maybe a label or two: a kilobyte is plenty. */
const NOTE_POSITION_BYTES = 1024;

function notePosition(
  media: Media,
  position: AddNoteInput['position'],
  positionPx: unknown,
): Record<string, unknown> | null {
  if (position !== undefined && positionPx !== undefined) {
    throw new ValidationError('Give position (normalised, 0–1) or positionPx (pixels), not both.', {
      field: 'positionPx',
    });
  }
  if (position !== undefined) {
    checkJsonValue(position, 'position', NOTE_POSITION_BYTES);
    if (![position.x, position.y].every((v) => typeof v === 'number' && v >= 0 && v <= 1)) {
      throw new ValidationError(
        'position needs x and y between 0 and 1 (normalised to the image); use positionPx for pixels.',
        { field: 'position' },
      );
    }
    return position;
  }
  if (positionPx === undefined) return null;
  const size = uprightSize(media.metadata);
  if (size) return { ...pixelsToNormalised(positionPx, size) };
  if (media.mediaType === 'audio')
    throw new ValidationError('An audio item has no pixels: leave positionPx out.', { field: 'positionPx' });
  if (media.processingState === 'pending' || media.processingState === 'processing') {
    throw new Conflict(
      "The picture's size is not known yet (its metadata is being read): try again in a moment, or give position normalised (0–1).",
      { field: 'positionPx', reason: 'size_pending' },
    );
  }
  throw new ValidationError(
    "The picture's size is unknown (its metadata could not be read): give position normalised (0–1).",
    { field: 'positionPx' },
  );
}

function cleanMentions(m: unknown): string[] {
  if (m === undefined || m === null) return [];
  if (!Array.isArray(m))
    throw new ValidationError('mentions must be a list of user names.', { field: 'mentions' });
  const out = [...new Set(m.map((x) => String(x).trim().replace(/^@/, '')).filter(Boolean))];
  if (out.length > 100 || out.some((x) => x.length > 100))
    throw new ValidationError('Too many or too long mentions.', { field: 'mentions' });
  return out;
}

function cleanFileName(name: unknown): string {
  const s = typeof name === 'string' ? name.replace(/[\\/\u0000-\u001f]/g, '_').trim() : '';
  if (!s || s.length > 255)
    throw new ValidationError('An attachment needs a file name of 1–255 characters.', { field: 'fileName' });
  return s;
}

async function readLimited(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += b.length;
    if (size > max) {
      stream.destroy();
      throw new ValidationError('An attachment may be at most 25 MB.', { field: 'file' });
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}
