import { ValidationError } from './errors.js';
import { APPROVAL_STATUSES, type ApprovalStatus } from './vocabulary.js';

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
  /** Roles that may mark a version as the one put forward for its task (admins always may). Default artist + supervisor. */
  reviewSelectRoles?: Role[];
}

/**
 * Where a supervisor gives a verdict on a version: wherever they may approve it they may also
 * request changes on it (a WIP version included, issue 21) — one list, so the two cannot drift.
 */
const VERDICT_FROM: ApprovalStatus[] = ['wip', 'pending_review', 'on_hold'];

export const DEFAULT_WORKFLOW: Workflow = {
  initial: 'wip',
  transitions: [
    {
      action: 'submit',
      from: ['wip', 'changes_requested', 'rejected'],
      to: 'pending_review',
      roles: ['artist', 'supervisor'],
    },
    {
      action: 'approve',
      from: [...VERDICT_FROM, 'changes_requested', 'rejected'],
      to: 'approved',
      roles: ['supervisor'],
    },
    {
      action: 'request_changes',
      from: [...VERDICT_FROM, 'approved'],
      to: 'changes_requested',
      roles: ['supervisor'],
    },
    {
      action: 'reject',
      from: ['wip', 'pending_review', 'approved', 'on_hold', 'changes_requested'],
      to: 'rejected',
      roles: ['supervisor'],
    },
    {
      action: 'hold',
      from: ['wip', 'pending_review', 'changes_requested'],
      to: 'on_hold',
      roles: ['supervisor'],
    },
    {
      action: 'reopen',
      from: ['pending_review', 'approved', 'rejected', 'changes_requested', 'on_hold'],
      to: 'wip',
      roles: ['supervisor'],
    },
  ],
};

/**
 * The REST action route (`POST /media/:id/<route>`) that moves an item to each status: the server
 * registers these and clients derive their buttons from them (there is also `POST /media/:id/status`).
 */
export const STATUS_ROUTES = {
  pending_review: 'submit',
  approved: 'approve',
  rejected: 'reject',
  changes_requested: 'request-changes',
  on_hold: 'hold',
  wip: 'reopen',
} as const satisfies Record<ApprovalStatus, string>;

/** Human words for each status, for history, exports and UIs. */
export const STATUS_LABELS: Record<ApprovalStatus, string> = {
  wip: 'Work in progress',
  pending_review: 'Pending review',
  approved: 'Approved',
  changes_requested: 'Changes requested',
  rejected: 'Rejected',
  on_hold: 'On hold',
};

/**
 * Who asks a workflow question: a role in the item's project, or `TRUSTED_CALLER` — the library
 * called directly (local CLI, scripts), which may make any listed transition. There is no
 * default: a caller that forgot to say who acts gets an error, not every transition.
 */
export const TRUSTED_CALLER = 'trusted' as const;
export type WorkflowActor = Role | typeof TRUSTED_CALLER;

/** A missing or unknown actor is a programming error, thrown as such: the workflow fails closed. */
function assertActor(who: unknown): asserts who is WorkflowActor {
  if (who === TRUSTED_CALLER || (ROLES as readonly unknown[]).includes(who)) return;
  throw new TypeError(
    `A workflow check needs the actor's role (${ROLES.join(', ')}) or TRUSTED_CALLER; got ${String(who)}.`,
  );
}

function mayMake(t: Transition, who: WorkflowActor): boolean {
  return who === TRUSTED_CALLER || who === 'admin' || t.roles.includes(who);
}

/** The transition that takes `from` to `to` that `who` may make, or null. */
export function findTransition(
  workflow: Workflow,
  from: ApprovalStatus,
  to: ApprovalStatus,
  who: WorkflowActor,
): Transition | null {
  assertActor(who);
  for (const t of workflow.transitions) {
    if (t.to === to && t.from.includes(from) && mayMake(t, who)) return t;
  }
  return null;
}

/** Statuses `who` can move an item to from `from` (for UIs: which buttons to show). */
export function allowedTargets(
  workflow: Workflow,
  from: ApprovalStatus,
  who: WorkflowActor,
): ApprovalStatus[] {
  assertActor(who);
  const out = new Set<ApprovalStatus>();
  for (const t of workflow.transitions) if (t.from.includes(from) && mayMake(t, who)) out.add(t.to);
  return [...out];
}

/** Whether `who` may set or clear `reviewSelected` under this workflow. */
export function canSelectForReview(workflow: Workflow, who: WorkflowActor): boolean {
  assertActor(who);
  if (who === TRUSTED_CALLER || who === 'admin') return true;
  return (workflow.reviewSelectRoles ?? ['artist', 'supervisor']).includes(who);
}

