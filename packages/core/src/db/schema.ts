/**
 * The database schema as Kysely sees it. Both engines store the same columns: timestamps are
 * ISO-8601 UTC text (sortable, identical on SQLite and PostgreSQL), JSON documents are text,
 * booleans are 0/1 integers. See docs/decisions/002-portable-schema.md.
 */
import type { Generated, Kysely, Transaction } from 'kysely';

export interface ProjectTable {
  id: string;
  name: string;
  settings: string;
  created_at: string;
  updated_at: string;
}

export interface TaskTable {
  project_id: string;
  id: string;
  episode: string | null;
  sequence: string | null;
  shot: string | null;
  step: string | null;
  created_at: string;
}

export interface MediaTable {
  id: string;
  project_id: string;
  task_id: string;
  version: string;
  version_number: number;
  media_type: string;
  file_name: string;
  mime_type: string;
  size: number;
  sha256: string;
  author: string;
  /** `nameKey(author)`, what the author filter matches (migration 007). */
  author_key: string;
  description: string;
  tags: string;
  status: string;
  review_selected: number;
  approved_by: string | null;
  approved_at: string | null;
  approval_comment: string | null;
  archived_at: string | null;
  processing_state: string;
  processing_error: string | null;
  metadata: string;
  /** Source timecode of the first frame, `HH:MM:SS:FF` (`;` drop-frame); migration 008. */
  start_timecode: string | null;
  /** Source frame number of the first frame; migration 008. */
  start_frame: number | null;
  custom_properties: string;
  search_text: string;
  created_at: string;
  updated_at: string;
}

export interface MediaTagTable {
  media_id: string;
  tag: string;
}

export interface MediaFileTable {
  id: string;
  media_id: string;
  role: string;
  frame: number | null;
  backend: string;
  storage_key: string;
  size: number;
  sha256: string;
  content_type: string;
  state: string;
  error: string | null;
  created_at: string;
  /** JSON RenditionInfo of a rendition (null for originals, frames, attachments). Migration 005. */
  info: string | null;
}

export interface VersionReservationTable {
  project_id: string;
  task_id: string;
  version_number: number;
  owner: string;
  created_at: string;
}

export interface NoteTable {
  id: string;
  media_id: string;
  parent_id: string | null;
  author: string;
  type: string;
  content: string;
  frame: number | null;
  frame_end: number | null;
  position: string | null;
  drawing: string | null;
  mentions: string;
  resolved: number;
  rendition_sha256: string | null;
  created_at: string;
  updated_at: string;
  /** Added by 003_review: the playlist (review session) the note was made in. */
  playlist_id?: string | null;
  /** Edits so far, from 1 (migration 009): drawing saves are checked against it. */
  revision: Generated<number>;
}

export interface HistoryTable {
  id: string;
  at: string;
  actor: string;
  action: string;
  project_id: string | null;
  subject_type: string;
  subject_id: string;
  from_value: string | null;
  to_value: string | null;
  comment: string | null;
  data: string | null;
}

export interface MediaFtsTable {
  rowid: Generated<number>;
  search_text: string;
}

export interface AppUserTable {
  id: string;
  username: string;
  display_name: string;
  email: string | null;
  password_hash: string | null;
  is_admin: number;
  disabled: number;
  created_at: string;
  updated_at: string;
}

export interface MembershipTable {
  project_id: string;
  user_id: string;
  role: string;
  created_at: string;
}

export interface ApiTokenTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  /** 1: a pipeline token, which may record other people as author, submitter or approver. */
  act_for_others: number;
}

