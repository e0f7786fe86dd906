/**
 * What every command needs from Montu, written once and implemented twice: `LocalBackend`
 * talks to a data directory through the core library, `RemoteBackend` to a server over the
 * REST API. Commands never know which one they have.
 */
import type { ApprovalStatus, JobState, Media, Note, Page, WireType } from '@montu/domain';

/** Both backends answer with the API's records, as the wire contract types them (@montu/domain). */
export type { ApprovalStatus, JobState, Media, Note, Page };
export type Job = WireType<'Job'>;
export type MediaStatistics = WireType<'Statistics'>;
export type OrphanCleanupReport = WireType<'OrphanCleanupReport'>;
export type CleanupOldMediaResult = WireType<'CleanupOldMediaResult'>;
/** The search's filters, as `GET /media` takes them. */
export type SearchMediaOptions = WireType<'SearchQuery'>;

/** Called with the number of bytes read since the last call. */
export type ProgressFn = (bytes: number) => void;

export interface UploadFileInput {
  filePath: string;
  projectId: string;
  taskId: string;
  version?: string;
  description?: string;
  tags?: string[];
  /** Local mode only: who publishes (remote mode: the token's user). */
  author: string;
  /** Wait for metadata, thumbnail and proxy before returning. */
  wait?: boolean;
  onProgress?: ProgressFn;
}

export interface UploadSequenceInput {
  /** Frame files, sorted by frame number. */
  frames: Array<{ frame: number; path: string; size: number }>;
  /** printf-style pattern such as `beauty.%04d.exr`. */
  pattern: string;
  projectId: string;
  taskId: string;
  version?: string;
  description?: string;
  tags?: string[];
  /** Exact frame rate (`24`, `24000/1001`); default the project's. */
  fps?: string;
  author: string;
  wait?: boolean;
  onProgress?: ProgressFn;
}

export interface UpdateInput {
  description?: string;
  tags?: string[];
  reviewSelected?: boolean;
  approvalStatus?: ApprovalStatus;
  comment?: string;
}

export type ReviewAction = 'submit' | 'approve' | 'reject' | 'request-changes' | 'hold' | 'reopen';

export type Playlist = WireType<'PlaylistSummary'>;
export type PlaylistWithItems = WireType<'Playlist'>;
export type ReviewNote = WireType<'ReviewNote'>;
export type Webhook = WireType<'Webhook'>;
export type WebhookDelivery = WireType<'WebhookDelivery'>;
export type ExportFormat = 'csv' | 'html' | 'pdf' | 'otio';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'html', 'pdf', 'otio'];

export interface NoteFilter {
  frame?: number;
  resolved?: boolean;
  playlistId?: string;
}

export interface AddNoteInput {
  content: string;
  frame?: number;
  frameEnd?: number;
  /** The note this one replies to. */
  parentId?: string;
  /** A drawing `{ version: 1, shapes: [...] }` (docs/review.md). */
  drawing?: unknown;
  /** Made in this playlist (still the media item's note). */
  playlistId?: string;
}

export interface PlaylistPatch {
  name?: string;
  date?: string | null;
  description?: string;
}

export interface CreatePlaylistInput {
  projectId: string;
  name: string;
  date?: string;
  description?: string;
  mediaIds?: string[];
}

export interface CreateWebhookInput {
  url: string;
  secret?: string;
  events?: string[];
  projectId?: string;
  description?: string;
}

export interface UserInfo {
  id: string;
  username: string;
  displayName?: string;
  email?: string | null;
  isAdmin?: boolean;
  disabled?: boolean;
  memberships?: Array<{ projectId: string; role: string }>;
}

export interface TokenInfo {
  id: string;
  name: string;
  prefix?: string;
  createdAt?: string;
  lastUsedAt?: string | null;
  expiresAt?: string | null;
  revokedAt?: string | null;
  /** A pipeline token: may record other people as author, submitter or approver. */
  actForOthers?: boolean;
}

