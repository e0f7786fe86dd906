/** A small Server-Sent Events reader for tests: parses `id:`/`event:`/`data:` frames from fetch. */
export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

export interface SseStream {
  status: number;
  /** Waits until `pred` holds over the events received so far (or the stream ends). */
  until(pred: (events: SseEvent[]) => boolean): Promise<SseEvent[]>;
  events: SseEvent[];
  close(): void;
}

export async function openSse(
  url: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<SseStream> {
  const ctl = new AbortController();
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...headers },
    signal: ctl.signal,
  });
  const events: SseEvent[] = [];
  let ended = false;
  const waiters: Array<() => void> = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  if (res.ok && res.body) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += decoder.decode(value, { stream: true });
          let cut: number;
          while ((cut = buf.indexOf('\n\n')) >= 0) {
            const frame = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            let id: string | null = null;
            let event = 'message';
            const data: string[] = [];
            for (const line of frame.split('\n')) {
              if (line.startsWith('id: ')) id = line.slice(4);
              else if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data.push(line.slice(6));
            }
            if (data.length) events.push({ id, event, data: data.join('\n') });
          }
          wake();
        }
      } catch {
        // aborted
      } finally {
        ended = true;
        wake();
      }
    })();
  } else ended = true;
  return {
    status: res.status,
    events,
    async until(pred) {
      while (!pred(events) && !ended) await new Promise<void>((r) => waiters.push(r));
      return events;
    },
    close: () => ctl.abort(),
  };
}
