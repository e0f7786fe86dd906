import { Conflict, Forbidden, NotFound, ValidationError } from '../errors.js';
import { newId, nowIso } from '../ids.js';
import { annotationFromRow } from '../db/rows.js';
import { APPROVAL_STATUSES, type Annotation, type ApprovalStatus, type Media } from '../domain/types.js';
import { allowedTargets, findTransition, type Role } from '../domain/workflow.js';
import type { ServiceContext } from './context.js';
import { recordHistory } from './history-service.js';
import type { MediaService, Scope } from './media-service.js';
import type { ProjectService } from './project-service.js';

export interface StatusChangeOptions {
  actor: string;
  comment?: string;
  /** The actor's role in the media item's project; omitted for trusted library calls. */
  role?: Role;
}

export interface AddAnnotationInput {
  /** `comment` (default), `drawing`, … */
  type?: string;
  content: string;
  author: string;
  /** Frame number the note belongs to (for sequences, the sequence's own frame number). */
  frame?: number;
  /** Last frame, for a note on a range. */
  frameEnd?: number;
  /** A point on the image in normalised coordinates, `{ x: 0..1, y: 0..1 }`. */
  position?: { x: number; y: number } & Record<string, unknown>;
  parentId?: string;
  mentions?: string[];
  /** sha256 of the rendition the note was made on; defaults to the original file's. */
  renditionSha256?: string;
}

export interface CleanupOldMediaResult {
  dryRun: boolean;
  action: 'archive' | 'delete';
  candidates: Array<{ id: string; taskId: string; version: string; createdAt: string; size: number }>;
}

