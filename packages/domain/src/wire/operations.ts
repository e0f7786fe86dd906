/** Operations, events, files and admin routes' contract. */
import { Type } from '@sinclair/typebox';
import { Closed, Enum } from './schema.js';

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

/** `GET /events`: Server-Sent Events (`text/event-stream`). */
export const EventStream = Type.String({ description: 'An event stream' });
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
