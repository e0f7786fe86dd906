import { Forbidden, NotFound, ValidationError } from '@montu/domain';
import type { Role } from '@montu/domain';
import { newId, nowIso } from '../ids.js';
import type { Media } from '@montu/domain';
import type { ServiceContext } from '../context.js';
import { recordHistory } from '../history/history-service.js';
import type { MediaService, Scope } from '../media/media-service.js';
import type { NoteService, ReviewNote } from './note-service.js';
import {
  exportCsv,
  exportHtml,
  exportOtio,
  exportPdf,
  type ExportOptions,
  type OtioTimeline,
  type PlaylistReport,
} from './exports.js';
import { notesPackage, type NotesPackageOptions } from './notes-package.js';
import { transaction } from '../db/connect.js';
import {
  deleteItem,
  deletePlaylistRow,
  insertItem,
  insertPlaylist,
  itemMediaIds,
  itemRows,
  playlistRow,
  playlistRowsWithCounts,
  projectExists,
  updatePlaylistRow,
  writeOrder,
} from './playlist-queries.js';
import type { Readable } from 'node:stream';

export interface Playlist {
  id: string;
  projectId: string;
  name: string;
  /** Review date `YYYY-MM-DD`, or null. */
  date: string | null;
  owner: string;
  description: string;
  createdAt: string;
  updatedAt: string;
}

/** A playlist as listed: without its items, with how many it holds. */
export interface PlaylistSummary extends Playlist {
  itemCount: number;
}

export interface PlaylistItem {
  position: number;
  mediaId: string;
  addedBy: string;
  addedAt: string;
  media: Omit<Media, 'files'>;
}

export interface PlaylistWithItems extends Playlist {
  items: PlaylistItem[];
}

/**
 * Who changes a playlist: `role` is the actor's role in the playlist's project. The playlist's
 * owner, supervisors and admins may rename, reorder, remove items from or delete it; any member
 * may add items and notes. Omitted for trusted library calls.
 */
export interface PlaylistActor {
  actor: string;
  role?: Role;
}

export interface CreatePlaylistInput {
  projectId: string;
  name: string;
  date?: string | null;
  owner: string;
  description?: string;
  mediaIds?: string[];
}

