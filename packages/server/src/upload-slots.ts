import type { Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpProblem } from './problem.js';
import { takenOverBody } from './body-takeover.js';

/**
 * Requests that carry upload bytes, by method and route (with the /api/v1 prefix): multipart
 * uploads, tus creation and PATCH, sequence frames, note attachments. One list, so every kind
 * shares one cap.
 */
const UPLOAD_ROUTES = new Set([
  'POST /api/v1/media',
  'POST /api/v1/media/:mediaId/versions',
  'POST /api/v1/uploads',
  'PATCH /api/v1/uploads/:uploadId',
  'PUT /api/v1/uploads/sequences/:uploadId/frames/:frame',
  'POST /api/v1/notes/:noteId/attachments',
]);

export function isUploadRequest(req: FastifyRequest): boolean {
  return UPLOAD_ROUTES.has(`${req.method} ${req.routeOptions.url ?? ''}`);
}

/** Upload requests in flight per user (in memory, per server process). */
export class UploadSlots {
  private readonly inFlight = new Map<string, number>();

  /** `perUser` 0 = no cap. */
  constructor(readonly perUser: number) {}

  /** A release function, or undefined when the user already has `perUser` uploads in flight. */
  tryAcquire(userId: string): (() => void) | undefined {
    const n = this.inFlight.get(userId) ?? 0;
    if (this.perUser > 0 && n >= this.perUser) return undefined;
    this.inFlight.set(userId, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(userId) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(userId);
      else this.inFlight.set(userId, left);
    };
  }

  count(userId: string): number {
    return this.inFlight.get(userId) ?? 0;
  }
}

/**
 * Caps concurrent upload requests per user: the request beyond the cap gets 429 `rate_limited`
 * before any of its body is read. A slot is held until the response is finished or the
 * connection closes (also for tus, whose handler takes over the raw response).
 */
export function installUploadSlots(app: FastifyInstance, perUser: number): UploadSlots {
  const slots = new UploadSlots(perUser);
  installEarlyAnswers(app);
  app.addHook('preHandler', async (req, reply) => {
    if (perUser <= 0 || !isUploadRequest(req)) return;
    const userId = req.principal?.user?.id;
    if (!userId) return;
    const release = slots.tryAcquire(userId);
    if (!release) {
      throw new HttpProblem(
        429,
        'rate_limited',
        `Too many uploads at once: at most ${perUser} concurrent uploads per user; wait for one to finish and retry.`,
        { maxConcurrentUploads: perUser, retryAfterSeconds: 1 },
        { 'retry-after': '1' },
      );
    }
    reply.raw.once('close', release);
    reply.raw.once('finish', release);
  });
  return slots;
}

/** An early answer drains a body with at most this much left, keeping the connection. */
export const DRAIN_MAX_BYTES = 8 << 20;
/** A larger body is read and thrown away for at most this long after the answer, then closed. */
export const LINGER_MS = 5_000;

const startBytes = new WeakMap<IncomingMessage, number>();

/**
 * Answers to upload requests sent before their body was read (401, 403, 404, 409, 413, 429, a
 * refused file type, a tus offset conflict, a tus PATCH that yielded to a newer request) reach
 * the client instead of a reset connection.
 *
 * Closing a socket whose peer is still sending makes the kernel answer with RST, and a client
 * still writing its body then fails with EPIPE/ECONNRESET and never reads the status it was
 * sent. So: with little left of the body (≤ DRAIN_MAX_BYTES, by Content-Length), the rest is
 * read and discarded and the connection stays open. With more, or an unknown length, the
 * answer says `Connection: close`, the server half-closes (FIN after the answer) and keeps
 * reading and discarding for up to LINGER_MS — a lingering close, as web servers do — so the
 * client reads the answer and stops; only then is the socket destroyed.
 */
export function installEarlyAnswers(app: FastifyInstance): void {
  app.addHook('onRequest', async (req) => {
    if (isUploadRequest(req)) startBytes.set(req.raw, req.raw.socket?.bytesRead ?? 0);
  });
  app.addHook('onSend', async (req, reply, payload) => {
    const raw = req.raw;
    const socket = raw.socket as Socket | null;
    if (!isUploadRequest(req) || !socket) return payload;
    // A body read from the socket (body-takeover.ts) leaves the parser mid-message: the
    // connection cannot serve another request, so it closes after every answer — at once when
    // the whole body arrived, lingering otherwise.
    const body = takenOverBody(raw);
    if (body) reply.header('connection', 'close');
    if (body ? body.complete : raw.complete) return payload;
    // A success normally comes after the body was read (its consumer reads the last bytes);
    // a handler that stopped reading says so with `Connection: close` (a tus PATCH that yielded).
    if (reply.statusCode < 400 && reply.getHeader('connection') !== 'close') return payload;
    const declared = Number(req.headers['content-length']);
    const seen = socket.bytesRead - (startBytes.get(raw) ?? socket.bytesRead);
    const left = Number.isFinite(declared) ? declared - seen : Infinity;
    const discard = () => {
      const source = body ?? raw;
      source.unpipe();
      source.removeAllListeners('data');
      source.on('error', () => undefined);
      source.resume();
    };
    if (left <= DRAIN_MAX_BYTES && !body) {
      reply.removeHeader('connection');
      reply.raw.once('finish', discard);
      return payload;
    }
    reply.header('connection', 'close');
    // Node ends a `Connection: close` response with socket.destroySoon(), which closes the
    // socket as soon as the answer is written (RST for the unread body): linger instead.
    const lingering = socket as Socket & { destroySoon?: () => void };
    lingering.destroySoon = () => {
      discard();
      socket.end();
      const timer = setTimeout(() => socket.destroy(), LINGER_MS);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
      socket.once('end', () => socket.destroy());
    };
    return payload;
  });
}
