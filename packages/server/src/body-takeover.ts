import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import { Duplex, Readable } from 'node:stream';
import { LENDS_CHUNKS, prematureClose, pushLent } from '@montu/core';

/*
 * Large upload bodies read straight from the socket (docs/decisions/076-upload-socket-reads.md).
 *
 * Node's HTTP server hands a body over as one fresh Buffer per 64 KiB socket read: the parser
 * copies each piece out of the read buffer and pushes it through the IncomingMessage stream.
 * Measured on the reference VM with 1 GiB from curl, that costs the event loop 0.9–1.3 core-s
 * per GiB where reading the same bytes into one reused 64 KiB buffer costs 0.4–0.5 — the
 * largest cost of an upload after sha256, on the two cores that the client, the hash worker and
 * the event loop share.
 *
 * So, for a large body whose length is declared, the request's socket is taken from the HTTP
 * parser (the way Node itself hands a socket over on `upgrade`) and read with a user buffer (the
 * `onread` option of `net.Socket`, set on an existing socket). Node keeps that machinery
 * internal; every piece of it is looked up first, and when one is missing (another Node
 * version, a TLS socket, a stream that is not a TCP socket) nothing is touched and the request
 * is read the usual way.
 *
 * The price: the parser never sees the end of the message, so the connection cannot serve
 * another request. Every answer to a taken-over request says `Connection: close`
 * (upload-slots.ts); for bodies this large one more TCP handshake is nothing.
 */

/** Bodies at least this long (by Content-Length, not yet received) are read from the socket. */
export const TAKEOVER_MIN_BYTES = 4 << 20;
/** One socket read at most; 64 KiB stays in the core's cache between the read and the copy. */
const READ_BYTES = 64 * 1024;

/** The `onread` slots of net.Socket: private symbols, found on a socket made with the option. */
const onreadSlots = ((): { buffer: symbol; callback: symbol; generator: symbol } | undefined => {
  try {
    // `onread` is a constructor option at run time; @types/node declares it for connect() only.
    const options = { onread: { buffer: Buffer.alloc(1), callback: () => undefined } };
    const probe = new net.Socket(options as net.SocketConstructorOpts);
    const symbols = Object.getOwnPropertySymbols(probe);
    const find = (name: string) => symbols.find((s) => s.description === name);
    const buffer = find('kBuffer');
    const callback = find('kBufferCb');
    const generator = find('kBufferGen');
    probe.destroy();
    return buffer && callback && generator ? { buffer, callback, generator } : undefined;
  } catch {
    return undefined;
  }
})();

interface StreamHandle {
  reading: boolean;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buffer: Uint8Array): void;
}
interface HttpParser {
  unconsume(): void;
}
type ParsedSocket = net.Socket & { parser?: HttpParser | null; _handle?: StreamHandle | null };

const takenOver = new WeakMap<IncomingMessage, SocketBody>();

/** The body of `req` if it was taken over from the HTTP parser. */
export function takenOverBody(req: IncomingMessage): SocketBody | undefined {
  return takenOver.get(req);
}

/**
 * The body of `req` read straight from its socket, or undefined when the request is small,
 * has no declared length, or the socket cannot be taken over (then read `req` as usual).
 *
 * Chunks are fresh copies unless `lend` is set. Then, while the stream flows, they are views of
 * one reused buffer: the consumer must copy a chunk during its 'data' event, or pause() in that
 * event and copy the chunk before it calls resume() (sinkToFile does; pipe() does not, so a
 * lending body must not be piped; the core's `forStorage` copies for consumers that keep
 * chunks). Chunks that wait in the stream's own buffer are copies.
 */
export function takeOverBody(req: IncomingMessage, options: { lend?: boolean } = {}): SocketBody | undefined {
  const existing = takenOver.get(req);
  if (existing) return existing;
  const length = Number(req.headers['content-length']);
  if (
    !onreadSlots ||
    process.env.MONTU_SOCKET_READS === 'off' ||
    req.complete ||
    !Number.isSafeInteger(length)
  )
    return undefined;
  if (req.headers['transfer-encoding'] !== undefined || req.httpVersionMajor !== 1) return undefined;
  const socket = req.socket as ParsedSocket;
  const handle = socket._handle;
  const parser = socket.parser;
  if (!(socket instanceof net.Socket) || 'encrypted' in socket) return undefined;
  if (!handle || typeof handle.useUserBuffer !== 'function' || typeof handle.readStart !== 'function')
    return undefined;
  if (!parser || typeof parser.unconsume !== 'function') return undefined;
  // The server's listeners that feed the parser and finish it on the peer's FIN.
  const feeding = socket.listeners('data').filter((f) => f.name === 'bound socketOnData');
  const finishing = socket.listeners('end').filter((f) => f.name === 'bound socketOnEnd');
  if (feeding.length !== 1 || finishing.length !== 1) return undefined;

  // Not worth it when most of the body already arrived with the head.
  if (length - req.readableLength < TAKEOVER_MIN_BYTES) return undefined;
  parser.unconsume();
  for (const f of feeding) socket.off('data', f as (...a: unknown[]) => void);
  for (const f of finishing) socket.off('end', f as (...a: unknown[]) => void);
  const body = new SocketBody(req, socket, handle, length, options.lend === true);
  takenOver.set(req, body);
  return body;
}

