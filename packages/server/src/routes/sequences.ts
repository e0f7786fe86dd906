import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AppContext } from '../app-context.js';
import { personFrom, requireRole } from '../auth.js';
import {
  errors,
  Media,
  SequenceFrameParams,
  SequenceFrameQuery,
  SequenceUpload,
  SequenceUploadParams,
  StartSequence,
  StoredFrame,
} from '@montu/domain/wire';
import { cappedBody } from '../multipart.js';
import { HttpProblem } from '../problem.js';

/**
 * Image sequences as one media item: declare the frames, send each frame's bytes (any order,
 * retries replace), then commit. The library keeps the state; these routes only translate.
 */
export async function sequenceRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { montu, metrics } = ctx;

  /** The upload if the caller is (at least) an artist in its project; 404 otherwise. */
  async function load(req: FastifyRequest, uploadId: string) {
    const up = await montu.sequences.getSequenceUpload(uploadId);
    requireRole(req, up.projectId, 'artist');
    return up;
  }

  app.post<{ Body: Static<typeof StartSequence> }>(
    '/uploads/sequences',
    {
      schema: {
        tags: ['uploads'],
        summary: 'Start a sequence upload: the manifest of frames (then PUT each frame, then complete)',
        body: StartSequence,
        response: { 201: SequenceUpload, ...errors(400, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      requireRole(req, req.body.projectId, 'artist');
      const author = personFrom(req, req.body.author, 'author');
      const info = await montu.sequences.startSequenceUpload({
        ...req.body,
        author: author.name,
        via: author.via,
      });
      return reply.code(201).header('location', `/api/v1/uploads/sequences/${info.uploadId}`).send(info);
    },
  );

  app.get<{ Params: Static<typeof SequenceUploadParams> }>(
    '/uploads/sequences/:uploadId',
    {
      schema: {
        tags: ['uploads'],
        summary: 'A sequence upload and the frames still pending',
        params: SequenceUploadParams,
        response: { 200: SequenceUpload, ...errors(404) },
      },
    },
    async (req) => load(req, req.params.uploadId),
  );

  app.put<{ Params: Static<typeof SequenceFrameParams>; Querystring: Static<typeof SequenceFrameQuery> }>(
    '/uploads/sequences/:uploadId/frames/:frame',
    {
      schema: {
        tags: ['uploads'],
        summary: "One frame's bytes (raw body, streamed into storage); optional ?sha256= is verified",
        params: SequenceFrameParams,
        querystring: SequenceFrameQuery,
        response: {
          200: StoredFrame,
          ...errors(400, 404, 413, 422, 429),
        },
      },
    },
    async (req) => {
      await load(req, req.params.uploadId);
      const sha = req.query.sha256 ?? (req.headers['montu-sha256'] as string | undefined);
      const body = cappedBody(req, ctx.config.limits.maxUploadBytes);
      const stored = await montu.sequences
        .putSequenceFrame(
          req.params.uploadId,
          req.params.frame,
          body.stream,
          sha ? { expectedSha256: sha } : {},
        )
        .catch((e: unknown) => {
          if (body.exceeded())
            throw new HttpProblem(
              413,
              'payload_too_large',
              `The frame is larger than the upload limit of ${ctx.config.limits.maxUploadBytes} bytes; nothing was stored.`,
            );
          throw e;
        });
      metrics.uploadBytes.inc({ kind: 'sequence' }, stored.size);
      return stored;
    },
  );

  app.post<{ Params: Static<typeof SequenceUploadParams> }>(
    '/uploads/sequences/:uploadId/complete',
    {
      schema: {
        tags: ['uploads'],
        summary: 'Commit the sequence as one media item (every frame must have arrived)',
        params: SequenceUploadParams,
        response: { 201: Media, ...errors(400, 404, 409) },
      },
    },
    async (req, reply) => {
      await load(req, req.params.uploadId);
      const id = await montu.sequences.completeSequenceUpload(req.params.uploadId);
      metrics.uploads.inc({ kind: 'sequence', result: 'ok' });
      return reply
        .code(201)
        .header('location', `/api/v1/media/${id}`)
        .send(await montu.media.getMediaById(id));
    },
  );

  app.delete<{ Params: Static<typeof SequenceUploadParams> }>(
    '/uploads/sequences/:uploadId',
    {
      schema: {
        tags: ['uploads'],
        summary: 'Cancel a sequence upload (stored frames are removed)',
        params: SequenceUploadParams,
        response: { 204: Type.Null(), ...errors(404) },
      },
    },
    async (req, reply) => {
      await load(req, req.params.uploadId);
      await montu.sequences.abortSequenceUpload(req.params.uploadId);
      return reply.code(204).send();
    },
  );
}
