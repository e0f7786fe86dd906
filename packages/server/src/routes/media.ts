import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import {
  parseStatus,
  STATUS_ROUTES,
  roleIn,
  type Media as MediaT,
  type Role,
  type StatusInput as StatusInputT,
  ValidationError,
} from '@montu/core';
import type { AppContext } from '../app-context.js';
import { StampedReadCache } from '../read-cache.js';
import { actorOf, personFrom, requireRole, scopeOf } from '../auth.js';
import { consumingFile, formTags, parseJsonObject, readUntilFile } from '../multipart.js';
import { IdempotencyHeaders, idempotently, REPLAYED_HEADER } from '../idempotency.js';
import {
  AddAnnotation,
  Annotation,
  DeleteMediaQuery,
  errors,
  HistoryEntry,
  Media,
  MediaPage,
  MediaParams,
  RegenerateThumbnail,
  ReviewAction,
  SearchQuery,
  StatusChange,
  ThumbnailScheduled,
  UpdateMediaInfo,
  UpdateMediaMetadata,
  UploadForm,
} from '@montu/domain/wire';

type MediaParamsT = Static<typeof MediaParams>;

const uploadBody = { content: { 'multipart/form-data': { schema: UploadForm } } };

/** The media item if the caller may see it (404 otherwise) and holds at least `min` in its project. */
export async function loadMedia(
  ctx: AppContext,
  req: FastifyRequest,
  id: string,
  min: Role,
): Promise<{ media: MediaT; role: Role }> {
  const media = await ctx.montu.media.getMediaById(id, scopeOf(req));
  return { media, role: requireRole(req, media.projectId, min) };
}

/**
 * The answer to a retried upload whose Idempotency-Key already has a result: the media item as
 * it is now, as the first answer gave it (201, Location), marked `Idempotent-Replayed: true`.
 * The retry's body is not read (early-answers.ts drains or lingers).
 */
async function replayMedia(ctx: AppContext, req: FastifyRequest, reply: FastifyReply, id: string) {
  const media = await ctx.montu.media.getMediaById(id, scopeOf(req));
  return reply
    .code(201)
    .header('location', `/api/v1/media/${id}`)
    .header(REPLAYED_HEADER, 'true')
    .send(media);
}

const JSON_TYPE = 'application/json; charset=utf-8';

