import { Conflict, Forbidden, NotFound, ValidationError } from '@montu/domain';
import {
  applySessionPatch,
  DEFAULT_COMPARE_MIX,
  DEFAULT_SESSION_COLOUR,
  initialSessionState,
  maySteerSession,
  type SessionColour,
  type ReviewSessionPatch,
  type ReviewSessionState,
} from '@montu/domain';
import { actingName, type Role } from '@montu/domain';
import { newId } from '../ids.js';
import type { ServiceContext } from '../context.js';
import { REVIEW_SESSION_EVENT } from '../events.js';
import type { Db } from '../db/schema.js';
import { transaction } from '../db/connect.js';
import type { MediaService, Scope } from '../media/media-service.js';
import type { AddNoteInput, NoteService, ReviewNote } from '../review/note-service.js';
import type { PlaylistService } from '../review/playlist-service.js';
import type { ColourViews } from '../colour/lut.js';
import {
  advanceSession,
  eventCountAfter,
  eventRows,
  expirePresence,
  insertEvent,
  insertSession,
  noteEventRows,
  playlistMediaIds,
  presenceRows,
  pruneEndedSessionEvents,
  removePresence,
  sessionRow,
  sessionRows,
  touchPresence,
  type SessionRow,
} from './session-queries.js';

/** The bus event every accepted update publishes (data: `{ sessionId, seq }`); streams then read the rows. */
export const SESSION_EVENT = REVIEW_SESSION_EVENT;

export type ReviewSessionEventType = 'started' | 'state' | 'presence' | 'control' | 'note' | 'ended';

/** One accepted update, as stored and as streamed (`id:` = seq). */
export interface ReviewSessionEvent {
  seq: number;
  type: ReviewSessionEventType;
  actor: string;
  at: string;
  data: Record<string, unknown>;
}

export interface SessionPresence {
  username: string;
  joinedAt: string;
  lastSeenAt: string;
}

/** Everything a late joiner needs: apply it, then the events after `seq`. */
export interface ReviewSessionSnapshot {
  id: string;
  projectId: string;
  /** The playlist the session runs through, or null for a single version. */
  playlistId: string | null;
  /** The single version reviewed, or null for a playlist session. */
  mediaId: string | null;
  owner: string;
  driver: string;
  status: 'live' | 'ended';
  /** The last event's sequence number: the state is as of this event. */
  seq: number;
  state: ReviewSessionState;
  /** Media ids the driver may show, in playlist order. */
  items: string[];
  presence: SessionPresence[];
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
  endedBy: string | null;
}

export interface ReviewSessionSummaryItem {
  mediaId: string;
  taskId: string;
  /** `v001`. */
  version: string;
  notes: ReviewNote[];
}

/** What a session produced: its notes per item, in item order. */
export interface ReviewSessionSummary {
  session: ReviewSessionSnapshot;
  items: ReviewSessionSummaryItem[];
  noteCount: number;
}

export interface ReviewSessionOptions {
  /** Who has not been seen (a heartbeat, any call) for this long has left. Default 45 s. */
  presenceTtlMs?: number;
  /** The clock (tests move it instead of waiting). */
  now?: () => number;
  /**
   * The displays/views a viewer may pick (ColourService): a colour view naming others is refused.
   * Without it, display and view names are only checked for form.
   */
  colour?: { views(): Promise<ColourViews> };
  /**
   * How long an ended session keeps its transport and presence events (default 7 days); after
   * that only `note` and `ended` stay (what the summary reads). Decision 195.
   */
  eventRetentionMs?: number;
}

/** Default retention of an ended session's events (decision 195). */
export const SESSION_EVENT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/** Pruning runs at most this often per process (on a heartbeat), so it costs nothing per call. */
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** An accepted change: the columns it sets, and the event it records (none: nothing changed). */
interface Change {
  set?: { state?: string; driver?: string; status?: string; ended_at?: string; ended_by?: string };
  event: { type: ReviewSessionEventType; data: Record<string, unknown> } | null;
}

const MAX_CAS_ATTEMPTS = 50;

