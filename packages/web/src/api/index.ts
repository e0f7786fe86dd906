/**
 * The typed API the app uses. Everything the UI asks the server goes through here, on top of
 * @montu/client (generated from OpenAPI): its typed methods where it has one, its transport
 * (`request`, see http.ts) for the routes it does not wrap (notes, playlists, compare, workflow).
 */
import { API, call, get, patch, post, put, del, setCsrfToken, withQuery } from './http.js';
import type {
  Annotation,
  CompareResult,
  HistoryEntry,
  LoginResult,
  Me,
  Media,
  MediaQuery,
  NewAnnotation,
  Page,
  Playlist,
  PlaylistSummary,
  Project,
  Statistics,
  Task,
} from './types.js';
import type { StatusOptions, Workflow } from '../lib/workflow.js';
import type { Media as ClientMedia } from '@montu/client';

export * from './types.js';
export { ApiError, onUnauthorized, getCsrfToken, API } from './http.js';

/** Lists come back as `{ items }` or a bare array depending on the route; accept both. */
type Listish<T> = T[] | { items: T[] } | Record<string, unknown>;
function items<T>(r: Listish<T>): T[] {
  if (Array.isArray(r)) return r;
  if (r && Array.isArray((r as { items?: unknown }).items)) return (r as { items: T[] }).items;
  // `{ taskId, media: [...] }` style: the first list in the object.
  const list = r ? Object.values(r).find(Array.isArray) : undefined;
  return (list as T[] | undefined) ?? [];
}

const enc = encodeURIComponent;

/**
 * The OpenAPI document types some enums as plain strings (`processingState`); the server only
 * sends the values core defines, which the app's `Media` spells out. Narrowed here, once.
 */
const asMedia = (m: ClientMedia): Media => m as unknown as Media;

/** The query without empty filters (`status=` would be refused by the server's enum check). */
function compact<T extends object>(q: T): { [K in keyof T]?: Exclude<T[K], '' | null> } {
  return Object.fromEntries(
    Object.entries(q).filter(([, v]) => v !== '' && v !== null && v !== undefined),
  ) as { [K in keyof T]?: Exclude<T[K], '' | null> };
}

