import type { FastifyInstance } from 'fastify';
import { type Upload } from '@tus/server';
import { NotFound } from '@montu/core';
import type { AppContext } from '../../app-context.js';
import { scopeOf } from '../../auth.js';
import { errors, UploadInProgress, UploadOutcome } from '@montu/domain/wire';
import { UploadIdParams } from './tus-protocol.js';
import type { TusUploads } from './tus-uploads.js';

/** `GET /uploads/:id/result`: how a resumable upload ended, finishing one whose finisher died. */
export function resultRoute(app: FastifyInstance, ctx: AppContext, t: TusUploads): void {
  const { montu } = ctx;
  const { datastore, sessions, canSeeUpload, claimFinish, finish } = t;
  app.get<{ Params: { uploadId: string } }>(
    '/uploads/:uploadId/result',
    {
      schema: {
        tags: ['uploads'],
        summary: 'Outcome of a finished resumable upload: the media item, or why it was refused',
        params: UploadIdParams,
        response: {
          200: UploadOutcome,
          202: UploadInProgress,
          ...errors(404),
        },
      },
    },
    async (req, reply) => {
      const id = req.params.uploadId;
      const session = await sessions.get(id);
      const mine = (userId: string) => req.principal.user.isAdmin || userId === req.principal.user.id;
      if (session && !mine(session.userId)) throw new NotFound('Upload not found.', { uploadId: id });
      if (session?.state === 'failed') return { state: 'failed', error: session.error ?? {} };
      if (session?.state === 'complete' && session.mediaId) {
        const media = await montu.media.getMediaById(session.mediaId, scopeOf(req)).catch(() => undefined);
        return { state: 'complete', mediaId: session.mediaId, ...(media ? { media } : {}) };
      }
      let upload: Upload;
      try {
        upload = await datastore.getUpload(id);
      } catch {
        // The bytes are gone but the session is still being finished, and its finisher died:
        // the library took the file and the process stopped before the outcome was recorded.
        if (
          session?.state === 'finishing' &&
          (await sessions.claimFinish(id, session.userId, session.size))
        ) {
          const error = {
            status: 409,
            code: 'upload_interrupted',
            detail:
              'The server stopped while storing this upload. Look for the version in its task; if it is not there, upload again.',
          };
          await sessions.fail(id, error);
          await datastore.configstore.delete(id).catch(() => undefined);
          return { state: 'failed', error };
        }
        throw new NotFound('Upload not found.', { uploadId: id });
      }
      if (!canSeeUpload(req.principal, upload.metadata))
        throw new NotFound('Upload not found.', { uploadId: id });
      // Every byte arrived but no outcome was recorded: the finishing process died. Finish now.
      if (upload.size !== undefined && upload.offset === upload.size && (await claimFinish(upload))) {
        const outcome = await finish(upload).then(
          (r) => ({ state: 'complete' as const, mediaId: r.headers['Montu-Media-Id']! }),
          () => null,
        );
        if (outcome) {
          const media = await montu.media.getMediaById(outcome.mediaId, scopeOf(req)).catch(() => undefined);
          return { ...outcome, ...(media ? { media } : {}) };
        }
        return { state: 'failed', error: (await sessions.get(id))?.error ?? {} };
      }
      return reply.code(202).send({
        state: upload.offset === upload.size ? 'finishing' : 'uploading',
        offset: upload.offset,
        size: upload.size ?? null,
      });
    },
  );
}