/**
 * Live review sessions (issue 22, decision 140). The database holds the state and a sequence
 * number per session; every accepted update is one transaction that advances the number
 * (compare-and-set, so several API processes agree on one order) and stores the event. After the
 * commit a bus event (relayed by Redis in scale mode) wakes the streams, which read the rows:
 * the bus is a doorbell, never the record.
 */
export class ReviewSessionService {
  private readonly ttlMs: number;
  private readonly clock: () => number;
  private readonly colour: { views(): Promise<ColourViews> } | null;
  private readonly retentionMs: number;
  private lastPrune = -Infinity;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly media: MediaService,
    private readonly notes: NoteService,
    private readonly playlists: PlaylistService,
    options: ReviewSessionOptions = {},
  ) {
    this.ttlMs = options.presenceTtlMs ?? 45_000;
    this.clock = options.now ?? Date.now;
    this.colour = options.colour ?? null;
    this.retentionMs = options.eventRetentionMs ?? SESSION_EVENT_RETENTION_MS;
  }

  /**
   * Deletes the events of sessions ended more than the retention window ago, keeping `note` and
   * `ended` (the summary's). A client resuming from a pruned seq gets a snapshot (see
   * `missesEvents`). Answers how many events went.
   */
  async pruneEndedEvents(): Promise<number> {
    this.lastPrune = this.clock();
    return pruneEndedSessionEvents(this.ctx.db, new Date(this.clock() - this.retentionMs).toISOString());
  }

  /**
   * True when some events after `after` (up to the session's `seq`) are no longer stored: a client
   * resuming from there must start from a snapshot instead of replaying a gap.
   */
  async missesEvents(id: string, after: number, seq: number): Promise<boolean> {
    if (after >= seq) return false;
    return (await eventCountAfter(this.ctx.db, id, after)) < seq - after;
  }

  private now(): string {
    return new Date(this.clock()).toISOString();
  }

  /** Starts a session on a playlist (its first item) or a single version; the starter drives. */
  async startSession(
    input: { actor: string; playlistId?: string; mediaId?: string },
    scope: Scope = {},
  ): Promise<ReviewSessionSnapshot> {
    const actor = requiredName(input.actor);
    if ((input.playlistId === undefined) === (input.mediaId === undefined))
      throw new ValidationError('Give either playlistId or mediaId (one of them).', { field: 'playlistId' });
    let projectId: string;
    let first: string;
    if (input.playlistId !== undefined) {
      const playlist = await this.playlists.getPlaylistInfo(input.playlistId, scope);
      projectId = playlist.projectId;
      const items = await playlistMediaIds(this.ctx.db, playlist.id);
      if (!items.length)
        throw new Conflict(`Playlist ${playlist.id} is empty: add versions before starting a session.`, {
          playlistId: playlist.id,
        });
      first = items[0]!.media_id;
    } else {
      const media = await this.media.getMediaById(input.mediaId!, scope);
      projectId = media.projectId;
      first = media.id;
    }
    const id = newId();
    const at = this.now();
    const state = initialSessionState(first);
    await transaction(this.ctx.db, async (trx) => {
      await insertSession(trx, {
        id,
        project_id: projectId,
        playlist_id: input.playlistId ?? null,
        media_id: input.playlistId === undefined ? first : null,
        owner: actor,
        driver: actor,
        state: JSON.stringify(state),
        at,
      });
      await touchPresence(trx, id, actor, at);
      await advanceSession(trx, id, 0, {}, at);
      await insertEvent(trx, {
        session_id: id,
        seq: 1,
        type: 'started',
        actor,
        data: JSON.stringify({ state, driver: actor }),
        at,
      });
    });
    this.ring(projectId, id, 1, actor);
    return this.getSession(id, scope);
  }

  async getSession(id: string, scope: Scope = {}): Promise<ReviewSessionSnapshot> {
    const row = await this.visibleRow(id, scope);
    return this.snapshotOf(this.ctx.db, row);
  }

  async listSessions(
    projectId: string,
    options: Scope & { status?: 'live' | 'ended'; limit?: number } = {},
  ): Promise<ReviewSessionSnapshot[]> {
    if (options.projectIds && !options.projectIds.includes(projectId)) return [];
    const rows = await sessionRows(
      this.ctx.db,
      projectId,
      options.status,
      Math.min(Math.max(options.limit ?? 50, 1), 500),
    );
    return Promise.all(rows.map((r) => this.snapshotOf(this.ctx.db, r)));
  }

  /** Joins (or re-joins after a reconnect) and answers the full snapshot. */
  async join(id: string, actor: string, scope: Scope = {}): Promise<ReviewSessionSnapshot> {
    await this.visibleRow(id, scope);
    await this.heartbeat(id, actor, scope);
    return this.getSession(id, scope);
  }

  /**
   * Records the caller as here now (and who has not been seen for the presence timeout as gone);
   * a change in who is here is an event. Answers the session's sequence number and presence.
   */
  async heartbeat(
    id: string,
    actor: string,
    scope: Scope = {},
  ): Promise<{ seq: number; presence: SessionPresence[] }> {
    const name = requiredName(actor);
    await this.visibleRow(id, scope);
    // Every follower heartbeats: the first one after an hour prunes ended sessions' events.
    if (this.clock() - this.lastPrune >= PRUNE_EVERY_MS) await this.pruneEndedEvents();
    const { row } = await this.commit(id, name, async (trx, r) => {
      if (r.status !== 'live') return { event: null };
      const at = this.now();
      const cutoff = new Date(this.clock() - this.ttlMs).toISOString();
      const expired = (await expirePresence(trx, id, cutoff)).filter((u) => u !== name);
      const joined = await touchPresence(trx, id, name, at);
      if (!joined && !expired.length) return { event: null };
      return {
        event: {
          type: 'presence',
          data: {
            ...(joined ? { joined: name } : {}),
            ...(expired.length ? { expired } : {}),
            presence: presenceOf(await presenceRows(trx, id)),
          },
        },
      };
    });
    return { seq: row.seq, presence: presenceOf(await presenceRows(this.ctx.db, id)) };
  }

  async leave(id: string, actor: string, scope: Scope = {}): Promise<void> {
    const name = requiredName(actor);
    await this.visibleRow(id, scope);
    await this.commit(id, name, async (trx) => {
      if (!(await removePresence(trx, id, name))) return { event: null };
      return {
        event: { type: 'presence', data: { left: name, presence: presenceOf(await presenceRows(trx, id)) } },
      };
    });
  }

  /**
   * The driver moves the transport or changes what is shown. Anyone else: 403 (`not_driver`);
   * an ended session: 409. `expectedSeq`, when given, must be the session's current number (409
   * `stale_seq` otherwise), so a driver acting on an old picture is told.
   */
  async updateState(
    id: string,
    input: { actor: string; patch: ReviewSessionPatch | Record<string, unknown>; expectedSeq?: number },
    scope: Scope = {},
  ): Promise<{ seq: number; state: ReviewSessionState }> {
    const actor = requiredName(input.actor);
    const before = await this.visibleRow(id, scope);
    const current = parseState(before.state);
    // Checked against the stored items before the transaction (reads media); the transaction
    // re-applies the patch to the state it reads.
    const probe = applySessionPatch(current, input.patch);
    if (input.patch['mediaId'] !== undefined) await this.checkItem(before, probe.mediaId);
    if (probe.compare && probe.compare.mediaId !== current.compare?.mediaId)
      await this.checkCompare(before, probe.compare.mediaId, scope);
    // Only a change of display or view asks the config (oiiotool): exposure and channel need not.
    const colourPatch = input.patch['colour'];
    if (typeof colourPatch === 'object' && colourPatch && ('display' in colourPatch || 'view' in colourPatch))
      await this.checkColourView(probe.colour);
    const { row } = await this.commit(id, actor, async (trx, r) => {
      live(r);
      if (r.driver !== actor)
        throw new Forbidden(`Only the driver (${r.driver}) may move the session; ${actor} follows.`, {
          reason: 'not_driver',
          driver: r.driver,
        });
      if (input.expectedSeq !== undefined && input.expectedSeq !== r.seq)
        throw new Conflict(`The session moved on: it is at ${r.seq}, not ${input.expectedSeq}.`, {
          reason: 'stale_seq',
          seq: r.seq,
        });
      const state = applySessionPatch(parseState(r.state), input.patch);
      await touchPresence(trx, id, actor, this.now());
      return {
        set: { state: JSON.stringify(state) },
        event: { type: 'state', data: { state, changed: Object.keys(input.patch) } },
      };
    });
    return { seq: row.seq, state: parseState(row.state) };
  }

  /**
   * A colour view must be one the server can show (its OCIO config's, or the built-in ones): the
   * display among the displays, the view among that display's views; null picks the default.
   */
  private async checkColourView(colour: SessionColour): Promise<void> {
    if (!this.colour || (colour.display === null && colour.view === null)) return;
    const views = await this.colour.views();
    const display = views.displays.find((d) => d.name === (colour.display ?? views.default.display));
    if (!display)
      throw new ValidationError(
        `colour.display "${colour.display}" is not a display here; the displays are ${views.displays.map((d) => `"${d.name}"`).join(', ')}.`,
        { field: 'colour.display' },
      );
    if (colour.view !== null && !display.views.some((v) => v.name === colour.view))
      throw new ValidationError(
        `colour.view "${colour.view}" is not a view of display "${display.name}"; its views are ${display.views.map((v) => `"${v.name}"`).join(', ')}.`,
        { field: 'colour.view' },
      );
  }

  /**
   * Hands control to someone here: the driver, the session's owner, or (with `role`) a
   * supervisor or admin of the project may.
   */
  async handOver(
    id: string,
    input: { actor: string; to: string; role?: Role },
    scope: Scope = {},
  ): Promise<ReviewSessionSnapshot> {
    const actor = requiredName(input.actor);
    const to = requiredName(input.to, 'to');
    await this.visibleRow(id, scope);
    const cutoff = new Date(this.clock() - this.ttlMs).toISOString();
    await this.commit(id, actor, async (trx, r) => {
      live(r);
      if (!maySteerSession(r, actor, input.role))
        throw new Forbidden(
          `Only the driver (${r.driver}), the session's owner (${r.owner}) or the project's supervisors and admins may hand over control.`,
          {
            reason: 'not_driver',
            driver: r.driver,
          },
        );
      if (to === r.driver) return { event: null };
      const here = (await presenceRows(trx, id)).find((p) => p.username === to && p.last_seen_at >= cutoff);
      if (!here && to !== actor)
        throw new Conflict(`${to} is not in the session: they must join before they can drive.`, {
          reason: 'not_present',
          to,
        });
      await touchPresence(trx, id, actor, this.now());
      return { set: { driver: to }, event: { type: 'control', data: { driver: to, from: r.driver } } };
    });
    return this.getSession(id, scope);
  }

  /**
   * A note taken in the session: on the current item and frame unless given, by its author,
   * in the session's playlist. Anyone in the project may take one; it is an event for everyone.
   */
  async addNote(
    id: string,
    input: Omit<AddNoteInput, 'playlistId'> & { mediaId?: string },
    scope: Scope = {},
  ): Promise<ReviewNote> {
    const row = await this.visibleRow(id, scope);
    live(row);
    const state = parseState(row.state);
    const { mediaId: given, ...rest } = input;
    const mediaId = given ?? state.mediaId;
    if (given !== undefined && given !== state.compare?.mediaId) await this.checkItem(row, given);
    const note = await this.notes.addNote(
      mediaId,
      {
        ...rest,
        ...(rest.frame === undefined ? { frame: state.frame } : {}),
        ...(row.playlist_id && (await this.holds(row, mediaId)) ? { playlistId: row.playlist_id } : {}),
      },
      scope,
    );
    await this.commit(id, actingName(note.author, input.via), async (trx) => {
      // A note recorded for someone else (a pipeline naming its author) does not make them present.
      if (!input.via) await touchPresence(trx, id, note.author, this.now());
      return {
        event: {
          type: 'note',
          data: {
            noteId: note.id,
            mediaId,
            frame: note.frame,
            sourceFrame: note.sourceFrame,
            timecode: note.timecode,
            author: note.author,
          },
        },
      };
    });
    return note;
  }

  /** Events after `after` (at most `limit`), in order: what a reconnecting client missed. */
  async eventsAfter(
    id: string,
    after: number,
    limit = 1000,
    scope: Scope = {},
  ): Promise<ReviewSessionEvent[]> {
    await this.visibleRow(id, scope);
    return this.readEvents(id, after, limit);
  }

  /** `eventsAfter` without the visibility check, for a stream that already made it. */
  async readEvents(id: string, after: number, limit = 1000): Promise<ReviewSessionEvent[]> {
    const rows = await eventRows(
      this.ctx.db,
      id,
      Math.max(0, Math.trunc(after)),
      Math.min(Math.max(limit, 1), 5000),
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      type: r.type as ReviewSessionEventType,
      actor: r.actor,
      at: r.at,
      data: JSON.parse(r.data) as Record<string, unknown>,
    }));
  }

  /**
   * Ends the session and answers its summary: its owner, its driver, or (with `role`) a
   * supervisor or admin of the project (an abandoned session).
   */
  async endSession(
    id: string,
    actor: string,
    scope: Scope & { role?: Role } = {},
  ): Promise<ReviewSessionSummary> {
    const name = requiredName(actor);
    await this.visibleRow(id, scope);
    await this.commit(id, name, async (_trx, r) => {
      live(r);
      if (!maySteerSession(r, name, scope.role))
        throw new Forbidden(
          `Only the session's owner (${r.owner}), its driver (${r.driver}) or the project's supervisors and admins may end it.`,
          {
            reason: 'not_owner',
          },
        );
      const at = this.now();
      return {
        set: { status: 'ended', ended_at: at, ended_by: name },
        event: { type: 'ended', data: { endedBy: name } },
      };
    });
    return this.summary(id, scope);
  }

  /** The notes taken in the session, per item in item order (items without notes included). */
  async summary(id: string, scope: Scope = {}): Promise<ReviewSessionSummary> {
    const session = await this.getSession(id, scope);
    const noteIds = (await noteEventRows(this.ctx.db, id)).map(
      (r) => (JSON.parse(r.data) as { noteId: string }).noteId,
    );
    const notes: ReviewNote[] = [];
    for (const noteId of noteIds) {
      try {
        notes.push(await this.notes.getNote(noteId, scope));
      } catch (e) {
        if (!(e instanceof NotFound)) throw e; // deleted since: not part of the summary
      }
    }
    const order = [...session.items];
    for (const n of notes) if (!order.includes(n.mediaId)) order.push(n.mediaId);
    const items: ReviewSessionSummaryItem[] = [];
    for (const mediaId of order) {
      const media = await this.media.getMediaById(mediaId, scope).catch(() => null);
      if (!media) continue;
      items.push({
        mediaId,
        taskId: media.taskId,
        version: media.version,
        notes: notes.filter((n) => n.mediaId === mediaId),
      });
    }
    return { session, items, noteCount: notes.length };
  }

  // ------------------------------------------------------------ internals

  private async visibleRow(id: string, scope: Scope): Promise<SessionRow> {
    const row = await sessionRow(this.ctx.db, id);
    if (!row || (scope.projectIds && !scope.projectIds.includes(row.project_id)))
      throw new NotFound(`Review session ${id} does not exist.`, { sessionId: id });
    return row;
  }

  private async itemsOf(db: Db, row: SessionRow): Promise<string[]> {
    if (row.playlist_id) return (await playlistMediaIds(db, row.playlist_id)).map((r) => r.media_id);
    return row.media_id ? [row.media_id] : [];
  }

  private async holds(row: SessionRow, mediaId: string): Promise<boolean> {
    return (await this.itemsOf(this.ctx.db, row)).includes(mediaId);
  }

  private async checkItem(row: SessionRow, mediaId: string): Promise<void> {
    if (!(await this.holds(row, mediaId)))
      throw new ValidationError(
        `Media ${mediaId} is not an item of this session${row.playlist_id ? ` (playlist ${row.playlist_id})` : ''}.`,
        { field: 'mediaId' },
      );
  }

  private async checkCompare(row: SessionRow, mediaId: string, scope: Scope): Promise<void> {
    const media = await this.media.getMediaById(mediaId, scope).catch(() => null);
    if (!media || media.projectId !== row.project_id)
      throw new ValidationError(`compare.mediaId: media ${mediaId} is not in project ${row.project_id}.`, {
        field: 'compare.mediaId',
      });
  }

  private async snapshotOf(db: Db, row: SessionRow): Promise<ReviewSessionSnapshot> {
    const cutoff = new Date(this.clock() - this.ttlMs).toISOString();
    return {
      id: row.id,
      projectId: row.project_id,
      playlistId: row.playlist_id,
      mediaId: row.media_id,
      owner: row.owner,
      driver: row.driver,
      status: row.status === 'ended' ? 'ended' : 'live',
      seq: Number(row.seq),
      state: parseState(row.state),
      items: await this.itemsOf(db, row),
      presence: presenceOf((await presenceRows(db, row.id)).filter((p) => p.last_seen_at >= cutoff)),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      endedAt: row.ended_at,
      endedBy: row.ended_by,
    };
  }

  /**
   * One accepted update: in a transaction, read the session, let `decide` check and change it,
   * advance the sequence number only if nobody else did meanwhile (else run again), store the
   * event. After the commit, ring the bus.
   */
  private async commit(
    id: string,
    actor: string,
    decide: (trx: Db, row: SessionRow) => Promise<Change>,
  ): Promise<{ row: SessionRow; event: ReviewSessionEvent | null }> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const done = await transaction(this.ctx.db, async (trx) => {
        const row = await sessionRow(trx, id);
        if (!row) throw new NotFound(`Review session ${id} does not exist.`, { sessionId: id });
        const change = await decide(trx, row);
        if (!change.event) return { row, event: null };
        const at = this.now();
        const from = Number(row.seq);
        // Lost the race: roll back what `decide` wrote (presence) and run again on the new row.
        if (!(await advanceSession(trx, id, from, change.set ?? {}, at))) throw new LostRace();
        const event: ReviewSessionEvent = {
          seq: from + 1,
          type: change.event.type,
          actor,
          at,
          data: change.event.data,
        };
        await insertEvent(trx, {
          session_id: id,
          seq: event.seq,
          type: event.type,
          actor,
          data: JSON.stringify(event.data),
          at,
        });
        return { row: { ...row, ...change.set, seq: event.seq, updated_at: at }, event };
      }).catch((e: unknown) => {
        if (e instanceof LostRace) return null;
        throw e;
      });
      if (done) {
        if (done.event) this.ring(done.row.project_id, id, done.event.seq, actor);
        return done;
      }
    }
    throw new Conflict(`Review session ${id} is too busy: try again.`, { reason: 'busy' });
  }

  private ring(projectId: string, sessionId: string, seq: number, actor: string): void {
    this.ctx.events.publish({ type: SESSION_EVENT, projectId, actor, data: { sessionId, seq } });
  }
}

/** Thrown inside a change's transaction when another process advanced the session first. */
class LostRace extends Error {}

function parseState(json: string): ReviewSessionState {
  const state = JSON.parse(json) as ReviewSessionState;
  // Sessions stored before a field existed (frameAt, colour gamma, compare opacity) read as its default.
  return {
    ...state,
    frameAt: state.frameAt ?? null,
    colour: { ...DEFAULT_SESSION_COLOUR, ...state.colour },
    compare: state.compare ? { ...DEFAULT_COMPARE_MIX, ...state.compare } : null,
  };
}

function presenceOf(
  rows: Array<{ username: string; joined_at: string; last_seen_at: string }>,
): SessionPresence[] {
  return rows.map((r) => ({ username: r.username, joinedAt: r.joined_at, lastSeenAt: r.last_seen_at }));
}

function live(row: SessionRow): void {
  if (row.status !== 'live')
    throw new Conflict(`Review session ${row.id} has ended.`, { reason: 'ended', sessionId: row.id });
}

function requiredName(value: string, field = 'actor'): string {
  const name = typeof value === 'string' ? value.trim() : '';
  if (!name || name.length > 200)
    throw new ValidationError(`${field} must be a name of 1 to 200 characters.`, { field });
  return name;
}
