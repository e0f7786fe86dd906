/**
 * The typed API the app uses: every call is a typed @montu/client method (generated from the
 * OpenAPI document, decision 105), with the app's error mapping (http.ts). The app's types are
 * the client's; the rules (statuses, media types, timecode, workflow) are @montu/domain's.
 */
import type {
  AddAnnotation,
  Annotation,
  DirectUpload,
  DirectUploadStart,
  CompareResult,
  HistoryEntry,
  LoginResult,
  Me,
  Media,
  MediaPage,
  Playlist,
  PlaylistSummary,
  Project,
  Rendition,
  SearchQuery,
  SequenceStart,
  SequenceUpload,
  Statistics,
  StatusOptions,
  Task,
  UpdateNote,
  Workflow,
} from '@montu/client';
import type {
  Drawing as WireDrawing,
  ReviewSessionPatch,
  SessionColour,
  SessionCompare,
  STATUS_ROUTES,
} from '@montu/domain';
import { API, call, setCsrfToken, withQuery } from './http.js';

type StatusRoute = (typeof STATUS_ROUTES)[keyof typeof STATUS_ROUTES];

export type {
  Annotation,
  ApprovalStatus,
  CompareResult,
  HistoryEntry,
  Me,
  Media,
  MediaFile,
  MediaSummary,
  Playlist,
  PlaylistSummary,
  ProcessingState,
  Project,
  Role,
  Statistics,
  StatusOptions,
  Task,
  Workflow,
} from '@montu/client';
export { ApiError, onUnauthorized, getCsrfToken, API } from './http.js';

/** The browser's filters: the search query with text fields as typed (empty means no filter). */
export type MediaQuery = Omit<SearchQuery, 'tags' | 'status' | 'mediaType' | 'cursor'> & {
  tags?: string;
  status?: SearchQuery['status'] | '';
  mediaType?: SearchQuery['mediaType'] | '';
  cursor?: string | null;
};

