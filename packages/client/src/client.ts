/**
 * MontuClient: a small typed layer over fetch (Node 20+ and browsers; no Node-only imports).
 * Types come from the server's OpenAPI document (src/schema.ts, generated).
 */
import { formatVersion } from '@montu/domain';
import type { Upload, UploadOptions } from 'tus-js-client';
import { errorFromProblem, MontuError } from './errors.js';
import { fillPath, type Answer, type CallOptions, type HttpMethod, type PathsFor } from './operations.js';
import type {
  AddAnnotation,
  AddNote,
  Annotation,
  CleanupOldMediaResult,
  CompareResult,
  CreatePlaylist,
  HistoryEntry,
  Media,
  MediaPage,
  OrphanCleanupReport,
  Playlist,
  PlaylistExportFormat,
  PlaylistSummary,
  Project,
  Rendition,
  ReviewNote,
  SearchQuery,
  SequenceStart,
  Statistics,
  StatusInput,
  StatusOptions,
  Task,
  UpdateMediaInfo,
  UpdateNote,
  UpdatePlaylist,
  UpdateMediaMetadata,
  Workflow,
} from './types.js';

export const API_PREFIX = '/api/v1';

export interface MontuClientOptions {
  /** The server, e.g. `http://montu:8470` (a path prefix behind a proxy is kept). */
  baseUrl: string;
  /** API token (`montu_…`). Omit in the web app, which uses its session cookie (then give `csrfToken`). */
  token?: string;
  /** The session's CSRF token (web app): sent as X-CSRF-Token on unsafe methods. */
  csrfToken?: string;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
  /** Per-request timeout in ms (default 60 000; uploads have none). */
  timeoutMs?: number;
  /** Tries again on network errors and 502/503/504 for idempotent calls (GET/HEAD/PUT/DELETE). Default 2. */
  retries?: number;
}

/** Bytes a tus upload can send: a Blob/File (browsers, Node), bytes, or (Node) a Readable such as fs.createReadStream. */
export type UploadSource = Blob | Uint8Array | NodeReadableLike;
/** A Node Readable, described structurally so this module needs no Node types. */
export interface NodeReadableLike {
  pipe: (...args: never[]) => unknown;
  on: (...args: never[]) => unknown;
}

export interface UploadOptionsMontu {
  projectId?: string;
  taskId?: string;
  /** New version of the same task as this media item (instead of projectId/taskId). */
  sourceMediaId?: string;
  fileName: string;
  version?: string | number;
  /** Who made it, when not the caller (instance admins and pipeline tokens only; docs/auth.md). */
  author?: string;
  description?: string;
  tags?: string[];
  /** Hex sha256 of the bytes, verified by the server. Computed for Blobs and bytes when omitted. */
  sha256?: string;
  /** `(bytesSent, bytesTotal)`. */
  onProgress?: (sent: number, total: number) => void;
  /** The tus upload URL, as soon as it exists (persist it to resume with `resumeUrl`). */
  onUploadUrl?: (url: string) => void;
  /** Resume this earlier upload instead of starting one. */
  resumeUrl?: string;

  /** Delays between automatic retries after network errors (ms). */
  retryDelays?: number[];
  chunkSize?: number;
  signal?: AbortSignal;
}

export interface SequenceFrameInput {
  frame: number;
  fileName: string;
  data: Blob | Uint8Array;
  sha256?: string;
}

/** Options of one untyped call (`raw`): for answers that are not JSON (downloads, exports). */
interface CallInit {
  query?: Record<string, unknown>;
  json?: unknown;
  signal?: AbortSignal;
  /** See `raw`: a 404 on a retried delete means done. */
  goneIsDone?: boolean;
}

/** Methods retried after a network error or 502/503/504: repeating them changes nothing. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
/** Methods that change nothing: the only ones sent without the CSRF token (PUT and DELETE need it). */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const RETRY_STATUS = new Set([502, 503, 504]);
const enc = encodeURIComponent;

function versionString(v: string | number | undefined): string | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'number' ? formatVersion(v) : v;
}

