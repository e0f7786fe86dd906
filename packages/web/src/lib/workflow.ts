/**
 * Which review buttons a user sees: mirrors @montu/core's DEFAULT_WORKFLOW (a project may carry
 * its own in `settings.workflow`). The server decides; this only shapes the UI (hidden for roles
 * that can never make a change, disabled with the reason when the current status forbids it).
 */
import type { ApprovalStatus, Role } from '../api/types.js';

export interface Transition {
  action: string;
  from: ApprovalStatus[];
  to: ApprovalStatus;
  roles: Role[];
}
export interface Workflow {
  initial: ApprovalStatus;
  transitions: Transition[];
}

export const DEFAULT_WORKFLOW: Workflow = {
  initial: 'wip',
  transitions: [
    { action: 'submit', from: ['wip', 'changes_requested', 'rejected'], to: 'pending_review', roles: ['artist', 'supervisor'] },
    { action: 'approve', from: ['wip', 'pending_review', 'changes_requested', 'rejected', 'on_hold'], to: 'approved', roles: ['supervisor'] },
    { action: 'request_changes', from: ['pending_review', 'approved', 'on_hold'], to: 'changes_requested', roles: ['supervisor'] },
    { action: 'reject', from: ['wip', 'pending_review', 'approved', 'on_hold', 'changes_requested'], to: 'rejected', roles: ['supervisor'] },
  ],
};

export function workflowOf(settings: Record<string, unknown> | undefined): Workflow {
  const w = settings?.['workflow'] as Workflow | undefined;
  return w && Array.isArray(w.transitions) ? w : DEFAULT_WORKFLOW;
}

export const STATUS_LABEL: Record<ApprovalStatus, string> = {
  wip: 'WIP',
  pending_review: 'Pending review',
  approved: 'Approved',
  changes_requested: 'Changes requested',
  rejected: 'Rejected',
  on_hold: 'On hold',
};

export const ACTION_LABEL: Record<string, string> = {
  submit: 'Submit for review',
  approve: 'Approve',
  request_changes: 'Request changes',
  reject: 'Reject',
};

/** REST path segment of an action (`request_changes` → `request-changes`). */
export const actionPath = (action: string): string => action.replace(/_/g, '-');

export interface ReviewButton {
  action: string;
  to: ApprovalStatus;
  label: string;
  enabled: boolean;
  /** Why it is disabled. */
  reason: string | null;
}

/**
 * Buttons for a role: actions the role can never take are left out (the caller shows one line
 * saying who can); actions it can take but not from the current status are disabled with a reason.
 */
export function reviewButtons(workflow: Workflow, status: ApprovalStatus, role: Role | null): { buttons: ReviewButton[]; hidden: string[] } {
  const buttons: ReviewButton[] = [];
  const hidden: string[] = [];
  const seen = new Set<string>();
  for (const t of workflow.transitions) {
    if (seen.has(t.action)) continue;
    seen.add(t.action);
    const label = ACTION_LABEL[t.action] ?? t.action.replace(/_/g, ' ');
    const mayAct = role === 'admin' || (role !== null && t.roles.includes(role));
    if (!mayAct) {
      hidden.push(`${label} needs the ${t.roles.join(' or ')} role${role ? ` (you are ${role === 'artist' ? 'an' : 'a'} ${role})` : ''}.`);
      continue;
    }
    const fromOk = workflow.transitions.some((u) => u.action === t.action && u.from.includes(status));
    buttons.push({
      action: t.action,
      to: t.to,
      label,
      enabled: fromOk,
      reason: fromOk ? null : `Not possible while the version is ${STATUS_LABEL[status].toLowerCase()}.`,
    });
  }
  return { buttons, hidden };
}
