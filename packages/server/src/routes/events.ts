import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { ValidationError, visibleProjects, type MontuEvent } from '@montu/core';
import type { AppContext } from '../app-context.js';
import { eventStreams } from '../sse.js';
import { errors, EventsQuery, EventStream } from '@montu/domain/wire';

const EVENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * Live library events as Server-Sent Events: job progress, processing results, renditions,
 * review changes. In scale mode workers' events arrive over the Redis bridge, so any API server
 * streams them. Each caller sees only events of projects they are a member of (admins: all).
 * A comment line is sent every `heartbeat` seconds so proxies keep the connection open.
 * Each event's `id:` is its library-wide id; a client that reconnects with `Last-Event-ID` (any
 * API server of the library, restarted or not) first gets the events it missed from the
 * database's recent-event log (one hour; job progress is not kept), then the live stream.
 */
export async function eventRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { montu } = ctx;
  const streams = eventStreams(app);

  app.get<{ Querystring: Static<typeof EventsQuery> }>(
    '/events',
    {
      schema: {
        tags: ['events'],
        summary:
          'Live events (text/event-stream): job progress, processing and review changes in your projects',
        querystring: EventsQuery,
        response: { 200: EventStream, ...errors() },
      },
    },
    async (req, reply) => {
      const projects = visibleProjects(req.principal);
      const allowed = projects === undefined ? null : new Set(projects);
      const types =
        req.query.types
          ?.split(',')
          .map((t) => t.trim())
          .filter(Boolean) ?? [];
      const mediaId = req.query.mediaId;
      const header = req.headers['last-event-id'];
      const lastEventId = (Array.isArray(header) ? header[0] : header)?.trim() || req.query.lastEventId;
      if (lastEventId !== undefined && !EVENT_ID.test(lastEventId))
        throw new ValidationError(
          'Last-Event-ID must be the id of an event this stream sent (a UUIDv7); omit it to start from now.',
        );
      const visible = (e: MontuEvent): boolean => {
        if (allowed && (e.projectId === null || !allowed.has(e.projectId))) return false;
        if (mediaId && e.mediaId !== mediaId) return false;
        if (types.length && !types.some((t) => (t.endsWith('.') ? e.type.startsWith(t) : e.type === t)))
          return false;
        return true;
      };
      const stream = streams.start(req, reply, {
        retryMs: 3000,
        heartbeatSeconds: req.query.heartbeat ?? 15,
      });
      const send = (e: MontuEvent) => stream.send(e.id, e.type, e);
      // While the missed events are read, live ones wait here; those the replay already sent are skipped.
      let held: MontuEvent[] | null = lastEventId ? [] : null;
      stream.onEnd(
        montu.events.subscribe((e) => {
          if (!visible(e)) return;
          if (held) held.push(e);
          else send(e);
        }),
      );
      if (lastEventId && held) {
        try {
          const missed = await montu.eventLog.since(lastEventId);
          const sent = new Set<string>();
          for (const e of missed.events) {
            if (!visible(e)) continue;
            send(e);
            sent.add(e.id);
          }
          if (!missed.complete) stream.comment('replay incomplete: events before this point may be missing');
          const waiting: MontuEvent[] = held;
          held = null;
          for (const e of waiting) if (!sent.has(e.id) && e.id > lastEventId) send(e);
        } catch (e) {
          req.log.warn({ err: e }, 'event replay failed');
          stream.comment('replay failed');
          const waiting: MontuEvent[] = held ?? [];
          held = null;
          for (const x of waiting) send(x);
        }
      }
    },
  );
}
