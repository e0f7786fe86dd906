import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AppContext } from '../app-context.js';
import { requireInstanceAdmin } from '../auth.js';
import { CleanupOrphans, errors, OrphanCleanupReport } from '@montu/domain/wire';

export async function adminRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { montu } = ctx;

  app.post<{ Body: Static<typeof CleanupOrphans> | undefined }>(
    '/admin/cleanup-orphans',
    {
      schema: {
        tags: ['admin'],
        summary: 'Find (and unless dry run, fix) orphan, missing and corrupt files; instance admins',
        body: Type.Optional(CleanupOrphans),
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
