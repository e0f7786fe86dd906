/**
 * Live review sessions (issue 22 item 1, decision 140): REST for changes, Server-Sent Events for
 * the ordered updates (`id:` = the session's sequence number, `Last-Event-ID` replays). The core
 * decides and stores; these translate. The schemas live here, in their own module.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Conflict, ValidationError } from '@montu/domain';
import { SESSION_EVENT, type MontuEvent, type ReviewSessionSnapshot } from '@montu/core';
import { API_PREFIX, type AppContext } from '../app-context.js';
import { actorOf, personFrom, requireRole, scopeOf } from '../auth.js';
import { eventStreams } from '../sse.js';
import {
  errors,
  eventStream,
  ProjectParams,
  ReviewNote,
  ReviewSession,
  ReviewSessionEvent,
  ReviewSessionHandover,
  ReviewSessionHeartbeat,
  ReviewSessionNote,
  ReviewSessionParams,
  ReviewSessionsQuery,
  ReviewSessionStatePatch,
  ReviewSessionStateUpdate,
  ReviewSessionStreamQuery,
  ReviewSessionSummary,
  ReviewSessionUpdatesQuery,
  StartReviewSession,
} from '@montu/domain/wire';

type ParamsT = Static<typeof ReviewSessionParams>;
const BATCH = 500;

export async function reviewSessionRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const sessions = ctx.montu.reviewSessions;
  const withLink = (s: ReviewSessionSnapshot) => ({ ...s, joinPath: `/review-sessions/${s.id}` });
  /** The session, once the caller is known to be a member of its project (404 otherwise). */
  const member = async (req: FastifyRequest, id: string) => {
    const s = await sessions.getSession(id, scopeOf(req));
    requireRole(req, s.projectId, 'artist');
    return s;
  };
  const streams = eventStreams(app);

  app.post<{ Body: Static<typeof StartReviewSession> }>(
    '/review-sessions',
    {
      schema: {
        tags: ['review-sessions'],
        summary: 'Start a live review session on a playlist or a single version (you drive)',
        body: StartReviewSession,
        response: { 201: ReviewSession, ...errors(400, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const { playlistId, mediaId } = req.body;
      if ((playlistId === undefined) === (mediaId === undefined))
        throw new ValidationError('Give either playlistId or mediaId (one of them).', {
          field: 'playlistId',
        });
      // Membership first: a project the caller cannot see answers 404 like a missing one.
      const projectId =
        playlistId !== undefined
          ? (await ctx.montu.playlists.getPlaylistInfo(playlistId, scopeOf(req))).projectId
          : (await ctx.montu.media.getMediaById(mediaId!, scopeOf(req))).projectId;
      requireRole(req, projectId, 'artist');
      const s = await sessions.startSession({ actor: actorOf(req), ...req.body }, scopeOf(req));
      return reply.code(201).send(withLink(s));
    },
  );

  app.get<{ Params: { projectId: string }; Querystring: Static<typeof ReviewSessionsQuery> }>(
    '/projects/:projectId/review-sessions',
    {
      schema: {
        tags: ['review-sessions'],
        summary: "A project's review sessions, newest first",
        params: ProjectParams,
        querystring: ReviewSessionsQuery,
        response: { 200: Type.Array(ReviewSession), ...errors(404) },
      },
    },
    async (req) => {
      requireRole(req, req.params.projectId, 'artist');
      const list = await sessions.listSessions(req.params.projectId, {
        ...scopeOf(req),
        ...(req.query.status ? { status: req.query.status } : {}),
      });
      return list.map(withLink);
    },
  );

  app.get<{ Params: ParamsT }>(
    '/review-sessions/:sessionId',
    {
      schema: {
        tags: ['review-sessions'],
        summary: 'The snapshot: state, seq, driver, who is here',
        params: ReviewSessionParams,
        response: { 200: ReviewSession, ...errors(404) },
      },
    },
    async (req) => withLink(await member(req, req.params.sessionId)),
  );

  app.post<{ Params: ParamsT }>(
    '/review-sessions/:sessionId/join',
    {
      schema: {
        tags: ['review-sessions'],
        summary: 'Join (or re-join): you are here; answers the snapshot',
        params: ReviewSessionParams,
        response: { 200: ReviewSession, ...errors(404) },
      },
    },
    async (req) => {
      await member(req, req.params.sessionId);
      return withLink(await sessions.join(req.params.sessionId, actorOf(req), scopeOf(req)));
    },
  );

  app.post<{ Params: ParamsT }>(
    '/review-sessions/:sessionId/heartbeat',
    {
      schema: {
        tags: ['review-sessions'],
        summary: 'Still here (send more often than every 45 s); answers seq and presence',
        params: ReviewSessionParams,
        response: {
          200: ReviewSessionHeartbeat,
          ...errors(404),
        },
      },
    },
    async (req) => {
      await member(req, req.params.sessionId);
      return sessions.heartbeat(req.params.sessionId, actorOf(req), scopeOf(req));
    },
  );

  app.post<{ Params: ParamsT }>(
    '/review-sessions/:sessionId/leave',
    {
      schema: {
        tags: ['review-sessions'],
        summary: 'Leave',
        params: ReviewSessionParams,
        response: { 204: Type.Null(), ...errors(404) },
      },
    },
    async (req, reply) => {
      await member(req, req.params.sessionId);
      await sessions.leave(req.params.sessionId, actorOf(req), scopeOf(req));
      return reply.code(204).send();
    },
  );

  app.patch<{ Params: ParamsT; Body: Static<typeof ReviewSessionStatePatch> }>(
    '/review-sessions/:sessionId/state',
    {
      schema: {
        tags: ['review-sessions'],
        summary: 'Move the transport or change what is shown (the driver only)',
        params: ReviewSessionParams,
        body: ReviewSessionStatePatch,
        response: {
          200: ReviewSessionStateUpdate,
          ...errors(400, 403, 404, 409),
        },
      },
    },
    async (req) => {
      await member(req, req.params.sessionId);
      const { expectedSeq, ...patch } = req.body;
      return sessions.updateState(
        req.params.sessionId,
        { actor: actorOf(req), patch, ...(expectedSeq !== undefined ? { expectedSeq } : {}) },
        scopeOf(req),
      );
    },
  );

  app.post<{ Params: ParamsT; Body: Static<typeof ReviewSessionHandover> }>(
    '/review-sessions/:sessionId/control',
    {
      schema: {
        tags: ['review-sessions'],
        summary: 'Hand control to someone here (the driver, the owner, supervisors and admins)',
        params: ReviewSessionParams,
        body: ReviewSessionHandover,
        response: { 200: ReviewSession, ...errors(400, 403, 404, 409) },
      },
    },
    async (req) => {
      const s = await member(req, req.params.sessionId);
      const role = requireRole(req, s.projectId, 'artist');
      return withLink(
        await sessions.handOver(
          req.params.sessionId,
          { actor: actorOf(req), to: req.body.to, role },
          scopeOf(req),
        ),
      );
    },
  );

  app.post<{ Params: ParamsT; Body: Static<typeof ReviewSessionNote> }>(
    '/review-sessions/:sessionId/notes',
    {
      schema: {
        tags: ['review-sessions'],
        summary: 'Take a note on the item and frame shown (or the given ones)',
        params: ReviewSessionParams,
        body: ReviewSessionNote,
        response: { 201: ReviewNote, ...errors(400, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      await member(req, req.params.sessionId);
      const author = personFrom(req, req.body.author, 'author');
      const note = await sessions.addNote(
        req.params.sessionId,
        { ...req.body, author: author.name, ...(author.via ? { via: author.via } : {}) },
        scopeOf(req),
      );
      return reply.code(201).send(note);
    },
  );

  app.get<{ Params: ParamsT; Querystring: Static<typeof ReviewSessionUpdatesQuery> }>(
    '/review-sessions/:sessionId/updates',
    {
      schema: {
        tags: ['review-sessions'],
        summary: 'Events after a seq, as JSON (what the event stream sends, for polling clients)',
        params: ReviewSessionParams,
        querystring: ReviewSessionUpdatesQuery,
        response: { 200: Type.Array(ReviewSessionEvent), ...errors(400, 404, 409) },
      },
    },
    async (req) => {
      const session = await member(req, req.params.sessionId);
      const after = req.query.after ?? 0;
      // Events of an ended session are pruned after a while (decision 195): a poller that far
      // behind is told to start again from the snapshot rather than given a silent gap.
      if (await sessions.missesEvents(session.id, after, session.seq))
        throw new Conflict(
          `Events after ${after} are no longer kept: read the session (GET /review-sessions/${session.id}) and continue after its seq ${session.seq}.`,
          { reason: 'pruned', seq: session.seq },
        );
      return sessions.readEvents(req.params.sessionId, after, req.query.limit ?? 1000);
    },
  );

  app.post<{ Params: ParamsT }>(
    '/review-sessions/:sessionId/end',
    {
      schema: {
        tags: ['review-sessions'],
        summary: 'End the session (owner, driver, supervisors and admins); answers its summary',
        params: ReviewSessionParams,
        response: { 200: ReviewSessionSummary, ...errors(403, 404, 409) },
      },
    },
    async (req) => {
      const s = await member(req, req.params.sessionId);
      const role = requireRole(req, s.projectId, 'artist');
      return summaryOf(
        await sessions.endSession(req.params.sessionId, actorOf(req), { ...scopeOf(req), role }),
      );
    },
  );

  app.get<{ Params: ParamsT }>(
    '/review-sessions/:sessionId/summary',
    {
      schema: {
        tags: ['review-sessions'],
        summary: 'Notes taken in the session, per item, with links to the notes packages',
        params: ReviewSessionParams,
        response: { 200: ReviewSessionSummary, ...errors(404) },
      },
    },
    async (req) => {
      await member(req, req.params.sessionId);
      return summaryOf(await sessions.summary(req.params.sessionId, scopeOf(req)));
    },
  );

  app.get<{ Params: ParamsT; Querystring: Static<typeof ReviewSessionStreamQuery> }>(
    '/review-sessions/:sessionId/events',
    {
      schema: {
        tags: ['review-sessions'],
        summary:
          'The session as Server-Sent Events: a snapshot (unless resuming), then every update in order; id = seq',
        params: ReviewSessionParams,
        querystring: ReviewSessionStreamQuery,
        response: {
          200: eventStream(
            'Server-Sent Events: `event: snapshot` (a ReviewSession, unless resuming), then each update in order (`id:` its seq, `event:` its type, `data:` a ReviewSessionEvent)',
            { snapshot: ReviewSession, '*': ReviewSessionEvent },
          ),
          204: Type.Null({ description: 'the session has ended and the client has every event' }),
          ...errors(400, 404),
        },
      },
    },
    async (req, reply) => {
      const id = req.params.sessionId;
      const session = await member(req, id);
      let resume = lastEventId(req.headers['last-event-id']) ?? req.query.after;
      if (resume !== undefined && resume > session.seq)
        throw new ValidationError(`The session has no event ${resume} yet: its last is ${session.seq}.`, {
          field: 'Last-Event-ID',
          seq: session.seq,
        });
      // Resuming from before pruned events (decision 195): a snapshot instead of a silent gap.
      if (resume !== undefined && (await sessions.missesEvents(id, resume, session.seq))) resume = undefined;
      // Ended and nothing left to replay: 204 tells EventSource to stop reconnecting (the SSE spec).
      if (resume !== undefined && session.status === 'ended' && resume === session.seq)
        return reply.code(204).send();
      let last = resume ?? 0;
      let pumping = false;
      let again = false;
      const stream = streams.start(req, reply, {
        retryMs: 2000,
        heartbeatSeconds: req.query.heartbeat ?? 15,
        onHeartbeat: () => void pump(),
      });
      // Reads the rows after the last one sent, in order: the bus only says "something new".
      const pump = async (): Promise<void> => {
        if (pumping) {
          again = true;
          return;
        }
        pumping = true;
        try {
          do {
            again = false;
            const events = await sessions.readEvents(id, last, BATCH);
            for (const e of events) {
              if (stream.closed) return;
              stream.send(e.seq, e.type, e);
              last = e.seq;
              if (e.type === 'ended') return stream.end();
            }
            if (events.length === BATCH) again = true;
          } while (again && !stream.closed);
        } catch {
          // The database hiccuped: the next bell or heartbeat reads again from `last`.
        } finally {
          pumping = false;
        }
      };
      // Subscribed before the snapshot is read, so nothing committed meanwhile is missed.
      stream.onEnd(
        ctx.montu.events.subscribe((e: MontuEvent) => {
          if (e.type !== SESSION_EVENT || e.data?.['sessionId'] !== id) return;
          if (Number(e.data['seq']) > last) void pump();
        }),
      );
      if (resume === undefined) {
        try {
          const snap = withLink(await sessions.getSession(id, scopeOf(req)));
          last = snap.seq;
          stream.send(snap.seq, 'snapshot', snap);
          if (snap.status === 'ended') return stream.end();
        } catch {
          return stream.end();
        }
      }
      await pump();
    },
  );
}

/** Adds the notes-package links (the server knows its routes; the core does not). */
function summaryOf(s: Awaited<ReturnType<AppContext['montu']['reviewSessions']['summary']>>) {
  return {
    ...s,
    session: { ...s.session, joinPath: `/review-sessions/${s.session.id}` },
    items: s.items.map((i) => ({ ...i, notesPackage: `${API_PREFIX}/media/${i.mediaId}/notes-package.zip` })),
    playlistExport: s.session.playlistId
      ? `${API_PREFIX}/playlists/${s.session.playlistId}/export.zip`
      : null,
  };
}

/** `Last-Event-ID`: a seq (whole number ≥ 0); anything else is refused rather than ignored. */
function lastEventId(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const v = Array.isArray(header) ? header[0] : header;
  if (v === undefined || v === '') return undefined;
  if (!/^\d{1,15}$/.test(v))
    throw new ValidationError('Last-Event-ID must be a sequence number.', { field: 'Last-Event-ID' });
  return Number(v);
}
