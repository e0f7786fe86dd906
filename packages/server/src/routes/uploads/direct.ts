import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { NotFound } from '@montu/core';
import {
  CompleteDirectUpload,
  DirectPartParams,
  DirectPartUrls,
  DirectPartUrlsRequest,
  DirectUpload,
  DirectUploadOffer,
  DirectUploadParams,
  DirectUploadPart,
  errors,
  Media,
  RecordDirectPart,
  StartDirectUpload,
} from '@montu/domain/wire';
import type { AppContext } from '../../app-context.js';
import { personFrom, requireRole, scopeOf } from '../../auth.js';
import { HttpProblem } from '../../problem.js';

/**
 * Direct-to-S3 uploads (decision 160): the server hands out presigned part URLs and records the
 * media once the upload is complete and verified; the bytes go from the client to the bucket.
 * The library keeps the state (core uploads/s3-direct.ts); these routes translate and check who
 * may act.
 */
export async function directUploadRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { montu, metrics } = ctx;
  const direct = montu.directUploads;

  /** The upload, if the caller started it (or is an instance admin); 404 otherwise. */
  async function load(req: FastifyRequest, uploadId: string) {
    const up = await direct.get(uploadId);
    if (!req.principal.user.isAdmin && up.userId !== req.principal.user.id)
      throw new NotFound('Upload not found.', { uploadId });
    return up;
  }
  const wire = (up: Awaited<ReturnType<typeof direct.get>>): Static<typeof DirectUpload> => ({
    uploadId: up.uploadId,
    state: up.state,
    fileName: up.fileName,
    size: up.size,
    partSize: up.partSize,
    partCount: up.partCount,
    parts: up.parts,
    mediaId: up.mediaId,
  });

  app.get(
    '/uploads/direct',
    {
      schema: {
        tags: ['uploads'],
        summary: 'Whether uploads may go straight to the object store (S3 storage, not turned off)',
        response: { 200: DirectUploadOffer },
      },
    },
    async () => direct.offer(),
  );

  app.post<{ Body: Static<typeof StartDirectUpload> }>(
    '/uploads/direct',
    {
      schema: {
        tags: ['uploads'],
        summary:
          'Start a direct-to-S3 upload: then get part URLs, PUT the parts, record their ETags, complete',
        body: StartDirectUpload,
        response: { 201: DirectUpload, ...errors(400, 403, 404, 413, 501) },
      },
    },
    async (req, reply) => {
      const b = req.body;
      if (b.size > ctx.config.limits.maxUploadBytes)
        throw new HttpProblem(
          413,
          'payload_too_large',
          `The file is larger than the upload limit of ${ctx.config.limits.maxUploadBytes} bytes.`,
        );
      if (b.sourceMediaId !== undefined) {
        const source = await montu.media.getMediaById(b.sourceMediaId, scopeOf(req));
        requireRole(req, source.projectId, 'artist');
      } else {
        if (b.projectId === undefined || b.taskId === undefined)
          throw new HttpProblem(400, 'validation_error', 'Give projectId and taskId, or sourceMediaId.');
        requireRole(req, b.projectId, 'artist');
      }
      const author = personFrom(req, b.author, 'author');
      const up = await direct.start({
        ...b,
        userId: req.principal.user.id,
        author: author.name,
        ...(author.via ? { via: author.via } : {}),
      });
      return reply.code(201).header('location', `/api/v1/uploads/direct/${up.uploadId}`).send(wire(up));
    },
  );

  app.get<{ Params: Static<typeof DirectUploadParams> }>(
    '/uploads/direct/:uploadId',
    {
      schema: {
        tags: ['uploads'],
        summary: 'A direct upload and the parts already stored (to resume: send the others)',
        params: DirectUploadParams,
        response: { 200: DirectUpload, ...errors(404) },
      },
    },
    async (req) => wire(await load(req, req.params.uploadId)),
  );

  app.post<{ Params: Static<typeof DirectUploadParams>; Body: Static<typeof DirectPartUrlsRequest> }>(
    '/uploads/direct/:uploadId/urls',
    {
      schema: {
        tags: ['uploads'],
        summary: 'Presigned PUT URLs for parts of a direct upload (up to 1,000 at a time)',
        params: DirectUploadParams,
        body: DirectPartUrlsRequest,
        response: { 200: DirectPartUrls, ...errors(400, 404, 409) },
      },
    },
    async (req) => {
      await load(req, req.params.uploadId);
      return direct.partUrls(req.params.uploadId, req.body.parts);
    },
  );

  app.put<{ Params: Static<typeof DirectPartParams>; Body: Static<typeof RecordDirectPart> }>(
    '/uploads/direct/:uploadId/parts/:partNumber',
    {
      schema: {
        tags: ['uploads'],
        summary: 'Record a stored part: the ETag the object store answered its PUT with',
        params: DirectPartParams,
        body: RecordDirectPart,
        response: { 200: DirectUploadPart, ...errors(400, 404, 409) },
      },
    },
    async (req) => {
      await load(req, req.params.uploadId);
      await direct.recordPart(req.params.uploadId, req.params.partNumber, req.body.etag);
      return { partNumber: req.params.partNumber, etag: req.body.etag };
    },
  );

  app.post<{ Params: Static<typeof DirectUploadParams>; Body: Static<typeof CompleteDirectUpload> }>(
    '/uploads/direct/:uploadId/complete',
    {
      schema: {
        tags: ['uploads'],
        summary:
          'Complete a direct upload: verify its size and sha256 and record the media (nothing is kept when a check fails)',
        params: DirectUploadParams,
        body: Type.Optional(CompleteDirectUpload),
        response: { 201: Media, ...errors(400, 404, 409) },
      },
    },
    async (req, reply) => {
      const up = await load(req, req.params.uploadId);
      try {
        const id = await direct.complete(req.params.uploadId, req.body?.sha256);
        metrics.uploads.inc({ kind: 'direct', result: 'ok' });
        metrics.uploadBytes.inc({ kind: 'direct' }, up.size);
        return reply
          .code(201)
          .header('location', `/api/v1/media/${id}`)
          .send(await montu.media.getMediaById(id));
      } catch (e) {
        metrics.uploads.inc({ kind: 'direct', result: 'failed' });
        throw e;
      }
    },
  );

  app.delete<{ Params: Static<typeof DirectUploadParams> }>(
    '/uploads/direct/:uploadId',
    {
      schema: {
        tags: ['uploads'],
        summary: 'Cancel a direct upload (its parts are given up)',
        params: DirectUploadParams,
        response: { 204: Type.Null(), ...errors(404, 409) },
      },
    },
    async (req, reply) => {
      await load(req, req.params.uploadId);
      await direct.abort(req.params.uploadId);
      return reply.code(204).send();
    },
  );
}
