/** One shared EventSource on /api/v1/events; components subscribe with a hook. */
import { useEffect } from 'react';
import type { LibraryEvent } from '@montu/client';
import { api } from '../api/index.js';

/**
 * An event of the live stream (`/api/v1/events`: each `data:` is a LibraryEvent, the wire
 * contract's), with the fields the app reads flattened from its `data`.
 */
export type MontuEvent = Partial<LibraryEvent> & {
  type: string;
  progress?: number;
  state?: string;
  error?: string | null;
};

type Listener = (e: MontuEvent) => void;
const listeners = new Set<Listener>();
let source: EventSource | null = null;

function open(): void {
  if (source) return;
  source = new EventSource(api.eventsUrl(), { withCredentials: true });
  const dispatch = (msg: MessageEvent<string>): void => {
    let data: MontuEvent;
    try {
      data = JSON.parse(msg.data) as MontuEvent;
    } catch {
      return;
    }
    if (!data.type && msg.type !== 'message') data.type = msg.type;
    // Montu puts details under `data`: flatten progress (0–100 → 0–1), state and error.
    const d = (data as { data?: Record<string, unknown> }).data;
    if (d) {
      if (typeof d['progress'] === 'number') data.progress = d['progress'] / 100;
      if (typeof d['state'] === 'string') data.state = d['state'];
      if (typeof d['error'] === 'string') data.error = d['error'];
    }
    if (data.type === 'processing.failed' || data.type === 'job.failed') data.state = 'failed';
    if (data.type === 'processing.finished') data.state = data.state ?? 'ready';
    listeners.forEach((l) => l(data));
  };
  source.onmessage = dispatch;
  // Named events (`event: job.progress`) do not reach onmessage; listen to the ones Montu sends.
  for (const name of [
    'job.progress',
    'job.done',
    'job.failed',
    'processing.finished',
    'processing.failed',
    'rendition.ready',
    'media.created',
    'media.updated',
    'media.status_changed',
    'annotation.created',
    'annotation.updated',
  ]) {
    source.addEventListener(name, dispatch as EventListener);
  }
}

function close(): void {
  source?.close();
  source = null;
}

export function useEvents(fn: Listener): void {
  useEffect(() => {
    listeners.add(fn);
    open();
    return () => {
      listeners.delete(fn);
      if (listeners.size === 0) close();
    };
  }, [fn]);
}
