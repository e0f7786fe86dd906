/** Domain types shared by every part of Montu. */

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

/** State of one stored file: processing states, plus what integrity checks found. */
/** A background job's states (`montu jobs --state`, `GET /jobs?state=`). */
export const JOB_STATES = ['queued', 'running', 'done', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

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
] as const;
export type FileRole = (typeof FILE_ROLES)[number];

export interface Project {
  id: string;
  name: string;
  settings: ProjectSettings;
  createdAt: string;
  updatedAt: string;
}

export interface ProjectSettings {
  /** Default frame rate for sequences, as an exact rational such as `24/1` or `24000/1001`. */
  defaultFps?: string;
  /** How movies number their frames: a start frame such as 1001, or `"timecode"` (see `MovieStartFrame`). */
  movieStartFrame?: number | 'timecode';
  [key: string]: unknown;
}

export interface Task {
  projectId: string;
  /** The task id as the studio writes it, e.g. `ep01_sq010_sh020_lighting`. */
  id: string;
  episode: string | null;
  sequence: string | null;
  shot: string | null;
  step: string | null;
  createdAt: string;
}

export interface MediaFile {
  id: string;
  role: FileRole;
  /** Frame number for sequence frames, otherwise null. */
  frame: number | null;
  backend: string;
  key: string;
  size: number;
  sha256: string;
  contentType: string;
  state: FileState;
  error: string | null;
  createdAt: string;
  /** How a rendition was made; null for originals, frames and attachments (and renditions made before 0.1). */
  info: RenditionInfo | null;
}

/** How a rendition was made, recorded with its file. */
export interface RenditionInfo {
  width?: number;
  height?: number;
  /**
   * Display transform of a picture: `none` (display-referred source), `srgb` or `filmic` (built-in,
   * for linear renders), `ocio` (through oiiotool and the `$OCIO` config; see `ocio`).
   */
  transform?: 'none' | 'srgb' | 'filmic' | 'ocio';
  /** With `transform: 'ocio'`: the config (its file name, not its path) and the display and view used. */
  ocio?: { config: string; display: string; view: string };
  /** Seconds into a video a thumbnail was taken at, when asked for one. */
  timestamp?: number;
  /** Proxies and audio previews: frame rate (exact rational) and duration in seconds (null: unknown). */
  fps?: string;
  duration?: number | null;
  /** `web_float` renditions: what the half floats hold (FloatImageHeader.values, decision 147). */
  values?: 'scene_linear' | 'source';
  /** `web` renditions of float/high-bit-depth stills whose `web_float` could not be made: why. */
  floatError?: string;
  [key: string]: unknown;
}

export interface Approval {
  by: string;
  at: string;
  comment: string | null;
}

/** The state of one processing step of a media item (its latest job of that kind). */
export interface StepProcessing {
  jobId: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  progress: number;
  attempts: number;
  error: string | null;
  updatedAt: string;
}

export interface Media {
  id: string;
  projectId: string;
  taskId: string;
  /** `v001`, `v002`, … */
  version: string;
  versionNumber: number;
  mediaType: MediaType;
  /** The name the file was uploaded with (kept as metadata; the stored name is generated). */
  fileName: string;
  mimeType: string;
  size: number;
  sha256: string;
  author: string;
  description: string;
  tags: string[];
  status: ApprovalStatus;
  reviewSelected: boolean;
  approval: Approval | null;
  archivedAt: string | null;
  processingState: ProcessingState;
  processingError: string | null;
  /**
   * Processing per step (`probe` = metadata, `thumbnail`, `proxy` = proxy/web/audio rendition):
   * the latest job of each kind. Absent for items processed before jobs were recorded.
   */
  processing?: Record<string, StepProcessing>;
  metadata: Record<string, unknown>;
  /** Source timecode of the first frame (`01:00:00:00`; `;` for drop-frame); null when it has none. */
  startTimecode: string | null;
  /** Source frame number of the first frame (a sequence's first number; a movie's per `movieStartFrame`). */
  startFrame: number | null;
  customProperties: Record<string, unknown>;
  files: MediaFile[];
  createdAt: string;
  updatedAt: string;
}

/**
 * A note on a media item (stored in the `annotation` table; the API's wire names — the
 * `Annotation` schema, `/annotations` routes, `annotation.*` events — keep the original word).
 */
export interface Note {
  id: string;
  mediaId: string;
  parentId: string | null;
  author: string;
  type: string;
  content: string;
  frame: number | null;
  frameEnd: number | null;
  /** Counts the note's edits from 1; a save that names an older revision is refused (409). */
  revision: number;
  position: Record<string, unknown> | null;
  drawing: unknown | null;
  mentions: string[];
  resolved: boolean;
  renditionSha256: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface HistoryEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  /** The entry in words ("Version created", "Put on hold"): `historyLabel`. */
  label: string;
  projectId: string | null;
  subjectType: string;
  subjectId: string;
  from: string | null;
  to: string | null;
  comment: string | null;
  data: Record<string, unknown> | null;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}
