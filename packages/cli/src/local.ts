/** The backend that works on a data directory directly through the core library. */
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import {
  openMontu,
  type Job,
  type JobState,
  type JobsService,
  type Montu,
  type Role,
  type User,
} from '@montu/core';
import type {
  AddNoteInput,
  CreatePlaylistInput,
  PlaylistPatch,
  CreateWebhookInput,
  ExportFormat,
  MontuBackend,
  NoteFilter,
  WebhookDelivery,
  ProgressFn,
  ReviewAction,
  TokenInfo,
  UploadFileInput,
  UploadSequenceInput,
  UserInfo,
  UpdateInput,
} from './backend.js';
import { CliError, EXIT, UsageError } from './errors.js';

export interface LocalOptions {
  /** The global --data-dir / --database-url flags; the rest comes from MONTU_* and the config file. */
  settings: { dataDir?: string | undefined; databaseUrl?: string | undefined };
  /** Who acts (recorded as author / actor in history). */
  actor: string;
  /**
   * Work processing jobs in this process (ingest --wait). By default the CLI only enqueues
   * them in the library's durable queue, for `montu serve` or `montu worker` to work: a
   * short command must not start working other items' jobs, nor wait for them on exit.
   */
  work?: boolean;
}

function defined(g: LocalOptions['settings']): { dataDir?: string; databaseUrl?: string } {
  return {
    ...(g.dataDir !== undefined ? { dataDir: g.dataDir } : {}),
    ...(g.databaseUrl !== undefined ? { databaseUrl: g.databaseUrl } : {}),
  };
}

function counting(onProgress: ProgressFn | undefined): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      onProgress?.(chunk.length);
      done(null, chunk);
    },
  });
}

export class LocalBackend implements MontuBackend {
  readonly mode = 'local' as const;
  readonly target: string;

  private constructor(
    private readonly montu: Montu,
    private readonly actor: string,
    dataDir: string,
  ) {
    this.target = dataDir;
  }

  static async open(options: LocalOptions): Promise<LocalBackend> {
    // Database and storage as `montu serve` would use them (MONTU_STORAGE=s3 included).
    const { librarySettings } = await import('./server-api.js');
    const s = await librarySettings(defined(options.settings));
    const dataDir = s.dataDir;
    const montu = await openMontu({
      dataDir,
      ...(s.databaseUrl ? { databaseUrl: s.databaseUrl } : {}),
      storage: s.storage,
      jobs: { work: options.work ?? false, ...(options.work ? { concurrency: 2 } : {}) },
      // Webhook deliveries are recorded here and sent by the server.
      webhooks: { deliver: false },
    });
    return new LocalBackend(montu, options.actor, dataDir);
  }

  async uploadFile(input: UploadFileInput) {
    const stream = fs
      .createReadStream(input.filePath, { highWaterMark: 1 << 20 })
      .pipe(counting(input.onProgress));
    const id = await this.montu.media.uploadMedia({
      stream,
      fileName: path.basename(input.filePath),
      projectId: input.projectId,
      taskId: input.taskId,
      author: input.author,
      ...(input.version !== undefined ? { version: input.version } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.tags !== undefined ? { tags: input.tags } : {}),
      ...(input.wait ? { wait: true } : {}),
    });
    return this.montu.media.getMediaById(id);
  }

  async uploadSequence(input: UploadSequenceInput) {
    let reported = 0;
    const id = await this.montu.sequences.uploadSequence({
      source: input.frames.map((f) => f.path),
      projectId: input.projectId,
      taskId: input.taskId,
      author: input.author,
      ...(input.version !== undefined ? { version: input.version } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.tags !== undefined ? { tags: input.tags } : {}),
      ...(input.fps !== undefined ? { fps: input.fps } : {}),
      ...(input.wait ? { wait: true } : {}),
      // The library reports frames stored; turn them into bytes for the progress bar.
      onProgress: (done) => {
        while (reported < done && reported < input.frames.length)
          input.onProgress?.(input.frames[reported++]!.size);
      },
    });
    return this.montu.media.getMediaById(id);
  }

  getMedia(id: string) {
    return this.montu.media.getMediaById(id);
  }

  search(options: Parameters<Montu['media']['searchMedia']>[0]) {
    return this.montu.media.searchMedia(options);
  }

