import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { AppContext } from '../app-context.js';
import { requireInstanceAdmin } from '../auth.js';
import { errors, OrphanCleanupReport } from '../schemas.js';

export async function adminRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { montu } = ctx;

  app.post<{ Body: { dryRun?: boolean; verifyChecksums?: boolean } | undefined }>(
    '/admin/cleanup-orphans',
    {
      schema: {
        tags: ['admin'],
        summary: 'Find (and unless dry run, fix) orphan, missing and corrupt files; instance admins',
        body: Type.Optional(
          Type.Object({
            dryRun: Type.Optional(Type.Boolean()),
            verifyChecksums: Type.Optional(Type.Boolean()),
          }),
        ),
        response: { 200: OrphanCleanupReport, ...errors(403) },
      },
    },
    async (req) => {
      requireInstanceAdmin(req);
      return montu.maintenance.cleanupOrphanedFiles({
        dryRun: req.body?.dryRun ?? true,
        ...(req.body?.verifyChecksums !== undefined ? { verifyChecksums: req.body.verifyChecksums } : {}),
      });
    },
  );
}
