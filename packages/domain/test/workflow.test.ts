/**
 * The workflow's transition function fails closed: it answers only for a named actor (a role,
 * or the trusted library itself); a missing or unknown one is a programming error, never "allowed".
 */
import { describe, expect, it } from 'vitest';
import {
  allowedTargets,
  canSelectForReview,
  DEFAULT_WORKFLOW,
  findTransition,
  TRUSTED_CALLER,
  type WorkflowActor,
} from '../src/index.js';

/** What a caller that lost the role (an optional field left out) passes at run time. */
const missing = undefined as unknown as WorkflowActor;

describe('findTransition', () => {
  it('throws when the actor is missing instead of allowing the change', () => {
    expect(() => findTransition(DEFAULT_WORKFLOW, 'pending_review', 'approved', missing)).toThrow(TypeError);
    expect(() => findTransition(DEFAULT_WORKFLOW, 'pending_review', 'approved', missing)).toThrow(
      /needs the actor's role/,
    );
  });

  it('throws for an actor that is not a role', () => {
    const intruder = 'director' as unknown as WorkflowActor;
    expect(() => findTransition(DEFAULT_WORKFLOW, 'pending_review', 'approved', intruder)).toThrow(TypeError);
  });

  it('throws for a missing actor even when no transition matches', () => {
    expect(() => findTransition(DEFAULT_WORKFLOW, 'approved', 'approved', missing)).toThrow(TypeError);
  });

  it('answers for roles and for the trusted library', () => {
    expect(findTransition(DEFAULT_WORKFLOW, 'pending_review', 'approved', 'artist')).toBeNull();
    expect(findTransition(DEFAULT_WORKFLOW, 'pending_review', 'approved', 'supervisor')?.action).toBe(
      'approve',
    );
    expect(findTransition(DEFAULT_WORKFLOW, 'pending_review', 'approved', 'admin')?.action).toBe('approve');
    expect(findTransition(DEFAULT_WORKFLOW, 'pending_review', 'approved', TRUSTED_CALLER)?.action).toBe(
      'approve',
    );
  });
});

describe('allowedTargets and canSelectForReview', () => {
  it('fail closed the same way', () => {
    expect(() => allowedTargets(DEFAULT_WORKFLOW, 'wip', missing)).toThrow(TypeError);
    expect(() => canSelectForReview(DEFAULT_WORKFLOW, missing)).toThrow(TypeError);
    expect(allowedTargets(DEFAULT_WORKFLOW, 'wip', 'artist')).toEqual(['pending_review']);
    expect(canSelectForReview({ ...DEFAULT_WORKFLOW, reviewSelectRoles: ['supervisor'] }, 'artist')).toBe(
      false,
    );
  });
});
