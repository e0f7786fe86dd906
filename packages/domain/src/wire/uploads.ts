/** The upload routes' contract: image sequences (frame by frame) and the outcome of a tus upload. */
import { Type } from '@sinclair/typebox';
import { Media } from './components.js';
import { Closed, Enum, Nullable } from './schema.js';

const Sha256 = Type.String({ pattern: '^[0-9a-fA-F]{64}$' });

export const SequenceFrameSpec = Closed(
  {
    frame: Type.Integer(),
    fileName: Type.String({ maxLength: 255 }),
    size: Type.Optional(Type.Integer({ minimum: 0 })),
    sha256: Type.Optional(Sha256),
  },
  { title: 'SequenceFrameSpec' },
);

export const StartSequence = Closed(
  {
    projectId: Type.String({ maxLength: 64 }),
    taskId: Type.String({ maxLength: 200 }),
    version: Type.Optional(Type.Union([Type.String({ maxLength: 16 }), Type.Integer({ minimum: 1 })])),
    author: Type.Optional(
      Type.String({
        maxLength: 200,
        description: 'Who made it, when not the caller: instance admins and pipeline tokens only',
      }),
    ),
    description: Type.Optional(Type.String({ maxLength: 10_000 })),
    tags: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 })),
    fps: Type.Optional(Type.String({ maxLength: 32 })),
    fileName: Type.Optional(Type.String({ maxLength: 255 })),
    frames: Type.Array(SequenceFrameSpec, { minItems: 1, maxItems: 100_000 }),
  },
  { title: 'StartSequence' },
);

export const SequenceUpload = Closed(
  {
    uploadId: Type.String(),
    version: Type.String(),
    pendingFrames: Type.Array(Type.Integer()),
    projectId: Type.Optional(Type.String()),
    taskId: Type.Optional(Type.String()),
  },
  { title: 'SequenceUpload' },
);

export const SequenceUploadParams = Closed({ uploadId: Type.String({ maxLength: 64 }) });
export const SequenceFrameParams = Closed({
  uploadId: Type.String({ maxLength: 64 }),
  frame: Type.Integer(),
});
export const SequenceFrameQuery = Type.Object({ sha256: Type.Optional(Sha256) });
export const StoredFrame = Closed(
  { frame: Type.Integer(), size: Type.Integer(), sha256: Type.String() },
  { title: 'StoredFrame' },
);

/** Ids of resumable uploads: 32 lower-case hex digits, issued by the server. */
export const UPLOAD_ID = /^[0-9a-f]{32}$/;
export const UploadParams = Closed({
  uploadId: Type.String({ pattern: UPLOAD_ID.source, description: 'The id the upload was created with' }),
});

/** A finished tus upload: the media item it made, or the problem that refused it. */
export const UploadOutcome = Closed(
  {
    state: Enum(['complete', 'failed'] as const),
    mediaId: Type.Optional(Type.String()),
    media: Type.Optional(Media),
    error: Type.Optional(
      Closed(
        {
          status: Type.Optional(Type.Integer()),
          code: Type.Optional(Type.String()),
          detail: Type.Optional(Type.String()),
        },
        { title: 'UploadError', description: 'Why the upload was refused, as a problem would say it' },
      ),
    ),
  },
  { title: 'UploadOutcome' },
);

/** A tus upload still receiving bytes. */
export const UploadInProgress = Closed(
  { state: Type.String(), offset: Type.Integer(), size: Nullable(Type.Integer()) },
  { title: 'UploadInProgress' },
);

/** `GET /uploads/direct`: whether this server takes uploads straight to its object store. */
export const DirectUploadOffer = Closed(
  {
    offered: Type.Boolean(),
    reason: Type.Optional(Type.String({ description: 'Why not, when not offered' })),
  },
  { title: 'DirectUploadOffer' },
);

/** Starts a direct-to-S3 upload (decision 160): the file's description, no bytes. */
export const StartDirectUpload = Closed(
  {
    fileName: Type.String({ minLength: 1, maxLength: 255 }),
    size: Type.Integer({ minimum: 1, description: 'The file size in bytes' }),
    projectId: Type.Optional(Type.String({ maxLength: 64 })),
    taskId: Type.Optional(Type.String({ maxLength: 200 })),
    sourceMediaId: Type.Optional(
      Type.String({ maxLength: 64, description: 'A new version of this item (instead of projectId/taskId)' }),
    ),
    version: Type.Optional(Type.Union([Type.String({ maxLength: 16 }), Type.Integer({ minimum: 1 })])),
    author: Type.Optional(
      Type.String({
        maxLength: 200,
        description: 'Who made it, when not the caller: instance admins and pipeline tokens only',
      }),
    ),
    description: Type.Optional(Type.String({ maxLength: 10_000 })),
    tags: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 })),
    sha256: Type.Optional(Sha256),
    contentType: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { title: 'StartDirectUpload' },
);

export const DirectUploadPart = Closed(
  {
    partNumber: Type.Integer({ minimum: 1 }),
    etag: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { title: 'DirectUploadPart' },
);

/** A direct upload: how to cut the file, and the parts the server has been told are stored. */
export const DirectUpload = Closed(
  {
    uploadId: Type.String(),
    state: Enum(['uploading', 'finishing', 'complete', 'failed'] as const),
    fileName: Type.String(),
    size: Type.Integer(),
    partSize: Type.Integer({ description: 'max(8 MiB, ⌈size / 9,000⌉); the last part is shorter' }),
    partCount: Type.Integer(),
    parts: Type.Array(DirectUploadPart, { description: 'Parts already stored, by part number' }),
    mediaId: Nullable(Type.String()),
  },
  { title: 'DirectUpload' },
);

export const DirectUploadParams = Closed({
  uploadId: Type.String({ pattern: UPLOAD_ID.source, description: 'The id the upload was created with' }),
});
export const DirectPartParams = Closed({
  uploadId: Type.String({ pattern: UPLOAD_ID.source }),
  partNumber: Type.Integer({ minimum: 1, maximum: 10_000 }),
});

/** Which parts to sign upload URLs for. */
export const DirectPartUrlsRequest = Closed(
  { parts: Type.Array(Type.Integer({ minimum: 1, maximum: 10_000 }), { minItems: 1, maxItems: 1000 }) },
  { title: 'DirectPartUrlsRequest' },
);

export const DirectPartUrls = Closed(
  {
    urls: Type.Array(Closed({ partNumber: Type.Integer(), url: Type.String() }, { title: 'DirectPartUrl' })),
    expiresInSeconds: Type.Integer(),
  },
  {
    title: 'DirectPartUrls',
    description: 'PUT each part’s bytes to its URL (no Montu credentials), then record its ETag',
  },
);

/** A part the client stored: the ETag the object store answered its PUT with. */
export const RecordDirectPart = Closed(
  { etag: Type.String({ minLength: 1, maxLength: 200 }) },
  { title: 'RecordDirectPart' },
);

export const CompleteDirectUpload = Closed(
  { sha256: Type.Optional(Sha256) },
  { title: 'CompleteDirectUpload' },
);
/** Header of a retried upload (`Idempotency-Key`, as in the IETF httpapi draft). */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** The header as upload routes document it (OpenAPI). */
export const IdempotencyHeaders = Type.Object({
  [IDEMPOTENCY_HEADER]: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description:
        'Any unique string (a UUID) per upload: a retry with the same key by the same user within 24 h gets the first result (header Idempotent-Replayed: true) instead of a second version; 409 with Retry-After while the first is still running.',
    }),
  ),
});