/** Review sessions: ordered lists of media versions, their notes and their exports. */
export class PlaylistService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly media: MediaService,
    private readonly notes: NoteService,
  ) {}

  async createPlaylist(input: CreatePlaylistInput, scope: Scope = {}): Promise<PlaylistWithItems> {
    if (scope.projectIds && !scope.projectIds.includes(input.projectId))
      throw new NotFound(`Project ${input.projectId} does not exist.`);
    if (!(await projectExists(this.ctx.db, input.projectId)))
      throw new NotFound(`Project ${input.projectId} does not exist.`, { projectId: input.projectId });
    const owner = actorOf(input.owner, 'owner');
    const id = newId();
    const now = nowIso();
    await transaction(this.ctx.db, async (trx) => {
      await insertPlaylist(trx, {
        id,
        project_id: input.projectId,
        name: cleanName(input.name),
        review_date: cleanDate(input.date),
        owner,
        description: cleanDescription(input.description),
        created_at: now,
        updated_at: now,
      });
      await recordHistory(trx, {
        actor: owner,
        action: 'playlist.created',
        projectId: input.projectId,
        subjectType: 'playlist',
        subjectId: id,
        data: { name: input.name },
      });
    });
    this.ctx.events.publish({
      type: 'playlist.created',
      projectId: input.projectId,
      actor: owner,
      data: { playlistId: id, name: input.name },
    });
    if (input.mediaIds?.length) await this.addItems(id, input.mediaIds, { actor: owner });
    return this.getPlaylist(id);
  }

  async listPlaylists(
    projectId: string,
    options: { limit?: number } & Scope = {},
  ): Promise<PlaylistSummary[]> {
    if (options.projectIds && !options.projectIds.includes(projectId)) return [];
    const rows = await playlistRowsWithCounts(
      this.ctx.db,
      projectId,
      Math.min(Math.max(options.limit ?? 100, 1), 1000),
    );
    return rows.map((r) => ({ ...playlistFromRow(r), itemCount: r.itemCount }));
  }

  async getPlaylist(id: string, scope: Scope = {}): Promise<PlaylistWithItems> {
    const p = await this.getPlaylistInfo(id, scope);
    const items = await itemRows(this.ctx.db, id);
    const out: PlaylistItem[] = [];
    for (const it of items) {
      const { files: _files, ...media } = await this.media.getMediaById(it.media_id);
      out.push({
        position: it.position,
        mediaId: it.media_id,
        addedBy: it.added_by,
        addedAt: it.added_at,
        media,
      });
    }
    return { ...p, items: out };
  }

  async updatePlaylist(
    id: string,
    patch: { name?: string; date?: string | null; description?: string } & PlaylistActor,
    scope: Scope = {},
  ): Promise<PlaylistWithItems> {
    const p = await this.getPlaylistInfo(id, scope);
    const actor = actorOf(patch.actor, 'actor');
    mayCurate(p, actor, patch.role, 'edit');
    await transaction(this.ctx.db, async (trx) => {
      await updatePlaylistRow(trx, id, {
        ...(patch.name !== undefined ? { name: cleanName(patch.name) } : {}),
        ...(patch.date !== undefined ? { review_date: cleanDate(patch.date) } : {}),
        ...(patch.description !== undefined ? { description: cleanDescription(patch.description) } : {}),
        updated_at: nowIso(),
      });
      await recordHistory(trx, {
        actor,
        action: 'playlist.updated',
        projectId: p.projectId,
        subjectType: 'playlist',
        subjectId: id,
      });
    });
    return this.getPlaylist(id);
  }

  async deletePlaylist(id: string, options: PlaylistActor & Scope): Promise<void> {
    const p = await this.getPlaylistInfo(id, options);
    const actor = actorOf(options.actor, 'actor');
    mayCurate(p, actor, options.role, 'delete');
    await transaction(this.ctx.db, async (trx) => {
      await deletePlaylistRow(trx, id);
      await recordHistory(trx, {
        actor,
        action: 'playlist.deleted',
        projectId: p.projectId,
        subjectType: 'playlist',
        subjectId: id,
        data: { name: p.name },
      });
    });
    this.ctx.events.publish({
      type: 'playlist.deleted',
      projectId: p.projectId,
      actor,
      data: { playlistId: id },
    });
  }

  /** Appends media items (or inserts them at `position`, 0-based); items already in the playlist are left where they are. */
  async addItems(
    id: string,
    mediaIds: string[],
    options: { actor: string; position?: number } & Scope,
  ): Promise<PlaylistWithItems> {
    const p = await this.getPlaylistInfo(id, options);
    const actor = actorOf(options.actor, 'actor');
    if (!Array.isArray(mediaIds) || mediaIds.length === 0)
      throw new ValidationError('Give at least one media id.', { field: 'mediaIds' });
    for (const m of mediaIds) {
      const media = await this.media.getMediaById(m, options);
      if (media.projectId !== p.projectId)
        throw new ValidationError(`Media ${m} belongs to project ${media.projectId}, not ${p.projectId}.`, {
          mediaId: m,
        });
    }
    await transaction(this.ctx.db, async (trx) => {
      const current = await itemMediaIds(trx, id);
      const fresh = [...new Set(mediaIds)].filter((m) => !current.includes(m));
      const at =
        options.position === undefined
          ? current.length
          : Math.min(Math.max(Math.trunc(options.position), 0), current.length);
      const order = [...current.slice(0, at), ...fresh, ...current.slice(at)];
      const now = nowIso();
      for (const m of fresh) {
        await insertItem(trx, {
          playlist_id: id,
          media_id: m,
          position: order.indexOf(m),
          added_by: actor,
          added_at: now,
        });
      }
      await writeOrder(trx, id, order);
      await updatePlaylistRow(trx, id, { updated_at: now });
      await recordHistory(trx, {
        actor,
        action: 'playlist.items_added',
        projectId: p.projectId,
        subjectType: 'playlist',
        subjectId: id,
        data: { mediaIds: fresh },
      });
    });
    this.ctx.events.publish({
      type: 'playlist.updated',
      projectId: p.projectId,
      actor,
      data: { playlistId: id, added: mediaIds },
    });
    return this.getPlaylist(id);
  }

  async removeItem(id: string, mediaId: string, options: PlaylistActor & Scope): Promise<PlaylistWithItems> {
    const p = await this.getPlaylistInfo(id, options);
    const actor = actorOf(options.actor, 'actor');
    mayCurate(p, actor, options.role, 'remove items from');
    await transaction(this.ctx.db, async (trx) => {
      if (!(await deleteItem(trx, id, mediaId)))
        throw new NotFound(`Media ${mediaId} is not in playlist ${p.name}.`);
      const order = await itemMediaIds(trx, id);
      await writeOrder(trx, id, order);
      await recordHistory(trx, {
        actor,
        action: 'playlist.item_removed',
        projectId: p.projectId,
        subjectType: 'playlist',
        subjectId: id,
        data: { mediaId },
      });
    });
    this.ctx.events.publish({
      type: 'playlist.updated',
      projectId: p.projectId,
      actor,
      data: { playlistId: id, removed: [mediaId] },
    });
    return this.getPlaylist(id);
  }

  /** Sets the order: `mediaIds` must list exactly the playlist's items. */
  async reorderItems(
    id: string,
    mediaIds: string[],
    options: PlaylistActor & Scope,
  ): Promise<PlaylistWithItems> {
    const p = await this.getPlaylistInfo(id, options);
    const actor = actorOf(options.actor, 'actor');
    mayCurate(p, actor, options.role, 'reorder');
    await transaction(this.ctx.db, async (trx) => {
      const current = await itemMediaIds(trx, id);
      const same =
        mediaIds.length === current.length &&
        new Set(mediaIds).size === mediaIds.length &&
        mediaIds.every((m) => current.includes(m));
      if (!same)
        throw new ValidationError('The new order must list every item of the playlist exactly once.', {
          field: 'mediaIds',
        });
      await writeOrder(trx, id, mediaIds);
      await recordHistory(trx, {
        actor,
        action: 'playlist.reordered',
        projectId: p.projectId,
        subjectType: 'playlist',
        subjectId: id,
        data: { mediaIds },
      });
    });
    this.ctx.events.publish({
      type: 'playlist.updated',
      projectId: p.projectId,
      actor,
      data: { playlistId: id, reordered: true },
    });
    return this.getPlaylist(id);
  }

  /** Adds a note to a media item in this playlist: it is the media item's note, tagged with the playlist. */
  async addNote(
    id: string,
    mediaId: string,
    input: Omit<Parameters<NoteService['addNote']>[1], 'playlistId'>,
    scope: Scope = {},
  ): Promise<ReviewNote> {
    await this.getPlaylistInfo(id, scope);
    return this.notes.addNote(mediaId, { ...input, playlistId: id }, scope);
  }

  /** Everything the exports need: the playlist, each item with its notes (all of the media item's notes by default). */
  async report(id: string, options: { onlyPlaylistNotes?: boolean } & Scope = {}): Promise<PlaylistReport> {
    const playlist = await this.getPlaylist(id, options);
    const items = [];
    for (const it of playlist.items) {
      const media = await this.media.getMediaById(it.mediaId);
      items.push({
        position: it.position,
        media,
        timing: await this.notes.timingOf(media),
        notes: await this.notes.listNotes(it.mediaId, options.onlyPlaylistNotes ? { playlistId: id } : {}),
      });
    }
    return { playlist, items };
  }

  async exportCsv(id: string, options: { onlyPlaylistNotes?: boolean } & Scope = {}): Promise<string> {
    return exportCsv(await this.report(id, options));
  }

  async exportHtml(id: string, options: ExportOptions & Scope = {}): Promise<string> {
    return exportHtml(await this.report(id, options), this.ctx, options);
  }

  async exportPdf(id: string, options: ExportOptions & Scope = {}): Promise<Buffer> {
    return exportPdf(await this.report(id, options), this.ctx, options);
  }

  async exportOtio(id: string, options: { baseUrl?: string } & Scope = {}): Promise<OtioTimeline> {
    return exportOtio(await this.report(id, options), options);
  }

  /**
   * The notes package of one version (no playlist needed): its annotated frames, notes and
   * markers as a zip stream, named after the task and version.
   */
  async exportVersionNotesPackage(
    mediaId: string,
    options: NotesPackageOptions & Scope = {},
  ): Promise<Readable> {
    const media = await this.media.getMediaById(mediaId, options);
    const report: PlaylistReport = {
      playlist: {
        id: media.id,
        projectId: media.projectId,
        name: `${media.taskId}_${media.version}`,
        date: null,
        owner: media.author,
        description: '',
      },
      items: [
        {
          position: 0,
          media,
          timing: await this.notes.timingOf(media),
          notes: await this.notes.listNotes(mediaId),
        },
      ],
    };
    return notesPackage(report, this.ctx, options);
  }

  /** The notes package of the playlist: a zip stream (see review/notes-package.ts). */
  async exportNotesPackage(
    id: string,
    options: { onlyPlaylistNotes?: boolean } & NotesPackageOptions & Scope = {},
  ): Promise<Readable> {
    return notesPackage(await this.report(id, options), this.ctx, options);
  }

  /** A playlist without its items (one query): for checks before a change. */
  async getPlaylistInfo(id: string, scope: Scope = {}): Promise<Playlist> {
    const r = await playlistRow(this.ctx.db, id);
    if (!r || (scope.projectIds && !scope.projectIds.includes(r.project_id)))
      throw new NotFound(`Playlist ${id} does not exist.`, { playlistId: id });
    return playlistFromRow(r);
  }
}

