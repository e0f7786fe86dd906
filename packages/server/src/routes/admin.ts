import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { roleIn, visibleProjects, type MontuEvent } from '@montu/core';
import type { AppContext } from '../app.js';
import { requireInstanceAdmin } from '../auth.js';
import { errors } from '../schemas.js';
import { HttpProblem } from '../problem.js';

export async function adminRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { montu } = ctx;

  app.post<{ Body: { dryRun?: boolean; verifyChecksums?: boolean } | undefined }>(
    '/admin/cleanup-orphans',
    {
      schema: {
        tags: ['admin'],
        summary: 'Find (and unless dry run, fix) orphan, missing and corrupt files; instance admins',
        body: Type.Optional(Type.Object({ dryRun: Type.Optional(Type.Boolean()), verifyChecksums: Type.Optional(Type.Boolean()) })),
        response: { 200: Type.Object({}, { additionalProperties: true }), ...errors(403) },
      },
    },
    async (req) => {
      requireInstanceAdmin(req);
      return montu.media.cleanupOrphanedFiles({
        dryRun: req.body?.dryRun ?? true,
        ...(req.body?.verifyChecksums !== undefined ? { verifyChecksums: req.body.verifyChecksums } : {}),
      });
    },
  );

  app.get(
    '/jobs',
    {
      schema: {
        tags: ['admin'],
        summary: 'Processing jobs (not available until the job queue lands)',
        querystring: Type.Object({ state: Type.Optional(Type.String()), mediaId: Type.Optional(Type.String()) }),
        response: { ...errors(501) },
      },
    },
    async () => {
      throw new HttpProblem(501, 'not_supported', 'The job queue is not available in this build yet.');
    },
  );

  app.get(
    '/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Server-Sent Events: new versions, status changes, notes, job progress (your projects only)',
        produces: ['text/event-stream'],
        response: { 200: { type: 'string', description: 'text/event-stream' } },
      },
    },
    async (req, reply) => {
      const projects = visibleProjects(req.principal);
      const visible = (e: MontuEvent) =>
        projects === undefined || (e.projectId !== null && roleIn(req.principal, e.projectId) !== null);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': String(req.id),
      });
      res.write(': montu events\n\n');
      let n = 0;
      const unsubscribe = montu.events.subscribe((e) => {
        if (!visible(e)) return;
        res.write(`id: ${++n}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      });
      const ping = setInterval(() => res.write(': ping\n\n'), 25_000);
      const stop = () => {
        clearInterval(ping);
        unsubscribe();
      };
      req.raw.on('close', stop);
      res.on('close', stop);
    },
  );
}