/** A request body read from its socket into a reused buffer (see takeOverBody). */
export class SocketBody extends Readable {
  /** Bytes of the body not yet received. */
  remaining: number;
  private readonly readBuffer = Buffer.allocUnsafeSlow(READ_BYTES);
  private headTaken = false;
  /** The consumer paused while holding a view of readBuffer: no read until it resumes. */
  private lent = false;
  /** The stream asked for more while lent. */
  private wanted = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly socket: ParsedSocket,
    private readonly handle: StreamHandle,
    length: number,
    private readonly lend: boolean,
  ) {
    super({ highWaterMark: READ_BYTES });
    this.remaining = length;
    // So the core copies the chunks for a consumer that keeps them (lent-chunks.ts).
    if (lend) (this as unknown as Record<symbol, boolean>)[LENDS_CHUNKS] = true;
    const slots = onreadSlots!;
    const s = socket as unknown as Record<symbol, unknown>;
    s[slots.buffer] = this.readBuffer;
    s[slots.callback] = (nread: number, buf: Buffer) => this.onRead(nread, buf);
    s[slots.generator] = null;
    // With a user buffer set, net.Socket's own read(), resume() and pause() start and stop the
    // handle — and the request, the server and the socket's stream machinery call them. Only
    // this stream may decide when the buffer is overwritten: the socket keeps its stream
    // behaviour (its 'end' and 'close' still come) and loses the handle control.
    const plain = Duplex.prototype;
    Object.assign(socket, {
      read: (n?: number) => plain.read.call(socket, n) as unknown,
      resume: () => plain.resume.call(socket),
      pause: () => plain.pause.call(socket),
      _read: () => undefined,
    });
    // Reads start in _read (after the stream's first read call), never before: a chunk pushed
    // earlier would wait in the stream's buffer.
    this.stopReading();
    handle.useUserBuffer(this.readBuffer);
    // A peer that stops sending mid-body broke the message: like Node's parser, which fails
    // it and destroys the socket, the body fails and the connection goes (no answer can follow).
    const cut = () => {
      if (this.remaining === 0) return;
      this.destroy(prematureClose('The connection closed before the whole body arrived.'));
      socket.destroy();
    };
    socket.on('end', cut);
    socket.on('close', cut);
    socket.on('error', (e) => this.destroy(e));
  }

  /**
   * Body bytes the parser passed to the request before the takeover — with the head, and, when
   * taken over from inside the request's handler, the rest of the read the parser was working
   * through. Taken on the first read of this stream: later than any of them, earlier than any
   * byte read from the socket.
   */
  private takeHead(): void {
    if (this.headTaken) return;
    this.headTaken = true;
    for (let chunk: Buffer | null; (chunk = this.req.read() as Buffer | null) !== null;) {
      const n = Math.min(chunk.length, this.remaining);
      this.remaining -= n;
      if (n > 0) this.push(chunk.subarray(0, n));
    }
    if (this.remaining === 0) this.push(null);
  }

  /** Every byte the request declared has been received. */
  get complete(): boolean {
    return this.remaining === 0;
  }

  override _read(): void {
    this.takeHead();
    if (this.lent) this.wanted = true;
    else this.startReading();
  }

  override resume(): this {
    super.resume();
    if (this.lent) {
      this.lent = false;
      if (this.wanted) {
        this.wanted = false;
        this.startReading();
      }
    }
    return this;
  }

  private startReading(): void {
    if (this.remaining === 0 || this.handle.reading || this.socket.destroyed || this.destroyed) return;
    this.handle.reading = true;
    const err = this.handle.readStart();
    if (err) this.destroy(new Error(`Could not read the upload's connection (${err}).`));
  }

  private stopReading(): void {
    if (!this.handle.reading) return;
    this.handle.reading = false;
    if (!this.socket.destroyed) this.handle.readStop();
  }

  /** Called by the socket for each read into `readBuffer`; false stops reading. */
  private onRead(nread: number, buf: Buffer): boolean {
    this.takeHead();
    if (this.remaining === 0 || this.destroyed) return false;
    // Bytes past the declared length (a pipelined request) are dropped: the connection closes.
    const n = Math.min(nread, this.remaining);
    this.remaining -= n;
    const view = buf.subarray(0, n);
    // Lent, a view goes straight to the consumer when it can (and `held` says it kept it).
    let held = false;
    if (this.lend) held = pushLent(this, view).held;
    else this.push(Buffer.from(view));
    if (this.remaining === 0) {
      this.push(null);
      return false;
    }
    if (held) this.lent = true;
    return this.readableFlowing === true && this.readableLength === 0;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.stopReading();
    callback(error);
  }
}
