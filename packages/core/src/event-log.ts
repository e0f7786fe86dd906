/**
 * Recent library events in the database, so a Server-Sent Events client that reconnects with
 * `Last-Event-ID` — to a restarted API server, or another one — gets what it missed. Each process
 * writes the events that happened in it (relayed ones were written where they happened), in
 * small batches off the publishing path; rows older than the window are pruned. Job progress is
 * not kept: it is superseded within seconds and would be most of the rows.
 */
import { relaxedTransaction } from './db/connect.js';
import type { DialectName } from './db/dialect.js';
import type { Db } from './db/schema.js';
import { deleteEventsBefore, eventsAfter, holdsEventAtOrBefore, insertEvents } from './event-log-queries.js';
import { REVIEW_SESSION_EVENT, type EventBus, type MontuEvent } from './events.js';

/** How long events stay replayable (default 1 hour). */
export const EVENT_LOG_WINDOW_MS = 60 * 60 * 1000;
/** Most events one replay sends; a client further behind is told the replay is incomplete. */
export const EVENT_REPLAY_LIMIT = 5000;

// Live review-session bells are not kept either: the session's own events are stored (with
// their sequence numbers) in review_session_event, and a driver's every frame step rings one.
const NOT_KEPT = new Set(['job.progress', REVIEW_SESSION_EVENT]);

export class EventLog {
  private pending: MontuEvent[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private lastPrune = 0;
  private readonly off: () => void;

  constructor(
    private readonly db: Db,
    private readonly dialect: DialectName,
    bus: EventBus,
    private readonly windowMs = EVENT_LOG_WINDOW_MS,
  ) {
    this.off = bus.subscribe((e, origin) => {
      if (origin.relayed || NOT_KEPT.has(e.type)) return;
      this.pending.push(e);
      this.timer ??= setTimeout(() => void this.flush(), 0);
    });
  }

  /** Writes what is pending (awaits any write in progress first, so order is kept). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length) {
        // Best effort, so committed without a flush to disk of its own: a lost row only shortens
        // a replay, and the next durable commit (an upload's) flushes it too. A durable commit
        // here was an fsync per batch on the event loop — most of the main thread's time in a
        // cold ingest on a busy disk (decision 193).
        await relaxedTransaction(this.db, this.dialect, (trx) =>
          insertEvents(
            trx,
            batch.map((e) => ({ id: e.id, at: e.at, event: JSON.stringify(e) })),
          ),
        ).catch(() => undefined);
      }
      if (Date.now() - this.lastPrune > 60_000) {
        this.lastPrune = Date.now();
        const before = new Date(Date.now() - this.windowMs).toISOString();
        await relaxedTransaction(this.db, this.dialect, (trx) => deleteEventsBefore(trx, before)).catch(
          () => undefined,
        );
      }
    });
    return this.flushing;
  }

  /**
   * The kept events after `id` (oldest first), at most `limit`; `complete` is false when the log
   * does not reach back to `id` (older than the window: events may be missing) or more than
   * `limit` followed it.
   */
  async since(id: string, limit = EVENT_REPLAY_LIMIT): Promise<{ events: MontuEvent[]; complete: boolean }> {
    await this.flush();
    const rows = await eventsAfter(this.db, id, limit + 1);
    const known = await holdsEventAtOrBefore(this.db, id);
    const events = rows.slice(0, limit).map((r) => JSON.parse(r) as MontuEvent);
    // Complete when the log reaches back to `id` (a row at or before it is still kept).
    return { events, complete: rows.length <= limit && known };
  }

  async close(): Promise<void> {
    this.off();
    await this.flush();
  }
}