export interface MontuBackend {
  readonly mode: 'local' | 'remote';
  /** Where commands act: the data directory or the server URL (for messages). */
  readonly target: string;
  uploadFile(input: UploadFileInput): Promise<Media>;
  uploadSequence(input: UploadSequenceInput): Promise<Media>;
  getMedia(id: string): Promise<Media>;
  search(options: SearchMediaOptions): Promise<Page<Media>>;
  /** Every version of a task, oldest first. */
  versions(taskId: string, options: { projectId?: string; includeArchived?: boolean }): Promise<Media[]>;
  update(id: string, input: UpdateInput): Promise<Media>;
  archive(id: string): Promise<Media>;
  restore(id: string): Promise<Media>;
  delete(id: string, options: { removeFiles: boolean }): Promise<void>;
  statistics(options: { projectId?: string }): Promise<MediaStatistics>;
  review(id: string, action: ReviewAction, comment?: string): Promise<Media>;
  annotate(id: string, input: { content: string; frame?: number; frameEnd?: number }): Promise<Note>;
  annotations(id: string): Promise<Note[]>;
  cleanupOrphans(options: { dryRun: boolean }): Promise<OrphanCleanupReport>;
  cleanupOld(
    projectId: string,
    options: { daysOld: number; dryRun: boolean; action: 'archive' | 'delete' },
  ): Promise<CleanupOldMediaResult>;
  listUsers(): Promise<UserInfo[]>;
  createUser(input: {
    username: string;
    displayName?: string;
    email?: string;
    password?: string;
    isAdmin?: boolean;
  }): Promise<UserInfo>;
  updateUser(
    id: string,
    patch: { disabled?: boolean; displayName?: string; isAdmin?: boolean },
  ): Promise<UserInfo>;
  setRole(projectId: string, userId: string, role: string | null): Promise<void>;
  /** Own tokens (remote), or `user`'s (local mode, which has no logged-in user). */
  listTokens(options?: { user?: string }): Promise<TokenInfo[]>;
  createToken(input: {
    name: string;
    expiresAt?: string;
    user?: string;
    actForOthers?: boolean;
  }): Promise<TokenInfo & { token: string }>;
  revokeToken(id: string): Promise<void>;
  // Threaded review notes (timecode, drawings, replies, resolution).
  listNotes(mediaId: string, filter: NoteFilter): Promise<ReviewNote[]>;
  addNote(mediaId: string, input: AddNoteInput): Promise<ReviewNote>;
  resolveNote(noteId: string, resolved: boolean): Promise<ReviewNote>;
  deleteNote(noteId: string): Promise<void>;
  // Playlists (review sessions).
  listPlaylists(projectId: string): Promise<Playlist[]>;
  createPlaylist(input: CreatePlaylistInput): Promise<PlaylistWithItems>;
  getPlaylist(id: string): Promise<PlaylistWithItems>;
  addToPlaylist(id: string, mediaIds: string[], options: { position?: number }): Promise<PlaylistWithItems>;
  removeFromPlaylist(id: string, mediaId: string): Promise<PlaylistWithItems>;
  reorderPlaylist(id: string, mediaIds: string[]): Promise<PlaylistWithItems>;
  /** Rename, re-date (null clears) or describe a playlist. */
  updatePlaylist(id: string, patch: PlaylistPatch): Promise<PlaylistWithItems>;
  deletePlaylist(id: string): Promise<void>;
  /** The export's bytes (CSV, HTML, PDF or OTIO JSON). */
  exportPlaylist(id: string, format: ExportFormat, options: { onlyPlaylistNotes?: boolean }): Promise<Buffer>;
  // Webhooks (instance administrators on a server).
  listWebhooks(): Promise<Webhook[]>;
  createWebhook(input: CreateWebhookInput): Promise<Webhook & { secret?: string }>;
  deleteWebhook(id: string): Promise<void>;
  webhookDeliveries(
    id: string,
    options: { state?: WebhookDelivery['state']; limit?: number },
  ): Promise<WebhookDelivery[]>;
  listJobs(options: { state?: JobState; mediaId?: string; limit?: number }): Promise<Job[]>;
  retryJobs(options: { ids?: string[]; mediaId?: string }): Promise<Job[]>;
  close(): Promise<void>;
}