  versions(taskId: string, options: { projectId?: string; includeArchived?: boolean }) {
    return this.montu.media.getMediaByTask(taskId, undefined, options);
  }

  async update(id: string, input: UpdateInput) {
    const { approvalStatus, comment, ...info } = input;
    let media = await this.montu.media.updateMediaInfo(id, { ...info, actor: this.actor });
    // The status is the review workflow's: its own path, as the server's PATCH /media/:id takes it.
    if (approvalStatus !== undefined && approvalStatus !== media.status) {
      media = await this.montu.review.changeStatus(id, approvalStatus, {
        actor: this.actor,
        ...(comment !== undefined ? { comment } : {}),
      });
    }
    return media;
  }

  archive(id: string) {
    return this.montu.media.archiveMedia(id, { actor: this.actor });
  }

  restore(id: string) {
    return this.montu.media.restoreMedia(id, { actor: this.actor });
  }

  delete(id: string, options: { removeFiles: boolean }) {
    return this.montu.media.deleteMedia(id, { removeFiles: options.removeFiles, actor: this.actor });
  }

  statistics(options: { projectId?: string }) {
    return this.montu.media.getMediaStatistics(options);
  }

  review(id: string, action: ReviewAction, comment?: string) {
    const r = this.montu.review;
    switch (action) {
      case 'submit':
        return r.submitForReview(id, this.actor, comment !== undefined ? { comment } : {});
      case 'approve':
        return r.approveMedia(id, this.actor, comment);
      case 'reject':
        return r.rejectMedia(id, this.actor, comment);
      case 'request-changes':
        return r.requestChanges(id, this.actor, comment);
      case 'hold':
      case 'reopen':
        return r.changeStatus(id, action === 'hold' ? 'on_hold' : 'wip', {
          actor: this.actor,
          ...(comment !== undefined ? { comment } : {}),
        });
    }
  }

  annotate(id: string, input: { content: string; frame?: number; frameEnd?: number }) {
    return this.montu.notes.addNote(id, { ...input, author: this.actor });
  }

  annotations(id: string) {
    return this.montu.notes.listNotes(id);
  }

  cleanupOrphans(options: { dryRun: boolean }) {
    return this.montu.maintenance.cleanupOrphanedFiles({ dryRun: options.dryRun });
  }

  cleanupOld(projectId: string, options: { daysOld: number; dryRun: boolean; action: 'archive' | 'delete' }) {
    return this.montu.review.cleanupOldMedia(projectId, { ...options, actor: this.actor });
  }

  private async userInfo(u: User): Promise<UserInfo> {
    const memberships = await this.montu.users.listMemberships(u.id);
    return { ...u, memberships: memberships.map((m) => ({ projectId: m.projectId, role: m.role })) };
  }

  /** A user by id or username. */
  private async findUser(idOrName: string): Promise<User> {
    try {
      return await this.montu.users.getUserByUsername(idOrName);
    } catch (e) {
      if ((e as { code?: string }).code !== 'not_found') throw e;
      return this.montu.users.getUser(idOrName);
    }
  }

  async listUsers(): Promise<UserInfo[]> {
    const users = await this.montu.users.listUsers();
    return Promise.all(users.map((u) => this.userInfo(u)));
  }

  async createUser(input: {
    username: string;
    displayName?: string;
    email?: string;
    password?: string;
    isAdmin?: boolean;
  }) {
    return this.userInfo(await this.montu.users.createUser(input, { actor: this.actor }));
  }

  async updateUser(idOrName: string, patch: { disabled?: boolean; displayName?: string; isAdmin?: boolean }) {
    const u = await this.findUser(idOrName);
    return this.userInfo(await this.montu.users.updateUser(u.id, patch, { actor: this.actor }));
  }

  async setRole(projectId: string, idOrName: string, role: string | null): Promise<void> {
    const u = await this.findUser(idOrName);
    if (role === null) await this.montu.users.removeMembership(projectId, u.id, { actor: this.actor });
    else await this.montu.users.setMembership(projectId, u.id, role as Role, { actor: this.actor });
  }

  /** Local mode has no logged-in user: tokens belong to the user named with --user. */
  private async tokenOwner(user: string | undefined): Promise<User> {
    if (!user) throw new UsageError("in local mode, name the token's user with --user USERNAME");
    return this.findUser(user);
  }

