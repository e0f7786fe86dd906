/** The backend that talks to a Montu server through its REST API (docs/api.md). */
import fs from 'node:fs';
import path from 'node:path';
import type { SearchMediaOptions } from '@montu/core';
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
  TokenInfo,
  UploadFileInput,
  UploadSequenceInput,
  UpdateInput,
  UserInfo,
} from './backend.js';
import { UsageError } from './errors.js';
import { HttpClient, listOf, unwrap } from './http.js';
import { multipartEnvelope } from './multipart.js';
import { tusUpload, TUS_MIN_BYTES } from './tus-upload.js';

const enc = encodeURIComponent;

export class RemoteBackend implements MontuBackend {
  readonly mode = 'remote' as const;
  readonly target: string;
  readonly http: HttpClient;

  constructor(server: string, token: string | undefined) {
    this.http = new HttpClient(server, token);
    this.target = this.http.baseUrl;
  }

  async uploadFile(input: UploadFileInput): Promise<Media> {
    const size = await fs.promises.stat(input.filePath).then(
      (st) => st.size,
      () => 0,
    );
    if (size >= TUS_MIN_BYTES) return this.getMedia(await tusUpload(this.http, input, size));
    const { contentType, head, tail } = multipartEnvelope(
      {
        projectId: input.projectId,
        taskId: input.taskId,
        version: input.version,
        description: input.description,
        tags: input.tags?.join(','),
      },
      input.filePath,
    );
    return unwrap<Media>(
      await this.http.upload('POST', '/media', {
        filePath: input.filePath,
        contentType,
        head,
        tail,
        ...(input.onProgress ? { onProgress: input.onProgress } : {}),
      }),
      'media',
    );
  }

