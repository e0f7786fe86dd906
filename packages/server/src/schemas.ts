/**
 * Request and response schemas, declared once with TypeBox: Fastify validates with them and
 * @fastify/swagger turns them into the OpenAPI 3.1 document.
 */
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import {
  APPROVAL_STATUSES,
  Enum,
  FILE_ROLES,
  MEDIA_TYPES,
  MediaMetadataSchema,
  Nullable,
  ROLES,
  STATUS_INPUTS,
} from '@montu/core';

/**
 * Shared schemas, registered once with `app.addSchema` (SHARED_SCHEMAS) and referred to by
 * `$ref` everywhere else: the OpenAPI document lists each once under components.schemas (the
 * generated clients get named types), instead of inlining Media in every answer that holds one.
 * The value is the reference; its static type is the schema's.
 */
const shared: TSchema[] = [];
function component<T extends TSchema>(name: string, schema: T): TUnsafe<Static<T>> {
  shared.push({ ...schema, $id: name });
  return Type.Unsafe<Static<T>>({ $ref: name });
}
export const SHARED_SCHEMAS: readonly TSchema[] = shared;

export const Problem = component(
  'Problem',
  Type.Object(
    {
      type: Type.String(),
      title: Type.String(),
      status: Type.Integer(),
      detail: Type.String(),
      code: Type.String({ description: 'Stable machine-readable error code' }),
      instance: Type.String(),
      requestId: Type.String(),
      details: Type.Optional(Type.Object({}, { additionalProperties: true })),
    },
    { additionalProperties: true, description: 'RFC 9457 problem details' },
  ),
);

export const Role = Enum(ROLES);
export const ApprovalStatus = Enum(APPROVAL_STATUSES);
/** A status as requests may give it: a workflow status, or the media services document's word. */
export const StatusInput = Enum(STATUS_INPUTS, {
  description: 'A workflow status, or pending / approved / rejected (pending is pending_review)',
});
export const MediaType = Enum(MEDIA_TYPES);

export const RenditionInfo = Type.Object(
  {
    width: Type.Optional(Type.Integer()),
    height: Type.Optional(Type.Integer()),
    transform: Type.Optional(
      Enum(['none', 'srgb', 'filmic', 'ocio'] as const, {
        description:
          'Display transform of a picture: none (display-referred source), srgb or filmic (built-in, linear renders), ocio (oiiotool with the $OCIO config)',
      }),
    ),
    ocio: Type.Optional(Type.Object({ config: Type.String(), display: Type.String(), view: Type.String() })),
    timestamp: Type.Optional(
      Type.Number({ description: 'Seconds into a video a thumbnail was asked for at' }),
    ),
    fps: Type.Optional(Type.String()),
    duration: Type.Optional(Nullable(Type.Number())),
  },
  { additionalProperties: true, description: 'How a rendition was made' },
);

export const MediaFile = component(
  'MediaFile',
  Type.Object(
    {
      id: Type.String(),
      role: Enum(FILE_ROLES),
      frame: Nullable(Type.Integer()),
      backend: Type.String(),
      key: Type.String(),
      size: Type.Integer(),
      sha256: Type.String(),
      contentType: Type.String(),
      state: Type.String(),
      error: Nullable(Type.String()),
      createdAt: Type.String(),
      info: Nullable(RenditionInfo),
    },
    { additionalProperties: true },
  ),
);

export const MediaMetadata = component('MediaMetadata', MediaMetadataSchema);

