/** The media routes' contract: search, updates, thumbnails, uploads by form, status changes. */
import { Type } from '@sinclair/typebox';
import { MediaType, StatusInput } from './components.js';
import { ReviewAction } from './review.js';
import { Closed, Enum, JsonValue, MapOf } from './schema.js';

export const SearchQuery = Type.Object({
  query: Type.Optional(Type.String({ maxLength: 500 })),
  projectId: Type.Optional(Type.String({ maxLength: 64 })),
  taskId: Type.Optional(Type.String({ maxLength: 200 })),
  mediaType: Type.Optional(MediaType),
  author: Type.Optional(Type.String({ maxLength: 200, description: 'any case' })),
  status: Type.Optional(StatusInput),
  tags: Type.Optional(
    Type.Array(Type.String({ maxLength: 64 }), { description: 'repeat, or comma-separated' }),
  ),
  dateFrom: Type.Optional(Type.String({ maxLength: 40 })),
  dateTo: Type.Optional(Type.String({ maxLength: 40 })),
  reviewSelected: Type.Optional(Type.Boolean()),
  archived: Type.Optional(Enum(['exclude', 'include', 'only'] as const)),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
});

export const UpdateMediaInfo = Closed(
  {
    description: Type.Optional(Type.String({ maxLength: 10_000 })),
    tags: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 })),
    reviewSelected: Type.Optional(Type.Boolean()),
    approvalStatus: Type.Optional(StatusInput),
    comment: Type.Optional(Type.String({ maxLength: 10_000 })),
  },
  { title: 'UpdateMediaInfo' },
);

/**
 * A merge patch of metadata: its keys are the item's metadata keys (the studio's own included),
 * so they are data, declared as a map of JSON values; `metadata` and `customProperties` are the
 * nested forms. null removes a key.
 */
export const UpdateMediaMetadata = Type.Object(
  {
    metadata: Type.Optional(MapOf(JsonValue, { description: 'The same keys, nested (older form)' })),
    customProperties: Type.Optional(MapOf(JsonValue)),
  },
  {
    title: 'UpdateMediaMetadata',
    additionalProperties: JsonValue,
    description:
      'Every other key is technical metadata (colorSpace, renderEngine, anything), merged; null removes a key',
  },
);

export const StatusChange = Closed(
  {
    status: StatusInput,
    comment: ReviewAction.properties.comment,
    by: ReviewAction.properties.by,
  },
  { title: 'StatusChange' },
);

export const DeleteMediaQuery = Type.Object({
  removeFiles: Type.Optional(Type.Boolean({ default: true })),
});

export const RegenerateThumbnail = Closed(
  { timestamp: Type.Optional(Type.Number({ minimum: 0 })) },
  { title: 'RegenerateThumbnail' },
);

export const ThumbnailScheduled = Closed(
  {
    mediaId: Type.String(),
    scheduled: Type.Boolean(),
    jobId: Type.String({ description: 'The job making it: GET /jobs/:jobId tells when it is done' }),
  },
  { title: 'ThumbnailScheduled' },
);

/** The multipart form of an upload, documented for OpenAPI (validated by hand while streaming). */
export const UploadForm = {
  type: 'object',
  required: ['file'],
  properties: {
    projectId: { type: 'string' },
    taskId: { type: 'string' },
    version: { type: 'string', description: 'v003 or 3; next free version when omitted' },
    author: {
      type: 'string',
      description: 'Who made it, when not the caller: instance admins and pipeline tokens only',
    },
    description: { type: 'string' },
    tags: { type: 'string', description: 'comma-separated or JSON array' },
    sha256: { type: 'string', description: 'expected sha256 (hex); a mismatch keeps nothing' },
    customProperties: { type: 'string', description: 'JSON object' },
    file: { type: 'string', format: 'binary', description: 'must come after the other fields' },
  },
} as const;

export const TaskVersions = Closed(
  { taskId: Type.String(), versions: Type.Array(Type.String()) },
  { title: 'TaskVersions' },
);
