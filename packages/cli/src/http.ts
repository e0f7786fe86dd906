/**
 * A small typed HTTP layer for the REST API (docs/api.md): bearer token, JSON in and out over
 * `fetch`, file uploads over `node:http`/`node:https`, and RFC 9457 problem+json errors turned
 * into one clear `CliError` with the exit code the problem's `code` maps to.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { CliError, EXIT, exitCodeFor, type ExitCode } from './errors.js';

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  query?: Query;
  json?: unknown;
  headers?: Record<string, string>;
}

/**
 * A file upload: `head`, the file's bytes, then `tail` (a multipart envelope, or nothing for a
 * raw body). Sent with a Content-Length, read from disk in large pieces.
 */
export interface UploadOptions {
  filePath: string;
  contentType: string;
  head?: Buffer;
  tail?: Buffer;
  query?: Query;
  /** Send the file from this byte on (a resumed tus PATCH). */
  offset?: number;
  /** More request headers (tus). */
  headers?: Record<string, string>;
  /** Called with the number of file bytes as each piece is handed to the socket. */
  onProgress?: (bytes: number) => void;
}

/** A successful upload's answer: status, headers (lower-case names) and parsed JSON body. */
export interface UploadAnswer<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

/**
 * File pieces read per call. `fetch` with a streamed body cost 1.2–1.8 core-s per GiB on the
 * client (web-stream and async-iterator hops per chunk); `http.request` with large reads
 * ~0.3–0.4 (docs/decisions/072-upload-throughput.md). 64 KiB reads cost 3× more; 1–4 MiB
 * measured alike.
 */
const UPLOAD_READ_BYTES = 2 << 20;
/** Read buffers per upload: one being read, the others queued on the socket. */
const UPLOAD_BUFFERS = 3;

interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
}

function statusExit(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  if (status === 400 || status === 413 || status === 422) return EXIT.validation;
  return EXIT.failure;
}

export class HttpClient {
  readonly baseUrl: string;

  constructor(
    server: string,
    private readonly token: string | undefined,
  ) {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new CliError(
        `invalid server URL ${JSON.stringify(server)}: use e.g. http://127.0.0.1:8470`,
        EXIT.usage,
        'usage',
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new CliError(`invalid server URL ${server}: use http:// or https://`, EXIT.usage, 'usage');
    }
    this.baseUrl = url.toString().replace(/\/+$/, '');
  }

  url(pathname: string, query?: Query): string {
    const prefix = pathname.startsWith('/api/') || pathname.startsWith('/healthz') ? '' : '/api/v1';
    const u = new URL(this.baseUrl + prefix + pathname);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
    }
    return u.toString();
  }

  async request<T>(method: string, pathname: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, pathname, options);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`${method} ${pathname}: the server answered with something that is not JSON`);
    }
  }

  async send(method: string, pathname: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = {
      accept: 'application/json, application/problem+json',
      ...options.headers,
    };
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    const init: RequestInit & { duplex?: 'half' } = { method, headers };
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(options.json);
    }
    const url = this.url(pathname, options.query);
    let res: Response;
    try {
      res = await fetch(url, init);
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (e as Error).message;
      throw this.unreachable(why);
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw problemError(res.status, text, method, pathname);
    }
    return res;
  }

  /**
   * Sends a file as the request body and returns the parsed JSON answer (undefined when
   * empty). The file is streamed, never held whole. If the server answers before it has read
   * everything (a rejected type, a conflict, a bad token), that answer is what is reported:
   * the rest of the file is not sent, and the reset socket that follows is not an error.
   */
  async upload<T>(method: string, pathname: string, options: UploadOptions): Promise<T> {
    return (await this.uploadWithHeaders<T>(method, pathname, options)).body;
  }

  /** `upload`, with the answer's status and headers. */
  async uploadWithHeaders<T>(
    method: string,
    pathname: string,
    options: UploadOptions,
  ): Promise<UploadAnswer<T>> {
    const head = options.head ?? Buffer.alloc(0);
    const tail = options.tail ?? Buffer.alloc(0);
    let file: fs.promises.FileHandle;
    let size: number;
    try {
      file = await fs.promises.open(options.filePath, 'r');
      size = (await file.stat()).size;
    } catch (e) {
      throw new CliError(`cannot read ${options.filePath}: ${(e as Error).message}`);
    }
    const offset = options.offset ?? 0;
    const url = new URL(this.url(pathname, options.query));
    const headers: Record<string, string> = {
      accept: 'application/json, application/problem+json',
      ...options.headers,
      'content-type': options.contentType,
      'content-length': String(head.length + size - offset + tail.length),
    };
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    const send = url.protocol === 'https:' ? https.request : http.request;

    try {
      const { status, text, answerHeaders } = await new Promise<{
        status: number;
        text: string;
        answerHeaders: http.IncomingHttpHeaders;
      }>((resolve, reject) => {
        let answered = false;
        const sender = new FileSender(file, offset, size, options.onProgress);
        const req = send(url, { method, headers }, (res) => {
          answered = true;
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
              text: Buffer.concat(chunks).toString('utf8'),
              answerHeaders: res.headers,
            });
          });
          res.on('error', (e) => reject(this.unreachable(errorCode(e))));
        });
        req.on('error', (e) => {
          sender.stop();
          // After an early answer, the server closing the socket on the unsent rest is expected.
          if (!answered) reject(this.unreachable(errorCode(e)));
        });
        req.on('close', () => sender.stop());
        if (head.length) req.write(head);
        sender.run(req).then(
          (complete) => {
            if (complete) req.end(tail);
          },
          (e: unknown) => {
            req.destroy();
            reject(new CliError(`cannot read ${options.filePath}: ${(e as Error).message}`));
          },
        );
      });
      if (status < 200 || status > 299) throw problemError(status, text, method, pathname);
      if (status === 204 || !text) return { status, headers: answerHeaders, body: undefined as T };
      try {
        return { status, headers: answerHeaders, body: JSON.parse(text) as T };
      } catch {
        throw new CliError(`${method} ${pathname}: the server answered with something that is not JSON`);
      }
    } finally {
      await file.close().catch(() => undefined);
    }
  }

  private unreachable(why: string): CliError {
    return new CliError(
      `cannot reach the Montu server at ${this.baseUrl}: ${why}`,
      EXIT.failure,
      'unreachable',
    );
  }
}

