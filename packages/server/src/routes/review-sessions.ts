/**
 * Live review sessions (issue 22 item 1, decision 140): REST for changes, Server-Sent Events for
 * the ordered updates (`id:` = the session's sequence number, `Last-Event-ID` replays). The core
 * decides and stores; these translate. The schemas live here, in their own module.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { COMPARE_LAYOUTS, ValidationError } from '@montu/domain';
import { SESSION_EVENT, type MontuEvent, type ReviewSessionSnapshot } from '@montu/core';
import { API_PREFIX, type AppContext } from '../app-context.js';
import { actorOf, personFrom, requireRole, scopeOf } from '../auth.js';
import {
  errors,
  NoteFields,
  ProjectParams,
  ReviewNote,
  SessionColour,
  SessionColourPatch,
} from '@montu/domain/wire';

const Id = Type.String({ maxLength: 64 });
const Strict = { additionalProperties: false } as const;
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const Compare = Type.Object(
  {
    mediaId: Id,
    layout: Type.Union(COMPARE_LAYOUTS.map((l) => Type.Literal(l))),
    wipe: Type.Number({ minimum: 0, maximum: 1 }),
  },
  Strict,
);
export const ReviewSessionState = Type.Object(
  {
    mediaId: Type.String(),
    frame: Type.Integer({ description: "numbered as notes' frame" }),
    playing: Type.Boolean(),
    rate: Type.Number(),
    compare: Type.Union([Compare, Type.Null()]),
    colour: SessionColour,
    drawing: Type.Unknown({ description: "the driver's drawing in progress, or null" }),
  },
  { $id: 'ReviewSessionState' },
);
const Presence = Type.Object({ username: Type.String(), joinedAt: Type.String(), lastSeenAt: Type.String() });
export const ReviewSession = Type.Object(
  {
    id: Type.String(),
    projectId: Type.String(),
    playlistId: Nullable(Type.String()),
    mediaId: Nullable(Type.String()),
    owner: Type.String(),
    driver: Type.String(),
    status: Type.Union([Type.Literal('live'), Type.Literal('ended')]),
    seq: Type.Integer({ description: 'the last event applied to this state' }),
    state: ReviewSessionState,
    items: Type.Array(Type.String()),
    presence: Type.Array(Presence),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    endedAt: Nullable(Type.String()),
    endedBy: Nullable(Type.String()),
    joinPath: Type.String({ description: 'the link to share (relative to the server)' }),
  },
  { $id: 'ReviewSession' },
);
const SessionEvent = Type.Object(
  {
    seq: Type.Integer(),
    type: Type.Union(
      ['started', 'state', 'presence', 'control', 'note', 'ended'].map((t) => Type.Literal(t)),
    ),
    actor: Type.String(),
    at: Type.String(),
    data: Type.Object({}, { additionalProperties: true }),
  },
  { $id: 'ReviewSessionEvent' },
);
const Summary = Type.Object(
  {
    session: ReviewSession,
    items: Type.Array(
      Type.Object({
        mediaId: Type.String(),
        taskId: Type.String(),
        version: Type.String(),
        notes: Type.Array(ReviewNote),
        notesPackage: Type.String({ description: "this version's notes package (zip)" }),
      }),
    ),
    noteCount: Type.Integer(),
    playlistExport: Nullable(Type.String({ description: "the playlist's notes package (zip)" })),
  },
  { $id: 'ReviewSessionSummary' },
);

const Start = Type.Object(
  {
    playlistId: Type.Optional(Id),
    mediaId: Type.Optional(Id),
  },
  { ...Strict, description: 'Give playlistId or mediaId' },
);
const StatePatch = Type.Object(
  {
    expectedSeq: Type.Optional(
      Type.Integer({ minimum: 0, description: 'refuse (409) unless the session is still at this seq' }),
    ),
    mediaId: Type.Optional(Id),
    frame: Type.Optional(Type.Integer()),
    playing: Type.Optional(Type.Boolean()),
    rate: Type.Optional(Type.Number()),
    compare: Type.Optional(
      Type.Union([
        Type.Object(
          {
            mediaId: Type.Optional(Id),
            layout: Type.Optional(Type.Union(COMPARE_LAYOUTS.map((l) => Type.Literal(l)))),
            wipe: Type.Optional(Type.Number()),
          },
          Strict,
        ),
        Type.Null(),
      ]),
    ),
    colour: Type.Optional(SessionColourPatch),
    drawing: Type.Optional(Type.Unknown({ description: 'Drawing in progress, or null' })),
  },
  Strict,
);
const Handover = Type.Object({ to: Type.String({ minLength: 1, maxLength: 200 }) }, Strict);
const SessionNote = Type.Object(
  { ...NoteFields, mediaId: Type.Optional(Id) },
  { ...Strict, description: 'A note; mediaId and frame default to what the session shows' },
);
const Params = Type.Object({ sessionId: Id });
type ParamsT = Static<typeof Params>;
const AfterQuery = Type.Object(
  {
    after: Type.Optional(Type.Integer({ minimum: 0, description: 'events after this seq' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
  },
  Strict,
);
const StreamQuery = Type.Object(
  {
    after: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'resume after this seq (Last-Event-ID wins); none: a snapshot first',
      }),
    ),
    heartbeat: Type.Optional(Type.Integer({ minimum: 1, maximum: 300 })),
  },
  Strict,
);
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
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.post<{ Body: Static<typeof Start> }>(
    '/review-sessions',
    {
      schema: {
        tags: ['review-sessions'],
        summary: 'Start a live review session on a playlist or a single version (you drive)',
        body: Start,
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

  app.get<{ Params: { projectId: string }; Querystring: { status?: 'live' | 'ended' } }>(
    '/projects/:projectId/review-sessions',
    {
      schema: {
        tags: ['review-sessions'],
        summary: "A project's review sessions, newest first",
        params: ProjectParams,
        querystring: Type.Object(
          { status: Type.Optional(Type.Union([Type.Literal('live'), Type.Literal('ended')])) },
          Strict,
        ),
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
        params: Params,
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
        params: Params,
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
        params: Params,
        response: {
          200: Type.Object({ seq: Type.Integer(), presence: Type.Array(Presence) }),
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
        params: Params,
        response: { 204: Type.Null(), ...errors(404) },
      },
    },
    async (req, reply) => {
      await member(req, req.params.sessionId);
      await sessions.leave(req.params.sessionId, actorOf(req), scopeOf(req));
      return reply.code(204).send();
    },
  );

  app.patch<{ Params: ParamsT; Body: Static<typeof StatePatch> }>(
    '/review-sessions/:sessionId/state',
    {
      schema: {
        tags: ['review-sessions'],
        summary: 'Move the transport or change what is shown (the driver only)',
        params: Params,
        body: StatePatch,
        response: {
          200: Type.Object({ seq: Type.Integer(), state: ReviewSessionState }),
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

  app.post<{ Params: ParamsT; Body: Static<typeof Handover> }>(
    '/review-sessions/:sessionId/control',
    {
      schema: {
        tags: ['review-sessions'],
        summary: 'Hand control to someone here (the driver, the owner, supervisors and admins)',
        params: Params,
        body: Handover,
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

  app.post<{ Params: ParamsT; Body: Static<typeof SessionNote> }>(
    '/review-sessions/:sessionId/notes',
    {
      schema: {
        tags: ['review-sessions'],
        summary: 'Take a note on the item and frame shown (or the given ones)',
        params: Params,
        body: SessionNote,
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

  app.get<{ Params: ParamsT; Querystring: Static<typeof AfterQuery> }>(
    '/review-sessions/:sessionId/updates',
    {
      schema: {
        tags: ['review-sessions'],
        summary: 'Events after a seq, as JSON (what the event stream sends, for polling clients)',
        params: Params,
        querystring: AfterQuery,
        response: { 200: Type.Array(SessionEvent), ...errors(400, 404) },
      },
    },
    async (req) => {
      await member(req, req.params.sessionId);
      return sessions.readEvents(req.params.sessionId, req.query.after ?? 0, req.query.limit ?? 1000);
    },
  );

  app.post<{ Params: ParamsT }>(
    '/review-sessions/:sessionId/end',
    {
      schema: {
        tags: ['review-sessions'],
        summary: 'End the session (owner, driver, supervisors and admins); answers its summary',
        params: Params,
        response: { 200: Summary, ...errors(403, 404, 409) },
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
        params: Params,
        response: { 200: Summary, ...errors(404) },
      },
    },
    async (req) => {
      await member(req, req.params.sessionId);
      return summaryOf(await sessions.summary(req.params.sessionId, scopeOf(req)));
    },
  );

  app.get<{ Params: ParamsT; Querystring: Static<typeof StreamQuery> }>(
    '/review-sessions/:sessionId/events',
    {
      schema: {
        tags: ['review-sessions'],
        summary:
          'The session as Server-Sent Events: a snapshot (unless resuming), then every update in order; id = seq',
        params: Params,
        querystring: StreamQuery,
        produces: ['text/event-stream'],
        response: {
          200: Type.String({ description: 'An event stream' }),
          204: Type.Null({ description: 'the session has ended and the client has every event' }),
          ...errors(400, 404),
        },
      },
    },
    async (req, reply) => {
      const id = req.params.sessionId;
      const session = await member(req, id);
      const resume = lastEventId(req.headers['last-event-id']) ?? req.query.after;
      if (resume !== undefined && resume > session.seq)
        throw new ValidationError(`The session has no event ${resume} yet: its last is ${session.seq}.`, {
          field: 'Last-Event-ID',
          seq: session.seq,
        });
      // Ended and nothing left to replay: 204 tells EventSource to stop reconnecting (the SSE spec).
      if (resume !== undefined && session.status === 'ended' && resume === session.seq)
        return reply.code(204).send();
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': String(req.id),
      });
      res.write(`retry: 2000\n: connected\n\n`);
      let last = resume ?? 0;
      let closed = false;
      let pumping = false;
      let again = false;
      const end = () => {
        if (closed) return;
        closed = true;
        clearInterval(beat);
        off();
        open.delete(end);
        if (!res.writableEnded) res.end();
      };
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
              if (closed) return;
              res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
              last = e.seq;
              if (e.type === 'ended') return end();
            }
            if (events.length === BATCH) again = true;
          } while (again && !closed);
        } catch {
          // The database hiccuped: the next bell or heartbeat reads again from `last`.
        } finally {
          pumping = false;
        }
      };
      // Subscribed before the snapshot is read, so nothing committed meanwhile is missed.
      const off = ctx.montu.events.subscribe((e: MontuEvent) => {
        if (e.type !== SESSION_EVENT || e.data?.['sessionId'] !== id) return;
        if (Number(e.data['seq']) > last) void pump();
      });
      const beat = setInterval(
        () => {
          res.write(`: ping ${new Date().toISOString()}\n\n`);
          void pump();
        },
        (req.query.heartbeat ?? 15) * 1000,
      );
      open.add(end);
      req.raw.on('close', end);
      res.on('error', end);
      if (resume === undefined) {
        try {
          const snap = withLink(await sessions.getSession(id, scopeOf(req)));
          last = snap.seq;
          res.write(`id: ${snap.seq}\nevent: snapshot\ndata: ${JSON.stringify(snap)}\n\n`);
          if (snap.status === 'ended') return end();
        } catch {
          return end();
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