  async listTokens(options: { user?: string } = {}): Promise<TokenInfo[]> {
    const u = await this.tokenOwner(options.user);
    return this.montu.users.listTokens(u.id);
  }

  async createToken(input: {
    name: string;
    expiresAt?: string;
    user?: string;
    actForOthers?: boolean;
  }): Promise<TokenInfo & { token: string }> {
    const u = await this.tokenOwner(input.user);
    const made = await this.montu.users.createToken(
      u.id,
      {
        name: input.name,
        ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {}),
        ...(input.actForOthers ? { actForOthers: true } : {}),
      },
      { actor: 'cli' },
    );
    return { ...made.info, token: made.token };
  }

  async revokeToken(id: string): Promise<void> {
    await this.montu.users.revokeToken(id);
  }

  listNotes(mediaId: string, filter: NoteFilter) {
    return this.montu.notes.listNotes(mediaId, filter);
  }

  addNote(mediaId: string, input: AddNoteInput) {
    return this.montu.notes.addNote(mediaId, { ...input, author: this.actor });
  }

  resolveNote(noteId: string, resolved: boolean) {
    return this.montu.notes.resolveNote(noteId, { actor: this.actor, resolved });
  }

  deleteNote(noteId: string) {
    return this.montu.notes.deleteNote(noteId, { actor: this.actor });
  }

  listPlaylists(projectId: string) {
    return this.montu.playlists.listPlaylists(projectId);
  }

  createPlaylist(input: CreatePlaylistInput) {
    return this.montu.playlists.createPlaylist({ ...input, owner: this.actor });
  }

  getPlaylist(id: string) {
    return this.montu.playlists.getPlaylist(id);
  }

  addToPlaylist(id: string, mediaIds: string[], options: { position?: number }) {
    return this.montu.playlists.addItems(id, mediaIds, { actor: this.actor, ...options });
  }

  removeFromPlaylist(id: string, mediaId: string) {
    return this.montu.playlists.removeItem(id, mediaId, { actor: this.actor });
  }

  reorderPlaylist(id: string, mediaIds: string[]) {
    return this.montu.playlists.reorderItems(id, mediaIds, { actor: this.actor });
  }

  updatePlaylist(id: string, patch: PlaylistPatch) {
    return this.montu.playlists.updatePlaylist(id, { ...patch, actor: this.actor });
  }

  deletePlaylist(id: string) {
    return this.montu.playlists.deletePlaylist(id, { actor: this.actor });
  }

  async exportPlaylist(
    id: string,
    format: ExportFormat,
    options: { onlyPlaylistNotes?: boolean },
  ): Promise<Buffer> {
    const p = this.montu.playlists;
    switch (format) {
      case 'csv':
        return Buffer.from(await p.exportCsv(id, options), 'utf8');
      case 'html':
        return Buffer.from(await p.exportHtml(id, options), 'utf8');
      case 'pdf':
        return p.exportPdf(id, options);
      case 'otio':
        return Buffer.from(JSON.stringify(await p.exportOtio(id), null, 2), 'utf8');
    }
  }

  listWebhooks() {
    return this.montu.webhooks.listWebhooks();
  }

  createWebhook(input: CreateWebhookInput) {
    return this.montu.webhooks.createWebhook({ ...input, createdBy: this.actor });
  }

  deleteWebhook(id: string) {
    return this.montu.webhooks.deleteWebhook(id, { actor: this.actor });
  }

  webhookDeliveries(id: string, options: { state?: WebhookDelivery['state']; limit?: number }) {
    return this.montu.webhooks.listDeliveries(id, options);
  }

  async listJobs(options: { state?: JobState; mediaId?: string; limit?: number }): Promise<Job[]> {
    return this.jobsService().list(options);
  }

  async retryJobs(options: { ids?: string[]; mediaId?: string }): Promise<Job[]> {
    return this.jobsService().retry(options);
  }

  private jobsService(): JobsService {
    if (!this.montu.jobs)
      throw new CliError('media processing is turned off in this library', EXIT.failure, 'not_supported');
    return this.montu.jobs;
  }

  close() {
    return this.montu.close();
  }
}
