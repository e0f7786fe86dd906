/** Montu's words: media types, statuses, processing, job and file states, file roles. */

export const MEDIA_TYPES = ['image', 'video', 'audio', 'sequence'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

export const APPROVAL_STATUSES = [
  'wip',
  'pending_review',
  'approved',
  'changes_requested',
  'rejected',
  'on_hold',
] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** State of background processing (metadata, thumbnail, proxy) for a media item or one rendition. */
export const PROCESSING_STATES = ['pending', 'processing', 'ready', 'failed'] as const;
export type ProcessingState = (typeof PROCESSING_STATES)[number];

/** A background job's states (`montu jobs --state`, `GET /jobs?state=`). */
export const JOB_STATES = ['queued', 'running', 'done', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** State of one stored file: processing states, plus what integrity checks found. */
export const FILE_STATES = ['pending', 'processing', 'ready', 'failed', 'missing', 'corrupt'] as const;
export type FileState = (typeof FILE_STATES)[number];

export const FILE_ROLES = [
  'original',
  'frame',
  'thumbnail',
  'proxy',
  'web',
  'audio_preview',
  'attachment',
  /** Thumbnail sprite sheet of a movie or sequence; its `info` is the tile index (issue 21). */
  'sprite',
  /** Half-float rendition of a float or high-bit-depth still, for the colour-managed viewer (decision 147). */
  'web_float',
  /** Half-float rendition of one frame of a float sequence, made on demand and kept (decision 217). */
  'frame_float',
  /** Audio peaks of a movie with sound, JSON (`WaveformPeaks`), for the timeline (issue 21). */
  'waveform',
] as const;
export type FileRole = (typeof FILE_ROLES)[number];
