/**
 * The backend that talks to a Montu server through its REST API (docs/api.md), on
 * @montu/client: its transport, problem+json errors and retries, and (from `@montu/client/node`)
 * the streamed multipart and resumable tus uploads of files on disk. What is the CLI's own here:
 * which route each command takes, and errors turned into one line with an exit code.
 */
import { MontuError, MontuNodeClient } from '@montu/client/node';
import type {
  AddNoteInput,
  CreatePlaylistInput,
  PlaylistPatch,
  CreateWebhookInput,
  ExportFormat,
  NoteFilter,
  Playlist,
  PlaylistWithItems,
  ReviewNote,
  Webhook,
  WebhookDelivery,
  Job,
  JobState,
  Note,
  CleanupOldMediaResult,
  Media,
  MediaStatistics,
  MontuBackend,
  OrphanCleanupReport,
  Page,
  ReviewAction,
  SearchMediaOptions,
  TokenInfo,
  UploadFileInput,
  UploadSequenceInput,
  UpdateInput,
  UserInfo,
} from './backend.js';
import { CliError, EXIT, UsageError, exitCodeFor, type ExitCode } from './errors.js';

const enc = encodeURIComponent;

type Query = Record<string, string | number | boolean | undefined | null>;
interface Call {
  query?: Query;
  json?: unknown;
}

/** Empty query values are left out (an unset option is not `?tags=`). */
function given(query: Query | undefined): Record<string, unknown> | undefined {
  if (!query) return undefined;
  return Object.fromEntries(
    Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ''),
  );
}

function statusExit(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  if (status === 400 || status === 413 || status === 422) return EXIT.validation;
  return EXIT.failure;
}

/**
 * A client error as the CLI reports it: `<detail> (HTTP <status>)` with the exit code of the
 * problem's `code` (or of the status), or "cannot reach the Montu server at …" (code
 * `unreachable`).
 */
export function cliErrorOf(e: unknown, target: string): unknown {
  if (!(e instanceof MontuError)) return e;
  if (e.code === 'connection_error')
    return new CliError(
      `cannot reach the Montu server at ${target}: ${String(e.details['cause'] ?? e.detail)}`,
      EXIT.failure,
      'unreachable',
    );
  if (e.status === 0) return new CliError(e.detail, EXIT.failure, e.code);
  const exit = exitCodeFor(e.code);
  return new CliError(
    `${e.detail} (HTTP ${e.status})`,
    exit === EXIT.failure ? statusExit(e.status) : exit,
    e.code,
  );
}

