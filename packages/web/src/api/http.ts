/** fetch wrapper: JSON, problem+json errors, session cookie + CSRF header on unsafe methods. */
import type { Problem } from './types.js';

export const API = '/api/v1';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problem: Problem | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = sessionStorage.getItem('montu.csrf');
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
  if (token) sessionStorage.setItem('montu.csrf', token);
  else sessionStorage.removeItem('montu.csrf');
}
export function getCsrfToken(): string | null {
  return csrfToken;
}

/** Listeners told when the server says the session is gone (401), to show the sign-in page. */
const unauthorizedListeners = new Set<() => void>();
export function onUnauthorized(fn: () => void): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

export function authHeaders(method = 'GET'): Record<string, string> {
  return method !== 'GET' && method !== 'HEAD' && csrfToken ? { 'x-csrf-token': csrfToken } : {};
}

export async function request<T>(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders(method) };
  let payload: BodyInit | undefined;
  if (body instanceof FormData || body instanceof Blob) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(API + path, { method, headers, body: payload, credentials: 'same-origin', ...init });
  if (!res.ok) {
    let problem: Problem | null = null;
    try {
      problem = (await res.json()) as Problem;
    } catch {
      // Not JSON (proxy error page …): keep the status line.
    }
    if (res.status === 401 && !path.startsWith('/auth/login')) unauthorizedListeners.forEach((fn) => fn());
    throw new ApiError(res.status, problem?.code ?? String(res.status), problem?.detail ?? problem?.title ?? res.statusText, problem);
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? await res.json() : await res.text()) as T;
}

export const get = <T>(path: string, query?: Query, init?: RequestInit): Promise<T> => request<T>('GET', withQuery(path, query), undefined, init);
export const post = <T>(path: string, body?: unknown): Promise<T> => request<T>('POST', path, body ?? {});
export const patch = <T>(path: string, body: unknown): Promise<T> => request<T>('PATCH', path, body);
export const put = <T>(path: string, body: unknown): Promise<T> => request<T>('PUT', path, body);
export const del = <T>(path: string): Promise<T> => request<T>('DELETE', path);
