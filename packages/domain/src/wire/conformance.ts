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

/**
 * A record as its fields, all the way down: intersections flattened into one object, arrays by
 * their elements, each member of a union on its own. Modifiers (`?`, `readonly`) are kept.
 */
type Fields<T> = T extends readonly (infer U)[]
  ? T extends unknown[]
    ? Fields<U>[]
    : readonly Fields<U>[]
  : T extends (...args: never[]) => unknown
    ? T
    : T extends object
      ? { [K in keyof T]: Fields<T[K]> }
      : T;

/** `true` only when A and B are the same type (not merely assignable either way). */
type Identical<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/**
 * `true` when A and B have the same fields at every depth — nested objects, array elements and
 * union members included — each with the same type and the same `?`. A field on one side only,
 * or optional on one side and required on the other, anywhere in the record, is `false`.
 */
export type Same<A, B> = Identical<Fields<A>, Fields<B>>;

/** The static type of a wire schema. */
type S<T> = T extends { static: infer V } ? V : never;

export const domainRecordsAreTheWire: {
  Workflow: Same<DomainWorkflow, S<typeof Workflow>>;
  Drawing: Same<DomainDrawing, S<typeof Drawing>>;
  ReviewSessionState: Same<DomainSessionState, S<typeof ReviewSessionState>>;
} = { Workflow: true, Drawing: true, ReviewSessionState: true };
