import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from './problem.js';
import { isUploadRequest } from './upload-routes.js';

/** An early answer drains a body with at most this much left, keeping the connection. */
export const DRAIN_MAX_BYTES = 8 << 20;
/** A larger body is read and thrown away for at most this long after the answer, then closed. */
export const LINGER_MS = 5_000;

const startBytes = new WeakMap<IncomingMessage, number>();
/** Requests that asked `Expect: 100-continue` and were told to go on (their body is coming). */
const continued = new WeakSet<IncomingMessage>();

function hasBody(raw: IncomingMessage): boolean {
  const length = raw.headers['content-length'];
  return raw.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
function expectsContinue(raw: IncomingMessage): boolean {
  return /^\s*100-continue\s*$/i.test(raw.headers['expect'] ?? '');
}

/**
 * `Expect: 100-continue` is decided by the routes, not by Node: Node answers `100 Continue` to
 * every such request at once unless the server listens for 'checkContinue'; here the request
 * goes to Fastify like any other and the interim answer is sent only when its body is wanted.
 * Call on the HTTP server before it listens.
 */
export function deferContinue(server: Server): void {
  server.on('checkContinue', (req: IncomingMessage, res) => server.emit('request', req, res));
}

/**
 * Answers sent before a request's body was read (401, 403, 404, 409, 413, 429, a refused file
 * type, a tus offset conflict, a tus PATCH that yielded to a newer request, a JSON body over the
 * limit) reach the client instead of a reset connection.
 *
 * Closing a socket whose peer is still sending makes the kernel answer with RST, and a client
 * still writing its body then fails with EPIPE/ECONNRESET and never reads the status it was
 * sent (curl reads it anyway; Python's http.client and urllib do not). So: with little left of
 * the body (≤ DRAIN_MAX_BYTES, by Content-Length), the rest is read and discarded and the
 * connection stays open. With more, or an unknown length, the answer says `Connection: close`,
 * the server half-closes (FIN after the answer) and keeps reading and discarding for up to
 * LINGER_MS — a lingering close, as web servers do — so the client reads the answer and stops;
 * only then is the socket destroyed.
 *
 * A client that sent `Expect: 100-continue` waits for `100 Continue` before its body: it gets
 * it when the body is wanted (a JSON route when its body is parsed, an upload once the caller
 * is known to be allowed and has a free upload slot); a body declared larger than the route
 * accepts is answered 413 at once, so it is never sent. A final answer without `100 Continue`
 * closes the connection (the client may or may not send the body it announced).
 */
export function installEarlyAnswers(app: FastifyInstance, maxUploadBytes: number): void {
  // Synchronous hooks (a throw is the error): they run on every request (decision 166).
  app.addHook('onRequest', (req, _reply, done) => {
    if (hasBody(req.raw)) startBytes.set(req.raw, req.raw.socket?.bytesRead ?? 0);
    done();
  });

  const sendContinue = (req: FastifyRequest, reply: FastifyReply) => {
    if (continued.has(req.raw) || !expectsContinue(req.raw) || reply.raw.headersSent) return;
    continued.add(req.raw);
    reply.raw.writeContinue();
  };
  app.addHook('preParsing', (req, reply, payload, done) => {
    if (!expectsContinue(req.raw) || !hasBody(req.raw)) return done(null, payload);
    const upload = isUploadRequest(req);
    const limit = upload ? maxUploadBytes : req.routeOptions.bodyLimit;
    const declared = Number(req.headers['content-length']);
    if (limit !== undefined && limit > 0 && Number.isFinite(declared) && declared > limit) {
      throw new HttpProblem(
        413,
        'payload_too_large',
        `The body (${declared} bytes) is larger than the limit of ${limit} bytes.`,
        { limit },
      );
    }
    // Uploads are told to go on in preHandler, after the upload cap and the caller's checks.
    if (!upload) sendContinue(req, reply);
    done(null, payload);
  });
  app.addHook('preHandler', (req, reply, done) => {
    if (isUploadRequest(req)) sendContinue(req, reply);
    done();
  });

  app.addHook('onSend', (req, reply, payload, done) => {
    done(null, lingerIfUnread(req, reply, payload));
  });
}

/** What onSend does for an answer to a request whose body was not read to the end. */
function lingerIfUnread<P>(req: FastifyRequest, reply: FastifyReply, payload: P): P {
  const raw = req.raw;
  const socket = raw.socket as Socket | null;
  if (!socket || !hasBody(raw)) return payload;
  if (raw.complete) return payload;
  // A success normally comes after the body was read (its consumer reads the last bytes);
  // a handler that stopped reading says so with `Connection: close` (a tus PATCH that yielded).
  if (reply.statusCode < 400 && reply.getHeader('connection') !== 'close') return payload;
  const declared = Number(req.headers['content-length']);
  const seen = socket.bytesRead - (startBytes.get(raw) ?? socket.bytesRead);
  const left = Number.isFinite(declared) ? declared - seen : Infinity;
  const discard = () => {
    raw.unpipe();
    raw.removeAllListeners('data');
    raw.on('error', () => undefined);
    raw.resume();
  };
  // Told not to send (no 100 Continue): the body may never come, so it is not waited for.
  const waitedFor = !expectsContinue(raw) || continued.has(raw);
  // A client that asked to close (urllib does, always) has its socket closed when the answer
  // is written: that is a lingering close too, never a plain one.
  const keepAlive = raw.httpVersion !== '1.0' && !/\bclose\b/i.test(raw.headers.connection ?? '');
  if (left <= DRAIN_MAX_BYTES && waitedFor && keepAlive) {
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
}
