/**
 * Live review sessions' contract (issue 22 item 1, decision 140): the snapshot, its state, the
 * ordered events (JSON and Server-Sent Events) and what the driver may send.
 */
import { Type } from '@sinclair/typebox';
import { COMPARE_LAYOUTS } from '../review-session.js';
import { SessionColour, SessionColourPatch } from './colour.js';
import { Drawing, NoteFields, ReviewNote } from './review.js';
import { Closed, component, Enum, MapOf, JsonValue, Nullable } from './schema.js';

const Id = Type.String({ maxLength: 64 });
const SESSION_STATUSES = ['live', 'ended'] as const;
/** What one stored session event records (`event:` of the stream, `type` of `/updates`). */
export const REVIEW_SESSION_EVENT_TYPES = [
  'started',
  'state',
  'presence',
  'control',
  'note',
  'ended',
] as const;

export const SessionCompare = Closed(
  {
    mediaId: Id,
    layout: Enum(COMPARE_LAYOUTS),
    wipe: Type.Number({ minimum: 0, maximum: 1 }),
    opacity: Type.Number({ minimum: 0, maximum: 1, description: "overlay: B's opacity over A" }),
  },
  { title: 'SessionCompare' },
);

export const ReviewSessionState = component(
  'ReviewSessionState',
  Closed({
    mediaId: Type.String(),
    frame: Type.Integer({ description: "numbered as notes' frame" }),
    playing: Type.Boolean(),
    frameAt: Nullable(
      Type.Number({
        description:
          "while playing: when (ms since the epoch, the driver's clock) the driver's picture was at frame",
      }),
    ),
    rate: Type.Number(),
    compare: Type.Union([SessionCompare, Type.Null()]),
    colour: SessionColour,
    drawing: Type.Union([Drawing, Type.Null()], { description: "the driver's drawing in progress, or null" }),
  }),
);

export const SessionPresence = component(
  'SessionPresence',
  Closed({ username: Type.String(), joinedAt: Type.String(), lastSeenAt: Type.String() }),
);

/** The snapshot fields the core keeps (ReviewSessionSnapshot is `Static` of this). */
export const ReviewSessionRecord = Closed({
  id: Type.String(),
  projectId: Type.String(),
  playlistId: Nullable(Type.String()),
  mediaId: Nullable(Type.String()),
  owner: Type.String(),
  driver: Type.String(),
  status: Enum(SESSION_STATUSES),
  seq: Type.Integer({ description: 'the last event applied to this state' }),
  state: ReviewSessionState,
  items: Type.Array(Type.String()),
  presence: Type.Array(SessionPresence),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  endedAt: Nullable(Type.String()),
  endedBy: Nullable(Type.String()),
});

export const ReviewSession = component(
  'ReviewSession',
  Closed({
    ...ReviewSessionRecord.properties,
    joinPath: Type.String({ description: 'the link to share (relative to the server)' }),
  }),
);

export const ReviewSessionEvent = component(
  'ReviewSessionEvent',
  Closed(
    {
      seq: Type.Integer(),
      type: Enum(REVIEW_SESSION_EVENT_TYPES),
      actor: Type.String(),
      at: Type.String(),
      data: MapOf(JsonValue, { description: 'what the update changed (a state patch, a note, …)' }),
    },
    { description: 'One accepted update, as stored and as streamed (id: = seq)' },
  ),
);

export const ReviewSessionSummaryItem = Closed(
  {
    mediaId: Type.String(),
    taskId: Type.String(),
    version: Type.String(),
    notes: Type.Array(ReviewNote),
    notesPackage: Type.String({ description: "this version's notes package (zip)" }),
  },
  { title: 'ReviewSessionSummaryItem' },
);

export const ReviewSessionSummary = component(
  'ReviewSessionSummary',
  Closed({
    session: ReviewSession,
    items: Type.Array(ReviewSessionSummaryItem),
    noteCount: Type.Integer(),
    playlistExport: Nullable(Type.String({ description: "the playlist's notes package (zip)" })),
  }),
);

export const ReviewSessionHeartbeat = Closed(
  { seq: Type.Integer(), presence: Type.Array(SessionPresence) },
  { title: 'ReviewSessionHeartbeat' },
);

export const ReviewSessionStateUpdate = Closed(
  { seq: Type.Integer(), state: ReviewSessionState },
  { title: 'ReviewSessionStateUpdate' },
);

export const StartReviewSession = Closed(
  { playlistId: Type.Optional(Id), mediaId: Type.Optional(Id) },
  { title: 'StartReviewSession', description: 'Give playlistId or mediaId' },
);

export const ReviewSessionStatePatch = Closed(
  {
    expectedSeq: Type.Optional(
      Type.Integer({ minimum: 0, description: 'refuse (409) unless the session is still at this seq' }),
    ),
    mediaId: Type.Optional(Id),
    frame: Type.Optional(Type.Integer()),
    playing: Type.Optional(Type.Boolean()),
    frameAt: Type.Optional(Nullable(Type.Number())),
    rate: Type.Optional(Type.Number()),
    compare: Type.Optional(
      Type.Union([
        Closed({
          mediaId: Type.Optional(Id),
          layout: Type.Optional(Enum(COMPARE_LAYOUTS)),
          wipe: Type.Optional(Type.Number()),
          opacity: Type.Optional(Type.Number()),
        }),
        Type.Null(),
      ]),
    ),
    colour: Type.Optional(SessionColourPatch),
    drawing: Type.Optional(Type.Unknown({ description: 'Drawing in progress, or null' })),
  },
  { title: 'ReviewSessionStatePatch' },
);

export const ReviewSessionHandover = Closed(
  { to: Type.String({ minLength: 1, maxLength: 200 }) },
  { title: 'ReviewSessionHandover' },
);

export const ReviewSessionNote = Closed(
  { ...NoteFields, mediaId: Type.Optional(Id) },
  {
    title: 'ReviewSessionNote',
    description: 'A note; mediaId and frame default to what the session shows',
  },
);

export const ReviewSessionParams = Closed({ sessionId: Id });

export const ReviewSessionsQuery = Closed({ status: Type.Optional(Enum(SESSION_STATUSES)) });

export const ReviewSessionUpdatesQuery = Closed({
  after: Type.Optional(Type.Integer({ minimum: 0, description: 'events after this seq' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
});

export const ReviewSessionStreamQuery = Closed({
  after: Type.Optional(
    Type.Integer({
      minimum: 0,
      description: 'resume after this seq (Last-Event-ID wins); none: a snapshot first',
    }),
  ),
  heartbeat: Type.Optional(Type.Integer({ minimum: 1, maximum: 300 })),
});
