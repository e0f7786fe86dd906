import type { ApprovalStatus } from './types.js';

export const ROLES = ['artist', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** One allowed status change: which statuses it leaves, where it goes, and who may make it. */
export interface Transition {
  action: string;
  from: ApprovalStatus[];
  to: ApprovalStatus;
  roles: Role[];
}

/**
 * The review workflow is data: projects may replace it in their settings (`workflow`).
 * Admins may make every listed transition whatever `roles` says.
 */
export interface Workflow {
  initial: ApprovalStatus;
  transitions: Transition[];
}

export const DEFAULT_WORKFLOW: Workflow = {
  initial: 'wip',
  transitions: [
    { action: 'submit', from: ['wip', 'changes_requested', 'rejected'], to: 'pending_review', roles: ['artist', 'supervisor'] },
    {
      action: 'approve',
      from: ['wip', 'pending_review', 'changes_requested', 'rejected', 'on_hold'],
      to: 'approved',
      roles: ['supervisor'],
    },
    {
      action: 'request_changes',
      from: ['pending_review', 'approved', 'on_hold'],
      to: 'changes_requested',
      roles: ['supervisor'],
    },
    { action: 'reject', from: ['wip', 'pending_review', 'approved', 'on_hold', 'changes_requested'], to: 'rejected', roles: ['supervisor'] },
    { action: 'hold', from: ['wip', 'pending_review', 'changes_requested'], to: 'on_hold', roles: ['supervisor'] },
    { action: 'reopen', from: ['pending_review', 'approved', 'rejected', 'changes_requested', 'on_hold'], to: 'wip', roles: ['supervisor'] },
  ],
};

/**
 * The transition that takes `from` to `to`, or null. With a role, only transitions that role may
 * make; without one (trusted library calls) any listed transition.
 */
export function findTransition(
  workflow: Workflow,
  from: ApprovalStatus,
  to: ApprovalStatus,
  role?: Role,
): Transition | null {
  for (const t of workflow.transitions) {
    if (t.to !== to || !t.from.includes(from)) continue;
    if (role === undefined || role === 'admin' || t.roles.includes(role)) return t;
  }
  return null;
}

/** Statuses a role can move an item to from `from` (for UIs: which buttons to show). */
export function allowedTargets(workflow: Workflow, from: ApprovalStatus, role?: Role): ApprovalStatus[] {
  const out = new Set<ApprovalStatus>();
  for (const t of workflow.transitions) {
    if (t.from.includes(from) && (role === undefined || role === 'admin' || t.roles.includes(role))) out.add(t.to);
  }
  return [...out];
}
