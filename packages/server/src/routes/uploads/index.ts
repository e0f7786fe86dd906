import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { IdempotencyHeaders } from '../../idempotency.js';
import { sequenceRoutes } from '../sequences.js';
import { directUploadRoutes } from './direct.js';
import { UploadIdParams } from './tus-protocol.js';
import { createTusUploads } from './tus-uploads.js';
import { tusPatch } from './tus-patch.js';
import { resultRoute } from './result.js';

/**
 * Upload routes: tus (creation, HEAD, our PATCH, DELETE, result), sequences and direct-to-S3, in one explicit
 * plugin scope: their content-type parsers (any type left unread for the handler to stream)
 * apply to these routes only.
 */
export async function uploadRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await app.register(async (scope) => {
    // Frame bodies of any type (image/x-exr, image/png…) stay unread for the handler to stream.
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    const t = createTusUploads(scope, ctx);
    const handle = t.handle;
    const patch = tusPatch(ctx, t);
    const tusDoc = {
      tags: ['uploads'],
      description:
        'tus 1.0 resumable upload protocol (creation, termination, expiration). Upload-Metadata keys: filename, projectId, taskId, version, description, tags, sha256, sourceMediaId. The final PATCH answers with header Montu-Media-Id.',
    };
    scope.route({
      method: ['POST', 'OPTIONS'],
      url: '/uploads',
      schema: { ...tusDoc, summary: 'Create a resumable upload (tus)', headers: IdempotencyHeaders },
      handler: handle,
    });
    scope.route({
      method: ['HEAD', 'DELETE', 'OPTIONS'],
      url: '/uploads/:uploadId',
      schema: {
        ...tusDoc,
        summary: 'Resume (HEAD) or cancel (DELETE) an upload (tus)',
        params: UploadIdParams,
      },
      exposeHeadRoute: false,
      handler: handle,
    });
    scope.route<{ Params: { uploadId: string } }>({
      method: 'PATCH',
      url: '/uploads/:uploadId',
      schema: {
        ...tusDoc,
        summary: 'Send bytes of an upload from its offset (tus)',
        params: UploadIdParams,
      },
      handler: patch,
    });
    resultRoute(scope, ctx, t);
    await sequenceRoutes(scope, ctx);
    await directUploadRoutes(scope, ctx);
  });
}
