/**
 * Review buttons. The server decides: `GET /media/:id/status-options` lists the statuses the
 * user's role may move the item to now (enabled buttons, and the only ones that are). The
 * project's workflow as data (`GET /projects/:id/workflow`, also from the server) only explains
 * the rest: actions the role may take from another status are shown disabled with the reason;
 * actions the role can never take are hidden, one line saying who can.
 */
import { findTransition, STATUS_LABELS, STATUS_ROUTES } from '@montu/domain';
import type { ApprovalStatus, Role, StatusOptions, Workflow } from '../api/index.js';

export type { StatusOptions, Workflow };

export const ACTION_LABEL: Record<string, string> = {
  submit: 'Submit for review',
  approve: 'Approve',
  request_changes: 'Request changes',
  reject: 'Reject',
  hold: 'Put on hold',
  reopen: 'Reopen',
};

/** The server's status-change routes, by target status (`POST /media/:id/<path>`): the domain's. */
export const STATUS_ROUTE: Partial<Record<ApprovalStatus, StatusRoute>> = STATUS_ROUTES;
export type StatusRoute = (typeof STATUS_ROUTES)[ApprovalStatus];

export interface ReviewButton {
  action: string;
  to: ApprovalStatus;
  label: string;
  enabled: boolean;
  /** Why it is disabled. */
  reason: string | null;
}

const labelOf = (action: string): string => ACTION_LABEL[action] ?? action.replace(/_/g, ' ');
const article = (role: Role): string => (role === 'artist' || role === 'admin' ? 'an' : 'a');

/**
 * Buttons from the server's status options (enabled), plus, when the workflow is known, the
 * role's other actions (disabled with the reason) and a line for each action only other roles have.
 */
export function reviewButtons(
  options: StatusOptions,
  workflow: Workflow | null,
): { buttons: ReviewButton[]; hidden: string[] } {
  const { status, role } = options;
  const buttons: ReviewButton[] = [];
  const hidden: string[] = [];
  const seen = new Set<string>();
  for (const t of options.targets) {
    if (seen.has(t.action)) continue;
    seen.add(t.action);
    const route = STATUS_ROUTE[t.to];
    buttons.push({
      action: t.action,
      to: t.to,
      label: labelOf(t.action),
      enabled: !!route,
      reason: route ? null : `The server has no route to set ${STATUS_LABELS[t.to] ?? t.to}.`,
    });
  }
  for (const t of workflow?.transitions ?? []) {
    if (seen.has(t.action)) continue;
    seen.add(t.action);
    const label = labelOf(t.action);
    // Whether the role may ever take this action: the domain's transition rule (admins may all).
    const mayAct =
      role !== null && t.from.some((from) => findTransition(workflow!, from, t.to, role) !== null);
    if (mayAct) {
      buttons.push({
        action: t.action,
        to: t.to,
        label,
        enabled: false,
        reason: `Not possible while the version is ${(STATUS_LABELS[status] ?? status).toLowerCase()}.`,
      });
    } else {
      hidden.push(
        `${label} needs the ${t.roles.join(' or ')} role${role ? ` (you are ${article(role)} ${role})` : ''}.`,
      );
    }
  }
  // Workflow order when known (stable buttons), else the server's.
  const order = workflow ? workflow.transitions.map((t) => t.action) : [];
  buttons.sort((a, b) => order.indexOf(a.action) - order.indexOf(b.action));
  return { buttons, hidden };
}
