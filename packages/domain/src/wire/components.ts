/**
 * The named records of the wire contract (components.schemas of the OpenAPI document): what
 * every answer holding a media item, a note, a project, … is made of. Closed objects: every
 * field is declared (the one open record is `MediaMetadata`, whose other keys are a studio's).
 */
import { Type } from '@sinclair/typebox';
import { APPROVAL_STATUSES, FILE_ROLES, FILE_STATES, MEDIA_TYPES, PROCESSING_STATES } from '../vocabulary.js';
import { ROLES, STATUS_INPUTS } from '../workflow.js';
import { MediaMetadataSchema } from './metadata.js';
import { Closed, component, Enum, JsonValue, MapOf, Nullable } from './schema.js';

export const Problem = component(
  'Problem',
  Closed(
    {
      type: Type.String(),
      title: Type.String(),
      status: Type.Integer(),
      detail: Type.String(),
      code: Type.String({ description: 'Stable machine-readable error code' }),
      instance: Type.String(),
      requestId: Type.String(),
      details: Type.Optional(MapOf(JsonValue, { description: 'What the code needs explained (field, …)' })),
    },
    { description: 'RFC 9457 problem details' },
  ),
);

export const Role = Enum(ROLES);
export const ApprovalStatus = Enum(APPROVAL_STATUSES);
/** A status as requests may give it: a workflow status, or the media services document's word. */
export const StatusInput = Enum(STATUS_INPUTS, {
  description: 'A workflow status, or pending / approved / rejected (pending is pending_review)',
});
export const MediaType = Enum(MEDIA_TYPES);

export const OcioSettings = Closed(
  { config: Type.String(), display: Type.String(), view: Type.String() },
  { title: 'OcioSettings' },
);

export const RenditionInfo = Closed(
  {
    width: Type.Optional(Type.Integer()),
    height: Type.Optional(Type.Integer()),
    transform: Type.Optional(
      Enum(['none', 'srgb', 'filmic', 'ocio'] as const, {
        description:
          'Display transform of a picture: none (display-referred source), srgb or filmic (built-in, linear renders), ocio (oiiotool with the $OCIO config)',
      }),
    ),
    ocio: Type.Optional(OcioSettings),
    timestamp: Type.Optional(
      Type.Number({ description: 'Seconds into a video a thumbnail was asked for at' }),
    ),
    fps: Type.Optional(Type.String()),
    duration: Type.Optional(Nullable(Type.Number())),
    // A sprite sheet's tile index (decision 134).
    tileWidth: Type.Optional(Type.Integer({ description: 'Sprite sheets: width of one tile' })),
    tileHeight: Type.Optional(Type.Integer()),
    columns: Type.Optional(Type.Integer({ description: 'Sprite sheets: tiles a row (row-major)' })),
    rows: Type.Optional(Type.Integer()),
    offsets: Type.Optional(
      Type.Array(Type.Integer(), {
        description: 'Sprite sheets: tile i shows the frame offsets[i] frames after the first',
      }),
    ),
    peaksPerSecond: Type.Optional(
      Type.Integer({ description: 'Waveforms: peaks a second (the document is WaveformPeaks)' }),
    ),
    values: Type.Optional(
      Enum(['scene_linear', 'source'] as const, {
        description: 'web_float: what the half floats hold (decision 147)',
      }),
    ),
    floatError: Type.Optional(
      Type.String({ description: 'web images of float/high-bit-depth stills: why no web_float was made' }),
    ),
  },
  { title: 'RenditionInfo', description: 'How a rendition was made (a sprite sheet: its tile index)' },
);

/** The waveform rendition's document (domain waveform.ts reads it). */
export const WaveformPeaks = component(
  'WaveformPeaks',
  Closed(
    {
      version: Type.Literal(1),
      peaksPerSecond: Type.Number({ exclusiveMinimum: 0 }),
      duration: Type.Number({ minimum: 0, description: 'Seconds the peaks cover' }),
      peaks: Type.Array(Type.Number({ minimum: 0, maximum: 1 }), {
        description: 'Peak amplitude of each window (linear, 0 = silence, 1 = full scale)',
      }),
    },
    {
      description:
        'Audio peaks of a movie with sound, served as the `waveform` rendition (GET /media/:id/files/waveform)',
    },
  ),
);

export const MediaFile = component(
  'MediaFile',
  Closed({
    id: Type.String(),
    role: Enum(FILE_ROLES),
    frame: Nullable(Type.Integer()),
    backend: Type.String(),
    key: Type.String(),
    size: Type.Integer(),
    sha256: Type.String(),
    contentType: Type.String(),
    state: Enum(FILE_STATES),
    error: Nullable(Type.String()),
    createdAt: Type.String(),
    info: Nullable(RenditionInfo),
  }),
);

export const MediaMetadata = component('MediaMetadata', MediaMetadataSchema);

export const Approval = Closed(
  { by: Type.String(), at: Type.String(), comment: Nullable(Type.String()) },
  { title: 'Approval' },
);

export const StepProcessing = Closed(
  {
    jobId: Type.String(),
    state: Enum(['queued', 'running', 'done', 'failed'] as const),
    progress: Type.Integer(),
    attempts: Type.Integer(),
    error: Nullable(Type.String()),
    updatedAt: Type.String(),
  },
  { title: 'StepProcessing', description: 'The latest job of one processing step' },
);