/**
 * Reads a file into a few reused buffers and writes them to a request in order. A buffer goes
 * back to the pool when the socket has taken it (the write's callback), so at most
 * UPLOAD_BUFFERS × UPLOAD_READ_BYTES are held, and that is the backpressure. Reusing buffers
 * instead of a fresh one per read (fs.createReadStream) saves the allocation and the page
 * faults of 1 GiB of new memory: 0.30–0.33 core-s per GiB sent instead of 0.37–0.42 (measured
 * against a discarding loopback server).
 */
class FileSender {
  private readonly free: Buffer[] = [];
  private waiter: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly file: fs.promises.FileHandle,
    private readonly start: number,
    private readonly size: number,
    private readonly onProgress?: (bytes: number) => void,
  ) {
    const length = size - start;
    const n = Math.max(1, Math.min(UPLOAD_BUFFERS, Math.ceil(length / UPLOAD_READ_BYTES)));
    for (let i = 0; i < n; i++)
      this.free.push(Buffer.allocUnsafeSlow(Math.min(UPLOAD_READ_BYTES, length || 1)));
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
      this.onProgress?.(bytesRead);
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

function errorCode(e: Error): string {
  return (e as NodeJS.ErrnoException).code ?? e.message;
}

function problemError(status: number, text: string, method: string, pathname: string): CliError {
  let problem: Problem = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') problem = parsed as Problem;
  } catch {
    // not JSON: fall back to the status line
  }
  const message =
    problem.detail ||
    problem.title ||
    (text && text.length < 200 ? text : '') ||
    `${method} ${pathname} failed`;
  const code = problem.code ?? `http_${status}`;
  const exit = problem.code ? exitCodeFor(problem.code) : statusExit(status);
  return new CliError(`${message} (HTTP ${status})`, exit === EXIT.failure ? statusExit(status) : exit, code);
}

/** Lists come as arrays or as `{ items }` pages. */
export function listOf<T>(v: unknown): T[] {
  if (Array.isArray(v)) return v as T[];
  if (v && typeof v === 'object' && Array.isArray((v as { items?: unknown }).items))
    return (v as { items: T[] }).items;
  return [];
}

/** An object may come bare or wrapped (`{ media: {…} }`). */
export function unwrap<T>(v: unknown, key: string): T {
  if (v && typeof v === 'object' && key in v) return (v as Record<string, T>)[key]!;
  return v as T;
}
