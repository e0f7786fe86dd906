/**
 * Review workflow routes (issue 6): notes with drawings and timecode, threads, resolution,
 * attachments, status options, project workflow, review selection and version compare.
 * Owned by the review workflow; the core decides, these translate.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { roleIn, type Role as RoleT } from '@montu/core';
import type { AppContext } from '../app-context.js';
import { actorOf, personFrom, requireRole, scopeOf } from '../auth.js';
import { consumingFile, readUntilFile } from '../multipart.js';
import {
  AddNote,
  AttachmentParams,
  CompareQuery,
  CompareResult,
  errors,
  Media,
  MediaParams,
  NoteAttachment,
  NoteParams,
  NotesQuery,
  ProjectParams,
  ResolveNote,
  ReviewNote,
  ReviewSelected,
  StatusOptions,
  StrokeChanges,
  TaskParams,
  UpdateNote,
  Workflow,
} from '@montu/domain/wire';

type NoteParamsT = Static<typeof NoteParams>;
type MediaParamsT = Static<typeof MediaParams>;

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

  app.get<{ Params: MediaParamsT; Querystring: Static<typeof NotesQuery> }>(
    '/media/:mediaId/notes',
    {
      schema: {
        tags: ['review'],
        summary: 'Notes with timecode, drawings, replies and attachments',
        params: MediaParams,
        querystring: NotesQuery,
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

  app.post<{ Params: NoteParamsT; Body: Static<typeof ResolveNote> | undefined }>(
    '/notes/:noteId/resolve',
    {
      schema: {
        tags: ['review'],
        summary: 'Mark resolved (or open again with resolved: false)',
        params: NoteParams,
        body: Type.Optional(ResolveNote),
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
        response: { 201: NoteAttachment, ...errors(400, 403, 404) },
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

  app.get<{ Params: Static<typeof AttachmentParams> }>(
    '/notes/:noteId/attachments/:fileId',
    {
      schema: {
        tags: ['review'],
        summary: 'Download an attachment',
        params: AttachmentParams,
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
        response: { 200: StatusOptions, ...errors(404) },
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

  app.put<{ Params: MediaParamsT; Body: Static<typeof ReviewSelected> }>(
    '/media/:mediaId/review-selected',
    {
      schema: {
        tags: ['review'],
        summary: 'Put this version forward for its task (or not)',
        params: MediaParams,
        body: ReviewSelected,
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
        response: { 200: Workflow, ...errors(404) },
      },
    },
    async (req) => {
      requireRole(req, req.params.projectId, 'artist');
      return montu.review.getWorkflow(req.params.projectId);
    },
  );

  app.put<{ Params: { projectId: string }; Body: Static<typeof Workflow> | null }>(
    '/projects/:projectId/workflow',
    {
      schema: {
        tags: ['review'],
        summary: 'Replace the project workflow (admins); null restores the default',
        params: ProjectParams,
        body: Type.Union([Workflow, Type.Null()]),
        response: { 200: Workflow, ...errors(400, 403, 404) },
      },
    },
    async (req) => {
      const role = requireRole(req, req.params.projectId, 'admin');
      return montu.review.setWorkflow(req.params.projectId, req.body, { actor: actorOf(req), role });
    },
  );

  app.get<{ Params: { taskId: string }; Querystring: Static<typeof CompareQuery> }>(
    '/tasks/:taskId/compare',
    {
      schema: {
        tags: ['review'],
        summary: 'Two versions with renditions, aligned frame ranges and notes',
        params: TaskParams,
        querystring: CompareQuery,
        response: { 200: CompareResult, ...errors(400, 404) },
      },
    },
    async (req) =>
      montu.review.compareVersions(req.params.taskId, req.query.a, req.query.b, {
        ...(req.query.projectId ? { projectId: req.query.projectId } : {}),
        ...scopeOf(req),
      }),
  );
}
