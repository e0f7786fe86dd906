import { Forbidden, ValidationError } from '@montu/domain';
import { historyFromRow } from '../db/rows.js';
import type { ApprovalStatus, HistoryEntry, Media } from '@montu/domain';
import {
  allowedTargets,
  canSelectForReview,
  DEFAULT_WORKFLOW,
  findTransition,
  TRUSTED_CALLER,
  parseStatus,
  parseWorkflow,
  ROLES,
  type StatusInput,
  type Role,
  type Workflow,
} from '@montu/domain';
import { compareVersions, type CompareResult } from './compare.js';
import type { ServiceContext } from '../context.js';
import { recordHistory } from '../history/history-service.js';
import { historyOfSubject } from '../history/history-queries.js';
import { updateProjectSettings } from '../projects/project-queries.js';
import { transaction } from '../db/connect.js';
import { supersededVersions } from './review-queries.js';
import { applyStatusChange, type StatusChangeOptions } from './status-change.js';
import type { MediaService, Scope } from '../media/media-service.js';
import type { NoteService } from './note-service.js';
import type { ProjectService } from '../projects/project-service.js';

export type { StatusChangeOptions } from './status-change.js';

/** What a role may do with a media item now: for UIs deciding which buttons to show. */
export interface StatusOptions {
  status: ApprovalStatus;
  role: Role | null;
  targets: Array<{ to: ApprovalStatus; action: string }>;
  canSelectForReview: boolean;
}

export interface CleanupOldMediaResult {
  dryRun: boolean;
  action: 'archive' | 'delete';
  candidates: Array<{ id: string; taskId: string; version: string; createdAt: string; size: number }>;
  /** Items archived by this call (0 in a dry run or with `action: 'delete'`). */
  recordsArchived: number;
  /** Items deleted by this call (0 in a dry run or with `action: 'archive'`). */
  recordsDeleted: number;
}

/** Who acts in a review call: the person named, and who really acted when that differs. */
export interface ActingOptions {
  role?: Role;
  /** Who really acted, when that is not the person named (history shows "name via …"). */
  via?: string;
}