export const api = {
  async login(username: string, password: string): Promise<LoginResult> {
    const r = await post<LoginResult>('/auth/login', { username, password });
    setCsrfToken(r.csrfToken);
    return r;
  },
  async logout(): Promise<void> {
    await post('/auth/logout').catch(() => undefined);
    setCsrfToken(null);
  },
  async me(): Promise<Me> {
    const r = await get<Me & { csrfToken?: string }>('/auth/me');
    if (r.csrfToken) setCsrfToken(r.csrfToken);
    return r;
  },

  projects: async (): Promise<Project[]> => items<Project>(await call((c) => c.listProjects())),
  tasks: async (projectId: string): Promise<Task[]> => items<Task>(await call((c) => c.listTasks(projectId))),
  statistics: (projectId: string): Promise<Statistics> => call((c) => c.getMediaStatistics(projectId)),

  /** One page of search results (empty filters are left out of the query). */
  searchMedia: async (q: MediaQuery, signal?: AbortSignal): Promise<Page<Media>> => {
    const { tags, ...rest } = q;
    const tagList = tags
      ? tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean)
      : [];
    const page = await call((c) =>
      c.searchMediaPage(
        compact({ ...rest, limit: q.limit ?? 100, ...(tagList.length ? { tags: tagList } : {}) }),
        signal,
      ),
    );
    return { ...page, items: page.items.map(asMedia) };
  },
  media: async (id: string): Promise<Media> => asMedia(await call((c) => c.getMedia(id))),
  updateMedia: (id: string, body: Partial<Pick<Media, 'description' | 'tags' | 'reviewSelected'>>) =>
    patch<Media>(`/media/${enc(id)}`, body),
  /** Every version of a task as media items, newest first. */
  versions: async (taskId: string, projectId: string): Promise<Media[]> =>
    items(await get<Listish<Media>>(`/tasks/${enc(taskId)}/media`, { projectId }))
      .filter((m): m is Media => typeof m === 'object' && m !== null && 'versionNumber' in m)
      .sort((a, b) => b.versionNumber - a.versionNumber),
  history: async (id: string): Promise<HistoryEntry[]> =>
    items<HistoryEntry>(await call((c) => c.getMediaHistory(id))),
  review: (id: string, action: 'submit' | 'approve' | 'reject' | 'request-changes', comment: string) =>
    post<Media>(`/media/${enc(id)}/${action}`, { comment }),
  /** What the signed-in user's role may do with the item now (which review buttons to enable). */
  statusOptions: (id: string) => get<StatusOptions>(`/media/${enc(id)}/status-options`),
  /** The project's review workflow as data (transitions and roles). */
  workflow: (projectId: string) => get<Workflow>(`/projects/${enc(projectId)}/workflow`),

  annotations: async (id: string): Promise<Annotation[]> =>
    items<Annotation>(await call((c) => c.listAnnotations(id))),
  addAnnotation: (id: string, body: NewAnnotation) => post<Annotation>(`/media/${enc(id)}/annotations`, body),
  updateAnnotation: (annotationId: string, body: Partial<NewAnnotation>) =>
    patch<Annotation>(`/notes/${enc(annotationId)}`, body),
  resolveAnnotation: (annotationId: string, resolved: boolean) =>
    post<Annotation>(`/notes/${enc(annotationId)}/resolve`, { resolved }),

  compare: (taskId: string, projectId: string, a: string, b: string) =>
    get<CompareResult>(`/tasks/${enc(taskId)}/compare`, { projectId, a, b }),

  playlists: async (projectId: string): Promise<PlaylistSummary[]> =>
    items(await get<Listish<PlaylistSummary>>(`/projects/${enc(projectId)}/playlists`)),
  playlist: (id: string) => get<Playlist>(`/playlists/${enc(id)}`),
  createPlaylist: (projectId: string, name: string, mediaIds: string[]) =>
    post<Playlist>(`/projects/${enc(projectId)}/playlists`, { name, mediaIds }),
  /** Reorder: every item once, in the new order (the server refuses additions and removals here). */
  setPlaylistItems: (id: string, mediaIds: string[]) =>
    put<Playlist>(`/playlists/${enc(id)}/items`, { mediaIds }),
  addPlaylistItems: (id: string, mediaIds: string[]) =>
    post<Playlist>(`/playlists/${enc(id)}/items`, { mediaIds }),
  removePlaylistItem: (id: string, mediaId: string) =>
    del<Playlist>(`/playlists/${enc(id)}/items/${enc(mediaId)}`),
  updatePlaylist: (id: string, body: { name?: string; date?: string | null; description?: string }) =>
    patch<Playlist>(`/playlists/${enc(id)}`, body),
  deletePlaylist: (id: string) => del<void>(`/playlists/${enc(id)}`),
  playlistExportUrl: (id: string, format: 'csv' | 'pdf' | 'html' | 'otio') =>
    `${API}/playlists/${enc(id)}/export.${format}`,

  startSequence: (body: {
    projectId: string;
    taskId: string;
    fps?: string;
    frames: Array<{ frame: number; fileName: string; size: number }>;
  }) => post<{ uploadId: string; id?: string }>('/uploads/sequences', body),
  completeSequence: (uploadId: string) => post<Media>(`/uploads/sequences/${enc(uploadId)}/complete`),

  fileUrl: (id: string, kind: 'thumbnail' | 'proxy' | 'web' | 'original' | 'audio') =>
    `${API}/media/${enc(id)}/files/${kind}`,
  frameUrl: (id: string, frame: number) => `${API}/media/${enc(id)}/files/frames/${frame}`,
  eventsUrl: (query?: Record<string, string>) => withQuery(`${API}/events`, query),
  uploadsUrl: `${API}/uploads`,
};

export type Api = typeof api;
