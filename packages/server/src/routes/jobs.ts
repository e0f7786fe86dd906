import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { JOB_STATES, JOB_TYPES, NotFound, type JobState, type JobType } from '@montu/core';
import type { AppContext } from '../app-context.js';
import { scopeOf } from '../auth.js';
import { errors } from '../schemas.js';
import { HttpProblem } from '../problem.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const JobSchema = Type.Object(
  {
    id: Type.String(),
    type: Type.String(),
    mediaId: Nullable(Type.String()),
    projectId: Nullable(Type.String()),
    state: Type.String(),
    attempts: Type.Integer(),
    maxAttempts: Type.Integer(),
    progress: Type.Integer(),
    error: Nullable(Type.String()),
    runAfter: Type.String(),
    createdAt: Type.String(),
    startedAt: Nullable(Type.String()),
    finishedAt: Nullable(Type.String()),
    updatedAt: Type.String(),
  },
  { additionalProperties: true },
);

const JobList = Type.Object({ items: Type.Array(JobSchema) });

const ListQuery = Type.Object({
  state: Type.Optional(Type.Union(JOB_STATES.map((s) => Type.Literal(s)))),
  type: Type.Optional(Type.Union(JOB_TYPES.map((s) => Type.Literal(s)))),
  mediaId: Type.Optional(Type.String({ maxLength: 64 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});

const RetryBody = Type.Object(
  {
    ids: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 1000 })),
    mediaId: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

/** Processing jobs: list (scoped to the caller's projects), inspect, retry failed ones. */
export async function jobRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { montu } = ctx;
  const jobs = () => {
    if (!montu.jobs)
      throw new HttpProblem(501, 'not_supported', 'Media processing is turned off on this server.');
    return montu.jobs;
  };

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Processing jobs, newest first (state/type/mediaId filters)',
        querystring: ListQuery,
        response: { 200: JobList, ...errors(400, 501) },
      },
    },
    async (req) => {
      const q = req.query;
      const items = await jobs().list({
        ...(q.state ? { state: q.state as JobState } : {}),
        ...(q.type ? { type: q.type as JobType } : {}),
        ...(q.mediaId ? { mediaId: q.mediaId } : {}),
        ...(q.limit ? { limit: q.limit } : {}),
        ...scopeOf(req),
      });
      return { items };
    },
  );

  app.get<{ Params: { jobId: string } }>(
    '/jobs/:jobId',
    {
      schema: {
        tags: ['jobs'],
        summary: 'One processing job',
        params: Type.Object({ jobId: Type.String({ maxLength: 64 }) }),
        response: { 200: JobSchema, ...errors(404, 501) },
      },
    },
    async (req) => {
      const job = await jobs().get(req.params.jobId);
      const scope = scopeOf(req);
      if (scope.projectIds && (job.projectId === null || !scope.projectIds.includes(job.projectId))) {
        throw new NotFound(`Job ${req.params.jobId} does not exist.`);
      }
      return job;
    },
  );

  app.post<{ Body: Static<typeof RetryBody> }>(
    '/jobs/retry',
    {
      schema: {
        tags: ['jobs'],
        summary:
          'Queue failed jobs again with fresh attempts (given ids, one media item, or all the caller can see)',
        body: RetryBody,
        response: { 200: JobList, ...errors(400, 501) },
      },
    },
    async (req) => {
      const b = req.body;
      const items = await jobs().retry({
        ...(b.ids ? { ids: b.ids } : {}),
        ...(b.mediaId ? { mediaId: b.mediaId } : {}),
        ...scopeOf(req),
      });
      return { items };
    },
  );
}