function serverUrl(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new CliError(
      `invalid server URL ${JSON.stringify(server)}: use e.g. http://127.0.0.1:8470`,
      EXIT.usage,
      'usage',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError(`invalid server URL ${server}: use http:// or https://`, EXIT.usage, 'usage');
  return url.toString().replace(/\/+$/, '');
}

/** Bytes since the last call, from the client's `(sent, total)`. */
function deltas(onProgress: ((bytes: number) => void) | undefined) {
  if (!onProgress) return {};
  let last = 0;
  return {
    onProgress: (sent: number) => {
      if (sent > last) onProgress(sent - last);
      last = Math.max(last, sent);
    },
  };
}

export class RemoteBackend implements MontuBackend {
  readonly mode = 'remote' as const;
  readonly target: string;
  readonly client: MontuNodeClient;

  constructor(server: string, token: string | undefined) {
    this.target = serverUrl(server);
    // No per-call timeout worth the name: a cleanup or an export over a large project may take
    // minutes, and the user can interrupt the CLI.
    this.client = new MontuNodeClient({
      baseUrl: this.target,
      ...(token !== undefined ? { token } : {}),
      timeoutMs: 24 * 3600_000,
    });
  }

  /** Runs one client call, its errors as the CLI reports them. */
  private async call<T>(fn: (c: MontuNodeClient) => Promise<T>): Promise<T> {
    try {
      return await fn(this.client);
    } catch (e) {
      throw cliErrorOf(e, this.target);
    }
  }

  private request<T>(method: string, path: string, init: Call = {}): Promise<T> {
    const query = given(init.query);
    return this.call((c) =>
      c.request<T>(method, path, {
        ...(query ? { query } : {}),
        ...(init.json !== undefined ? { json: init.json } : {}),
      }),
    );
  }

  async uploadFile(input: UploadFileInput): Promise<Media> {
    const media = await this.call((c) =>
      c.uploadFile(input.filePath, {
        projectId: input.projectId,
        taskId: input.taskId,
        ...(input.version !== undefined ? { version: input.version } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.tags !== undefined ? { tags: input.tags } : {}),
        ...deltas(input.onProgress),
      }),
    );
    // The client's Media (from the OpenAPI document) is the core's Media as JSON (backend.ts).
    return media as Media;
  }

  async uploadSequence(input: UploadSequenceInput): Promise<Media> {
    const media = await this.call((c) =>
      c.uploadSequenceFiles(
        input.frames.map((f) => ({ frame: f.frame, path: f.path, size: f.size })),
        {
          projectId: input.projectId,
          taskId: input.taskId,
          ...(input.fps !== undefined ? { fps: input.fps } : {}),
          ...(input.version !== undefined ? { version: input.version } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
          ...(input.tags !== undefined ? { tags: input.tags } : {}),
          ...deltas(input.onProgress),
        },
      ),
    );
    return media as Media;
  }

  async getMedia(id: string): Promise<Media> {
    return this.request<Media>('GET', `/media/${enc(id)}`);
  }

  async search(o: SearchMediaOptions): Promise<Page<Media>> {
    const page = await this.request<{ items: Media[]; nextCursor?: string | null }>('GET', '/media', {
      query: {
        query: o.query,
        projectId: o.projectId,
        taskId: o.taskId,
        mediaType: o.mediaType,
        author: o.author,
        status: o.status,
        tags: o.tags?.join(','),
        dateFrom: o.dateFrom,
        dateTo: o.dateTo,
        reviewSelected: o.reviewSelected,
        archived: o.archived,
        limit: o.limit,
        cursor: o.cursor,
      },
    });
    return { items: page.items, nextCursor: page.nextCursor ?? null };
  }

  async versions(taskId: string, o: { projectId?: string; includeArchived?: boolean }): Promise<Media[]> {
    return this.request<Media[]>('GET', `/tasks/${enc(taskId)}/media`, {
      query: { projectId: o.projectId, includeArchived: o.includeArchived },
    });
  }

  async update(id: string, input: UpdateInput): Promise<Media> {
    return this.request<Media>('PATCH', `/media/${enc(id)}`, { json: input });
  }

  async archive(id: string): Promise<Media> {
    return this.request<Media>('POST', `/media/${enc(id)}/archive`, { json: {} });
  }

  async restore(id: string): Promise<Media> {
    return this.request<Media>('POST', `/media/${enc(id)}/restore`, { json: {} });
  }

  async delete(id: string, o: { removeFiles: boolean }): Promise<void> {
    await this.request('DELETE', `/media/${enc(id)}`, { query: { removeFiles: o.removeFiles } });
  }

  async statistics(o: { projectId?: string }): Promise<MediaStatistics> {
    if (!o.projectId) throw new UsageError('statistics from a server need --project');
    return this.request('GET', `/projects/${enc(o.projectId)}/statistics`);
  }

  async review(id: string, action: ReviewAction, comment?: string): Promise<Media> {
    return this.request<Media>('POST', `/media/${enc(id)}/${action}`, {
      json: comment !== undefined ? { comment } : {},
    });
  }

  async annotate(id: string, input: { content: string; frame?: number; frameEnd?: number }): Promise<Note> {
    return this.request<Note>('POST', `/media/${enc(id)}/annotations`, { json: input });
  }

  async annotations(id: string): Promise<Note[]> {
    return this.request<Note[]>('GET', `/media/${enc(id)}/annotations`);
  }

  cleanupOrphans(o: { dryRun: boolean }): Promise<OrphanCleanupReport> {
    return this.request('POST', '/admin/cleanup-orphans', { json: { dryRun: o.dryRun } });
  }

  cleanupOld(
    projectId: string,
    o: { daysOld: number; dryRun: boolean; action: 'archive' | 'delete' },
  ): Promise<CleanupOldMediaResult> {
    return this.request('POST', `/projects/${enc(projectId)}/cleanup`, { json: o });
  }

  async listUsers(): Promise<UserInfo[]> {
    return this.request<UserInfo[]>('GET', '/users');
  }

  async createUser(input: {
    username: string;
    displayName?: string;
    email?: string;
    password?: string;
    isAdmin?: boolean;
  }): Promise<UserInfo> {
    return this.request<UserInfo>('POST', '/users', { json: input });
  }

  /** The API addresses users by id; the CLI also takes usernames. */
  private async userId(idOrName: string): Promise<string> {
    const users = await this.listUsers();
    return (
      (users.find((u) => u.username === idOrName) ?? users.find((u) => u.id === idOrName))?.id ?? idOrName
    );
  }

  async updateUser(
    idOrName: string,
    patch: { disabled?: boolean; displayName?: string; isAdmin?: boolean },
  ): Promise<UserInfo> {
    const id = await this.userId(idOrName);
    return this.request<UserInfo>('PATCH', `/users/${enc(id)}`, { json: patch });
  }

  async setRole(projectId: string, idOrName: string, role: string | null): Promise<void> {
    const userId = await this.userId(idOrName);
    const p = `/projects/${enc(projectId)}/members/${enc(userId)}`;
    if (role === null) await this.request('DELETE', p);
    else await this.request('PUT', p, { json: { role } });
  }

  async listTokens(options: { user?: string } = {}): Promise<TokenInfo[]> {
    if (options.user !== undefined)
      throw new UsageError('against a server, tokens listed are your own: drop --user');
    return this.request<TokenInfo[]>('GET', '/tokens');
  }

  async createToken(input: {
    name: string;
    expiresAt?: string;
    user?: string;
    actForOthers?: boolean;
  }): Promise<TokenInfo & { token: string }> {
    // Another user's token (a pipeline's service user): instance admins, POST /users/:id/tokens.
    const route =
      input.user !== undefined ? `/users/${enc(await this.userId(input.user))}/tokens` : '/tokens';
    const made = await this.request<{ token: string; info: TokenInfo }>('POST', route, {
      json: {
        name: input.name,
        ...(input.expiresAt !== undefined ? { expiresAt: new Date(input.expiresAt).toISOString() } : {}),
        ...(input.actForOthers ? { actForOthers: true } : {}),
      },
    });
    return { ...made.info, token: made.token };
  }

  async revokeToken(id: string): Promise<void> {
    await this.request('DELETE', `/tokens/${enc(id)}`);
  }

  async listNotes(mediaId: string, f: NoteFilter): Promise<ReviewNote[]> {
    return this.request<ReviewNote[]>('GET', `/media/${enc(mediaId)}/notes`, {
      query: { frame: f.frame, resolved: f.resolved, playlistId: f.playlistId },
    });
  }

  async addNote(mediaId: string, input: AddNoteInput): Promise<ReviewNote> {
    return this.request('POST', `/media/${enc(mediaId)}/notes`, { json: input });
  }

  async resolveNote(noteId: string, resolved: boolean): Promise<ReviewNote> {
    return this.request('POST', `/notes/${enc(noteId)}/resolve`, { json: { resolved } });
  }

  async deleteNote(noteId: string): Promise<void> {
    await this.request('DELETE', `/notes/${enc(noteId)}`);
  }

  async listPlaylists(projectId: string): Promise<Playlist[]> {
    return this.request<Playlist[]>('GET', `/projects/${enc(projectId)}/playlists`);
  }

  async createPlaylist(input: CreatePlaylistInput): Promise<PlaylistWithItems> {
    const { projectId, ...body } = input;
    return this.request('POST', `/projects/${enc(projectId)}/playlists`, { json: body });
  }

  async getPlaylist(id: string): Promise<PlaylistWithItems> {
    return this.request('GET', `/playlists/${enc(id)}`);
  }

  async addToPlaylist(id: string, mediaIds: string[], o: { position?: number }): Promise<PlaylistWithItems> {
    return this.request('POST', `/playlists/${enc(id)}/items`, {
      json: { mediaIds, ...(o.position !== undefined ? { position: o.position } : {}) },
    });
  }

  async updatePlaylist(id: string, patch: PlaylistPatch): Promise<PlaylistWithItems> {
    return this.request('PATCH', `/playlists/${enc(id)}`, { json: patch });
  }

  async removeFromPlaylist(id: string, mediaId: string): Promise<PlaylistWithItems> {
    return this.request('DELETE', `/playlists/${enc(id)}/items/${enc(mediaId)}`);
  }

  async reorderPlaylist(id: string, mediaIds: string[]): Promise<PlaylistWithItems> {
    return this.request('PUT', `/playlists/${enc(id)}/items`, { json: { mediaIds } });
  }

  async deletePlaylist(id: string): Promise<void> {
    await this.request('DELETE', `/playlists/${enc(id)}`);
  }

  async exportPlaylist(
    id: string,
    format: ExportFormat,
    o: { onlyPlaylistNotes?: boolean },
  ): Promise<Buffer> {
    return this.call(async (c) => {
      const res = await c.exportPlaylist(id, format, {
        ...(o.onlyPlaylistNotes ? { onlyPlaylistNotes: true } : {}),
      });
      return Buffer.from(await res.arrayBuffer());
    });
  }

  async listWebhooks(): Promise<Webhook[]> {
    return this.request<Webhook[]>('GET', '/webhooks');
  }

  async createWebhook(input: CreateWebhookInput): Promise<Webhook & { secret?: string }> {
    return this.request('POST', '/webhooks', { json: input });
  }

  async deleteWebhook(id: string): Promise<void> {
    await this.request('DELETE', `/webhooks/${enc(id)}`);
  }

  async webhookDeliveries(
    id: string,
    o: { state?: WebhookDelivery['state']; limit?: number },
  ): Promise<WebhookDelivery[]> {
    return this.request<WebhookDelivery[]>('GET', `/webhooks/${enc(id)}/deliveries`, {
      query: { state: o.state, limit: o.limit },
    });
  }

  async listJobs(o: { state?: JobState; mediaId?: string; limit?: number }): Promise<Job[]> {
    const page = await this.request<{ items: Job[] }>('GET', '/jobs', {
      query: { state: o.state, mediaId: o.mediaId, limit: o.limit },
    });
    return page.items;
  }

  async retryJobs(o: { ids?: string[]; mediaId?: string }): Promise<Job[]> {
    return (await this.request<{ items: Job[] }>('POST', '/jobs/retry', { json: o })).items;
  }

  async close(): Promise<void> {}
}