/** Review: the status workflow, the review queue and version comparison (notes: `NoteService`). */
export class ReviewService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly media: MediaService,
    private readonly projects: ProjectService,
    private readonly notes: NoteService,
  ) {}

  // ---------------------------------------------------------------- workflow

  /** The project's review workflow (its `workflow` setting, or the default). */
  async getWorkflow(projectId: string): Promise<Workflow> {
    return this.projects.workflowOf(projectId);
  }

  /**
   * Replaces a project's workflow (validated), or restores the default with `null`. Recorded
   * in the history log.
   */
  async setWorkflow(
    projectId: string,
    workflow: unknown,
    options: { actor: string; role?: Role },
  ): Promise<Workflow> {
    if (options.role !== undefined && options.role !== 'admin') {
      throw new Forbidden("Only an admin may change a project's review workflow.");
    }
    const actor = options.actor?.trim();
    if (!actor) throw new ValidationError('The person making the change is required.', { field: 'actor' });
    const before = await this.projects.getProject(projectId);
    const wf = workflow === null ? null : parseWorkflow(workflow);
    const settings = { ...before.settings };
    if (wf) settings['workflow'] = wf;
    else delete settings['workflow'];
    await transaction(this.ctx.db, async (trx) => {
      await updateProjectSettings(trx, projectId, settings);
      await recordHistory(trx, {
        actor,
        action: 'project.workflow_changed',
        projectId,
        subjectType: 'project',
        subjectId: projectId,
        data: { workflow: wf },
      });
    });
    this.ctx.events.publish({ type: 'project.workflow_changed', projectId, actor, data: {} });
    return wf ?? DEFAULT_WORKFLOW;
  }

  /** The statuses a role may move the item to now, and whether it may put it forward. */
  async getStatusOptions(mediaId: string, role?: Role, scope: Scope = {}): Promise<StatusOptions> {
    if (role !== undefined && !(ROLES as readonly string[]).includes(role)) {
      throw new ValidationError(`Unknown role ${JSON.stringify(role)}: use ${ROLES.join(', ')}.`, {
        field: 'role',
      });
    }
    const media = await this.media.getMediaById(mediaId, scope);
    const wf = await this.projects.workflowOf(media.projectId);
    // Without a role this is the library asking for itself (trusted): every listed transition.
    const who = role ?? TRUSTED_CALLER;
    const targets = allowedTargets(wf, media.status, who).map((to) => ({
      to,
      action: findTransition(wf, media.status, to, who)!.action,
    }));
    return {
      status: media.status,
      role: role ?? null,
      targets,
      canSelectForReview: canSelectForReview(wf, who),
    };
  }

  /**
   * Marks (or unmarks) the version put forward for its task; at most one per task. Who may is
   * part of the workflow (`reviewSelectRoles`).
   */
  async setReviewSelected(
    id: string,
    selected: boolean,
    options: { actor: string; role?: Role } & Scope,
  ): Promise<Media> {
    const media = await this.media.getMediaById(id, options);
    const wf = await this.projects.workflowOf(media.projectId);
    if (!canSelectForReview(wf, options.role ?? TRUSTED_CALLER)) {
      throw new Forbidden(
        `A ${options.role ?? 'user'} cannot change which version is put forward for review.`,
      );
    }
    return this.media.updateMediaInfo(id, { reviewSelected: selected, actor: options.actor }, options);
  }

  /** The item's history (status changes, notes, edits), oldest first. */
  async getHistory(mediaId: string, scope: Scope = {}): Promise<HistoryEntry[]> {
    await this.media.getMediaById(mediaId, scope);
    return (await historyOfSubject(this.ctx.db, 'media', mediaId)).map(historyFromRow);
  }

  /** Both versions of a task with renditions, aligned frame ranges and notes. */
  async compareVersions(
    taskId: string,
    a: string,
    b: string,
    options: { projectId?: string } & Scope = {},
  ): Promise<CompareResult> {
    return compareVersions(
      { media: this.media, projects: this.projects, notes: this.notes },
      taskId,
      a,
      b,
      options,
    );
  }

  /** Media of a project waiting for review (or in the given status), oldest first. */
  async getMediaForReview(
    projectId: string,
    options: { status?: StatusInput; limit?: number; cursor?: string } & Scope = {},
  ): Promise<Media[]> {
    await this.projects.getProject(projectId);
    const out: Media[] = [];
    let cursor = options.cursor;
    // Walk pages so callers get the whole queue; the queue is small compared to the library.
    for (;;) {
      const page = await this.media.searchMedia({
        projectId,
        status: parseStatus(options.status ?? 'pending_review'),
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

  async submitForReview(
    id: string,
    by: string,
    options: { comment?: string } & ActingOptions = {},
  ): Promise<Media> {
    return this.changeStatus(id, 'pending_review', { actor: by, ...options });
  }

  async approveMedia(id: string, by: string, comment?: string, options: ActingOptions = {}): Promise<Media> {
    return this.changeStatus(id, 'approved', {
      actor: by,
      ...(comment !== undefined ? { comment } : {}),
      ...options,
    });
  }

  async rejectMedia(id: string, by: string, comment?: string, options: ActingOptions = {}): Promise<Media> {
    return this.changeStatus(id, 'rejected', {
      actor: by,
      ...(comment !== undefined ? { comment } : {}),
      ...options,
    });
  }

  async requestChanges(
    id: string,
    by: string,
    comment?: string,
    options: ActingOptions = {},
  ): Promise<Media> {
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
  async changeStatus(id: string, target: StatusInput, options: StatusChangeOptions): Promise<Media> {
    await applyStatusChange(this.ctx, this.projects, await this.media.getMediaById(id), target, options);
    return this.media.getMediaById(id);
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
    const rows = await supersededVersions(this.ctx.db, projectId, cutoff, action === 'archive');
    const candidates = rows.map((r) => ({
      id: r.id,
      taskId: r.task_id,
      version: r.version,
      createdAt: r.created_at,
      size: Number(r.size),
    }));
    let done = 0;
    if (!dryRun) {
      const actor = options.actor ?? 'cleanup';
      for (const c of candidates) {
        if (action === 'delete') await this.media.deleteMedia(c.id, { actor });
        else await this.media.archiveMedia(c.id, { actor });
        done++;
      }
    }
    return {
      dryRun,
      action,
      candidates,
      recordsArchived: action === 'archive' ? done : 0,
      recordsDeleted: action === 'delete' ? done : 0,
    };
  }
}
