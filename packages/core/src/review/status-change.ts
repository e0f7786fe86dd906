/**
 * The one path that changes a media item's approval status: the project's workflow decides
 * (for the actor's role, when given), and the check and the write happen in one transaction with
 * a guard on the old status, so two reviewers acting at once cannot both succeed from the same
 * state. `review.changeStatus` and `media.updateMediaInfo({ approvalStatus })` both come here.
 */
import {
  actingName,
  allowedTargets,
  Conflict,
  findTransition,
  TRUSTED_CALLER,
  Forbidden,
  parseStatus,
  ValidationError,
  type Media,
  type StatusInput,
} from '@montu/domain';
import type { ServiceContext } from '../context.js';
import { transaction } from '../db/connect.js';
import { recordHistory } from '../history/history-service.js';
import type { ProjectService } from '../projects/project-service.js';
import { setStatus } from './review-queries.js';
import type { Role } from '@montu/domain';

export interface StatusChangeOptions {
  /** The person making the change, as recorded (an approval's `by`). */
  actor: string;
  /** Who really acted, when that is not `actor` (history shows "actor via …"). */
  via?: string;
  comment?: string;
  /** The actor's role in the media item's project; omitted for trusted library calls. */
  role?: Role;
}

export async function applyStatusChange(
  ctx: ServiceContext,
  projects: ProjectService,
  current: Media,
  target: StatusInput,
  options: StatusChangeOptions,
): Promise<void> {
  const to = parseStatus(target);
  const actor = options.actor?.trim();
  if (!actor) throw new ValidationError('The person making the change is required.', { field: 'by' });
  const comment = options.comment?.trim() || null;
  if (comment && comment.length > 10_000)
    throw new ValidationError('The comment is longer than 10000 characters.');
  const id = current.id;
  if (current.status === to) {
    throw new Conflict(`Media ${current.taskId} ${current.version} is already ${to.replace('_', ' ')}.`, {
      status: to,
    });
  }
  const workflow = await projects.workflowOf(current.projectId);
  // A library call without a role is trusted (StatusChangeOptions.role); the server always gives one.
  const who = options.role ?? TRUSTED_CALLER;
  const transition = findTransition(workflow, current.status, to, who);
  if (!transition) {
    const anyone = findTransition(workflow, current.status, to, TRUSTED_CALLER);
    if (anyone) {
      throw new Forbidden(
        `A ${options.role ?? 'user'} cannot move media from ${current.status} to ${to}; allowed: ${
          allowedTargets(workflow, current.status, who).join(', ') || 'none'
        }.`,
        { from: current.status, to },
      );
    }
    throw new Conflict(`Media cannot move from ${current.status} to ${to} in this project's workflow.`, {
      from: current.status,
      to,
    });
  }
  await transaction(ctx.db, async (trx) => {
    if (!(await setStatus(trx, id, current.status, to, { by: actor, comment }))) {
      throw new Conflict('The media item changed status while this change was made; reload and try again.');
    }
    await recordHistory(trx, {
      actor: actingName(actor, options.via),
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
  ctx.events.publish({
    type: 'media.status_changed',
    projectId: current.projectId,
    mediaId: id,
    actor: actingName(actor, options.via),
    data: {
      from: current.status,
      to,
      comment,
      action: transition.action,
      taskId: current.taskId,
      version: current.version,
      ...(options.role ? { role: options.role } : {}),
    },
  });
}
