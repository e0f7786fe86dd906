/** The review routes' contract: notes (drawings, threads, attachments), status options, compare. */
import { Type, type TProperties } from '@sinclair/typebox';
import { SHAPE_TYPES } from '../drawing.js';
import { ApprovalStatus, MediaFile, MediaSummary, NormalisedPoint, PixelPoint, Role } from './components.js';
import { Closed, component, Enum, Nullable } from './schema.js';

const Unit = Type.Number({ minimum: 0, maximum: 1 });
const DrawPoint = Closed({ x: Unit, y: Unit });
const ShapeBase = {
  id: Type.Optional(Type.String({ description: 'unique in its drawing' })),
  author: Type.Optional(Type.String({ description: 'who drew the stroke (strokes added one by one)' })),
  color: Type.String({ description: '#rrggbb or #rrggbbaa' }),
  width: Type.Number({ description: 'Stroke width as a fraction of the image height' }),
};
const shape = <T extends (typeof SHAPE_TYPES)[number], P extends TProperties>(type: T, props: P) =>
  Closed(
    { type: Type.Literal(type), ...ShapeBase, ...props },
    { title: `${type[0]!.toUpperCase()}${type.slice(1)}Shape` },
  );

/** A drawing on a frame, normalised to the picture (domain/drawing.ts checks what clients send). */
export const Drawing = component(
  'Drawing',
  Closed(
    {
      version: Type.Literal(1),
      shapes: Type.Array(
        Type.Union([
          shape('freehand', {
            points: Type.Array(Closed({ x: Unit, y: Unit, pressure: Type.Optional(Unit) })),
          }),
          shape('line', { from: DrawPoint, to: DrawPoint }),
          shape('arrow', { from: DrawPoint, to: DrawPoint }),
          shape('rect', {
            x: Type.Number(),
            y: Type.Number(),
            w: Type.Number(),
            h: Type.Number(),
            fill: Type.Optional(Type.String()),
          }),
          shape('ellipse', {
            cx: Type.Number(),
            cy: Type.Number(),
            rx: Type.Number(),
            ry: Type.Number(),
            fill: Type.Optional(Type.String()),
          }),
          shape('text', {
            x: Type.Number(),
            y: Type.Number(),
            text: Type.String(),
            size: Type.Optional(Type.Number()),
          }),
        ]),
      ),
    },
    { description: 'Vector shapes normalised to the picture (see docs/review.md)' },
  ),
);

/** What a client sends as a drawing: checked field by field by the domain's parseDrawing. */
const DrawingInput = Type.Unknown({
  description: 'Drawing: { version: 1, shapes: [...] } (see docs/review.md); checked by the server',
});

/** Fields of a new note, shared by /media/:id/annotations, /media/:id/notes and playlist notes. */
export const NoteFields = {
  type: Type.Optional(Type.String({ maxLength: 32 })),
  content: Type.String({ maxLength: 20_000 }),
  author: Type.Optional(
    Type.String({
      maxLength: 200,
      description: 'Who wrote it, when not the caller: instance admins and pipeline tokens only',
    }),
  ),
  frame: Type.Optional(Type.Integer()),
  frameEnd: Type.Optional(Type.Integer()),
  position: Type.Optional(NormalisedPoint),
  positionPx: Type.Optional(PixelPoint),
  drawing: Type.Optional(DrawingInput),
  parentId: Type.Optional(Type.String({ maxLength: 64 })),
  mentions: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 })),
  renditionSha256: Type.Optional(Type.String({ maxLength: 64 })),
};

export const AddAnnotation = Closed(NoteFields, { title: 'AddAnnotation' });
export const AddNote = Closed(
  { ...NoteFields, playlistId: Type.Optional(Type.String({ maxLength: 64 })) },
  { title: 'AddNote' },
);

export const UpdateNote = Closed(
  {
    content: Type.Optional(Type.String({ maxLength: 20_000 })),
    drawing: Type.Optional(DrawingInput),
    mentions: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 })),
    frame: Type.Optional(Nullable(Type.Integer())),
    frameEnd: Type.Optional(Nullable(Type.Integer())),
    revision: Type.Optional(
      Type.Integer({ minimum: 1, description: 'the revision edited; stale: 409 with the current drawing' }),
    ),
  },
  { title: 'UpdateNote' },
);

/** Drawing strokes one by one, merged on the server (decision 131); shapes are checked by the domain. */
export const StrokeChanges = Closed(
  {
    add: Type.Optional(
      Type.Array(Type.Unknown({ description: 'a drawing shape' }), {
        maxItems: 1000,
        description: 'shapes to add or replace (by id)',
      }),
    ),
    remove: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 1000 })),
  },
  { title: 'StrokeChanges' },
);

export const ResolveNote = Closed({ resolved: Type.Optional(Type.Boolean()) }, { title: 'ResolveNote' });

