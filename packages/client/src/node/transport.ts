/**
 * What the Node upload modules need of a client: absolute URLs, the auth headers, and small
 * calls whose answer headers matter (tus `Location`, `Upload-Offset`), which `MontuClient.raw`
 * does not take extra headers for.
 */
import { errorFromProblem, MontuError } from '../errors.js';
import type { FileAnswer } from './file-request.js';

export interface UploadTransport {
  readonly baseUrl: string;
  /** `${baseUrl}/api/v1${path}`. */
  url(path: string, query?: Record<string, unknown>): string;
  /** accept + authorization (+ CSRF) headers for `method`. */
  headers(method: string): Record<string, string>;
}

/** A call with extra headers; error answers throw MontuError, a lost connection `connection_error`. */
export async function callWithHeaders(
  t: UploadTransport,
  method: string,
  url: string,
  headers: Record<string, string>,
): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { method, headers: { ...t.headers(method), ...headers } });
  } catch (e) {
    const cause = causeOf(e);
    throw new MontuError('connection_error', 0, `${method} ${url}: ${cause}`, { cause });
  }
  if (!res.ok) throw errorFromProblem(res.status, parseBody(await res.text()), `${method} ${url}`);
  return res;
}

/** The answer of a file request as JSON (undefined when empty); error statuses throw MontuError. */
export function answerJson<T>(a: FileAnswer, what: string): T {
  if (a.status < 200 || a.status > 299) throw errorFromProblem(a.status, parseBody(a.text), what);
  if (a.status === 204 || !a.text) return undefined as T;
  try {
    return JSON.parse(a.text) as T;
  } catch {
    throw new MontuError(
      'invalid_response',
      a.status,
      `${what}: the server answered with something that is not JSON`,
    );
  }
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text.length < 200 ? text : '';
  }
}

/** The system code of a failed fetch (ECONNREFUSED, …), else its message. */
export function causeOf(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message;
}

export function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
