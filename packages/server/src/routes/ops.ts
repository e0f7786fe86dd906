import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { AppContext } from '../app-context.js';
import { requireInstanceAdmin } from '../auth.js';
import { errors } from '../schemas.js';
import { sendProblem } from '../problem.js';

const Health = Type.Object({ status: Type.String() }, { additionalProperties: true });

/** Health, readiness, metrics and the API description. */
export async function opsRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { montu, metrics, config } = ctx;
  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: { tags: ['operations'], summary: 'The process is up', security: [], response: { 200: Health } },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: {
        tags: ['operations'],
        summary: 'Database and storage are reachable',
        security: [],
        response: { 200: Health, 503: Health },
      },
    },
    async (req, reply) => {
      const checks: Record<string, string> = {};
      try {
        await montu.db.selectFrom('project').select('id').limit(1).execute();
        checks['database'] = 'ok';
      } catch (e) {
        checks['database'] = (e as Error).message;
      }
      try {
        await montu.storage.stat('.montu-readyz');
        checks['storage'] = 'ok';
      } catch (e) {
        checks['storage'] = (e as Error).message;
      }
      const ok = Object.values(checks).every((v) => v === 'ok');
      if (!ok) req.log.warn({ checks }, 'not ready');
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'unavailable', ...checks });
    },
  );

  app.get(
    '/metrics',
    {
      config: { public: config.metricsPublic },
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics (instance admins, or public when configured)',
        response: { 200: Type.String(), ...errors(403) },
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
