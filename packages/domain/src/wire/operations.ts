/** Operations, events, files and admin routes' contract. */
import { Type, type TSchema } from '@sinclair/typebox';
import { Closed, component, Enum, JsonValue, MapOf, Nullable } from './schema.js';

export const Health = Closed(
  {
    status: Enum(['ok', 'ready', 'unavailable'] as const),
    database: Type.Optional(Type.String({ description: '"ok", or why the database is unreachable' })),
    storage: Type.Optional(Type.String({ description: '"ok", or why storage is unreachable' })),
    databaseSpace: Type.Optional(
      Type.String({ description: '"ok", or how little space the database volume has left' }),
    ),
    storageSpace: Type.Optional(Type.String({ description: '"ok", or how little space storage has left' })),
    space: Type.Optional(Type.String({ description: 'why free space could not be read' })),
    redis: Type.Optional(Type.String({ description: 'scale mode: "ok", or why Redis is unreachable' })),
  },
  { title: 'Health' },
);

/**
 * One event of the library's live stream (`GET /events`, each SSE `data:` line; `id:` is its
 * `id`, `event:` its `type`) and of webhook deliveries.
 */
export const LibraryEvent = component(
  'LibraryEvent',
  Closed(
    {
      id: Type.String({ description: 'time-ordered (UUIDv7): send it back as Last-Event-ID to resume' }),
      type: Type.String({
        description: 'job.progress, processing.finished, media.created, annotation.updated, …',
      }),
      at: Type.String(),
      projectId: Nullable(Type.String()),
      mediaId: Type.Optional(Type.String()),
      actor: Type.Optional(Type.String()),
      data: Type.Optional(MapOf(JsonValue, { description: 'what happened (progress, state, error, …)' })),
    },
    { description: 'Something that happened in the library, after its transaction committed' },
  ),
);

/**
 * A `text/event-stream` answer (Server-Sent Events). OpenAPI 3.1 has no keyword for the events
 * of a stream, so the schema is a string and `x-events` names the schema of each event's
 * `data:` by its `event:` name (`*`: any other name); clients get those schemas as components.
 */
export function eventStream(description: string, events: Record<string, TSchema>) {
  return {
    description,
    content: {
      'text/event-stream': {
        schema: Type.String({ description, 'x-events': events }),
      },
    },
  };
}

/** `GET /events`: Server-Sent Events whose data are LibraryEvents. */
export const EventStream = eventStream(
  'Server-Sent Events: `id:` the event id, `event:` its type, `data:` a LibraryEvent (JSON); `: ping` comments as heartbeats',
  { '*': LibraryEvent },
);
/** `GET /metrics`: Prometheus text exposition. */
export const MetricsText = Type.String({ description: 'Prometheus metrics' });

export const EventsQuery = Type.Object({
  mediaId: Type.Optional(Type.String({ maxLength: 64, description: 'Only events of this media item' })),
  types: Type.Optional(
    Type.String({
      maxLength: 500,
      description: 'Only these event types or prefixes (job., processing.finished), comma-separated',
    }),
  ),
  heartbeat: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 300,
      description: 'Seconds between heartbeat comments (default 15)',
    }),
  ),
  lastEventId: Type.Optional(
    Type.String({
      maxLength: 64,
      description: 'Replay from after this event id, for clients that cannot send the Last-Event-ID header',
    }),
  ),
});

/** Names of the renditions a client may download, and the file role each stands for. */
export const RENDITIONS = {
  original: 'original',
  thumbnail: 'thumbnail',
  proxy: 'proxy',
  web: 'web',
  audio: 'audio_preview',
  sprite: 'sprite',
  /** Audio peaks (JSON, schema WaveformPeaks) of a movie with sound. */
  waveform: 'waveform',
  /** Half floats of a float or high-bit-depth still for the colour-managed viewer (decision 147). */
  float: 'web_float',
} as const;
export type Rendition = keyof typeof RENDITIONS;

export const RenditionParams = Closed({
  mediaId: Type.String({ maxLength: 64 }),
  rendition: Enum(Object.keys(RENDITIONS) as Rendition[]),
});
export const FrameParams = Closed({ mediaId: Type.String({ maxLength: 64 }), frame: Type.Integer() });

export const CleanupOrphans = Closed(
  { dryRun: Type.Optional(Type.Boolean()), verifyChecksums: Type.Optional(Type.Boolean()) },
  { title: 'CleanupOrphans' },
);

/** A binary answer (a LUT, a file's bytes). */
export const Binary = Type.Unsafe<string>({ type: 'string', format: 'binary' });

/** What a file download answers: the bytes (whole or a range), a redirect, or not modified. */
export const FileResponses = {
  200: Binary,
  206: Binary,
  302: Type.Null({ description: 'Redirect to a presigned storage URL' }),
  304: Type.Null(),
};