/** A playlist is curated by its owner, supervisors and admins (see PlaylistActor). */
function mayCurate(p: Playlist, actor: string, role: Role | undefined, what: string): void {
  if (role === undefined || role === 'supervisor' || role === 'admin' || actor === p.owner) return;
  throw new Forbidden(
    `Only ${p.owner}, who made playlist ${JSON.stringify(p.name)}, or a supervisor may ${what} it.`,
    { playlistId: p.id },
  );
}

function playlistFromRow(r: {
  id: string;
  project_id: string;
  name: string;
  review_date: string | null;
  owner: string;
  description: string;
  created_at: string;
  updated_at: string;
}): Playlist {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    date: r.review_date,
    owner: r.owner,
    description: r.description,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function actorOf(v: unknown, field: string): string {
  const s = typeof v === 'string' ? v.trim() : '';
  if (!s) throw new ValidationError(`${field} is required.`, { field });
  return s;
}

function cleanName(v: unknown): string {
  const s = typeof v === 'string' ? v.trim() : '';
  if (!s || s.length > 200)
    throw new ValidationError('A playlist name must be 1–200 characters.', { field: 'name' });
  return s;
}

function cleanDescription(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string' || v.length > 10_000)
    throw new ValidationError('description must be text of at most 10000 characters.', {
      field: 'description',
    });
  return v;
}

function cleanDate(v: unknown): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) {
    throw new ValidationError('date must be a day YYYY-MM-DD.', { field: 'date' });
  }
  return v;
}
