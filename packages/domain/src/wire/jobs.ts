/** The processing job routes' contract. */
import { Type } from '@sinclair/typebox';
import { JOB_STATES } from '../vocabulary.js';
import { Closed, component, Enum, Nullable } from './schema.js';

/** Kinds of background job (the core's typed job map has exactly these). */
export const JOB_TYPES = ['probe', 'thumbnail', 'proxy', 'webhook.deliver'] as const;

export const Job = component(
  'Job',
  Closed({
    id: Type.String(),
    type: Enum(JOB_TYPES),
    mediaId: Nullable(Type.String()),
    projectId: Nullable(Type.String()),
    state: Enum(JOB_STATES),
    attempts: Type.Integer(),
    maxAttempts: Type.Integer(),
    progress: Type.Integer(),
    error: Nullable(Type.String()),
    runAfter: Type.String(),
    /** The worker holding the job's lease (`host~pid~…`), null when none does. */
    lockedBy: Nullable(Type.String()),
    createdAt: Type.String(),
    startedAt: Nullable(Type.String()),
    finishedAt: Nullable(Type.String()),
    updatedAt: Type.String(),
  }),
);

export const JobList = Closed({ items: Type.Array(Job) }, { title: 'JobList' });
export const JobParams = Closed({ jobId: Type.String({ maxLength: 64 }) });

export const JobsQuery = Type.Object({
  state: Type.Optional(Enum(JOB_STATES)),
  type: Type.Optional(Enum(JOB_TYPES)),
  mediaId: Type.Optional(Type.String({ maxLength: 64 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});

export const RetryJobs = Closed(
  {
    ids: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 1000 })),
    mediaId: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { title: 'RetryJobs' },
);