/** The query without empty filters (`status=` would be refused by the server's enum check). */
function searchQuery(q: MediaQuery): SearchQuery {
  const { tags, status, mediaType, cursor, ...rest } = q;
  const tagList = (tags ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const out: SearchQuery = { limit: q.limit ?? 100 };
  for (const [k, v] of Object.entries(rest)) if (v !== '' && v !== undefined) Object.assign(out, { [k]: v });
  if (status) out.status = status;
  if (mediaType) out.mediaType = mediaType;
  if (cursor) out.cursor = cursor;
  if (tagList.length) out.tags = tagList;
  return out;
}

export const api = {
  async login(username: string, password: string): Promise<LoginResult> {
    const r = await call((c) => c.call('post', '/api/v1/auth/login', { body: { username, password } }));
    setCsrfToken(r.csrfToken ?? null);
    return r;
  },
  async logout(): Promise<void> {
    await call((c) => c.call('post', '/api/v1/auth/logout')).catch(() => undefined);
    setCsrfToken(null);
  },
  /** Who is signed in, or null: asked with `/auth/session`, which answers signed-out callers 200 (no console error). */
  async me(): Promise<Me | null> {
    const { me } = await call((c) => c.call('get', '/api/v1/auth/session'));
    if (me?.csrfToken) setCsrfToken(me.csrfToken);
    return me;
  },

  projects: (): Promise<Project[]> => call((c) => c.listProjects()),
  tasks: (projectId: string): Promise<Task[]> => call((c) => c.listTasks(projectId)),
  statistics: (projectId: string): Promise<Statistics> => call((c) => c.getMediaStatistics(projectId)),

  /** One page of search results (empty filters are left out of the query). */
  searchMedia: (q: MediaQuery, signal?: AbortSignal): Promise<MediaPage> =>
    call((c) => c.searchMediaPage(searchQuery(q), signal)),
  media: (id: string): Promise<Media> => call((c) => c.getMedia(id)),
  updateMedia: (id: string, body: { description?: string; tags?: string[]; reviewSelected?: boolean }) =>
    call((c) => c.updateMediaInfo(id, body)),
  /** Every version of a task as media items, newest first. */
  versions: async (taskId: string, projectId: string): Promise<Media[]> =>
    (await call((c) => c.getMediaByTask(taskId, { projectId }))).sort(
      (a, b) => b.versionNumber - a.versionNumber,
    ),
  history: (id: string): Promise<HistoryEntry[]> => call((c) => c.getMediaHistory(id)),
  review: (id: string, action: StatusRoute, comment: string) =>
    call((c) =>
      c.call('post', `/api/v1/media/{mediaId}/${action}`, { path: { mediaId: id }, body: { comment } }),
    ),
  /** What the signed-in user's role may do with the item now (which review buttons to enable). */
  statusOptions: (id: string): Promise<StatusOptions> => call((c) => c.getStatusOptions(id)),
  /** The project's review workflow as data (transitions and roles). */
  workflow: (projectId: string): Promise<Workflow> => call((c) => c.getWorkflow(projectId)),

  annotations: (id: string): Promise<Annotation[]> => call((c) => c.listAnnotations(id)),
  addAnnotation: (id: string, body: AddAnnotation): Promise<Annotation> =>
    call((c) => c.addReviewAnnotation(id, body)),
  updateAnnotation: (noteId: string, body: UpdateNote) => call((c) => c.updateNote(noteId, body)),
  resolveAnnotation: (noteId: string, resolved: boolean) => call((c) => c.resolveNote(noteId, resolved)),
  /** Adds strokes to a note's drawing, merged with whatever others saved meanwhile (never loses one). */
  addStrokes: (noteId: string, add: unknown[]): Promise<Annotation> =>
    call((c) => c.call('post', '/api/v1/notes/{noteId}/strokes', { path: { noteId }, body: { add } })),

  compare: (taskId: string, projectId: string, a: string, b: string): Promise<CompareResult> =>
    call((c) => c.compareVersions(taskId, a, b, projectId)),

  playlists: (projectId: string): Promise<PlaylistSummary[]> => call((c) => c.listPlaylists(projectId)),
  playlist: (id: string): Promise<Playlist> => call((c) => c.getPlaylist(id)),
  createPlaylist: (projectId: string, name: string, mediaIds: string[]) =>
    call((c) => c.createPlaylist(projectId, { name, mediaIds })),
  /** Reorder: every item once, in the new order (the server refuses additions and removals here). */
  setPlaylistItems: (id: string, mediaIds: string[]) => call((c) => c.reorderPlaylist(id, mediaIds)),
  addPlaylistItems: (id: string, mediaIds: string[]) => call((c) => c.addToPlaylist(id, mediaIds)),
  removePlaylistItem: (id: string, mediaId: string) => call((c) => c.removeFromPlaylist(id, mediaId)),
  updatePlaylist: (id: string, body: { name?: string; date?: string | null; description?: string }) =>
    call((c) => c.updatePlaylist(id, body)),
  deletePlaylist: (id: string) => call((c) => c.deletePlaylist(id)),
  playlistExportUrl: (id: string, format: 'csv' | 'pdf' | 'html' | 'otio') =>
    `${API}/playlists/${encodeURIComponent(id)}/export.${format}`,

  startSequence: (body: SequenceStart): Promise<SequenceUpload> =>
    call((c) => c.call('post', '/api/v1/uploads/sequences', { body })),
  completeSequence: (uploadId: string): Promise<Media> =>
    call((c) => c.call('post', '/api/v1/uploads/sequences/{uploadId}/complete', { path: { uploadId } })),

  /** The displays/views the colour-managed viewer may pick, and the thumbnails' default (decision 148). */
  colourViews: (projectId: string) =>
    call((c) => c.call('get', '/api/v1/projects/{projectId}/colour/views', { path: { projectId } })),
  /** A display/view baked into a 3D LUT (MF16); the server refuses names its config does not have. */
  lutUrl: (projectId: string, display: string, view: string) =>
    withQuery(`${API}/projects/${encodeURIComponent(projectId)}/colour/luts`, { display, view }),

  // Live review sessions (issue 22, decision 140): the page is pages/Session.tsx.
  startReviewSession: (body: { playlistId: string } | { mediaId: string }) =>
    call((c) => c.call('post', '/api/v1/review-sessions', { body })),
  joinReviewSession: (sessionId: string) =>
    call((c) => c.call('post', '/api/v1/review-sessions/{sessionId}/join', { path: { sessionId } })),
  reviewSessionHeartbeat: (sessionId: string) =>
    call((c) => c.call('post', '/api/v1/review-sessions/{sessionId}/heartbeat', { path: { sessionId } })),
  leaveReviewSession: (sessionId: string) =>
    call((c) => c.call('post', '/api/v1/review-sessions/{sessionId}/leave', { path: { sessionId } })),
  updateReviewSession: (
    sessionId: string,
    // colour and compare may be given in part (the domain's applySessionPatch keeps the rest).
    body: Omit<ReviewSessionPatch, 'colour' | 'compare'> & {
      colour?: Partial<SessionColour>;
      compare?: Partial<SessionCompare> | null;
    },
  ) =>
    call((c) => c.call('patch', '/api/v1/review-sessions/{sessionId}/state', { path: { sessionId }, body })),
  handOverReviewSession: (sessionId: string, to: string) =>
    call((c) =>
      c.call('post', '/api/v1/review-sessions/{sessionId}/control', { path: { sessionId }, body: { to } }),
    ),
  addReviewSessionNote: (sessionId: string, body: { content: string; drawing?: WireDrawing }) =>
    call((c) => c.call('post', '/api/v1/review-sessions/{sessionId}/notes', { path: { sessionId }, body })),
  endReviewSession: (sessionId: string) =>
    call((c) => c.call('post', '/api/v1/review-sessions/{sessionId}/end', { path: { sessionId } })),
  reviewSessionSummary: (sessionId: string) =>
    call((c) => c.call('get', '/api/v1/review-sessions/{sessionId}/summary', { path: { sessionId } })),
  reviewSessionEventsUrl: (sessionId: string) =>
    `${API}/review-sessions/${encodeURIComponent(sessionId)}/events`,

  fileUrl: (id: string, kind: Rendition) => `${API}/media/${encodeURIComponent(id)}/files/${kind}`,
  frameUrl: (id: string, frame: number) => `${API}/media/${encodeURIComponent(id)}/files/frames/${frame}`,
  /** A float sequence frame's half floats, made on the first request (decision 217). */
  frameFloatUrl: (id: string, frame: number) =>
    `${API}/media/${encodeURIComponent(id)}/files/frames/${frame}/float`,
  eventsUrl: (query?: Record<string, string>) => withQuery(`${API}/events`, query),
  uploadsUrl: `${API}/uploads`,

  // Direct-to-S3 uploads (decision 160): the parts go to the bucket, these calls to the server.
  directOffered: async (): Promise<boolean> =>
    (await call((c) => c.call('get', '/api/v1/uploads/direct'))).offered,
  startDirect: (body: DirectUploadStart): Promise<DirectUpload> =>
    call((c) => c.call('post', '/api/v1/uploads/direct', { body })),
  direct: (uploadId: string): Promise<DirectUpload> =>
    call((c) => c.call('get', '/api/v1/uploads/direct/{uploadId}', { path: { uploadId } })),
  directUrls: async (
    uploadId: string,
    parts: number[],
  ): Promise<Array<{ partNumber: number; url: string }>> =>
    (
      await call((c) =>
        c.call('post', '/api/v1/uploads/direct/{uploadId}/urls', { path: { uploadId }, body: { parts } }),
      )
    ).urls,
  recordDirectPart: async (uploadId: string, partNumber: number, etag: string): Promise<void> => {
    await call((c) =>
      c.call('put', '/api/v1/uploads/direct/{uploadId}/parts/{partNumber}', {
        path: { uploadId, partNumber },
        body: { etag },
      }),
    );
  },
  completeDirect: (uploadId: string): Promise<Media> =>
    call((c) =>
      c.call('post', '/api/v1/uploads/direct/{uploadId}/complete', { path: { uploadId }, body: {} }),
    ),
};

export type Api = typeof api;
export type ColourViews = Awaited<ReturnType<Api['colourViews']>>;