export async function mediaRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { montu, metrics } = ctx;
  const readCache = new StampedReadCache();

  app.get<{ Querystring: Static<typeof SearchQuery> }>(
    '/media',
    {
      schema: {
        tags: ['media'],
        summary: 'Search media (cursor pagination, newest first)',
        querystring: SearchQuery,
        response: { 200: MediaPage, ...errors(400) },
      },
    },
    async (req) => {
      const q = req.query;
      const tags = q.tags
        ?.flatMap((t) => t.split(','))
        .map((t) => t.trim())
        .filter(Boolean);
      return montu.media.searchMedia({ ...q, ...(tags ? { tags } : {}), ...scopeOf(req) });
    },
  );

  app.post(
    '/media',
    {
      schema: {
        tags: ['media'],
        summary: 'Upload a file as a new version (multipart, streamed into storage)',
        consumes: ['multipart/form-data'],
        body: uploadBody,
        headers: IdempotencyHeaders,
        response: { 201: Media, ...errors(400, 403, 404, 409, 413, 422, 429, 507) },
      },
      // The body is a stream read by the handler; the schema above documents it.
      validatorCompiler: () => () => true,
    },
    async (req, reply) => {
      const { id, replayed } = await idempotently(ctx, req, 'POST /media', async () => {
        const { fields, values, file } = await readUntilFile(req, reply);
        return consumingFile(reply, file, async () => {
          if (!fields['projectId']) {
            throw new ValidationError('projectId is required (a form field before the file).', {
              field: 'projectId',
            });
          }
          requireRole(req, fields['projectId'], 'artist');
          const tags = formTags(values['tags']);
          const customProperties = parseJsonObject(fields['customProperties'], 'customProperties');
          const author = personFrom(req, fields['author'], 'author');
          return montu.media.uploadMedia({
            stream: file.stream,
            fileName: file.fileName,
            projectId: fields['projectId'] ?? '',
            taskId: fields['taskId'] ?? '',
            author: author.name,
            via: author.via,
            ...(fields['version'] ? { version: fields['version'] } : {}),
            ...(fields['description'] !== undefined ? { description: fields['description'] } : {}),
            ...(tags ? { tags } : {}),
            ...(customProperties ? { customProperties } : {}),
            ...(fields['sha256'] ? { expectedSha256: fields['sha256'] } : {}),
          });
        }).catch((e: unknown) => {
          metrics.uploads.inc({ kind: 'multipart', result: 'failed' });
          throw e;
        });
      });
      if (replayed) return replayMedia(ctx, req, reply, id);
      const media = await montu.media.getMediaById(id);
      metrics.uploads.inc({ kind: 'multipart', result: 'ok' });
      metrics.uploadBytes.inc({ kind: 'multipart' }, media.size);
      return reply
        .code(201)
        .header('location', `${req.url.split('?')[0]}/${id}`)
        .send(media);
    },
  );

  app.get<{ Params: MediaParamsT }>(
    '/media/:mediaId',
    {
      schema: {
        tags: ['media'],
        summary: 'One media item with its files and processing state',
        params: MediaParams,
        response: { 200: Media, ...errors(404) },
      },
    },
    async (req, reply) => {
      const id = req.params.mediaId;
      const stamp = montu.changeStamp();
      if (stamp === null) return montu.media.getMediaById(id, scopeOf(req));
      // Who may see it is checked on every answer, cached or not (a 404 takes the full path).
      const projectIds = scopeOf(req).projectIds;
      const hit = readCache.get(id, stamp);
      if (hit && (projectIds === undefined || projectIds.includes(hit.projectId)))
        return reply.type(JSON_TYPE).send(hit.body);
      const media = await montu.media.getMediaById(id, scopeOf(req));
      // The route's compiled response schema, as an object answer would be serialized.
      const body = reply.serialize(media) as string; // the JSON serializer gives text
      readCache.set(id, stamp, media.projectId, body);
      return reply.type(JSON_TYPE).send(body);
    },
  );

  app.patch<{ Params: MediaParamsT; Body: Static<typeof UpdateMediaInfo> }>(
    '/media/:mediaId',
    {
      schema: {
        tags: ['media'],
        summary:
          'Update description, tags, review selection, or status (status changes follow the workflow for your role)',
        params: MediaParams,
        body: UpdateMediaInfo,
        response: { 200: Media, ...errors(400, 403, 404, 409) },
      },
    },
    async (req) => {
      const { media, role } = await loadMedia(ctx, req, req.params.mediaId, 'artist');
      const { approvalStatus, comment, ...info } = req.body;
      const actor = actorOf(req);
      let result = media;
      if (Object.keys(info).length > 0)
        result = await montu.media.updateMediaInfo(media.id, { ...info, actor });
      const target = approvalStatus !== undefined ? parseStatus(approvalStatus, 'approvalStatus') : undefined;
      if (target !== undefined && target !== media.status) {
        result = await montu.review.changeStatus(media.id, target, {
          actor,
          role,
          ...(comment !== undefined ? { comment } : {}),
        });
      }
      return result;
    },
  );

  app.patch<{ Params: MediaParamsT; Body: Static<typeof UpdateMediaMetadata> }>(
    '/media/:mediaId/metadata',
    {
      schema: {
        tags: ['media'],
        summary: 'Merge-patch technical metadata and/or custom properties (null removes a key)',
        params: MediaParams,
        body: UpdateMediaMetadata,
        response: { 200: Media, ...errors(400, 403, 404) },
      },
    },
    async (req) => {
      const { media } = await loadMedia(ctx, req, req.params.mediaId, 'artist');
      return montu.media.updateMediaMetadata(media.id, req.body, { actor: actorOf(req) });
    },
  );

  app.post<{ Params: MediaParamsT }>(
    '/media/:mediaId/versions',
    {
      schema: {
        tags: ['media'],
        summary:
          'Upload a new version of the same task (multipart: version?, author?, description?, sha256?, then file)',
        consumes: ['multipart/form-data'],
        params: MediaParams,
        body: uploadBody,
        headers: IdempotencyHeaders,
        response: { 201: Media, ...errors(400, 403, 404, 409, 413, 422, 429, 507) },
      },
      validatorCompiler: () => () => true,
    },
    async (req, reply) => {
      const scope = `POST /media/${req.params.mediaId}/versions`;
      const { id, replayed } = await idempotently(ctx, req, scope, async () => {
        const { fields, values, file } = await readUntilFile(req, reply);
        return consumingFile(reply, file, async () => {
          const { media } = await loadMedia(ctx, req, req.params.mediaId, 'artist');
          const author = personFrom(req, fields['author'], 'author');
          const tags = formTags(values['tags']);
          return montu.media.createMediaVersion({
            ...(tags ? { tags } : {}),
            sourceMediaId: media.id,
            stream: file.stream,
            fileName: file.fileName,
            author: author.name,
            via: author.via,
            ...(fields['version'] ? { version: fields['version'] } : {}),
            ...(fields['description'] !== undefined ? { description: fields['description'] } : {}),
            ...(fields['sha256'] ? { expectedSha256: fields['sha256'] } : {}),
          });
        });
      });
      if (replayed) return replayMedia(ctx, req, reply, id);
      const created = await montu.media.getMediaById(id);
      metrics.uploads.inc({ kind: 'multipart', result: 'ok' });
      metrics.uploadBytes.inc({ kind: 'multipart' }, created.size);
      return reply.code(201).header('location', `/api/v1/media/${id}`).send(created);
    },
  );

  for (const action of ['archive', 'restore'] as const) {
    app.post<{ Params: MediaParamsT }>(
      `/media/:mediaId/${action}`,
      {
        schema: {
          tags: ['media'],
          summary:
            action === 'archive'
              ? 'Archive (hide from default queries; supervisors)'
              : 'Restore an archived item (supervisors)',
          params: MediaParams,
          response: { 200: Media, ...errors(403, 404) },
        },
      },
      async (req) => {
        const { media } = await loadMedia(ctx, req, req.params.mediaId, 'supervisor');
        const opts = { actor: actorOf(req) };
        return action === 'archive'
          ? montu.media.archiveMedia(media.id, opts)
          : montu.media.restoreMedia(media.id, opts);
      },
    );
  }

  app.delete<{ Params: MediaParamsT; Querystring: Static<typeof DeleteMediaQuery> }>(
    '/media/:mediaId',
    {
      schema: {
        tags: ['media'],
        summary: 'Delete a media item and (unless ?removeFiles=false) its files; project admins',
        params: MediaParams,
        querystring: DeleteMediaQuery,
        response: { 204: Type.Null(), ...errors(403, 404) },
      },
    },
    async (req, reply) => {
      const { media } = await loadMedia(ctx, req, req.params.mediaId, 'admin');
      await montu.media.deleteMedia(media.id, {
        removeFiles: req.query.removeFiles !== false,
        actor: actorOf(req),
      });
      return reply.code(204).send();
    },
  );

  app.post<{ Params: MediaParamsT; Body: Static<typeof RegenerateThumbnail> | undefined }>(
    '/media/:mediaId/thumbnail',
    {
      schema: {
        tags: ['media'],
        summary: 'Remake the thumbnail (video/sequence: at `timestamp` seconds)',
        params: MediaParams,
        body: Type.Optional(RegenerateThumbnail),
        response: {
          202: ThumbnailScheduled,
          ...errors(400, 403, 404, 501),
        },
      },
    },
    async (req, reply) => {
      const { media } = await loadMedia(ctx, req, req.params.mediaId, 'artist');
      const ts = req.body?.timestamp;
      const { jobId } = await montu.media.regenerateThumbnail(media.id, {
        wait: false,
        ...(ts !== undefined ? { timestamp: ts } : {}),
      });
      return reply.code(202).send({ mediaId: media.id, scheduled: true, jobId });
    },
  );

  app.get<{ Params: MediaParamsT }>(
    '/media/:mediaId/history',
    {
      schema: {
        tags: ['media'],
        summary: 'Audit log of a media item',
        params: MediaParams,
        response: { 200: Type.Array(HistoryEntry), ...errors(404) },
      },
    },
    async (req) => {
      const { media } = await loadMedia(ctx, req, req.params.mediaId, 'artist');
      return montu.history.forSubject('media', media.id);
    },
  );

  // ------------------------------------------------------------ review actions

  // Every status change goes through here: the caller's role in the media's project decides
  // (review.changeStatus checks it against the project's workflow and writes history).
  const changeStatus = async (
    req: FastifyRequest,
    mediaId: string,
    to: StatusInputT,
    body: { comment?: string | undefined; by?: string | undefined } | undefined,
  ) => {
    const { media, role } = await loadMedia(ctx, req, mediaId, 'artist');
    const by = personFrom(req, body?.by, 'by');
    return montu.review.changeStatus(media.id, to, {
      actor: by.name,
      via: by.via,
      role: roleIn(req.principal, media.projectId) ?? role,
      ...(body?.comment !== undefined ? { comment: body.comment } : {}),
    });
  };

  // One route per status, named by STATUS_ROUTES (domain): clients derive their buttons from it.
  const actions: Array<{ path: string; to: StatusInputT; summary: string }> = [
    {
      path: STATUS_ROUTES.pending_review,
      to: 'pending_review',
      summary: 'Submit for review (artists and up)',
    },
    { path: STATUS_ROUTES.approved, to: 'approved', summary: 'Approve (supervisors)' },
    { path: STATUS_ROUTES.rejected, to: 'rejected', summary: 'Reject (supervisors)' },
    {
      path: STATUS_ROUTES.changes_requested,
      to: 'changes_requested',
      summary: 'Request changes (supervisors)',
    },
    { path: STATUS_ROUTES.on_hold, to: 'on_hold', summary: 'Put on hold (supervisors)' },
    { path: STATUS_ROUTES.wip, to: 'wip', summary: 'Reopen: back to work in progress (supervisors)' },
  ];
  for (const a of actions) {
    app.post<{ Params: MediaParamsT; Body: Static<typeof ReviewAction> | undefined }>(
      `/media/:mediaId/${a.path}`,
      {
        schema: {
          tags: ['review'],
          summary: a.summary,
          params: MediaParams,
          body: Type.Optional(ReviewAction),
          response: { 200: Media, ...errors(400, 403, 404, 409) },
        },
      },
      async (req) => changeStatus(req, req.params.mediaId, a.to, req.body),
    );
  }

  app.post<{ Params: MediaParamsT; Body: Static<typeof StatusChange> }>(
    '/media/:mediaId/status',
    {
      schema: {
        tags: ['review'],
        summary: 'Move to any status the project workflow allows your role (see status-options)',
        params: MediaParams,
        body: StatusChange,
        response: { 200: Media, ...errors(400, 403, 404, 409) },
      },
    },
    async (req) => changeStatus(req, req.params.mediaId, req.body.status, req.body),
  );

  app.get<{ Params: MediaParamsT }>(
    '/media/:mediaId/annotations',
    {
      schema: {
        tags: ['review'],
        summary: 'Notes on a media item',
        params: MediaParams,
        response: { 200: Type.Array(Annotation), ...errors(404) },
      },
    },
    async (req) => montu.notes.listNotes(req.params.mediaId, scopeOf(req)),
  );

  app.post<{ Params: MediaParamsT; Body: Static<typeof AddAnnotation> }>(
    '/media/:mediaId/annotations',
    {
      schema: {
        tags: ['review'],
        summary: 'Add a note (frame, range, position, reply)',
        params: MediaParams,
        body: AddAnnotation,
        response: { 201: Annotation, ...errors(400, 403, 404) },
      },
    },
    async (req, reply: FastifyReply) => {
      const { media } = await loadMedia(ctx, req, req.params.mediaId, 'artist');
      const author = personFrom(req, req.body.author, 'author');
      const note = await montu.notes.addNote(media.id, {
        ...req.body,
        author: author.name,
        via: author.via,
      });
      return reply.code(201).send(note);
    },
  );
}
