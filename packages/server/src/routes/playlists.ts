/** Playlist (review session) routes and exports (issue 6). */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AppContext } from '../app-context.js';
import { actorOf, personFrom, requireRole, scopeOf } from '../auth.js';
import {
  AddNote,
  AddPlaylistItems,
  CreatePlaylist,
  errors,
  Playlist,
  PlaylistExportParams,
  PlaylistExportQuery,
  PlaylistItemParams,
  PlaylistParams,
  PlaylistSummary,
  ProjectParams,
  ReorderPlaylist,
  ReviewNote,
  UpdatePlaylist,
} from '@montu/domain/wire';

type ParamsT = Static<typeof PlaylistParams>;
type ItemParamsT = Static<typeof PlaylistItemParams>;

export async function playlistRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { montu } = ctx;
  const load = async (req: Parameters<typeof scopeOf>[0], id: string) => {
    const p = await montu.playlists.getPlaylist(id, scopeOf(req));
    requireRole(req, p.projectId, 'artist');
    return p;
  };
  /**
   * The playlist without its items, once the caller is known to be a member of its project, and
   * the caller as the library's PlaylistActor (owner, supervisors and admins curate: core rule).
   */
  const member = async (req: Parameters<typeof scopeOf>[0], id: string) => {
    const playlist = await montu.playlists.getPlaylistInfo(id, scopeOf(req));
    const who = { actor: actorOf(req), role: requireRole(req, playlist.projectId, 'artist') };
    return { playlist, who };
  };

  app.get<{ Params: { projectId: string } }>(
    '/projects/:projectId/playlists',
    {
      schema: {
        tags: ['playlists'],
        summary: 'Playlists of a project, newest first',
        params: ProjectParams,
        response: { 200: Type.Array(PlaylistSummary), ...errors(404) },
      },
    },
    async (req) => {
      requireRole(req, req.params.projectId, 'artist');
      return montu.playlists.listPlaylists(req.params.projectId, scopeOf(req));
    },
  );
  app.post<{ Params: { projectId: string }; Body: Static<typeof CreatePlaylist> }>(
    '/projects/:projectId/playlists',
    {
      schema: {
        tags: ['playlists'],
        summary: 'Create a playlist',
        params: ProjectParams,
        body: CreatePlaylist,
        response: { 201: Playlist, ...errors(400, 403, 404) },
      },
    },
    async (req, reply) => {
      requireRole(req, req.params.projectId, 'artist');
      return reply
        .code(201)
        .send(
          await montu.playlists.createPlaylist(
            { ...req.body, projectId: req.params.projectId, owner: actorOf(req) },
            scopeOf(req),
          ),
        );
    },
  );
  app.get<{ Params: ParamsT }>(
    '/playlists/:playlistId',
    {
      schema: {
        tags: ['playlists'],
        summary: 'A playlist with its items in order',
        params: PlaylistParams,
        response: { 200: Playlist, ...errors(404) },
      },
    },
    async (req) => load(req, req.params.playlistId),
  );
  app.patch<{ Params: ParamsT; Body: Static<typeof UpdatePlaylist> }>(
    '/playlists/:playlistId',
    {
      schema: {
        tags: ['playlists'],
        summary: 'Rename, re-date or describe (its owner, supervisors and admins)',
        params: PlaylistParams,
        body: UpdatePlaylist,
        response: { 200: Playlist, ...errors(400, 403, 404) },
      },
    },
    async (req) => {
      const { who } = await member(req, req.params.playlistId);
      return montu.playlists.updatePlaylist(req.params.playlistId, { ...req.body, ...who }, scopeOf(req));
    },
  );
  app.delete<{ Params: ParamsT }>(
    '/playlists/:playlistId',
    {
      schema: {
        tags: ['playlists'],
        summary: 'Delete (its owner, supervisors and admins)',
        params: PlaylistParams,
        response: { 204: Type.Null(), ...errors(403, 404) },
      },
    },
    async (req, reply) => {
      const { who } = await member(req, req.params.playlistId);
      await montu.playlists.deletePlaylist(req.params.playlistId, { ...who, ...scopeOf(req) });
      return reply.code(204).send();
    },
  );
  app.post<{ Params: ParamsT; Body: Static<typeof AddPlaylistItems> }>(
    '/playlists/:playlistId/items',
    {
      schema: {
        tags: ['playlists'],
        summary: 'Add media (at position, default the end; any member)',
        params: PlaylistParams,
        body: AddPlaylistItems,
        response: { 200: Playlist, ...errors(400, 404) },
      },
    },
    async (req) => {
      await member(req, req.params.playlistId);
      return montu.playlists.addItems(req.params.playlistId, req.body.mediaIds, {
        actor: actorOf(req),
        ...(req.body.position !== undefined ? { position: req.body.position } : {}),
        ...scopeOf(req),
      });
    },
  );
  app.put<{ Params: ParamsT; Body: Static<typeof ReorderPlaylist> }>(
    '/playlists/:playlistId/items',
    {
      schema: {
        tags: ['playlists'],
        summary: 'Reorder: list every item once, in the new order (its owner, supervisors and admins)',
        params: PlaylistParams,
        body: ReorderPlaylist,
        response: { 200: Playlist, ...errors(400, 403, 404) },
      },
    },
    async (req) => {
      const { who } = await member(req, req.params.playlistId);
      return montu.playlists.reorderItems(req.params.playlistId, req.body.mediaIds, {
        ...who,
        ...scopeOf(req),
      });
    },
  );
  app.delete<{ Params: ItemParamsT }>(
    '/playlists/:playlistId/items/:mediaId',
    {
      schema: {
        tags: ['playlists'],
        summary: 'Remove an item (its owner, supervisors and admins)',
        params: PlaylistItemParams,
        response: { 200: Playlist, ...errors(403, 404) },
      },
    },
    async (req) => {
      const { who } = await member(req, req.params.playlistId);
      return montu.playlists.removeItem(req.params.playlistId, req.params.mediaId, {
        ...who,
        ...scopeOf(req),
      });
    },
  );
  app.post<{ Params: ItemParamsT; Body: Static<typeof AddNote> }>(
    '/playlists/:playlistId/items/:mediaId/notes',
    {
      schema: {
        tags: ['playlists'],
        summary: "A note made in this session (it is the media item's note)",
        params: PlaylistItemParams,
        body: AddNote,
        response: { 201: ReviewNote, ...errors(400, 404) },
      },
    },
    async (req, reply) => {
      await member(req, req.params.playlistId);
      const { playlistId: _ignored, ...body } = req.body;
      const author = personFrom(req, body.author, 'author');
      return reply
        .code(201)
        .send(
          await montu.playlists.addNote(
            req.params.playlistId,
            req.params.mediaId,
            { ...body, author: author.name, via: author.via },
            scopeOf(req),
          ),
        );
    },
  );
  app.get<{
    Params: Static<typeof PlaylistExportParams>;
    Querystring: Static<typeof PlaylistExportQuery>;
  }>(
    '/playlists/:playlistId/export.:format',
    {
      schema: {
        tags: ['playlists'],
        summary:
          'Export: csv (notes), html or pdf (report with annotated frames), otio (OpenTimelineIO timeline), zip (notes package: annotated frame PNGs, notes CSV/JSON, EDL and OTIO markers)',
        params: PlaylistExportParams,
        querystring: PlaylistExportQuery,
      },
    },
    async (req, reply) => {
      const { playlist: p } = await member(req, req.params.playlistId);
      const opts = { ...scopeOf(req), ...req.query };
      const name = p.name.replace(/[^\w.-]+/g, '_').slice(0, 80) || 'playlist';
      reply
        .header('content-disposition', `attachment; filename="${name}.${req.params.format}"`)
        .header('x-content-type-options', 'nosniff');
      switch (req.params.format) {
        case 'csv':
          return reply.type('text/csv; charset=utf-8').send(await montu.playlists.exportCsv(p.id, opts));
        case 'html':
          return reply
            .type('text/html; charset=utf-8')
            .header('content-security-policy', "default-src 'none'; img-src data:; style-src 'unsafe-inline'")
            .send(await montu.playlists.exportHtml(p.id, opts));
        case 'pdf':
          return reply.type('application/pdf').send(await montu.playlists.exportPdf(p.id, opts));
        case 'zip':
          return reply.type('application/zip').send(
            await montu.playlists.exportNotesPackage(p.id, {
              ...scopeOf(req),
              ...(req.query.onlyPlaylistNotes !== undefined
                ? { onlyPlaylistNotes: req.query.onlyPlaylistNotes }
                : {}),
              baseUrl: `${req.protocol}://${req.host}`,
            }),
          );
        default: {
          const base = `${req.protocol}://${req.host}`;
          return reply
            .type('application/json')
            .send(
              JSON.stringify(
                await montu.playlists.exportOtio(p.id, { ...scopeOf(req), baseUrl: base }),
                null,
                2,
              ),
            );
        }
      }
    },
  );
}