const MediaObject = Type.Object(
  {
    id: Type.String(),
    projectId: Type.String(),
    taskId: Type.String(),
    version: Type.String(),
    versionNumber: Type.Integer(),
    mediaType: MediaType,
    fileName: Type.String(),
    mimeType: Type.String(),
    size: Type.Integer(),
    sha256: Type.String(),
    author: Type.String(),
    description: Type.String(),
    tags: Type.Array(Type.String()),
    status: ApprovalStatus,
    reviewSelected: Type.Boolean(),
    approval: Nullable(
      Type.Object({ by: Type.String(), at: Type.String(), comment: Nullable(Type.String()) }),
    ),
    archivedAt: Nullable(Type.String()),
    processingState: Type.String(),
    processingError: Nullable(Type.String()),
    metadata: MediaMetadata,
    // Source time (issue 21, decision 130).
    startTimecode: Nullable(
      Type.String({ description: 'source timecode of the first frame (`;` before frames: drop-frame)' }),
    ),
    startFrame: Nullable(Type.Integer({ description: 'source frame number of the first frame' })),
    customProperties: Type.Object({}, { additionalProperties: true }),
    files: Type.Array(MediaFile),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { additionalProperties: true },
);

export const Media = component('Media', MediaObject);

/** A media item without its files, as playlist items carry it. */
export const MediaSummary = component('MediaSummary', Type.Omit(MediaObject, ['files']));

export const MediaPage = Type.Object({ items: Type.Array(Media), nextCursor: Nullable(Type.String()) });

export const Project = component(
  'Project',
  Type.Object(
    {
      id: Type.String(),
      name: Type.String(),
      settings: Type.Object({}, { additionalProperties: true }),
      createdAt: Type.String(),
      updatedAt: Type.String(),
    },
    { additionalProperties: true },
  ),
);

export const Task = component(
  'Task',
  Type.Object(
    {
      projectId: Type.String(),
      id: Type.String(),
      episode: Nullable(Type.String()),
      sequence: Nullable(Type.String()),
      shot: Nullable(Type.String()),
      step: Nullable(Type.String()),
      createdAt: Type.String(),
    },
    { additionalProperties: true },
  ),
);

/** A point in pixels of the upright picture. */
export const PixelPoint = Type.Object(
  { x: Type.Number(), y: Type.Number() },
  {
    additionalProperties: false,
    title: 'PixelPoint',
    description: 'Pixels of the upright picture (x right, y down)',
  },
);

export const Annotation = component(
  'Annotation',
  Type.Object(
    {
      id: Type.String(),
      mediaId: Type.String(),
      parentId: Nullable(Type.String()),
      author: Type.String(),
      type: Type.String(),
      content: Type.String(),
      frame: Nullable(Type.Integer()),
      frameEnd: Nullable(Type.Integer()),
      position: Nullable(
        Type.Object({}, { additionalProperties: true, description: 'Normalised 0–1 (x right, y down)' }),
      ),
      positionPx: Type.Optional(Nullable(PixelPoint)),
      drawing: Type.Unknown(),
      mentions: Type.Array(Type.String()),
      resolved: Type.Boolean(),
      renditionSha256: Nullable(Type.String()),
      createdAt: Type.String(),
      updatedAt: Type.String(),
    },
    { additionalProperties: true },
  ),
);

export const HistoryEntry = component(
  'HistoryEntry',
  Type.Object(
    {
      id: Type.String(),
      at: Type.String(),
      actor: Type.String(),
      action: Type.String(),
      label: Type.String({ description: 'the entry in words ("Version created", "Put on hold")' }),
      projectId: Nullable(Type.String()),
      subjectType: Type.String(),
      subjectId: Type.String(),
      from: Nullable(Type.String()),
      to: Nullable(Type.String()),
      comment: Nullable(Type.String()),
      data: Nullable(Type.Object({}, { additionalProperties: true })),
    },
    { additionalProperties: true },
  ),
);

export const User = component(
  'User',
  Type.Object(
    {
      id: Type.String(),
      username: Type.String(),
      displayName: Type.String(),
      email: Nullable(Type.String()),
      isAdmin: Type.Boolean(),
      disabled: Type.Boolean(),
      hasPassword: Type.Boolean(),
      createdAt: Type.String(),
      updatedAt: Type.String(),
    },
    { additionalProperties: true },
  ),
);

export const Membership = component(
  'Membership',
  Type.Object(
    {
      projectId: Type.String(),
      userId: Type.String(),
      role: Role,
      createdAt: Type.String(),
      username: Type.Optional(Type.String()),
    },
    { additionalProperties: true },
  ),
);

export const Me = Type.Object({
  user: User,
  memberships: Type.Array(Membership),
  via: Type.String(),
  csrfToken: Type.Optional(Type.String()),
});

export const ApiToken = component(
  'ApiToken',
  Type.Object(
    {
      id: Type.String(),
      userId: Type.String(),
      name: Type.String(),
      prefix: Type.String(),
      createdAt: Type.String(),
      lastUsedAt: Nullable(Type.String()),
      expiresAt: Nullable(Type.String()),
      revokedAt: Nullable(Type.String()),
      actForOthers: Type.Boolean({
        description: 'A pipeline token: may record other people as author, submitter or approver',
      }),
    },
    { additionalProperties: true },
  ),
);

export const Statistics = component(
  'Statistics',
  Type.Object(
    {
      projectId: Nullable(Type.String()),
      totalMedia: Type.Integer(),
      byType: Type.Record(Type.String(), Type.Integer()),
      byStatus: Type.Record(Type.String(), Type.Integer(), {
        description:
          'Counts by status: pending, approved and rejected by those words, other statuses by name',
      }),
      totalSize: Type.Integer({ description: 'Bytes of original files' }),
      authors: Type.Array(Type.Object({ author: Type.String(), count: Type.Integer() })),
      versions: Type.Object({
        tasks: Type.Integer(),
        total: Type.Integer(),
        averagePerTask: Type.Number(),
        maxPerTask: Type.Integer(),
      }),
    },
    { additionalProperties: true, description: 'Media statistics (archived items not counted)' },
  ),
);

const FileRef = Type.Object({ mediaId: Type.String(), key: Type.String(), role: Type.String() });

export const OrphanCleanupReport = component(
  'OrphanCleanupReport',
  Type.Object(
    {
      dryRun: Type.Boolean(),
      orphanFiles: Type.Array(Type.String(), { description: 'Stored files no record points at' }),
      missingFiles: Type.Array(FileRef, { description: 'Records whose file is gone' }),
      corruptFiles: Type.Array(
        Type.Object({
          mediaId: Type.String(),
          key: Type.String(),
          role: Type.String(),
          expected: Type.String(),
          actual: Type.String(),
        }),
      ),
      temporaryFiles: Type.Array(Type.String()),
      staleReservations: Type.Integer(),
      orphanedFilesRemoved: Type.Integer({ description: 'Removed by this call (0 in a dry run)' }),
      missingFilesCleaned: Type.Integer({ description: 'Marked missing by this call (0 in a dry run)' }),
      clean: Type.Boolean(),
    },
    { additionalProperties: true },
  ),
);

export const CleanupOldMediaResult = component(
  'CleanupOldMediaResult',
  Type.Object(
    {
      dryRun: Type.Boolean(),
      action: Enum(['archive', 'delete'] as const),
      candidates: Type.Array(
        Type.Object({
          id: Type.String(),
          taskId: Type.String(),
          version: Type.String(),
          createdAt: Type.String(),
          size: Type.Integer(),
        }),
      ),
      recordsArchived: Type.Integer({ description: 'Archived by this call (0 in a dry run)' }),
      recordsDeleted: Type.Integer({ description: 'Deleted by this call (0 in a dry run)' }),
    },
    { additionalProperties: true },
  ),
);

const PlaylistFields = {
  id: Type.String(),
  projectId: Type.String(),
  name: Type.String(),
  date: Nullable(Type.String({ description: 'Review date YYYY-MM-DD' })),
  owner: Type.String({ description: 'Who made it: with supervisors and admins, may curate it' }),
  description: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
};

export const PlaylistSummary = component(
  'PlaylistSummary',
  Type.Object({ ...PlaylistFields, itemCount: Type.Integer() }, { additionalProperties: true }),
);

export const Playlist = component(
  'Playlist',
  Type.Object(
    {
      ...PlaylistFields,
      items: Type.Array(
        Type.Object({
          position: Type.Integer(),
          mediaId: Type.String(),
          addedBy: Type.String(),
          addedAt: Type.String(),
          media: MediaSummary,
        }),
      ),
    },
    { additionalProperties: true, description: 'A playlist with its items in order' },
  ),
);

const WebhookFields = {
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String(), { description: 'Event types sent; empty means all but *.progress' }),
  projectId: Nullable(Type.String()),
  active: Type.Boolean(),
  description: Type.String(),
  createdBy: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
};