export interface SessionTable {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

/** Failed logins per throttle key (`u:<username>` or `ip:<address>`), see LoginThrottle. */
export interface LoginFailureTable {
  key: string;
  failures: number;
  first_at: string;
}

export interface IdempotencyKeyTable {
  user_id: string;
  key: string;
  scope: string;
  state: 'pending' | 'done';
  result: string | null;
  owner: string;
  created_at: string;
  expires_at: string;
}

/**
 * An upload in flight or just ended (migrations 011, 015): a tus upload or a sequence upload.
 * `offset`/`size` count bytes for tus and frames for sequences.
 */
export interface UploadSessionTable {
  id: string;
  kind: 'tus' | 's3-direct' | 'sequence';
  /** tus, s3-direct: the user's id; sequence: the person uploading, as the library records them. */
  user_id: string;
  state: 'uploading' | 'finishing' | 'complete' | 'failed';
  /** The process holding it: finishing a tus upload, or driving a local sequence upload. */
  lease: string | null;
  offset: number;
  size: number | null;
  media_id: string | null;
  /** JSON `{ status, code, detail }` of a failed session. */
  error: string | null;
  created_at: string;
  updated_at: string;
  /** A sequence upload's declaration (JSON: task, version, author, frames…); null for tus. */
  details: string | null;
}

export interface JobTable {
  id: string;
  type: string;
  media_id: string | null;
  /** The job's project (migration 018); null for jobs of no project (webhook deliveries). */
  project_id: string | null;
  state: string;
  priority: number;
  attempts: number;
  max_attempts: number;
  progress: number;
  payload: string;
  error: string | null;
  run_after: string;
  locked_by: string | null;
  locked_until: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
}

/** A frame a sequence upload has received (migration 015; it cascades with its session). */
export interface UploadSessionFrameTable {
  upload_id: string;
  frame: number;
  storage_key: string;
  size: number;
  sha256: string;
  content_type: string;
}

export interface Database {
  project: ProjectTable;
  task: TaskTable;
  media: MediaTable;
  media_tag: MediaTagTable;
  media_file: MediaFileTable;
  version_reservation: VersionReservationTable;
  /** Notes (the table keeps its first name: existing databases and the wire word "annotation"). */
  annotation: NoteTable;
  history: HistoryTable;
  media_fts: MediaFtsTable;
  job: JobTable;
  app_user: AppUserTable;
  membership: MembershipTable;
  api_token: ApiTokenTable;
  session: SessionTable;
  login_failure: LoginFailureTable;
  idempotency_key: IdempotencyKeyTable;
  upload_session: UploadSessionTable;
  upload_session_frame: UploadSessionFrameTable;
  playlist: PlaylistTable;
  playlist_item: PlaylistItemTable;
  annotation_attachment: NoteAttachmentTable;
  webhook: WebhookTable;
  webhook_delivery: WebhookDeliveryTable;
  review_session: ReviewSessionTable;
  review_session_event: ReviewSessionEventTable;
  review_session_presence: ReviewSessionPresenceTable;
  event_log: EventLogTable;
  direct_upload: DirectUploadTable;
  direct_upload_part: DirectUploadPartTable;
}

/** Recent library events for SSE replay (events/event-log.ts); `event` is the MontuEvent as JSON. */
export interface EventLogTable {
  id: string;
  at: string;
  event: string;
}

// ---- 003_review (review workflow: playlists, attachments, webhooks)

export interface PlaylistTable {
  id: string;
  project_id: string;
  name: string;
  review_date: string | null;
  owner: string;
  description: string;
  created_at: string;
  updated_at: string;
}

export interface PlaylistItemTable {
  playlist_id: string;
  media_id: string;
  position: number;
  added_by: string;
  added_at: string;
}

export interface NoteAttachmentTable {
  annotation_id: string;
  file_id: string;
  file_name: string;
  width: number | null;
  height: number | null;
  created_at: string;
}

export interface WebhookTable {
  id: string;
  url: string;
  secret: string;
  events: string;
  project_id: string | null;
  active: number;
  description: string;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface WebhookDeliveryTable {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  payload: string;
  state: string;
  attempts: number;
  next_attempt_at: string;
  /** Unused since deliveries became jobs (the job holds the lease); kept: dropping a column needs a migration. */
  lease_until: string | null;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

// ---- 013_review_sessions (live review sessions, decision 140)

export interface ReviewSessionTable {
  id: string;
  project_id: string;
  playlist_id: string | null;
  media_id: string | null;
  owner: string;
  driver: string;
  /** ReviewSessionState as JSON. */
  state: string;
  /** The last event's sequence number (0 before any). */
  seq: number;
  /** `live` or `ended`. */
  status: string;
  created_at: string;
  updated_at: string;
  ended_at: string | null;
  ended_by: string | null;
}

export interface ReviewSessionEventTable {
  session_id: string;
  seq: number;
  type: string;
  actor: string;
  data: string;
  at: string;
}

export interface ReviewSessionPresenceTable {
  session_id: string;
  username: string;
  joined_at: string;
  last_seen_at: string;
}

/** The database or a transaction on it: what query functions take, so callers choose the transaction. */
export type Db = Kysely<Database> | Transaction<Database>;

/** A direct-to-S3 upload (uploads/s3-direct.ts); its session is the `upload_session` row of the same id. */
export interface DirectUploadTable {
  id: string;
  object_key: string;
  s3_upload_id: string;
  file_name: string;
  size: number;
  part_size: number;
  sha256: string | null;
  /** JSON of `DirectUploadTarget`. */
  target: string;
}

/** A part of a direct upload the client stored, with the ETag the store answered. */
export interface DirectUploadPartTable {
  upload_id: string;
  part_number: number;
  etag: string;
  created_at: string;
}
/** The library's database handle itself (not a transaction): what services are given. */
export type LibraryDb = Kysely<Database>;
