/**
 * Typed errors of the Montu library. Every error a caller can act on is one of these, with a
 * stable `code` (used by the HTTP problem+json responses and the clients) and a message meant
 * for the person who made the request, not for a developer reading a stack trace.
 */
export type MontuErrorCode =
  | 'not_found'
  | 'conflict'
  | 'validation_error'
  | 'not_supported'
  | 'storage_error'
  | 'insufficient_storage'
  | 'database_busy'
  | 'forbidden'
  | 'unauthorized'
  | 'processing_error';

export class MontuError extends Error {
  readonly code: MontuErrorCode;
  /** Extra machine-readable facts about the error (field names, limits, ids). */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: MontuErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
    this.name = new.target.name;
  }
}

export class NotFound extends MontuError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('not_found', message, { details });
  }
}

export class Conflict extends MontuError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('conflict', message, { details });
  }
}

export class ValidationError extends MontuError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('validation_error', message, { details });
  }
}

export class NotSupported extends MontuError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('not_supported', message, { details });
  }
}

export class Forbidden extends MontuError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('forbidden', message, { details });
  }
}

export class StorageError extends MontuError {
  constructor(
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown>; full?: boolean },
  ) {
    super(options?.full ? 'insufficient_storage' : 'storage_error', message, options);
  }
}

/**
 * The database is locked by another process for longer than the library waits (SQLite): the
 * request changed nothing and may be retried after `details.retryAfterSeconds`.
 */
export class DatabaseBusy extends MontuError {
  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super('database_busy', message, options);
  }
}

export class ProcessingError extends MontuError {
  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super('processing_error', message, options);
  }
}

export function isMontuError(e: unknown): e is MontuError {
  return e instanceof MontuError;
}

/** A short message for any thrown value, for logs and stored error fields. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