export const Webhook = component('Webhook', Type.Object(WebhookFields, { additionalProperties: true }));

export const NewWebhook = component(
  'NewWebhook',
  Type.Object(
    { ...WebhookFields, secret: Type.String({ description: 'Shown once: signs every delivery' }) },
    { additionalProperties: true },
  ),
);

export const WebhookDelivery = component(
  'WebhookDelivery',
  Type.Object(
    {
      id: Type.String({ description: 'Sent as the Montu-Delivery header' }),
      webhookId: Type.String(),
      eventId: Type.String(),
      eventType: Type.String(),
      state: Enum(['pending', 'delivered', 'failed'] as const),
      attempts: Type.Integer(),
      nextAttemptAt: Type.String(),
      lastStatus: Nullable(Type.Integer()),
      lastError: Nullable(Type.String()),
      createdAt: Type.String(),
      deliveredAt: Nullable(Type.String()),
    },
    { additionalProperties: true },
  ),
);

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
  position: Type.Optional(
    Type.Object(
      { x: Type.Number(), y: Type.Number() },
      { additionalProperties: true, description: 'Normalised 0–1 (x right, y down)' },
    ),
  ),
  positionPx: Type.Optional(PixelPoint),
  drawing: Type.Optional(
    Type.Unknown({ description: 'Drawing: { version: 1, shapes: [...] } (see docs/review.md)' }),
  ),
  parentId: Type.Optional(Type.String({ maxLength: 64 })),
  mentions: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 })),
  renditionSha256: Type.Optional(Type.String({ maxLength: 64 })),
};

