import { EventEmitter } from 'node:events';
import { newId } from './ids.js';

/** Something that happened in the library, published after its transaction committed. */
export interface MontuEvent {
  /** Time-ordered (UUIDv7), given when published; relayed events keep theirs (SSE `id:`). */
  id: string;
  type: string;
  at: string;
  projectId: string | null;
  mediaId?: string;
  actor?: string;
  data?: Record<string, unknown>;
}

/** Where an event came from (see EventBus.publish). */
export interface EventOrigin {
  relayed: boolean;
}

/**
 * Published after every accepted update of a live review session (data: `{ sessionId, seq }`):
 * a bell that wakes the sessions' event streams, which then read the stored events.
 */
export const REVIEW_SESSION_EVENT = 'review-session.updated';

/**
 * Frequent events a webhook without an event filter does not get: job progress and live
 * review-session updates (a driver stepping frames would send one delivery per frame).
 */
export function isTickEvent(type: string): boolean {
  return type.endsWith('.progress') || type === REVIEW_SESSION_EVENT;
}

export type MontuEventListener = (e: MontuEvent, origin: EventOrigin) => void;

/**
 * The in-process event bus. Services publish; the SSE stream, webhooks and job progress
 * subscribe. A failing subscriber never breaks the publisher.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  /**
   * Publishes an event to this process's subscribers. `relayed`: it happened in another process
   * and came over the scale-mode event bridge (subscribers that act on events, such as webhooks,
   * leave those to the process where they happened).
   */
  publish(
    event: Omit<MontuEvent, 'at' | 'id'> & { at?: string; id?: string },
    origin: EventOrigin = { relayed: false },
  ): void {
    const full: MontuEvent = { id: newId(), at: new Date().toISOString(), ...event };
    for (const listener of this.emitter.listeners('event')) {
      try {
        (listener as MontuEventListener)(full, origin);
      } catch {
        // A subscriber's bug must not fail the write that already committed.
      }
    }
  }

  subscribe(listener: MontuEventListener): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