/** Hex sha256 of bytes with Web Crypto (browsers, Node 20). */
export async function sha256Hex(data: Blob | Uint8Array): Promise<string> {
  const buf = data instanceof Blob ? await data.arrayBuffer() : data;
  const digest = await crypto.subtle.digest('SHA-256', buf as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export class MontuClient {
  readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly retries: number;

  constructor(private readonly options: MontuClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.retries = options.retries ?? 2;
  }

  // ------------------------------------------------------------ transport

  /** `${baseUrl}/api/v1${path}?query` */
  url(path: string, query?: Record<string, unknown>): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined || v === null) continue;
      if (Array.isArray(v)) for (const x of v) qs.append(k, String(x));
      else qs.append(k, String(v));
    }
    const s = qs.toString();
    return `${this.baseUrl}${API_PREFIX}${path}${s ? `?${s}` : ''}`;
  }

  /** accept, the bearer token and (unsafe methods) the CSRF token: every request's headers. */
  protected headers(method: string, extra?: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json, application/problem+json', ...extra };
    if (this.options.token) h['authorization'] = `Bearer ${this.options.token}`;
    if (this.options.csrfToken && !SAFE.has(method)) h['x-csrf-token'] = this.options.csrfToken;
    return h;
  }

  /**
   * One call; error answers throw MontuError with the problem's `code`. `goneIsDone` (for
   * deletes that answer nothing): a 404 on a retry means an earlier attempt, whose answer was
   * lost, already deleted it — answered as 204 instead of thrown.
   */
  async raw(method: string, path: string, init: CallInit = {}): Promise<Response> {
    const url = this.url(path, init.query);
    const headers = this.headers(
      method,
      init.json !== undefined ? { 'content-type': 'application/json' } : {},
    );
    const body = init.json !== undefined ? JSON.stringify(init.json) : undefined;
    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(this.timeoutMs);
      const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
      let res: Response;
      try {
        res = await this.fetchImpl(url, {
          method,
          headers,
          ...(body !== undefined ? { body } : {}),
          signal,
          credentials: 'same-origin',
        });
      } catch (e) {
        if (init.signal?.aborted) throw e;
        if (IDEMPOTENT.has(method) && attempt < this.retries) {
          await delay(200 * 2 ** attempt);
          continue;
        }
        // details.cause: the system code (ECONNREFUSED, …) that fetch keeps in its error's cause.
        const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
        throw new MontuError('connection_error', 0, `${method} ${url}: ${(e as Error).message}`, { cause });
      }
      if (RETRY_STATUS.has(res.status) && IDEMPOTENT.has(method) && attempt < this.retries) {
        await res.body?.cancel();
        await delay(200 * 2 ** attempt);
        continue;
      }
      if (res.status === 404 && attempt > 0 && init.goneIsDone) {
        await res.body?.cancel();
        return new Response(null, { status: 204 });
      }
      if (!res.ok) {
        const text = await res.text();
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* not JSON: the text is the detail */
        }
        throw errorFromProblem(res.status, parsed, `${method} ${url}`);
      }
      return res;
    }
  }

  /**
   * An untyped call: the caller asserts the answer's type `T`.
   * @deprecated Use `call(method, path, …)`, which is checked against the document; this stays
   * until the CLI's remote backend (which still builds paths as strings) moves to `call`.
   */
  async request<T>(method: string, path: string, init: CallInit = {}): Promise<T> {
    const res = await this.raw(method, path, init);
    const text = res.status === 204 ? '' : await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * One operation of the API, typed from the OpenAPI document: the path (as the document writes
   * it), its path parameters, query and body are checked at compile time, and the answer has the
   * operation's type. `client.call('get', '/api/v1/media/{mediaId}', { path: { mediaId } })`.
   */
  async call<M extends HttpMethod, P extends PathsFor<M>>(
    method: M,
    path: P,
    ...[options]: object extends CallOptions<P, M> ? [CallOptions<P, M>?] : [CallOptions<P, M>]
  ): Promise<Answer<P, M>> {
    const o = (options ?? {}) as {
      path?: Record<string, string | number>;
      query?: CallInit['query'];
      body?: unknown;
      signal?: AbortSignal;
      goneIsDone?: boolean;
    };
    const res = await this.raw(method.toUpperCase(), fillPath(path, o.path).slice(API_PREFIX.length), {
      ...(o.query ? { query: o.query } : {}),
      ...(o.body !== undefined ? { json: o.body } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.goneIsDone ? { goneIsDone: true } : {}),
    });
    const text = res.status === 204 ? '' : await res.text();
    // The server serialises with the same schemas the type comes from (decision 105).
    return (text ? JSON.parse(text) : undefined) as Answer<P, M>;
  }

  // ------------------------------------------------------------ projects

  listProjects(): Promise<Project[]> {
    return this.call('get', '/api/v1/projects');
  }
  createProject(body: { id: string; name?: string; settings?: Project['settings'] }): Promise<Project> {
    return this.call('post', '/api/v1/projects', { body });
  }
  listTasks(projectId: string): Promise<Task[]> {
    return this.call('get', '/api/v1/projects/{projectId}/tasks', { path: { projectId } });
  }
  /** The task in each project you can see that holds it (which project a task is in). */
  findTask(taskId: string): Promise<Task[]> {
    return this.call('get', '/api/v1/tasks/{taskId}', { path: { taskId } });
  }
  getMediaStatistics(projectId?: string): Promise<Statistics> {
    return projectId
      ? this.call('get', '/api/v1/projects/{projectId}/statistics', { path: { projectId } })
      : this.call('get', '/api/v1/statistics');
  }

  // ------------------------------------------------------------ media

  getMedia(mediaId: string): Promise<Media> {
    return this.call('get', '/api/v1/media/{mediaId}', { path: { mediaId } });
  }
  getMediaByTask(
    taskId: string,
    opts: { version?: string | number; projectId?: string } = {},
  ): Promise<Media[]> {
    const version = versionString(opts.version);
    return this.call('get', '/api/v1/tasks/{taskId}/media', {
      path: { taskId },
      query: {
        ...(opts.projectId !== undefined ? { projectId: opts.projectId } : {}),
        ...(version !== undefined ? { version } : {}),
      },
    });
  }
  async getMediaVersions(taskId: string, projectId?: string): Promise<string[]> {
    const r = await this.call('get', '/api/v1/tasks/{taskId}/versions', {
      path: { taskId },
      query: projectId !== undefined ? { projectId } : {},
    });
    return r.versions;
  }
  /** One page of results: `{ items, nextCursor }`. */
  searchMediaPage(query: SearchQuery = {}, signal?: AbortSignal): Promise<MediaPage> {
    return this.call('get', '/api/v1/media', { query, ...(signal ? { signal } : {}) });
  }
  /** Every match across all pages, fetched lazily: `for await (const m of client.searchMedia({ taskId }))`. */
  async *searchMedia(
    query: Omit<SearchQuery, 'cursor'> = {},
    signal?: AbortSignal,
  ): AsyncGenerator<Media, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.searchMediaPage({ ...query, ...(cursor ? { cursor } : {}) }, signal);
      for (const item of page.items) yield item;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  updateMediaInfo(mediaId: string, body: UpdateMediaInfo): Promise<Media> {
    return this.call('patch', '/api/v1/media/{mediaId}', { path: { mediaId }, body });
  }
  updateMediaMetadata(mediaId: string, body: UpdateMediaMetadata): Promise<Media> {
    return this.call('patch', '/api/v1/media/{mediaId}/metadata', { path: { mediaId }, body });
  }
  archiveMedia(mediaId: string): Promise<Media> {
    return this.call('post', '/api/v1/media/{mediaId}/archive', { path: { mediaId } });
  }
  restoreMedia(mediaId: string): Promise<Media> {
    return this.call('post', '/api/v1/media/{mediaId}/restore', { path: { mediaId } });
  }
  async deleteMedia(mediaId: string, opts: { removeFiles?: boolean } = {}): Promise<void> {
    await this.call('delete', '/api/v1/media/{mediaId}', {
      path: { mediaId },
      query: opts.removeFiles !== undefined ? { removeFiles: opts.removeFiles } : {},
      goneIsDone: true,
    });
  }
  /** Schedules a new thumbnail; follow `jobId` (`GET /jobs/:jobId`) to know when it is there. */
  regenerateThumbnail(
    mediaId: string,
    timestamp?: number,
  ): Promise<{ mediaId: string; scheduled: boolean; jobId: string }> {
    return this.call('post', '/api/v1/media/{mediaId}/thumbnail', {
      path: { mediaId },
      body: timestamp === undefined ? {} : { timestamp },
    });
  }
  getMediaHistory(mediaId: string): Promise<HistoryEntry[]> {
    return this.call('get', '/api/v1/media/{mediaId}/history', { path: { mediaId } });
  }
  cleanupOrphanedFiles(
    opts: { dryRun?: boolean; verifyChecksums?: boolean } = {},
  ): Promise<OrphanCleanupReport> {
    return this.call('post', '/api/v1/admin/cleanup-orphans', {
      body: {
        dryRun: opts.dryRun ?? true,
        ...(opts.verifyChecksums !== undefined ? { verifyChecksums: opts.verifyChecksums } : {}),
      },
    });
  }

  // ------------------------------------------------------------ review

  /** The review queue (`pending_review` unless `status`; `pending`, `approved`, `rejected` work too). */
  getMediaForReview(
    projectId: string,
    opts: { status?: StatusInput; limit?: number } = {},
  ): Promise<Media[]> {
    return this.call('get', '/api/v1/projects/{projectId}/review', { path: { projectId }, query: opts });
  }
  /** Archives (or deletes) superseded versions older than `daysOld` days; dry run by default. */
  cleanupOldMedia(
    projectId: string,
    opts: { daysOld: number; dryRun?: boolean; action?: 'archive' | 'delete' },
  ): Promise<CleanupOldMediaResult> {
    return this.call('post', '/api/v1/projects/{projectId}/cleanup', { path: { projectId }, body: opts });
  }
  /**
   * `opts.by` names who makes the change (the submitter, the approver) when that is not you:
   * instance admins and pipeline tokens only (docs/auth.md).
   */
  private review(
    mediaId: string,
    action: 'submit' | 'approve' | 'reject' | 'request-changes',
    comment?: string,
    opts: { by?: string } = {},
  ): Promise<Media> {
    return this.call('post', `/api/v1/media/{mediaId}/${action}`, {
      path: { mediaId },
      body: {
        ...(comment === undefined ? {} : { comment }),
        ...(opts.by === undefined ? {} : { by: opts.by }),
      },
    });
  }
  submitForReview(mediaId: string, comment?: string, opts: { by?: string } = {}): Promise<Media> {
    return this.review(mediaId, 'submit', comment, opts);
  }
  approveMedia(mediaId: string, comment?: string, opts: { by?: string } = {}): Promise<Media> {
    return this.review(mediaId, 'approve', comment, opts);
  }
  rejectMedia(mediaId: string, comment?: string, opts: { by?: string } = {}): Promise<Media> {
    return this.review(mediaId, 'reject', comment, opts);
  }
  requestChanges(mediaId: string, comment?: string, opts: { by?: string } = {}): Promise<Media> {
    return this.review(mediaId, 'request-changes', comment, opts);
  }
  addReviewAnnotation(mediaId: string, body: AddAnnotation): Promise<Annotation> {
    return this.call('post', '/api/v1/media/{mediaId}/annotations', { path: { mediaId }, body });
  }
  listAnnotations(mediaId: string): Promise<Annotation[]> {
    return this.call('get', '/api/v1/media/{mediaId}/annotations', { path: { mediaId } });
  }
  /** Notes with timecode, drawings, replies and attachments. */
  listNotes(mediaId: string): Promise<ReviewNote[]> {
    return this.call('get', '/api/v1/media/{mediaId}/notes', { path: { mediaId } });
  }
  addNote(mediaId: string, body: AddNote): Promise<ReviewNote> {
    return this.call('post', '/api/v1/media/{mediaId}/notes', { path: { mediaId }, body });
  }
  /** Edit a note (its author only). */
  updateNote(noteId: string, body: UpdateNote): Promise<ReviewNote> {
    return this.call('patch', '/api/v1/notes/{noteId}', { path: { noteId }, body });
  }
  resolveNote(noteId: string, resolved = true): Promise<ReviewNote> {
    return this.call('post', '/api/v1/notes/{noteId}/resolve', { path: { noteId }, body: { resolved } });
  }
  /** The statuses your role may move the item to now, and whether you may put it forward. */
  getStatusOptions(mediaId: string): Promise<StatusOptions> {
    return this.call('get', '/api/v1/media/{mediaId}/status-options', { path: { mediaId } });
  }
  /** The project's review workflow as data (transitions and roles). */
  getWorkflow(projectId: string): Promise<Workflow> {
    return this.call('get', '/api/v1/projects/{projectId}/workflow', { path: { projectId } });
  }
  /** Two versions of a task with renditions, aligned frame ranges and notes. */
  compareVersions(taskId: string, a: string, b: string, projectId?: string): Promise<CompareResult> {
    return this.call('get', '/api/v1/tasks/{taskId}/compare', {
      path: { taskId },
      query: { a, b, ...(projectId !== undefined ? { projectId } : {}) },
    });
  }

  // ------------------------------------------------------------ playlists

  /** Playlists (review sessions) of a project, newest first, each with `itemCount`. */
  listPlaylists(projectId: string): Promise<PlaylistSummary[]> {
    return this.call('get', '/api/v1/projects/{projectId}/playlists', { path: { projectId } });
  }
  createPlaylist(projectId: string, body: CreatePlaylist): Promise<Playlist> {
    return this.call('post', '/api/v1/projects/{projectId}/playlists', { path: { projectId }, body });
  }
  getPlaylist(playlistId: string): Promise<Playlist> {
    return this.call('get', '/api/v1/playlists/{playlistId}', { path: { playlistId } });
  }
  /** Adds media (at `position`, 0-based; default the end): any project member. */
  addToPlaylist(playlistId: string, mediaIds: string[], position?: number): Promise<Playlist> {
    return this.call('post', '/api/v1/playlists/{playlistId}/items', {
      path: { playlistId },
      body: position === undefined ? { mediaIds } : { mediaIds, position },
    });
  }
  /** Rename, re-date (`date: null` clears) or describe: its owner, supervisors and admins. */
  updatePlaylist(playlistId: string, body: UpdatePlaylist): Promise<Playlist> {
    return this.call('patch', '/api/v1/playlists/{playlistId}', { path: { playlistId }, body });
  }
  /** The new order, every item once: its owner, supervisors and admins. */
  reorderPlaylist(playlistId: string, mediaIds: string[]): Promise<Playlist> {
    return this.call('put', '/api/v1/playlists/{playlistId}/items', {
      path: { playlistId },
      body: { mediaIds },
    });
  }
  removeFromPlaylist(playlistId: string, mediaId: string): Promise<Playlist> {
    return this.call('delete', '/api/v1/playlists/{playlistId}/items/{mediaId}', {
      path: { playlistId, mediaId },
    });
  }
  async deletePlaylist(playlistId: string): Promise<void> {
    await this.call('delete', '/api/v1/playlists/{playlistId}', { path: { playlistId }, goneIsDone: true });
  }
  /** A note on an item made in this session: the media item's note, tagged with the playlist. */
  addPlaylistNote(playlistId: string, mediaId: string, body: AddAnnotation): Promise<ReviewNote> {
    return this.call('post', '/api/v1/playlists/{playlistId}/items/{mediaId}/notes', {
      path: { playlistId, mediaId },
      body,
    });
  }
  /** The export's response (CSV, HTML, PDF or OTIO JSON): read `res.text()`, or stream `res.body`. */
  exportPlaylist(
    playlistId: string,
    format: PlaylistExportFormat,
    opts: { onlyPlaylistNotes?: boolean; signal?: AbortSignal } = {},
  ): Promise<Response> {
    return this.raw('GET', `/playlists/${enc(playlistId)}/export.${format}`, {
      ...(opts.onlyPlaylistNotes ? { query: { onlyPlaylistNotes: true } } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  // ------------------------------------------------------------ files

  /** URL of a file (for <img>/<video> in the web app, which authenticates by cookie). */
  fileUrl(mediaId: string, rendition: Rendition = 'original'): string {
    return this.url(`/media/${enc(mediaId)}/files/${rendition}`);
  }
  /** The download response (stream `res.body`); Node: `Readable.fromWeb(res.body)` to pipe to a file. */
  download(mediaId: string, rendition: Rendition = 'original', signal?: AbortSignal): Promise<Response> {
    return this.raw('GET', `/media/${enc(mediaId)}/files/${rendition}`, signal ? { signal } : {});
  }

  // ------------------------------------------------------------ uploads

  /** Publishes a file through tus (resumable, retried, sha256-verified) and returns the media item. */
  async upload(source: UploadSource, opts: UploadOptionsMontu): Promise<Media> {
    let file: UploadSource = source;
    let sha = opts.sha256;
    if (!opts.resumeUrl && sha === undefined && (source instanceof Blob || source instanceof Uint8Array))
      sha = await sha256Hex(source);
    // tus-js-client reads Buffers and Readables in Node, Blobs in browsers.
    const NodeBuffer = (globalThis as { Buffer?: { from(data: Uint8Array | ArrayBuffer): Uint8Array } })
      .Buffer;
    const inNode =
      typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node ===
      'string';
    if (inNode && NodeBuffer) {
      if (source instanceof Blob) file = NodeBuffer.from(await source.arrayBuffer());
      else if (source instanceof Uint8Array) file = NodeBuffer.from(source);
    }
    const metadata: Record<string, string> = { filename: opts.fileName };
    const put = (k: string, v: string | undefined) => {
      if (v !== undefined && v !== '') metadata[k] = v;
    };
    put('projectId', opts.projectId);
    put('taskId', opts.taskId);
    put('sourceMediaId', opts.sourceMediaId);
    put('version', versionString(opts.version));
    put('author', opts.author);
    put('description', opts.description);
    put('tags', opts.tags?.join(','));
    put('sha256', sha);
    const headers: Record<string, string> = {};
    if (this.options.token) headers['Authorization'] = `Bearer ${this.options.token}`;
    if (this.options.csrfToken) headers['X-CSRF-Token'] = this.options.csrfToken;
    // One key per upload: a retried creation (its answer lost) gets the same upload back
    // instead of starting a second one (only POST /uploads reads it).
    const key = opts.resumeUrl ? undefined : globalThis.crypto?.randomUUID?.();
    if (key) headers['Idempotency-Key'] = key;

    // Loaded on first use: Node programs that never upload a Blob (the CLI) skip its start-up cost.
    const tus = await import('tus-js-client');
    const mediaId = await new Promise<string>((resolve, reject) => {
      // Assigned once below, but the callbacks above the assignment refer to it.
      // eslint-disable-next-line prefer-const
      let upload: Upload | undefined;
      const tusOptions: UploadOptions = {
        endpoint: this.url('/uploads'),
        metadata,
        headers,
        retryDelays: opts.retryDelays ?? [0, 500, 2000, 5000],
        storeFingerprintForResuming: false,
        removeFingerprintOnSuccess: true,
        ...(opts.chunkSize ? { chunkSize: opts.chunkSize } : {}),
        ...(opts.resumeUrl ? { uploadUrl: opts.resumeUrl } : {}),
        onUploadUrlAvailable: () => {
          if (upload?.url) opts.onUploadUrl?.(upload.url);
        },
        onProgress: (sent, total) => opts.onProgress?.(sent, total),
        // Retry network errors and temporary answers; a problem (conflict, checksum…) is final.
        onShouldRetry: (err) => {
          const res = err.originalResponse;
          if (!res) return true;
          const status = res.getStatus();
          // 409 with Retry-After: the request with this Idempotency-Key is still running.
          if (status === 409) return !res.getBody().includes('"code"') || !!res.getHeader('Retry-After');
          return status === 423 || status === 502 || status === 503 || status === 504;
        },
        onSuccess: (payload) => {
          const id = payload.lastResponse.getHeader('Montu-Media-Id');
          if (id) return resolve(id);
          // The answer carried no id (e.g. it was the HEAD of a finished upload): ask for the outcome.
          this.uploadResult(upload?.url ?? opts.resumeUrl ?? '').then(resolve, reject);
        },
        onError: (err) => {
          const res = (err as { originalResponse?: { getStatus(): number; getBody(): string } | null })
            .originalResponse;
          if (res) {
            let body: unknown = res.getBody();
            try {
              body = JSON.parse(String(body));
            } catch {
              /* plain text */
            }
            reject(errorFromProblem(res.getStatus(), body, err.message));
          } else {
            const e = new MontuError('upload_interrupted', 0, err.message, {
              uploadUrl: upload?.url ?? null,
            });
            reject(e);
          }
        },
      };
      // The constructor's type names Node's Buffer; our union is the same set at runtime.
      upload = new tus.Upload(file as unknown as Blob, tusOptions);
      opts.signal?.addEventListener('abort', () => {
        void upload?.abort();
        reject(new MontuError('upload_interrupted', 0, 'aborted', { uploadUrl: upload?.url ?? null }));
      });
      upload.start();
    });
    return this.getMedia(mediaId);
  }

  /** The media id of a finished tus upload, or the error that refused it. */
  async uploadResult(uploadUrl: string): Promise<string> {
    const id = uploadUrl.replace(/\/+$/, '').split('/').pop() ?? '';
    const r = await this.call('get', '/api/v1/uploads/{uploadId}/result', { path: { uploadId: id } });
    if (r.state === 'complete' && 'mediaId' in r && r.mediaId) return r.mediaId;
    if (r.state === 'failed' && 'error' in r) throw errorFromProblem(r.error?.status ?? 422, r.error ?? {});
    throw new MontuError('upload_incomplete', 0, `upload is ${r.state}`);
  }

  /** Publishes an image sequence: declare frames (with sha256), PUT each, commit. */
  async uploadSequence(
    frames: SequenceFrameInput[],
    opts: Omit<SequenceStart, 'frames'> & {
      onProgress?: (sent: number, total: number) => void;
      uploadId?: string;
    },
  ): Promise<Media> {
    const { onProgress, uploadId: resume, ...start } = opts;
    const specs = await Promise.all(
      frames.map(async (f) => ({
        frame: f.frame,
        fileName: f.fileName,
        size: f.data instanceof Blob ? f.data.size : f.data.byteLength,
        sha256: f.sha256 ?? (await sha256Hex(f.data)),
      })),
    );
    const total = specs.reduce((n, f) => n + f.size, 0);
    const info = resume
      ? await this.call('get', '/api/v1/uploads/sequences/{uploadId}', { path: { uploadId: resume } })
      : await this.call('post', '/api/v1/uploads/sequences', { body: { ...start, frames: specs } });
    const pending = new Set(info.pendingFrames);
    let sent = specs.filter((s) => !pending.has(s.frame)).reduce((n, f) => n + f.size, 0);
    onProgress?.(sent, total);
    for (const [i, f] of frames.entries()) {
      if (!pending.has(f.frame)) continue;
      const spec = specs[i]!;
      await this.putFrame(info.uploadId, f, spec.sha256);
      sent += spec.size;
      onProgress?.(sent, total);
    }
    return this.call('post', '/api/v1/uploads/sequences/{uploadId}/complete', {
      path: { uploadId: info.uploadId },
    });
  }

  private async putFrame(uploadId: string, f: SequenceFrameInput, sha: string): Promise<void> {
    const url = this.url(`/uploads/sequences/${enc(uploadId)}/frames/${f.frame}`, { sha256: sha });
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.fetchImpl(url, {
          method: 'PUT',
          headers: this.headers('PUT', { 'content-type': 'application/octet-stream' }),
          body: f.data as BodyInit,
        });
      } catch (e) {
        if (attempt < this.retries) {
          await delay(200 * 2 ** attempt);
          continue;
        }
        throw new MontuError('connection_error', 0, (e as Error).message, { uploadId });
      }
      if (res.ok) {
        await res.body?.cancel();
        return;
      }
      if (RETRY_STATUS.has(res.status) && attempt < this.retries) continue;
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* text */
      }
      const err = errorFromProblem(res.status, body);
      err.details['uploadId'] = uploadId;
      throw err;
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
