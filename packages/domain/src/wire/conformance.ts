/**
 * The domain's records that are not `Static` of their wire schemas (types.ts derives the rest)
 * must still be their shape: the same fields, each fitting both ways, so a field added on one
 * side only fails `tsc` instead of being dropped from answers (a closed schema drops what it does
 * not declare) or never filled (decision 150). The core checks its own records the same way
 * (core/src/wire-conformance.ts). Checked at compile time; nothing here runs.
 */
import type { Drawing as DomainDrawing } from '../drawing.js';
import type { ReviewSessionState as DomainSessionState } from '../review-session.js';
import type { Workflow as DomainWorkflow } from '../workflow.js';
import type { Workflow } from './components.js';
import type { Drawing } from './review.js';
import type { ReviewSessionState } from './review-sessions.js';

/** `true` when A and B have the same fields and each one's values fit the other. */
export type Same<A, B> = [A] extends [B]
  ? [B] extends [A]
    ? [Exclude<keyof A, keyof B> | Exclude<keyof B, keyof A>] extends [never]
      ? true
      : false
    : false
  : false;

/** The static type of a wire schema. */
type S<T> = T extends { static: infer V } ? V : never;

export const domainRecordsAreTheWire: {
  Workflow: Same<DomainWorkflow, S<typeof Workflow>>;
  Drawing: Same<DomainDrawing, S<typeof Drawing>>;
  ReviewSessionState: Same<DomainSessionState, S<typeof ReviewSessionState>>;
} = { Workflow: true, Drawing: true, ReviewSessionState: true };