/** The body of a review action: a comment, and whom it is recorded as made by. */
export const ReviewAction = Type.Object({
  comment: Type.Optional(Type.String({ maxLength: 10_000 })),
  by: Type.Optional(
    Type.String({
      maxLength: 200,
      description:
        'Who makes the change (submitter, approver) when not the caller: instance admins and pipeline tokens only',
    }),
  ),
});

export const MediaParams = Type.Object({ mediaId: Type.String({ maxLength: 64 }) });
export const ProjectParams = Type.Object({ projectId: Type.String({ maxLength: 64 }) });
export const TaskParams = Type.Object({ taskId: Type.String({ maxLength: 200 }) });
export const UserParams = Type.Object({ userId: Type.String({ maxLength: 64 }) });

export const Ok = Type.Object({ ok: Type.Boolean() });

export type MediaParamsT = Static<typeof MediaParams>;
export type ProjectParamsT = Static<typeof ProjectParams>;
export type TaskParamsT = Static<typeof TaskParams>;
export type UserParamsT = Static<typeof UserParams>;

/** An error answer as the document describes it: problem+json, the type sendProblem sends. */
const ProblemResponse = {
  description: 'RFC 9457 problem details',
  content: { 'application/problem+json': { schema: Problem } },
};

/** Standard error responses for a route, so the document lists them. */
export function errors(...statuses: number[]): Record<number, typeof ProblemResponse> {
  return Object.fromEntries([401, ...statuses].map((s) => [s, ProblemResponse]));
}
