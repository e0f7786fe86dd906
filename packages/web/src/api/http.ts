/**
 * Transport: every call goes through @montu/client's MontuClient (fetch, same-origin session
 * cookie, CSRF header on unsafe methods, retries of idempotent calls on 502/503/504 and network
 * errors, problem+json → MontuError), mapped to the app's ApiError and 401 handling.
 */
import { MontuClient, MontuError, type Problem } from '@montu/client';

export const API = '/api/v1';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problem: Partial<Problem> | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = sessionStorage.getItem('montu.csrf');
let client: MontuClient | null = null;
/** The client for the current session (made again when the CSRF token changes). */
export function montu(): MontuClient {
  client ??= new MontuClient({ baseUrl: '', ...(csrfToken ? { csrfToken } : {}) });
  return client;
}
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
  client = null;
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
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

export function authHeaders(method = 'GET'): Record<string, string> {
  return method !== 'GET' && method !== 'HEAD' && csrfToken ? { 'x-csrf-token': csrfToken } : {};
}

/** MontuError → ApiError (and tell the app when the session is gone); aborts pass through. */
export function toApiError(e: unknown, path = ''): unknown {
  if (!(e instanceof MontuError)) return e;
  if (e.status === 401 && !path.startsWith('/auth/login')) unauthorizedListeners.forEach((fn) => fn());
  const problem: Partial<Problem> | null = e.status
    ? { status: e.status, code: e.code, detail: e.detail, details: e.details }
    : null;
  return new ApiError(e.status, e.code, e.detail, problem);
}

/** A typed @montu/client call with the app's error mapping. */
export async function call<T>(fn: (c: MontuClient) => Promise<T>): Promise<T> {
  try {
    return await fn(montu());
  } catch (e) {
    throw toApiError(e);
  }
}