/** Every (from, to, role) triple the workflow allows, for tests, docs and UIs. */
export function transitionMatrix(
  workflow: Workflow,
): Array<{ from: ApprovalStatus; to: ApprovalStatus; role: Role; action: string }> {
  const out: Array<{ from: ApprovalStatus; to: ApprovalStatus; role: Role; action: string }> = [];
  for (const role of ROLES) {
    for (const from of APPROVAL_STATUSES) {
      for (const to of APPROVAL_STATUSES) {
        if (from === to) continue;
        const t = findTransition(workflow, from, to, role);
        if (t) out.push({ from, to, role, action: t.action });
      }
    }
  }
  return out;
}

/**
 * Checks a workflow given as data (project settings, API) and returns a clean copy: known
 * statuses and roles only, unique action names, no transition to a status it starts from.
 */
export function parseWorkflow(input: unknown): Workflow {
  const bad = (m: string): never => {
    throw new ValidationError(`workflow: ${m}`, { field: 'workflow' });
  };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) bad('must be an object');
  const o = input as Record<string, unknown>;
  const status = (v: unknown, where: string): ApprovalStatus => {
    if (typeof v !== 'string' || !(APPROVAL_STATUSES as readonly string[]).includes(v)) {
      bad(`${where} must be one of ${APPROVAL_STATUSES.join(', ')}`);
    }
    return v as ApprovalStatus;
  };
  const roles = (v: unknown, where: string): Role[] => {
    if (!Array.isArray(v)) bad(`${where} must be a list of roles`);
    const list = v as unknown[];
    for (const r of list)
      if (typeof r !== 'string' || !(ROLES as readonly string[]).includes(r))
        bad(`${where}: unknown role ${JSON.stringify(r)} (use ${ROLES.join(', ')})`);
    return [...new Set(list as Role[])];
  };
  const initial = status(o['initial'] ?? 'wip', 'initial');
  if (!Array.isArray(o['transitions']) || o['transitions'].length === 0)
    bad('transitions must be a non-empty list');
  const seen = new Set<string>();
  const transitions = (o['transitions'] as unknown[]).map((raw, i): Transition => {
    if (typeof raw !== 'object' || raw === null) bad(`transitions[${i}] must be an object`);
    const t = raw as Record<string, unknown>;
    const action = t['action'];
    if (typeof action !== 'string' || !/^[a-z][a-z0-9_]{0,39}$/.test(action))
      bad(`transitions[${i}].action must be a lower-case name`);
    if (seen.has(action as string)) bad(`action ${JSON.stringify(action)} appears twice`);
    seen.add(action as string);
    const to = status(t['to'], `transitions[${i}].to`);
    if (!Array.isArray(t['from']) || t['from'].length === 0)
      bad(`transitions[${i}].from must be a non-empty list`);
    const from = [...new Set((t['from'] as unknown[]).map((f) => status(f, `transitions[${i}].from`)))];
    if (from.includes(to)) bad(`transitions[${i}] goes from ${to} to itself`);
    return { action: action as string, from, to, roles: roles(t['roles'], `transitions[${i}].roles`) };
  });
  const wf: Workflow = { initial, transitions };
  if (o['reviewSelectRoles'] !== undefined)
    wf.reviewSelectRoles = roles(o['reviewSelectRoles'], 'reviewSelectRoles');
  return wf;
}

/**
 * The words the Montu Manager media services document uses for review states, and the status
 * each stands for. Every project's workflow draws its statuses from the one vocabulary
 * (APPROVAL_STATUSES), so a word means the same status in every project (decision 096).
 */
export const STATUS_WORDS = {
  pending: 'pending_review',
  approved: 'approved',
  rejected: 'rejected',
} as const satisfies Record<string, ApprovalStatus>;
export type StatusWord = keyof typeof STATUS_WORDS;

/** A status as callers may give it: a workflow status, or one of the document's words. */
export type StatusInput = ApprovalStatus | StatusWord;
export const STATUS_INPUTS: readonly StatusInput[] = [
  ...new Set<StatusInput>([...APPROVAL_STATUSES, ...(Object.keys(STATUS_WORDS) as StatusWord[])]),
];

/** The workflow status a status or document word stands for; anything else is a 400. */
export function parseStatus(v: unknown, field = 'status'): ApprovalStatus {
  if (typeof v === 'string') {
    if ((APPROVAL_STATUSES as readonly string[]).includes(v)) return v as ApprovalStatus;
    if (Object.hasOwn(STATUS_WORDS, v)) return STATUS_WORDS[v as StatusWord];
  }
  throw new ValidationError(
    `${field} must be one of ${STATUS_INPUTS.join(', ')} (got ${JSON.stringify(v)}).`,
    { field },
  );
}

/** How statistics name a status: the document's word where one stands for it, else the status. */
export function statusWord(status: string): string {
  for (const [word, s] of Object.entries(STATUS_WORDS)) if (s === status) return word;
  return status;
}
