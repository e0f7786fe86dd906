/**
 * A small typed HTTP layer over `fetch` for the REST API (docs/api.md): bearer token,
 * JSON in and out, streamed request bodies, and RFC 9457 problem+json errors turned into one
 * clear `CliError` with the exit code the problem's `code` maps to.
 */
import { Readable } from 'node:stream';
import { CliError, EXIT, exitCodeFor, type ExitCode } from './errors.js';

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  query?: Query;
  json?: unknown;
  /** A streamed body (sent chunked); give `contentType` with it. */
  body?: AsyncIterable<Uint8Array>;
  contentType?: string;
  headers?: Record<string, string>;
}

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
    } else if (options.body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/octet-stream';
      // Node's fetch takes a web stream; `duplex: 'half'` is required for streamed bodies.
      init.body = Readable.toWeb(Readable.from(options.body)) as ReadableStream<Uint8Array>;
      init.duplex = 'half';
    }
    const url = this.url(pathname, options.query);
    let res: Response;
    try {
      res = await fetch(url, init);
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (e as Error).message;
      throw new CliError(
        `cannot reach the Montu server at ${this.baseUrl}: ${why}`,
        EXIT.failure,
        'unreachable',
      );
    }
    if (!res.ok) throw await problemError(res, method, pathname);
    return res;
  }
}

async function problemError(res: Response, method: string, pathname: string): Promise<CliError> {
  const text = await res.text().catch(() => '');
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
  const code = problem.code ?? `http_${res.status}`;
  const exit = problem.code ? exitCodeFor(problem.code) : statusExit(res.status);
  return new CliError(
    `${message} (HTTP ${res.status})`,
    exit === EXIT.failure ? statusExit(res.status) : exit,
    code,
  );
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
