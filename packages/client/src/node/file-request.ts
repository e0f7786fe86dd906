/// <reference types="node" />
/**
 * One HTTP request whose body is a file read from disk: `head`, the file's bytes (from
 * `offset`), then `tail` — a multipart envelope around the file, or a raw body (tus PATCH,
 * sequence frame). Sent with a Content-Length over `node:http`/`node:https`, never held whole.
 *
 * Why not `fetch` with a streamed body: it cost the client 1.2–1.8 core-s per GiB (web-stream
 * and async-iterator hops per chunk), `http.request` with large reads into reused buffers
 * ~0.3 (docs/decisions/072-upload-throughput.md, 110-cli-on-montu-client.md).
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { MontuError } from '../errors.js';

/**
 * File pieces read per call: 64 KiB reads cost 3× more CPU than 1–4 MiB ones, which measured
 * alike (decision 072).
 */
const READ_BYTES = 2 << 20;
/** Read buffers per request: one being read, the others queued on the socket. */
const BUFFERS = 3;
/** Bodies this large are sent with `Expect: 100-continue` (the Python client uses the same). */
const EXPECT_CONTINUE_MIN = 1 << 20;
/** How long to wait for `100 Continue` before sending the body anyway (RFC 9110 §10.1.1). */
const CONTINUE_WAIT_MS = 5_000;

export interface FileRequest {
  url: string;
  method: string;
  /** Request headers (auth included); Content-Type and Content-Length are set here. */
  headers: Record<string, string>;
  filePath: string;
  contentType: string;
  head?: Uint8Array;
  tail?: Uint8Array;
  /** Send the file from this byte on (a resumed tus PATCH). */
  offset?: number;
  /** Send at most this many bytes from `offset` (a part of a direct upload); the rest when omitted. */
  length?: number;
  /** Called with the number of file bytes as each piece is handed to the socket. */
  onBytes?: (bytes: number) => void;
}

/** The answer, whatever its status: status, headers (lower-case names) and body text. */
export interface FileAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/**
 * Sends the request and returns the answer. If the server answers before it has read the whole
 * body (a refused type, a conflict, a bad token), that answer is returned: the rest of the file
 * is not sent, and the reset socket that follows is not an error. A connection that fails before
 * any answer throws MontuError `connection_error` (its `details.cause` is the system code, e.g.
 * ECONNREFUSED); an unreadable file throws MontuError `file_unreadable`.
 */
export async function sendFile(r: FileRequest): Promise<FileAnswer> {
  const head = r.head ?? new Uint8Array(0);
  const tail = r.tail ?? new Uint8Array(0);
  let file: fs.promises.FileHandle;
  let size: number;
  try {
    file = await fs.promises.open(r.filePath, 'r');
    size = (await file.stat()).size;
  } catch (e) {
    throw unreadable(r.filePath, e);
  }
  const offset = r.offset ?? 0;
  if (r.length !== undefined) size = Math.min(size, offset + r.length);
  const url = new URL(r.url);
  const length = head.length + size - offset + tail.length;
  const headers: Record<string, string> = {
    ...r.headers,
    'content-type': r.contentType,
    'content-length': String(length),
  };
  // A large body waits for the server's go-ahead: a refusal (413, 401, 403, 429…) then comes
  // before any of it is sent.
  const expectContinue = length >= EXPECT_CONTINUE_MIN;
  if (expectContinue) headers['expect'] = '100-continue';
  const send = url.protocol === 'https:' ? https.request : http.request;
  try {
    return await new Promise<FileAnswer>((resolve, reject) => {
      let answered = false;
      let waitForContinue: NodeJS.Timeout | undefined;
      const sender = new FileSender(file, offset, size, r.onBytes);
      const req = send(url, { method: r.method, headers }, (res) => {
        answered = true;
        clearTimeout(waitForContinue);
        // Stop sending: the server has decided (on success it has read everything anyway).
        sender.stop();
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          // Answered before the whole body was sent: the connection cannot carry another
          // request, and a server that keeps it open must not keep this process alive.
          if (!req.writableEnded) req.destroy();
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', (e) => reject(connectionError(r, e)));
      });
      req.on('error', (e) => {
        sender.stop();
        // After an early answer, the server closing the socket on the unsent rest is expected.
        if (!answered) reject(connectionError(r, e));
      });
      req.on('close', () => {
        clearTimeout(waitForContinue);
        sender.stop();
      });
      let started = false;
      const sendBody = () => {
        if (started || answered) return;
        started = true;
        clearTimeout(waitForContinue);
        if (head.length) req.write(head);
        sender.run(req).then(
          (complete) => {
            if (complete) req.end(tail);
          },
          (e: unknown) => {
            req.destroy();
            reject(unreadable(r.filePath, e));
          },
        );
      };
      if (expectContinue) {
        // Node sends the head at once; the body follows `100 Continue`, or a silence of
        // CONTINUE_WAIT_MS (a server or proxy that ignores Expect never answers it).
        req.once('continue', sendBody);
        waitForContinue = setTimeout(sendBody, CONTINUE_WAIT_MS);
      } else sendBody();
    });
  } finally {
    await file.close().catch(() => undefined);
  }
}

/**
 * Reads a file into a few reused buffers and writes them to a request in order. A buffer goes
 * back to the pool when the socket has taken it (the write's callback), so at most
 * BUFFERS × READ_BYTES are held, and that is the backpressure. Reusing buffers instead of a
 * fresh one per read (fs.createReadStream) saves the allocation and the page faults of 1 GiB of
 * new memory: 0.30–0.33 core-s per GiB sent instead of 0.37–0.42 (decision 072).
 */
class FileSender {
  private readonly free: Buffer[] = [];
  private waiter: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly file: fs.promises.FileHandle,
    private readonly start: number,
    private readonly size: number,
    private readonly onBytes?: (bytes: number) => void,
  ) {
    const length = size - start;
    const n = Math.max(1, Math.min(BUFFERS, Math.ceil(length / READ_BYTES)));
    for (let i = 0; i < n; i++) this.free.push(Buffer.allocUnsafeSlow(Math.min(READ_BYTES, length || 1)));
  }

  /** No more writes (the server answered, or the request failed); run() then resolves false. */
  stop(): void {
    this.stopped = true;
    this.wake();
  }

  /** Sends the file; true when all of it was handed to the request. */
  async run(req: http.ClientRequest): Promise<boolean> {
    let pos = this.start;
    while (pos < this.size) {
      const buf = await this.take();
      if (!buf) return false;
      const { bytesRead } = await this.file.read(buf, 0, Math.min(buf.length, this.size - pos), pos);
      if (this.stopped) return false;
      if (bytesRead === 0) throw new Error('the file got shorter while it was being sent');
      pos += bytesRead;
      this.onBytes?.(bytesRead);
      req.write(buf.subarray(0, bytesRead), () => {
        this.free.push(buf);
        this.wake();
      });
    }
    return !this.stopped;
  }

  private async take(): Promise<Buffer | undefined> {
    while (!this.stopped) {
      const buf = this.free.pop();
      if (buf) return buf;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    return undefined;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}

function connectionError(r: FileRequest, e: Error): MontuError {
  const cause = (e as NodeJS.ErrnoException).code ?? e.message;
  return new MontuError('connection_error', 0, `${r.method} ${r.url}: ${cause}`, { cause });
}

function unreadable(filePath: string, e: unknown): MontuError {
  return new MontuError('file_unreadable', 0, `cannot read ${filePath}: ${(e as Error).message}`, {
    path: filePath,
  });
}