  async uploadSequence(input: UploadSequenceInput): Promise<Media> {
    const started = await this.http.request<{ uploadId?: string; id?: string }>(
      'POST',
      '/uploads/sequences',
      {
        json: {
          projectId: input.projectId,
          taskId: input.taskId,
          pattern: input.pattern,
          ...(input.fps !== undefined ? { fps: input.fps } : {}),
          ...(input.version !== undefined ? { version: input.version } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
          ...(input.tags !== undefined ? { tags: input.tags } : {}),
          frames: input.frames.map((f) => ({
            frame: f.frame,
            fileName: path.basename(f.path),
            size: f.size,
          })),
        },
      },
    );
    const uploadId = started.uploadId ?? started.id;
    if (!uploadId) throw new Error('the server did not return an upload id for the sequence');
    const base = `/uploads/sequences/${enc(uploadId)}`;
    for (const f of input.frames) {
      await this.http.upload('PUT', `${base}/frames/${f.frame}`, {
        filePath: f.path,
        contentType: 'application/octet-stream',
        ...(input.onProgress ? { onProgress: input.onProgress } : {}),
      });
    }
    return unwrap<Media>(await this.http.request('POST', `${base}/complete`, { json: {} }), 'media');
  }

  async getMedia(id: string): Promise<Media> {
    return unwrap<Media>(await this.http.request('GET', `/media/${enc(id)}`), 'media');
  }

  async search(o: SearchMediaOptions): Promise<Page<Media>> {
    const page = await this.http.request<{ items?: Media[]; nextCursor?: string | null }>('GET', '/media', {
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
    return { items: listOf<Media>(page), nextCursor: page.nextCursor ?? null };
  }

  async versions(taskId: string, o: { projectId?: string; includeArchived?: boolean }): Promise<Media[]> {
    return listOf<Media>(
      await this.http.request('GET', `/tasks/${enc(taskId)}/media`, {
        query: { projectId: o.projectId, includeArchived: o.includeArchived },
      }),
    );
  }

  async update(id: string, input: UpdateInput): Promise<Media> {
    return unwrap<Media>(await this.http.request('PATCH', `/media/${enc(id)}`, { json: input }), 'media');
  }

  async archive(id: string): Promise<Media> {
    return unwrap<Media>(await this.http.request('POST', `/media/${enc(id)}/archive`, { json: {} }), 'media');
  }

  async restore(id: string): Promise<Media> {
    return unwrap<Media>(await this.http.request('POST', `/media/${enc(id)}/restore`, { json: {} }), 'media');
  }

  async delete(id: string, o: { removeFiles: boolean }): Promise<void> {
    await this.http.request('DELETE', `/media/${enc(id)}`, { query: { removeFiles: o.removeFiles } });
  }

  async statistics(o: { projectId?: string }): Promise<MediaStatistics> {
    if (!o.projectId) throw new UsageError('statistics from a server need --project');
    return this.http.request('GET', `/projects/${enc(o.projectId)}/statistics`);
  }

  async review(id: string, action: ReviewAction, comment?: string): Promise<Media> {
    return unwrap<Media>(
      await this.http.request('POST', `/media/${enc(id)}/${action}`, {
        json: comment !== undefined ? { comment } : {},
      }),
      'media',
    );
  }

  async annotate(id: string, input: { content: string; frame?: number; frameEnd?: number }): Promise<Note> {
    return unwrap<Note>(
      await this.http.request('POST', `/media/${enc(id)}/annotations`, { json: input }),
      'annotation',
    );
  }

  async annotations(id: string): Promise<Note[]> {
    return listOf<Note>(await this.http.request('GET', `/media/${enc(id)}/annotations`));
  }

  cleanupOrphans(o: { dryRun: boolean }): Promise<OrphanCleanupReport> {
    return this.http.request('POST', '/admin/cleanup-orphans', { json: { dryRun: o.dryRun } });
  }

  cleanupOld(
    projectId: string,
    o: { daysOld: number; dryRun: boolean; action: 'archive' | 'delete' },
  ): Promise<CleanupOldMediaResult> {
    return this.http.request('POST', `/projects/${enc(projectId)}/cleanup`, { json: o });
  }

  async listUsers(): Promise<UserInfo[]> {
    return listOf<UserInfo>(await this.http.request('GET', '/users'));
  }

  async createUser(input: {
    username: string;
    displayName?: string;
    email?: string;
    password?: string;
    isAdmin?: boolean;
  }): Promise<UserInfo> {
    return unwrap<UserInfo>(await this.http.request('POST', '/users', { json: input }), 'user');
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
    return unwrap<UserInfo>(await this.http.request('PATCH', `/users/${enc(id)}`, { json: patch }), 'user');
  }

  async setRole(projectId: string, idOrName: string, role: string | null): Promise<void> {
    const userId = await this.userId(idOrName);
    const p = `/projects/${enc(projectId)}/members/${enc(userId)}`;
    if (role === null) await this.http.request('DELETE', p);
    else await this.http.request('PUT', p, { json: { role } });
  }

  async listTokens(options: { user?: string } = {}): Promise<TokenInfo[]> {
    if (options.user !== undefined)
      throw new UsageError('against a server, tokens listed are your own: drop --user');
    return listOf<TokenInfo>(await this.http.request('GET', '/tokens'));
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
    const made = await this.http.request<{ token: string; info?: TokenInfo } & Partial<TokenInfo>>(
      'POST',
      route,
      {
        json: {
          name: input.name,
          ...(input.expiresAt !== undefined ? { expiresAt: new Date(input.expiresAt).toISOString() } : {}),
          ...(input.actForOthers ? { actForOthers: true } : {}),
        },
      },
    );
    return { ...(made.info ?? (made as TokenInfo)), token: made.token };
  }

  async revokeToken(id: string): Promise<void> {
    await this.http.request('DELETE', `/tokens/${enc(id)}`);
  }

  async listNotes(mediaId: string, f: NoteFilter): Promise<ReviewNote[]> {
    return listOf<ReviewNote>(
      await this.http.request('GET', `/media/${enc(mediaId)}/notes`, {
        query: { frame: f.frame, resolved: f.resolved, playlistId: f.playlistId },
      }),
    );
  }

  async addNote(mediaId: string, input: AddNoteInput): Promise<ReviewNote> {
    return this.http.request('POST', `/media/${enc(mediaId)}/notes`, { json: input });
  }

  async resolveNote(noteId: string, resolved: boolean): Promise<ReviewNote> {
    return this.http.request('POST', `/notes/${enc(noteId)}/resolve`, { json: { resolved } });
  }

  async deleteNote(noteId: string): Promise<void> {
    await this.http.request('DELETE', `/notes/${enc(noteId)}`);
  }

  async listPlaylists(projectId: string): Promise<Playlist[]> {
    return listOf<Playlist>(await this.http.request('GET', `/projects/${enc(projectId)}/playlists`));
  }

  async createPlaylist(input: CreatePlaylistInput): Promise<PlaylistWithItems> {
    const { projectId, ...body } = input;
    return this.http.request('POST', `/projects/${enc(projectId)}/playlists`, { json: body });
  }

  async getPlaylist(id: string): Promise<PlaylistWithItems> {
    return this.http.request('GET', `/playlists/${enc(id)}`);
  }

  async addToPlaylist(id: string, mediaIds: string[], o: { position?: number }): Promise<PlaylistWithItems> {
    return this.http.request('POST', `/playlists/${enc(id)}/items`, {
      json: { mediaIds, ...(o.position !== undefined ? { position: o.position } : {}) },
    });
  }

  async updatePlaylist(id: string, patch: PlaylistPatch): Promise<PlaylistWithItems> {
    return this.http.request('PATCH', `/playlists/${enc(id)}`, { json: patch });
  }

  async removeFromPlaylist(id: string, mediaId: string): Promise<PlaylistWithItems> {
    return this.http.request('DELETE', `/playlists/${enc(id)}/items/${enc(mediaId)}`);
  }

  async reorderPlaylist(id: string, mediaIds: string[]): Promise<PlaylistWithItems> {
    return this.http.request('PUT', `/playlists/${enc(id)}/items`, { json: { mediaIds } });
  }

  async deletePlaylist(id: string): Promise<void> {
    await this.http.request('DELETE', `/playlists/${enc(id)}`);
  }

  async exportPlaylist(
    id: string,
    format: ExportFormat,
    o: { onlyPlaylistNotes?: boolean },
  ): Promise<Buffer> {
    const res = await this.http.send('GET', `/playlists/${enc(id)}/export.${format}`, {
      query: { onlyPlaylistNotes: o.onlyPlaylistNotes },
      headers: { accept: '*/*' },
    });
    return Buffer.from(await res.arrayBuffer());
  }

  async listWebhooks(): Promise<Webhook[]> {
    return listOf<Webhook>(await this.http.request('GET', '/webhooks'));
  }

  async createWebhook(input: CreateWebhookInput): Promise<Webhook & { secret?: string }> {
    return this.http.request('POST', '/webhooks', { json: input });
  }

  async deleteWebhook(id: string): Promise<void> {
    await this.http.request('DELETE', `/webhooks/${enc(id)}`);
  }

  async webhookDeliveries(
    id: string,
    o: { state?: WebhookDelivery['state']; limit?: number },
  ): Promise<WebhookDelivery[]> {
    return listOf<WebhookDelivery>(
      await this.http.request('GET', `/webhooks/${enc(id)}/deliveries`, {
        query: { state: o.state, limit: o.limit },
      }),
    );
  }

  async listJobs(o: { state?: JobState; mediaId?: string; limit?: number }): Promise<Job[]> {
    return listOf<Job>(
      await this.http.request('GET', '/jobs', {
        query: { state: o.state, mediaId: o.mediaId, limit: o.limit },
      }),
    );
  }

  async retryJobs(o: { ids?: string[]; mediaId?: string }): Promise<Job[]> {
    return listOf<Job>(await this.http.request('POST', '/jobs/retry', { json: o }));
  }

  async close(): Promise<void> {}
}