const NoteRecord = {
  id: Type.String(),
  mediaId: Type.String(),
  parentId: Nullable(Type.String()),
  author: Type.String(),
  type: Type.String(),
  content: Type.String(),
  frame: Nullable(Type.Integer()),
  frameEnd: Nullable(Type.Integer()),
  revision: Type.Integer({ minimum: 1, description: 'counts edits; send it back with a drawing save' }),
  position: Nullable(NormalisedPoint),
  positionPx: Nullable(PixelPoint),
  drawing: Nullable(Drawing),
  mentions: Type.Array(Type.String()),
  resolved: Type.Boolean(),
  renditionSha256: Nullable(Type.String()),
  playlistId: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
};

export const NoteAttachment = Closed(
  {
    fileId: Type.String(),
    fileName: Type.String(),
    contentType: Type.String(),
    size: Type.Integer(),
    sha256: Type.String(),
    width: Nullable(Type.Integer()),
    height: Nullable(Type.Integer()),
    createdAt: Type.String(),
  },
  { title: 'NoteAttachment' },
);

const ReviewNoteRecord = Closed({
  ...NoteRecord,
  // Source time (decision 130): derived in @montu/domain from the media's start frame/timecode.
  sourceFrame: Nullable(
    Type.Integer({
      description: "source frame number of `frame` (a sequence's own number; a movie's start frame + index)",
    }),
  ),
  sourceFrameEnd: Nullable(Type.Integer()),
  timecode: Nullable(
    Type.String({
      description: "source timecode of `frame`: the media's start timecode + offset, drop-frame kept",
    }),
  ),
  timecodeEnd: Nullable(Type.String()),
  attachments: Type.Array(NoteAttachment),
});

/** A note as the review API shows it: the stored note and what is derived from it. */
export const ReviewNote = component('ReviewNote', ReviewNoteRecord);

/** The same record under the first word for a note, as /annotations answers (clients use the name). */
export const Annotation = component('Annotation', ReviewNoteRecord);

export const NoteParams = Closed({ noteId: Type.String({ maxLength: 64 }) });
export const AttachmentParams = Closed({
  noteId: Type.String({ maxLength: 64 }),
  fileId: Type.String({ maxLength: 64 }),
});

export const NotesQuery = Type.Object({
  frame: Type.Optional(Type.Integer()),
  resolved: Type.Optional(Type.Boolean()),
  playlistId: Type.Optional(Type.String({ maxLength: 64 })),
});

/** The body of a review action: a comment, and whom it is recorded as made by. */
export const ReviewAction = Closed(
  {
    comment: Type.Optional(Type.String({ maxLength: 10_000 })),
    by: Type.Optional(
      Type.String({
        maxLength: 200,
        description:
          'Who makes the change (submitter, approver) when not the caller: instance admins and pipeline tokens only',
      }),
    ),
  },
  { title: 'ReviewAction' },
);

export const StatusOptions = component(
  'StatusOptions',
  Closed(
    {
      status: ApprovalStatus,
      role: Nullable(Role),
      targets: Type.Array(Closed({ to: ApprovalStatus, action: Type.String() })),
      canSelectForReview: Type.Boolean(),
    },
    { description: 'What your role may do with the item now (which buttons to show)' },
  ),
);

export const ReviewSelected = Closed({ selected: Type.Boolean() }, { title: 'ReviewSelected' });

export const CompareQuery = Type.Object({
  a: Type.String({ maxLength: 16 }),
  b: Type.String({ maxLength: 16 }),
  projectId: Type.Optional(Type.String({ maxLength: 64 })),
});

export const FrameRange = Closed({ start: Type.Integer(), end: Type.Integer() }, { title: 'FrameRange' });

export const MediaTiming = Closed(
  {
    fps: Nullable(Type.String({ description: 'Exact rational rate, e.g. 24000/1001' })),
    dropFrame: Type.Boolean(),
    frameStart: Nullable(Type.Integer()),
    frameEnd: Nullable(Type.Integer()),
    frameCount: Nullable(Type.Integer()),
    numbering: Nullable(Enum(['frame_number', 'frame_index'] as const)),
    startTimecode: Nullable(Type.String({ description: 'source timecode of the first frame' })),
    startFrame: Nullable(Type.Integer({ description: 'source frame number of the first frame' })),
  },
  { title: 'MediaTiming' },
);

export const CompareSide = Closed(
  {
    media: MediaSummary,
    renditions: Type.Array(MediaFile),
    frameFiles: Type.Integer({ description: 'Stored sequence frames (0 for movies and stills)' }),
    timing: MediaTiming,
    frames: Nullable(FrameRange),
    notes: Type.Array(ReviewNote),
  },
  { title: 'CompareSide' },
);

export const CompareResult = component(
  'CompareResult',
  Closed({
    projectId: Type.String(),
    taskId: Type.String(),
    a: CompareSide,
    b: CompareSide,
    alignment: Closed(
      {
        mode: Enum(['frame_number', 'frame_index', 'none'] as const),
        union: Nullable(FrameRange),
        overlap: Nullable(FrameRange),
        offsetA: Type.Integer(),
        offsetB: Type.Integer(),
        sameRate: Type.Boolean(),
      },
      { title: 'Alignment' },
    ),
  }),
);
