import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { NotFound, type Job as CoreJob } from '@montu/core';
import { errors, Job, JobList, JobParams, JobsQuery, RetryJobs } from '@montu/domain/wire';
import type { AppContext } from '../app-context.js';
import { scopeOf } from '../auth.js';
import { HttpProblem } from '../problem.js';

/**
 * A job as the API shows it: its payload stays inside (a webhook delivery's holds the body it
 * signs), and is left out here rather than dropped by the serialiser (decision 150).
 */
function jobAnswer(job: CoreJob): Static<typeof Job> {
  const { payload: _payload, ...answer } = job;
  return answer;
}

/** Processing jobs: list (scoped to the caller's projects), inspect, retry failed ones. */
export async function jobRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { montu } = ctx;
  const jobs = () => {
    if (!montu.jobs)
      throw new HttpProblem(501, 'not_supported', 'Media processing is turned off on this server.');
    return montu.jobs;
  };

  app.get<{ Querystring: Static<typeof JobsQuery> }>(
    '/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Processing jobs, newest first (state/type/mediaId filters)',
        querystring: JobsQuery,
        response: { 200: JobList, ...errors(400, 501) },
      },
    },
    async (req) => {
      const q = req.query;
      const items = await jobs().list({
        ...(q.state ? { state: q.state } : {}),
        ...(q.type ? { type: q.type } : {}),
        ...(q.mediaId ? { mediaId: q.mediaId } : {}),
        ...(q.limit ? { limit: q.limit } : {}),
        ...scopeOf(req),
      });
      return { items: items.map(jobAnswer) };
    },
  );

  app.get<{ Params: Static<typeof JobParams> }>(
    '/jobs/:jobId',
    {
      schema: {
        tags: ['jobs'],
        summary: 'One processing job',
        params: JobParams,
        response: { 200: Job, ...errors(404, 501) },
      },
    },
    async (req) => {
      const job = await jobs().get(req.params.jobId);
      const scope = scopeOf(req);
      if (scope.projectIds && (job.projectId === null || !scope.projectIds.includes(job.projectId))) {
        throw new NotFound(`Job ${req.params.jobId} does not exist.`);
      }
      return jobAnswer(job);
    },
  );

  app.post<{ Body: Static<typeof RetryJobs> }>(
    '/jobs/retry',
    {
      schema: {
        tags: ['jobs'],
        summary:
          'Queue failed jobs again with fresh attempts (given ids, one media item, or all the caller can see)',
        body: RetryJobs,
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
      return { items: items.map(jobAnswer) };
    },
  );
}
