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