/** Review: status workflow, notes and the review queue. */
export class ReviewService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly media: MediaService,
    private readonly projects: ProjectService,
  ) {}

  /** Media of a project waiting for review (or in the given status), oldest first. */
  async getMediaForReview(
    projectId: string,
    options: { status?: ApprovalStatus; limit?: number; cursor?: string } & Scope = {},
  ): Promise<Media[]> {
    await this.projects.getProject(projectId);
    const out: Media[] = [];
    let cursor = options.cursor;
    // Walk pages so callers get the whole queue; the queue is small compared to the library.
    for (;;) {
      const page = await this.media.searchMedia({
        projectId,
        status: options.status ?? 'pending_review',
        limit: 500,
        ...(options.projectIds ? { projectIds: options.projectIds } : {}),
        ...(cursor ? { cursor } : {}),
      });
      out.push(...page.items);
      if (!page.nextCursor || (options.limit !== undefined && out.length >= options.limit)) break;
      cursor = page.nextCursor;
    }
    out.reverse();
    return options.limit !== undefined ? out.slice(0, options.limit) : out;
  }

  async submitForReview(id: string, by: string, options: { comment?: string; role?: Role } = {}): Promise<Media> {
    return this.changeStatus(id, 'pending_review', { actor: by, ...options });
  }

  async approveMedia(id: string, by: string, comment?: string, options: { role?: Role } = {}): Promise<Media> {
    return this.changeStatus(id, 'approved', { actor: by, ...(comment !== undefined ? { comment } : {}), ...options });
  }

  async rejectMedia(id: string, by: string, comment?: string, options: { role?: Role } = {}): Promise<Media> {
    return this.changeStatus(id, 'rejected', { actor: by, ...(comment !== undefined ? { comment } : {}), ...options });
  }

  async requestChanges(id: string, by: string, comment?: string, options: { role?: Role } = {}): Promise<Media> {
    return this.changeStatus(id, 'changes_requested', {
      actor: by,
      ...(comment !== undefined ? { comment } : {}),
      ...options,
    });
  }

  /**
   * Moves a media item to another status if the project's workflow allows it (for the role,
   * when given). The check and the write happen in one transaction with a guard on the old
   * status, so two reviewers acting at once cannot both succeed from the same state.
   */
  async changeStatus(id: string, to: ApprovalStatus, options: StatusChangeOptions): Promise<Media> {
    if (!(APPROVAL_STATUSES as readonly string[]).includes(to)) {
      throw new ValidationError(`Unknown status ${JSON.stringify(to)}: use one of ${APPROVAL_STATUSES.join(', ')}.`);
    }
    const actor = options.actor?.trim();
    if (!actor) throw new ValidationError('The person making the change is required.', { field: 'by' });
    const comment = options.comment?.trim() || null;
    if (comment && comment.length > 10_000) throw new ValidationError('The comment is longer than 10000 characters.');
    const current = await this.media.getMediaById(id);
    if (current.status === to) {
      throw new Conflict(`Media ${current.taskId} ${current.version} is already ${to.replace('_', ' ')}.`, {
        status: to,
      });
    }
    const workflow = await this.projects.workflowOf(current.projectId);
    const transition = findTransition(workflow, current.status, to, options.role);
    if (!transition) {
      const anyone = findTransition(workflow, current.status, to);
      if (anyone) {
        throw new Forbidden(
          `A ${options.role ?? 'user'} cannot move media from ${current.status} to ${to}; allowed: ${
            allowedTargets(workflow, current.status, options.role).join(', ') || 'none'
          }.`,
          { from: current.status, to },
        );
      }
      throw new Conflict(`Media cannot move from ${current.status} to ${to} in this project's workflow.`, {
        from: current.status,
        to,
      });
    }
    const now = nowIso();
    await this.ctx.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('media')
        .set({
          status: to,
          updated_at: now,
          ...(to === 'approved'
            ? { approved_by: actor, approved_at: now, approval_comment: comment }
            : { approved_by: null, approved_at: null, approval_comment: null }),
        })
        .where('id', '=', id)
        .where('status', '=', current.status)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) {
        throw new Conflict('The media item changed status while this change was made; reload and try again.');
      }
      await recordHistory(trx, {
        actor,
        action: 'media.status_changed',
        projectId: current.projectId,
        subjectType: 'media',
        subjectId: id,
        from: current.status,
        to,
        comment,
        data: { transition: transition.action, ...(options.role ? { role: options.role } : {}) },
      });
    });
    this.ctx.events.publish({
      type: 'media.status_changed',
      projectId: current.projectId,
      mediaId: id,
      actor,
      data: { from: current.status, to, comment },
    });
    return this.media.getMediaById(id);
  }

  async addReviewAnnotation(mediaId: string, input: AddAnnotationInput, scope: Scope = {}): Promise<Annotation> {
    const media = await this.media.getMediaById(mediaId, scope);
    const author = input.author?.trim();
    if (!author) throw new ValidationError('The note author is required.', { field: 'author' });
    if (typeof input.content !== 'string' || input.content.length > 20_000) {
      throw new ValidationError('The note content must be text of at most 20000 characters.', { field: 'content' });
    }
    const type = (input.type ?? 'comment').trim();
    if (!/^[a-z][a-z0-9_-]{0,31}$/.test(type)) throw new ValidationError(`Invalid note type ${JSON.stringify(type)}.`);
    const frame = optionalFrame(input.frame, 'frame');
    const frameEnd = optionalFrame(input.frameEnd, 'frameEnd');
    if (frameEnd !== null && (frame === null || frameEnd < frame)) {
      throw new ValidationError('frameEnd needs a frame and must not come before it.', { field: 'frameEnd' });
    }
    if (input.position !== undefined) {
      const { x, y } = input.position;
      if (![x, y].every((v) => typeof v === 'number' && v >= 0 && v <= 1)) {
        throw new ValidationError('position needs x and y between 0 and 1 (normalised to the image).', {
          field: 'position',
        });
      }
    }
    if (input.parentId !== undefined) {
      const parent = await this.ctx.db
        .selectFrom('annotation')
        .select('media_id')
        .where('id', '=', input.parentId)
        .executeTakeFirst();
      if (!parent || parent.media_id !== mediaId) {
        throw new NotFound(`Note ${input.parentId} does not exist on this media item.`, { field: 'parentId' });
      }
    }
    const mentions = [...new Set((input.mentions ?? []).map((m) => String(m).trim()).filter(Boolean))];
    const original = media.files.find((f) => f.role === 'original');
    const id = newId();
    const now = nowIso();
    await this.ctx.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('annotation')
        .values({
          id,
          media_id: mediaId,
          parent_id: input.parentId ?? null,
          author,
          type,
          content: input.content,
          frame,
          frame_end: frameEnd,
          position: input.position ? JSON.stringify(input.position) : null,
          drawing: null,
          mentions: JSON.stringify(mentions),
          resolved: 0,
          rendition_sha256: input.renditionSha256 ?? original?.sha256 ?? media.sha256,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await recordHistory(trx, {
        actor: author,
        action: 'annotation.created',
        projectId: media.projectId,
        subjectType: 'media',
        subjectId: mediaId,
        data: { annotationId: id, frame },
      });
    });
    this.ctx.events.publish({
      type: 'annotation.created',
      projectId: media.projectId,
      mediaId,
      actor: author,
      data: { annotationId: id, frame },
    });
    return this.getAnnotation(id);
  }

  async getAnnotation(id: string): Promise<Annotation> {
    const row = await this.ctx.db.selectFrom('annotation').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFound(`Note ${id} does not exist.`);
    return annotationFromRow(row);
  }

  async listAnnotations(mediaId: string, scope: Scope = {}): Promise<Annotation[]> {
    await this.media.getMediaById(mediaId, scope);
    const rows = await this.ctx.db
      .selectFrom('annotation')
      .selectAll()
      .where('media_id', '=', mediaId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(annotationFromRow);
  }

  /**
   * Cleans up superseded versions: those older than `daysOld`, not the latest version of their
   * task, not approved and not put forward for review. They are archived (reversible) unless
   * `action: 'delete'` is asked for. Dry run (the default) only lists them.
   */
  async cleanupOldMedia(
    projectId: string,
    options: { daysOld: number; dryRun?: boolean; action?: 'archive' | 'delete'; actor?: string },
  ): Promise<CleanupOldMediaResult> {
    await this.projects.getProject(projectId);
    if (!Number.isFinite(options.daysOld) || options.daysOld < 0) {
      throw new ValidationError('daysOld must be a number of days, 0 or more.', { field: 'daysOld' });
    }
    const dryRun = options.dryRun ?? true;
    const action = options.action ?? 'archive';
    const cutoff = new Date(Date.now() - options.daysOld * 86_400_000).toISOString();
    const rows = await this.ctx.db
      .selectFrom('media as m')
      .select(['m.id', 'm.task_id', 'm.version', 'm.created_at', 'm.size'])
      .where('m.project_id', '=', projectId)
      .where('m.created_at', '<', cutoff)
      .where('m.status', '!=', 'approved')
      .where('m.review_selected', '=', 0)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('media as newer')
            .select('newer.id')
            .whereRef('newer.project_id', '=', 'm.project_id')
            .whereRef('newer.task_id', '=', 'm.task_id')
            .whereRef('newer.version_number', '>', 'm.version_number'),
        ),
      )
      .$if(action === 'archive', (q) => q.where('m.archived_at', 'is', null))
      .orderBy('m.created_at')
      .execute();
    const candidates = rows.map((r) => ({
      id: r.id,
      taskId: r.task_id,
      version: r.version,
      createdAt: r.created_at,
      size: Number(r.size),
    }));
    if (!dryRun) {
      const actor = options.actor ?? 'cleanup';
      for (const c of candidates) {
        if (action === 'delete') await this.media.deleteMedia(c.id, { actor });
        else await this.media.archiveMedia(c.id, { actor });
      }
    }
    return { dryRun, action, candidates };
  }
}

function optionalFrame(v: unknown, field: string): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -10_000_000 || v > 100_000_000) {
    throw new ValidationError(`${field} must be a whole frame number.`, { field });
  }
  return v;
}
