import http from 'node:http';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from 'pino';
import { JSON_LIMITS, jsonDepth, ValidationError, type Montu } from '@montu/core';
import { DEFAULT_CONFIG, type ServerConfig } from './config.js';
import { installUploadSlots } from './upload-slots.js';
import { deferContinue } from './early-answers.js';
import { installAuth } from './auth.js';
import { installProblemHandlers } from './problem.js';
import { ServerMetrics } from './metrics.js';
import { WIRE_COMPONENTS } from '@montu/domain/wire';
import { installResponseCheck } from './response-check.js';
import { buildValidator } from './validation.js';
import { opsRoutes } from './routes/ops.js';
import { authRoutes } from './routes/auth.js';
import { userRoutes } from './routes/users.js';
import { projectRoutes } from './routes/projects.js';
import { mediaRoutes } from './routes/media.js';
import { fileRoutes } from './routes/files.js';
import { uploadRoutes } from './routes/uploads/index.js';
import { adminRoutes } from './routes/admin.js';
import { jobRoutes } from './routes/jobs.js';
import { eventRoutes } from './routes/events.js';
import { reviewRoutes } from './routes/review.js';
import { playlistRoutes } from './routes/playlists.js';
import { webhookRoutes } from './routes/webhooks.js';
import { reviewSessionRoutes } from './routes/review-sessions.js';
import { colourRoutes } from './routes/colour.js';
import { formBoundary } from './multipart-form.js';
import { API_PREFIX, type AppContext } from './app-context.js';

export { API_PREFIX, type AppContext } from './app-context.js';

/** A request body's own object plus one field's allowance. */
const BODY_DEPTH = JSON_LIMITS.maxDepth + 1;

export interface CreateServerOptions {
  montu: Montu;
  config: ServerConfig;
  /** A pino logger; one is made from `config.logLevel` when omitted. */
  logger?: Logger;
  /** Job queue depth by state, for the `montu_job_queue_depth` gauge (wired when jobs exist). */
  queueDepth?: () => Promise<Record<string, number>> | Record<string, number>;
}

/** Builds the Fastify app (not listening). Route files of other areas register on it with `app.register`. */
export async function createServer(options: CreateServerOptions): Promise<FastifyInstance> {
  const { montu, config } = options;
  const metrics = new ServerMetrics(options.queueDepth);
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: { level: config.logLevel } }),
    // A hop count as proxy-addr reads it: the nearest `n` addresses are proxies, the next is the client.
    trustProxy:
      typeof config.trustProxy === 'number'
        ? (
            (hops: number) => (_addr: string, i: number) =>
              i < hops
          )(config.trustProxy)
        : config.trustProxy,
    bodyLimit: config.limits.maxJsonBodyBytes,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    routerOptions: { maxParamLength: 500 },
    return503OnClosing: true,
    serverFactory: (handler) => {
      const server = http.createServer({ maxHeaderSize: config.limits.maxHeaderBytes }, handler);
      // A server factory skips Fastify's own settings, which left Node's defaults: idle
      // keep-alive connections closed after 5 s — a client reusing one just then (its event
      // loop busy, or a client that ignores the Keep-Alive hint) saw EPIPE on its next POST —
      // and a whole request cut off after 300 s, which a multi-GB upload on a slow link
      // exceeds. Fastify's defaults instead: 72 s keep-alive (longer than common clients' and
      // proxies' idle timeouts), no limit on a request's duration (headers still must arrive
      // within headersTimeout, 60 s).
      server.keepAliveTimeout = 72_000;
      server.requestTimeout = 0;
      deferContinue(server);
      return server;
    },
    // Bodies are validated without coercion, queries and parameters with it (validation.ts).
    schemaController: { compilersFactory: { buildValidator } },
  }) as unknown as FastifyInstance;
  const ctx: AppContext = { montu, config, metrics };
  app.decorate('montu', ctx);

  installProblemHandlers(app);
  // Hooks that run on every request are synchronous (callback style, a throw is the error):
  // an async hook costs a promise and a microtask turn per request (decision 166).
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    done();
  });
  // A POST without a body (e.g. `/approve` with no comment) validates as an empty object.
  app.addHook('preValidation', (req, _reply, done) => {
    if (req.body === undefined && req.routeOptions.schema?.body && !formBoundary(req.headers['content-type']))
      req.body = {};
    // Any JSON body: its free-form fields may nest JSON_LIMITS.maxDepth levels, inside the body
    // object itself. The services check each field they store; this also covers fields they
    // pass on or ignore, before anything walks the value (decision 121).
    if (jsonDepth(req.body, BODY_DEPTH) > BODY_DEPTH) {
      throw new ValidationError(`The request body is nested more than ${BODY_DEPTH} levels deep.`, {
        maxDepth: BODY_DEPTH,
      });
    }
    done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    metrics.observeRequest(
      req.method,
      req.routeOptions.url ?? 'unknown',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });

  await app.register(cookie);
  // Raw bodies (tus PATCH, sequence frames) and forms (multipart-form.ts) are left unread for
  // the handler to stream.
  app.addContentTypeParser(
    ['application/offset+octet-stream', 'application/octet-stream', 'multipart/form-data'],
    (_req, _payload, done) => done(null, undefined),
  );

  if (config.checkResponses) installResponseCheck(app);
  for (const schema of WIRE_COMPONENTS) app.addSchema(schema);
  await app.register(swagger, {
    // Shared schemas keep their own names under components.schemas (not def-0, def-1, …).
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Montu API',
        version: '1.0.0',
        description:
          'Media asset management and review for VFX and animation studios. Errors are RFC 9457 problem+json with a stable `code`.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'API token (`montu_…`)' },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'montu_session',
            description: 'Web app session; unsafe methods also need X-CSRF-Token',
          },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', uiConfig: { deepLinking: true } });
  installAuth(app, montu, { enabled: config.auth.enabled });
  installUploadSlots(
    app,
    config.limits.maxConcurrentUploadsPerUser ?? DEFAULT_CONFIG.limits.maxConcurrentUploadsPerUser,
    config.limits.maxUploadBytes,
  );

  await app.register(opsRoutes, ctx);
  await app.register(authRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(userRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(projectRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(mediaRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(fileRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(uploadRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(adminRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(jobRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(eventRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(reviewRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(playlistRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(webhookRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(reviewSessionRoutes, { ...ctx, prefix: API_PREFIX });
  await app.register(colourRoutes, { ...ctx, prefix: API_PREFIX });
  // The web app at / (static files, SPA fallback); its page may PUT upload parts to the bucket.
  const bucketOrigin = await montu.directUploads.uploadOrigin();
  await app.register(
    (await import('./web.js')).webApp,
    bucketOrigin ? { connectOrigins: [bucketOrigin] } : {},
  );
  return app;
}
