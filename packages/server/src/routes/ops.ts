import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import type { AppContext } from '../app-context.js';
import { requireInstanceAdmin } from '../auth.js';
import { errors, Health, MetricsText } from '@montu/domain/wire';
import { sendProblem } from '../problem.js';

/** How long /readyz waits for the database before saying it is not answering. */
const READY_DATABASE_MS = 2000;

/** `work`, or a rejection with `why` when it has not settled within `ms`. */
async function withinMs<T>(ms: number, work: Promise<T>, why: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(why)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What /readyz checked, typed by its closed answer schema: a check the schema does not declare
 * is a compile error here rather than a field the serialiser silently drops.
 */
type HealthChecks = Omit<Static<typeof Health>, 'status'>;

function mib(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/** Health, readiness, metrics and the API description. */
export async function opsRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { montu, metrics, config } = ctx;
  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: { tags: ['operations'], summary: 'The process is up', security: [], response: { 200: Health } },
    },
    async (): Promise<Static<typeof Health>> => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: {
        tags: ['operations'],
        summary: 'Database and storage (and Redis, in scale mode) are reachable',
        security: [],
        response: { 200: Health, 503: Health },
      },
    },
    async (req, reply) => {
      const checks: HealthChecks = {};
      try {
        // The one SQLite connection may be held by a write waiting for another process's lock:
        // readiness answers within a bounded time whatever the database does (decision 122).
        await withinMs(
          READY_DATABASE_MS,
          montu.db.selectFrom('project').select('id').limit(1).execute(),
          `no answer within ${READY_DATABASE_MS} ms (locked by another process?)`,
        );
        checks.database = 'ok';
      } catch (e) {
        checks.database = (e as Error).message;
      }
      try {
        await montu.storage.stat('.montu-readyz');
        checks.storage = 'ok';
      } catch (e) {
        checks.storage = (e as Error).message;
      }
      // A full volume refuses every upload and most writes: not ready (decision 123).
      const minFree = config.limits.minFreeBytes ?? 0;
      try {
        for (const v of await montu.freeSpace()) {
          checks[`${v.volume}Space`] =
            minFree > 0 && v.freeBytes < minFree
              ? `low: ${mib(v.freeBytes)} free, below ${mib(minFree)}`
              : 'ok';
        }
      } catch (e) {
        checks.space = (e as Error).message;
      }
      const queue = montu.jobs?.queue;
      if (queue?.ping) {
        try {
          await queue.ping();
          checks.redis = 'ok';
        } catch (e) {
          checks.redis = (e as Error).message;
        }
      }
      const ok = Object.values(checks).every((v) => v === 'ok');
      if (!ok) req.log.warn({ checks }, 'not ready');
      const answer: Static<typeof Health> = { status: ok ? 'ready' : 'unavailable', ...checks };
      return reply.code(ok ? 200 : 503).send(answer);
    },
  );

  app.get(
    '/metrics',
    {
      config: { public: config.metricsPublic },
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics (instance admins, or public when configured)',
        response: { 200: MetricsText, ...errors(403) },
      },
    },
    async (req, reply) => {
      if (!config.metricsPublic) requireInstanceAdmin(req);
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    },
  );

  app.get(
    '/api/v1/openapi.json',
    { config: { public: true }, schema: { hide: true } },
    async (req, reply) => {
      if (typeof app.swagger !== 'function')
        return sendProblem(req, reply, 501, 'not_supported', 'No API description.');
      return reply.type('application/json').send(app.swagger());
    },
  );
}
