/**
 * Server-Sent Events, once for every stream (`GET /events`, a review session's `/events`): the
 * headers proxies need, the `retry:` hint, heartbeat comments, and ending the stream when the
 * client goes or the server closes. What a stream sends, and when, is its route's.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface EventStreamOptions {
  /** How long an EventSource waits before reconnecting (`retry:`). */
  retryMs: number;
  /** Seconds between heartbeat comments (`: ping …`). */
  heartbeatSeconds: number;
  /** Runs after each heartbeat (a stream that polls as a backstop). */
  onHeartbeat?: () => void;
}

export interface EventStreamWriter {
  /** One event: `id:`, `event:` and its data as one JSON line. */
  send(id: string | number, event: string, data: unknown): void;
  /** A comment line (ignored by EventSource; says something to a reader of the raw stream). */
  comment(text: string): void;
  /** Runs once when the stream ends, whoever ends it. */
  onEnd(fn: () => void): void;
  end(): void;
  readonly closed: boolean;
}

/** The event streams of one plugin scope: each is ended when the server closes. */
export function eventStreams(app: FastifyInstance) {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  /** Takes the reply over (hijack) and opens the stream. */
  function start(req: FastifyRequest, reply: FastifyReply, options: EventStreamOptions): EventStreamWriter {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx: do not buffer the stream.
      'x-accel-buffering': 'no',
      'x-request-id': String(req.id),
    });
    res.write(`retry: ${options.retryMs}\n: connected\n\n`);
    let closed = false;
    const cleanups: Array<() => void> = [];
    const end = () => {
      if (closed) return;
      closed = true;
      clearInterval(beat);
      open.delete(end);
      for (const fn of cleanups) fn();
      if (!res.writableEnded) res.end();
    };
    const beat = setInterval(() => {
      res.write(`: ping ${new Date().toISOString()}\n\n`);
      options.onHeartbeat?.();
    }, options.heartbeatSeconds * 1000);
    open.add(end);
    req.raw.on('close', end);
    res.on('error', end);
    return {
      send: (id, event, data) => {
        if (!closed) res.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      comment: (text) => {
        if (!closed) res.write(`: ${text}\n\n`);
      },
      onEnd: (fn) => {
        if (closed) fn();
        else cleanups.push(fn);
      },
      end,
      get closed() {
        return closed;
      },
    };
  }
  return { start };
}
