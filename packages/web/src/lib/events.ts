/** One shared EventSource on /api/v1/events; components subscribe with a hook. */
import { useEffect } from 'react';
import { api, type MontuEvent } from '../api/index.js';

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
    listeners.forEach((l) => l(data));
  };
  source.onmessage = dispatch;
  // Named events (`event: job.progress`) do not reach onmessage; listen to the ones Montu sends.
  for (const name of ['job', 'job.progress', 'job.completed', 'job.failed', 'media.created', 'media.processed', 'media.failed', 'media.updated', 'status.changed', 'note.added', 'annotation.created', 'processing']) {
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