const MediaFields = {
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
  approval: Nullable(Approval),
  archivedAt: Nullable(Type.String()),
  processingState: Enum(PROCESSING_STATES),
  processingError: Nullable(Type.String()),
  processing: Type.Optional(
    MapOf(StepProcessing, {
      description:
        'Per step (probe, thumbnail, proxy): its latest job. Absent for items processed before jobs were recorded',
    }),
  ),
  metadata: MediaMetadata,
  // Source time (decision 130).
  startTimecode: Nullable(
    Type.String({ description: 'source timecode of the first frame (`;` before frames: drop-frame)' }),
  ),
  startFrame: Nullable(Type.Integer({ description: 'source frame number of the first frame' })),
  customProperties: MapOf(JsonValue, { description: "The studio's own properties" }),
};

export const Media = component(
  'Media',
  Closed({
    ...MediaFields,
    files: Type.Array(MediaFile),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  }),
);

/** A media item without its files, as playlist items and compare sides carry it. */
export const MediaSummary = component(
  'MediaSummary',
  Closed({ ...MediaFields, createdAt: Type.String(), updatedAt: Type.String() }),
);

export const MediaPage = Closed(
  { items: Type.Array(Media), nextCursor: Nullable(Type.String()) },
  { title: 'MediaPage' },
);

export const Transition = Closed(
  {
    action: Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' }),
    from: Type.Array(ApprovalStatus, { minItems: 1 }),
    to: ApprovalStatus,
    roles: Type.Array(Role),
  },
  { title: 'Transition', description: 'One allowed status change and the roles that may make it' },
);

export const Workflow = component(
  'Workflow',
  Closed(
    {
      initial: ApprovalStatus,
      transitions: Type.Array(Transition, { minItems: 1 }),
      reviewSelectRoles: Type.Optional(
        Type.Array(Role, { description: 'Who may put a version forward (admins always may)' }),
      ),
    },
    { description: 'A review workflow as data: its transitions and who may make them' },
  ),
);

export const ProjectSettings = Closed(
  {
    defaultFps: Type.Optional(
      Type.String({
        maxLength: 32,
        description: 'Frame rate of sequences without one, e.g. 24/1, 24000/1001',
      }),
    ),
    workflow: Type.Optional(Workflow),
    movieStartFrame: Type.Optional(
      Type.Union([Type.Integer(), Type.Literal('timecode')], {
        description: "How movies number their frames: a start frame such as 1001, or 'timecode'",
      }),
    ),
  },
  { title: 'ProjectSettings' },
);

export const Project = component(
  'Project',
  Closed({
    id: Type.String(),
    name: Type.String(),
    settings: ProjectSettings,
    createdAt: Type.String(),
    updatedAt: Type.String(),
  }),
);

export const Task = component(
  'Task',
  Closed({
    projectId: Type.String(),
    id: Type.String(),
    episode: Nullable(Type.String()),
    sequence: Nullable(Type.String()),
    shot: Nullable(Type.String()),
    step: Nullable(Type.String()),
    createdAt: Type.String(),
  }),
);

/** A point in pixels of the upright picture. */
export const PixelPoint = Closed(
  { x: Type.Number(), y: Type.Number() },
  { title: 'PixelPoint', description: 'Pixels of the upright picture (x right, y down)' },
);

/** A point normalised to the picture. */
export const NormalisedPoint = Closed(
  { x: Type.Number(), y: Type.Number() },
  { title: 'NormalisedPoint', description: 'Normalised 0–1 (x right, y down)' },
);

export const HistoryEntry = component(
  'HistoryEntry',
  Closed({
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
    data: Nullable(MapOf(JsonValue, { description: 'What the action recorded beside from and to' })),
  }),
);

export const UserFields = {
  id: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  email: Nullable(Type.String()),
  isAdmin: Type.Boolean(),
  disabled: Type.Boolean(),
  hasPassword: Type.Boolean(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
};

export const User = component('User', Closed(UserFields));

export const Membership = component(
  'Membership',
  Closed({
    projectId: Type.String(),
    userId: Type.String(),
    role: Role,
    createdAt: Type.String(),
    username: Type.Optional(Type.String()),
  }),
);

export const ApiToken = component(
  'ApiToken',
  Closed({
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
  }),
);

const FileRef = Closed({ mediaId: Type.String(), key: Type.String(), role: Type.String() });

export const OrphanCleanupReport = component(
  'OrphanCleanupReport',
  Closed({
    dryRun: Type.Boolean(),
    orphanFiles: Type.Array(Type.String(), { description: 'Stored files no record points at' }),
    missingFiles: Type.Array(FileRef, { description: 'Records whose file is gone' }),
    corruptFiles: Type.Array(
      Closed({
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
  }),
);

export const CleanupOldMediaResult = component(
  'CleanupOldMediaResult',
  Closed({
    dryRun: Type.Boolean(),
    action: Enum(['archive', 'delete'] as const),
    candidates: Type.Array(
      Closed({
        id: Type.String(),
        taskId: Type.String(),
        version: Type.String(),
        createdAt: Type.String(),
        size: Type.Integer(),
      }),
    ),
    recordsArchived: Type.Integer({ description: 'Archived by this call (0 in a dry run)' }),
    recordsDeleted: Type.Integer({ description: 'Deleted by this call (0 in a dry run)' }),
  }),
);

/** An error answer as the document describes it: problem+json. */
const ProblemResponse = {
  description: 'RFC 9457 problem details',
  content: { 'application/problem+json': { schema: Problem } },
};

/** Standard error responses of a route (401 always), so the document lists them. */
export function errors(...statuses: number[]): Record<number, typeof ProblemResponse> {
  return Object.fromEntries([401, ...statuses].map((s) => [s, ProblemResponse]));
}

export const Ok = Closed({ ok: Type.Boolean() }, { title: 'Ok' });
