/** problem+json answers (RFC 9457) as typed errors carrying the server's stable `code`. */
import type { MontuErrorCode as DomainErrorCode } from '@montu/domain';

/**
 * The codes the server answers with (docs/api.md): the library's (@montu/domain, their one home),
 * those of the HTTP layer, and the client's own.
 */
export type MontuErrorCode =
  | DomainErrorCode
  | 'rate_limited'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'internal_error'
  | 'method_not_allowed'
  | 'checksum_mismatch'
  | 'range_not_satisfiable'
  | 'connection_error'
  | 'upload_interrupted'
  | 'file_unreadable'
  | 'invalid_response'
  | (string & {});

export interface ProblemDocument {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  instance?: string;
  requestId?: string;
  details?: Record<string, unknown>;
}

export class MontuError extends Error {
  override readonly name = 'MontuError';
  constructor(
    readonly code: MontuErrorCode,
    readonly status: number,
    readonly detail: string,
    readonly details: Record<string, unknown> = {},
    readonly requestId?: string,
  ) {
    super(`${status ? `HTTP ${status} ` : ''}${code}: ${detail}`);
  }
  /** True when the error has this code: `if (e instanceof MontuError && e.is('not_found'))`. */
  is(code: MontuErrorCode): boolean {
    return this.code === code;
  }
}

const CODE_OF_STATUS: Record<number, MontuErrorCode> = {
  400: 'validation_error',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'processing_error',
  429: 'rate_limited',
  501: 'not_supported',
};

/** The error for an answer: its problem document's code, or one derived from the status. */
export function errorFromProblem(status: number, body: unknown, fallback = ''): MontuError {
  const p: ProblemDocument = typeof body === 'object' && body !== null ? (body as ProblemDocument) : {};
  const code = p.code ?? CODE_OF_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'error');
  const detail =
    p.detail ?? p.title ?? (typeof body === 'string' && body ? body : fallback || `HTTP ${status}`);
  return new MontuError(code, status, detail, p.details ?? {}, p.requestId);
}

export function isMontuError(e: unknown): e is MontuError {
  return e instanceof MontuError;
}
