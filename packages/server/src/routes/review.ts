/**
 * Review workflow routes (issue 6): notes with drawings and timecode, threads, resolution,
 * attachments, status options, project workflow, review selection and version compare.
 * Owned by the review workflow; the core decides, these translate.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Nullable as OrNull, roleIn, type Role as RoleT } from '@montu/core';
import type { AppContext } from '../app-context.js';
import { actorOf, personFrom, requireRole, scopeOf } from '../auth.js';
import { consumingFile, readUntilFile } from '../multipart.js';
import {
  errors,
  Media,
  MediaParams,
  NoteFields,
  PixelPoint,
  TaskParams,
  ProjectParams,
  type MediaParamsT,
} from '../schemas.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Json = Type.Unknown({ description: 'JSON value' });

export const ReviewNote = Type.Object(
  {
    id: Type.String(),
    mediaId: Type.String(),
    parentId: Nullable(Type.String()),
    author: Type.String(),
    type: Type.String(),
    content: Type.String(),
    frame: Type.Union([Type.Integer(), Type.Null()]),
    frameEnd: Type.Union([Type.Integer(), Type.Null()]),
    revision: Type.Integer({ minimum: 1, description: 'counts edits; send it back with a drawing save' }),
    // Source time (decision 130): derived in @montu/domain from the media's start frame/timecode.
    sourceFrame: Type.Union([Type.Integer(), Type.Null()], {
      description: "source frame number of `frame` (a sequence's own number; a movie's start frame + index)",
    }),
    sourceFrameEnd: Type.Union([Type.Integer(), Type.Null()]),
    timecode: Nullable(
      Type.String({
        description: "source timecode of `frame`: the media's start timecode + offset, drop-frame kept",
      }),
    ),
    timecodeEnd: Nullable(Type.String()),
    position: Json,
    positionPx: OrNull(PixelPoint),
    drawing: Type.Unknown({
      description: 'Drawing: { version: 1, shapes: [...] } (see docs/review.md) or null',
    }),
    mentions: Type.Array(Type.String()),
    resolved: Type.Boolean(),
    renditionSha256: Nullable(Type.String()),
    playlistId: Nullable(Type.String()),
    attachments: Type.Array(
      Type.Object({
        fileId: Type.String(),
        fileName: Type.String(),
        contentType: Type.String(),
        size: Type.Integer(),
        sha256: Type.String(),
        width: Type.Union([Type.Integer(), Type.Null()]),
        height: Type.Union([Type.Integer(), Type.Null()]),
        createdAt: Type.String(),
      }),
    ),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: 'ReviewNote' },
);

export const AddNote = Type.Object({
  ...NoteFields,
  playlistId: Type.Optional(Type.String({ maxLength: 64 })),
});

const UpdateNote = Type.Object({
  content: Type.Optional(Type.String({ maxLength: 20_000 })),
  drawing: Type.Optional(Json),
  mentions: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 })),
  frame: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  frameEnd: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  revision: Type.Optional(
    Type.Integer({ minimum: 1, description: 'the revision edited; stale: 409 with the current drawing' }),
  ),
});

// Drawing strokes one by one, merged on the server (issue 21 item 7, decision 131).
const StrokeChanges = Type.Object({
  add: Type.Optional(Type.Array(Json, { maxItems: 1000, description: 'shapes to add or replace (by id)' })),
  remove: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 1000 })),
});

const NoteParams = Type.Object({ noteId: Type.String({ maxLength: 64 }) });
type NoteParamsT = Static<typeof NoteParams>;

async function mediaRole(
  ctx: AppContext,
  req: FastifyRequest,
  mediaId: string,
): Promise<{ projectId: string; role: RoleT }> {
  const media = await ctx.montu.media.getMediaById(mediaId, scopeOf(req));
  return { projectId: media.projectId, role: requireRole(req, media.projectId, 'artist') };
}

export async function reviewRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { montu } = ctx;

  app.get<{ Params: MediaParamsT; Querystring: { frame?: number; resolved?: boolean; playlistId?: string } }>(
    '/media/:mediaId/notes',
    {
      schema: {
        tags: ['review'],
        summary: 'Notes with timecode, drawings, replies and attachments',
        params: MediaParams,
        querystring: Type.Object({
          frame: Type.Optional(Type.Integer()),
          resolved: Type.Optional(Type.Boolean()),
          playlistId: Type.Optional(Type.String({ maxLength: 64 })),
        }),
        response: { 200: Type.Array(ReviewNote), ...errors(404) },
      },
    },
    async (req) => montu.notes.listNotes(req.params.mediaId, { ...scopeOf(req), ...req.query }),
  );

  app.post<{ Params: MediaParamsT; Body: Static<typeof AddNote> }>(
    '/media/:mediaId/notes',
    {
      schema: {
        tags: ['review'],
        summary: 'Add a note (frame or range, drawing, reply, mentions)',
        params: MediaParams,
        body: AddNote,
        response: { 201: ReviewNote, ...errors(400, 403, 404) },
      },
    },
    async (req, reply) => {
      await mediaRole(ctx, req, req.params.mediaId);
      const author = personFrom(req, req.body.author, 'author');
      return reply
        .code(201)
        .send(
          await montu.notes.addNote(
            req.params.mediaId,
            { ...req.body, author: author.name, via: author.via },
            scopeOf(req),
          ),
        );
    },
  );

  // The notes package of one version (issue 21 item 8; a playlist's: /playlists/:id/export.zip).
  app.get<{ Params: MediaParamsT }>(
    '/media/:mediaId/notes-package.zip',
    {
      schema: {
        tags: ['review'],
        summary:
          'Notes package: annotated frame PNGs, notes as CSV and JSON, markers as CMX3600 EDL and OTIO',
        params: MediaParams,
        response: { ...errors(404) },
      },
    },
    async (req, reply) => {
      const media = await montu.media.getMediaById(req.params.mediaId, scopeOf(req));
      const name = `${media.taskId}_${media.version}_notes`.replace(/[^\w.-]+/g, '_');
      return reply
        .type('application/zip')
        .header('content-disposition', `attachment; filename="${name}.zip"`)
        .header('x-content-type-options', 'nosniff')
        .send(
          await montu.playlists.exportVersionNotesPackage(media.id, {
            ...scopeOf(req),
            baseUrl: `${req.protocol}://${req.host}`,
          }),
        );
    },
  );

  app.get<{ Params: NoteParamsT }>(
    '/notes/:noteId',
    {
      schema: {
        tags: ['review'],
        summary: 'One note',
        params: NoteParams,
        response: { 200: ReviewNote, ...errors(404) },
      },
    },
    async (req) => montu.notes.getNote(req.params.noteId, scopeOf(req)),
  );

  app.patch<{ Params: NoteParamsT; Body: Static<typeof UpdateNote> }>(
    '/notes/:noteId',
    {
      schema: {
        tags: ['review'],
        summary: 'Edit a note (its author only)',
        params: NoteParams,
        body: UpdateNote,
        response: { 200: ReviewNote, ...errors(400, 403, 404, 409) },
      },
    },
    async (req) =>
      montu.notes.updateNote(req.params.noteId, { ...req.body, actor: actorOf(req) }, scopeOf(req)),
  );

  app.post<{ Params: NoteParamsT; Body: Static<typeof StrokeChanges> }>(
    '/notes/:noteId/strokes',
    {
      schema: {
        tags: ['review'],
        summary: "Add, replace or remove drawing strokes, merged with others' (never loses a stroke)",
        params: NoteParams,
        body: StrokeChanges,
        response: { 200: ReviewNote, ...errors(400, 403, 404, 409) },
      },
    },
    async (req) => {
      const note = await montu.notes.getNote(req.params.noteId, scopeOf(req));
      await mediaRole(ctx, req, note.mediaId);
      return montu.notes.changeStrokes(req.params.noteId, { ...req.body, actor: actorOf(req) }, scopeOf(req));
    },
  );

  app.delete<{ Params: NoteParamsT }>(
    '/notes/:noteId',
    {
      schema: {
        tags: ['review'],
        summary: 'Delete a note with its replies (its author only)',
        params: NoteParams,
        response: { 204: Type.Null(), ...errors(403, 404) },
      },
    },
    async (req, reply) => {
      await montu.notes.deleteNote(req.params.noteId, { actor: actorOf(req), ...scopeOf(req) });
      return reply.code(204).send();
    },
  );

  app.post<{ Params: NoteParamsT; Body: { resolved?: boolean } | undefined }>(
    '/notes/:noteId/resolve',
    {
      schema: {
        tags: ['review'],
        summary: 'Mark resolved (or open again with resolved: false)',
        params: NoteParams,
        body: Type.Optional(Type.Object({ resolved: Type.Optional(Type.Boolean()) })),
        response: { 200: ReviewNote, ...errors(404) },
      },
    },
    async (req) =>
      montu.notes.resolveNote(req.params.noteId, {
        actor: actorOf(req),
        resolved: req.body?.resolved ?? true,
        ...scopeOf(req),
      }),
  );

  app.post<{ Params: NoteParamsT }>(
    '/notes/:noteId/attachments',
    {
      schema: {
        tags: ['review'],
        summary: 'Attach an image (multipart field `file`; PNG, JPEG, WebP, GIF; 25 MB)',
        params: NoteParams,
        response: { ...errors(400, 403, 404) },
      },
    },
    async (req, reply) => {
      // The core reads at most 25 MB of it and refuses the rest (the connection then drains or
      // closes, early-answers.ts).
      const { file } = await readUntilFile(req, reply);
      const att = await consumingFile(reply, file, () =>
        montu.notes.addAttachment(
          req.params.noteId,
          { actor: actorOf(req), fileName: file.fileName, data: file.stream },
          scopeOf(req),
        ),
      );
      return reply.code(201).send(att);
    },
  );

  app.get<{ Params: NoteParamsT & { fileId: string } }>(
    '/notes/:noteId/attachments/:fileId',
    {
      schema: {
        tags: ['review'],
        summary: 'Download an attachment',
        params: Type.Object({
          noteId: Type.String({ maxLength: 64 }),
          fileId: Type.String({ maxLength: 64 }),
        }),
      },
    },
    async (req, reply) => {
      const { attachment, stream } = await montu.notes.getAttachment(
        req.params.noteId,
        req.params.fileId,
        scopeOf(req),
      );
      return reply
        .header('content-type', attachment.contentType)
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', `inline; filename="${attachment.fileName.replace(/[^\w.-]/g, '_')}"`)
        .send(stream);
    },
  );

  app.get<{ Params: MediaParamsT }>(
    '/media/:mediaId/status-options',
    {
      schema: {
        tags: ['review'],
        summary: 'Statuses your role may move the item to now (which buttons to show)',
        params: MediaParams,
        response: { 200: Type.Object({}, { additionalProperties: true }), ...errors(404) },
      },
    },
    async (req) => {
      const { projectId } = await mediaRole(ctx, req, req.params.mediaId);
      return montu.review.getStatusOptions(
        req.params.mediaId,
        roleIn(req.principal, projectId) ?? undefined,
        scopeOf(req),
      );
    },
  );

  app.put<{ Params: MediaParamsT; Body: { selected: boolean } }>(
    '/media/:mediaId/review-selected',
    {
      schema: {
        tags: ['review'],
        summary: 'Put this version forward for its task (or not)',
        params: MediaParams,
        body: Type.Object({ selected: Type.Boolean() }),
        response: { 200: Media, ...errors(403, 404) },
      },
    },
    async (req) => {
      const { projectId, role } = await mediaRole(ctx, req, req.params.mediaId);
      return montu.review.setReviewSelected(req.params.mediaId, req.body.selected, {
        actor: actorOf(req),
        role: roleIn(req.principal, projectId) ?? role,
        ...scopeOf(req),
      });
    },
  );

  app.get<{ Params: { projectId: string } }>(
    '/projects/:projectId/workflow',
    {
      schema: {
        tags: ['review'],
        summary: 'The project review workflow (transitions and roles as data)',
        params: ProjectParams,
        response: { 200: Type.Object({}, { additionalProperties: true }), ...errors(404) },
      },
    },
    async (req) => {
      requireRole(req, req.params.projectId, 'artist');
      return montu.review.getWorkflow(req.params.projectId);
    },
  );

  app.put<{ Params: { projectId: string }; Body: unknown }>(
    '/projects/:projectId/workflow',
    {
      schema: {
        tags: ['review'],
        summary: 'Replace the project workflow (admins); null restores the default',
        params: ProjectParams,
        body: Json,
        response: { 200: Type.Object({}, { additionalProperties: true }), ...errors(400, 403, 404) },
      },
    },
    async (req) => {
      const role = requireRole(req, req.params.projectId, 'admin');
      return montu.review.setWorkflow(req.params.projectId, req.body, { actor: actorOf(req), role });
    },
  );

  app.get<{ Params: { taskId: string }; Querystring: { a: string; b: string; projectId?: string } }>(
    '/tasks/:taskId/compare',
    {
      schema: {
        tags: ['review'],
        summary: 'Two versions with renditions, aligned frame ranges and notes',
        params: TaskParams,
        querystring: Type.Object({
          a: Type.String({ maxLength: 16 }),
          b: Type.String({ maxLength: 16 }),
          projectId: Type.Optional(Type.String({ maxLength: 64 })),
        }),
        response: { 200: Type.Object({}, { additionalProperties: true }), ...errors(400, 404) },
      },
    },
    async (req) =>
      montu.review.compareVersions(req.params.taskId, req.query.a, req.query.b, {
        ...(req.query.projectId ? { projectId: req.query.projectId } : {}),
        ...scopeOf(req),
      }),
  );
}
