/**
 * Wire types of the Montu REST API (docs/api.md), mirrored from @montu/core's domain types.
 * Kept by hand until @montu/client (generated from OpenAPI) lands; then this module re-exports it.
 */
export type MediaType = 'image' | 'video' | 'audio' | 'sequence';
export type ApprovalStatus =
  'wip' | 'pending_review' | 'approved' | 'changes_requested' | 'rejected' | 'on_hold';
export const STATUSES: ApprovalStatus[] = [
  'wip',
  'pending_review',
  'approved',
  'changes_requested',
  'rejected',
  'on_hold',
];
export const MEDIA_TYPES: MediaType[] = ['image', 'video', 'sequence', 'audio'];
export type ProcessingState = 'pending' | 'processing' | 'ready' | 'failed';
export type Role = 'artist' | 'supervisor' | 'admin';

export interface User {
  id: string;
  username: string;
  displayName: string | null;
  email: string | null;
  isAdmin: boolean;
}
export interface Membership {
  projectId: string;
  role: Role;
}
export interface Me {
  user: User;
  memberships: Membership[];
}
export interface LoginResult extends Me {
  csrfToken: string;
}

export interface Project {
  id: string;
  name: string;
  settings: { defaultFps?: string; [key: string]: unknown };
}
export interface Task {
  projectId: string;
  id: string;
  episode: string | null;
  sequence: string | null;
  shot: string | null;
  step: string | null;
}

export interface MediaFile {
  id: string;
  role: string;
  frame: number | null;
  size: number;
  contentType: string;
  state: string;
  error: string | null;
  /** How a rendition was made (null for originals and frames). */
  info?: {
    width?: number;
    height?: number;
    transform?: 'none' | 'srgb' | 'filmic' | 'ocio';
    ocio?: { config: string; display: string; view: string };
    [key: string]: unknown;
  } | null;
}

export interface MediaMetadata {
  width?: number | null;
  height?: number | null;
  fps?: string | null;
  duration?: number | null;
  frameCount?: number | null;
  timecode?: string | null;
  channels?: number | null;
  channelNames?: string[] | null;
  colourSpace?: string | null;
  videoCodec?: string | null;
  bitDepth?: number | null;
  firstFrame?: number | null;
  [key: string]: unknown;
}

export interface Media {
  id: string;
  projectId: string;
  taskId: string;
  version: string;
  versionNumber: number;
  mediaType: MediaType;
  fileName: string;
  mimeType: string;
  size: number;
  author: string;
  description: string;
  tags: string[];
  status: ApprovalStatus;
  reviewSelected: boolean;
  approval: { by: string; at: string; comment: string | null } | null;
  archivedAt: string | null;
  processingState: ProcessingState;
  processingError: string | null;
  metadata: MediaMetadata;
  files?: MediaFile[];
  createdAt: string;
  updatedAt: string;
}

export interface Annotation {
  id: string;
  mediaId: string;
  parentId: string | null;
  author: string;
  type: string;
  content: string;
  frame: number | null;
  frameEnd: number | null;
  drawing: unknown | null;
  mentions: string[];
  resolved: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface NewAnnotation {
  content: string;
  frame?: number | null;
  frameEnd?: number | null;
  drawing?: unknown;
  parentId?: string | null;
  mentions?: string[];
}

export interface HistoryEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  from: string | null;
  to: string | null;
  comment: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface MediaQuery {
  projectId?: string;
  query?: string;
  taskId?: string;
  mediaType?: MediaType | '';
  author?: string;
  status?: ApprovalStatus | '';
  tags?: string;
  dateFrom?: string;
  dateTo?: string;
  limit?: number;
  cursor?: string | null;
}

export interface Statistics {
  total?: number;
  totalSize?: number;
  byType?: Record<string, number>;
  byStatus?: Record<string, number>;
  storage?: { bytes?: number; [key: string]: unknown };
  versionsPerTask?: Array<{ taskId: string; versions: number }> | Record<string, number>;
  approvalsOverTime?: Array<{ date: string; count: number }>;
  [key: string]: unknown;
}

export interface Playlist {
  id: string;
  projectId: string;
  name: string;
  owner?: string;
  date?: string | null;
  items: Array<{ mediaId: string; position?: number; media?: Media }>;
  createdAt?: string;
}

/** A playlist as listed: without its items, with how many it holds. */
export type PlaylistSummary = Omit<Playlist, 'items'> & { itemCount: number };

export interface CompareSide {
  media: Media;
  renditions?: MediaFile[];
  notes: Annotation[];
  frames: { start: number; end: number } | null;
  timing?: {
    fps: string | null;
    dropFrame: boolean;
    frameStart: number | null;
    frameEnd: number | null;
    frameCount: number | null;
  };
}
export interface CompareResult {
  projectId: string;
  taskId: string;
  a: CompareSide;
  b: CompareSide;
  alignment?: { mode: string; offsetA: number; offsetB: number; sameRate: boolean };
}

/** Server-sent event (`/api/v1/events`). */
export interface MontuEvent {
  type: string;
  mediaId?: string;
  projectId?: string;
  progress?: number;
  state?: string;
  error?: string | null;
  [key: string]: unknown;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code?: string;
  [key: string]: unknown;
}
