import { EventEmitter } from 'node:events';

/** Something that happened in the library, published after its transaction committed. */
export interface MontuEvent {
  type: string;
  at: string;
  projectId: string | null;
  mediaId?: string;
  actor?: string;
  data?: Record<string, unknown>;
}

/**
 * The in-process event bus. Services publish; the SSE stream, webhooks and job progress
 * subscribe. A failing subscriber never breaks the publisher.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(event: Omit<MontuEvent, 'at'> & { at?: string }): void {
    const full: MontuEvent = { at: new Date().toISOString(), ...event };
    for (const listener of this.emitter.listeners('event')) {
      try {
        (listener as (e: MontuEvent) => void)(full);
      } catch {
        // A subscriber's bug must not fail the write that already committed.
      }
    }
  }

  subscribe(listener: (e: MontuEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
