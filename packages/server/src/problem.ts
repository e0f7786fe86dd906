import os from 'node:os';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDiskFull, isMontuError, type MontuErrorCode } from '@montu/core';

/** Error codes of the HTTP API: the library's plus the transport's own. */
export type ProblemCode =
  | MontuErrorCode
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'internal_error'
  | 'method_not_allowed'
  | 'checksum_mismatch'
  | 'range_not_satisfiable';

export const STATUS_OF: Record<ProblemCode, number> = {
  not_found: 404,
  conflict: 409,
  validation_error: 400,
  not_supported: 501,
  storage_error: 503,
  insufficient_storage: 507,
  database_busy: 503,
  forbidden: 403,
  unauthorized: 401,
  processing_error: 422,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  method_not_allowed: 405,
  checksum_mismatch: 422,
  range_not_satisfiable: 416,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

/** An error the HTTP layer raises itself (for things the library does not know, like ranges). */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance: string;
  requestId: string;
  details?: Record<string, unknown>;
}

/**
 * The server's own folders, as a client may not see them: an error that names a file under one
 * (a tool's message, a library's) says `<data>/…` instead of the absolute path.
 */
function withoutServerPaths(req: FastifyRequest, text: string): string {
  const ctx = (
    req.server as {
      montu?: {
        config?: { dataDir?: string; uploadDir?: string };
        montu?: { storage?: { name?: string; location?: string } };
      };
    }
  ).montu;
  const storage = ctx?.montu?.storage;
  const roots = [
    ctx?.config?.uploadDir,
    ctx?.config?.dataDir,
    storage?.name === 'local' ? storage.location : undefined,
    os.tmpdir(),
  ]
    .filter((r): r is string => typeof r === 'string' && r.length > 1)
    .map((r) => r.replace(/\/+$/, ''))
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const root of roots) out = out.split(root).join(root === os.tmpdir() ? '<tmp>' : '<data>');
  return out;
}

export function problemBody(
  req: FastifyRequest,
  status: number,
  code: string,
  detail: string,
  details?: Record<string, unknown>,
): Problem {
  detail = withoutServerPaths(req, detail);
  return {
    type: `https://montu.dev/problems/${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    instance: req.url,
    requestId: String(req.id),
    ...(details !== undefined ? { details } : {}),
  };
}

export function sendProblem(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
  details?: Record<string, unknown>,
): FastifyReply {
  return reply
    .code(status)
    .type('application/problem+json')
    .header('cache-control', 'no-store')
    .send(JSON.stringify(problemBody(req, status, code, detail, details)));
}

/**
 * A validation failure in words that name the field: `body.frame must be integer`, `body has
 * an unknown field "colour"` (Ajv's own message for the latter names no field).
 */
export function describeValidation(fe: FastifyError): string {
  const where = fe.validationContext ?? 'request';
  return (fe.validation ?? [])
    .map((v) => {
      const path = `${where}${v.instancePath.replace(/\//g, '.')}`;
      const extra = (v.params as { additionalProperty?: unknown } | undefined)?.additionalProperty;
      if (v.keyword === 'additionalProperties' && typeof extra === 'string')
        return `${path} has an unknown field ${JSON.stringify(extra)}`;
      return `${path} ${v.message ?? 'is not valid'}`;
    })
    .join('; ');
}

/** Maps every error (library, Fastify, ours, unknown) to problem+json with a stable code. */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) => {
    sendProblem(req, reply, 404, 'not_found', `No route ${req.method} ${req.url.split('?')[0]}.`);
  });
  app.setErrorHandler((error: FastifyError | Error, req, reply) => {
    if (error instanceof HttpProblem) {
      if (error.headers) reply.headers(error.headers);
      return sendProblem(req, reply, error.status, error.code, error.message, error.details);
    }
    if (isMontuError(error)) {
      if (
        error.code === 'validation_error' &&
        error.details?.['expected'] !== undefined &&
        error.details?.['actual'] !== undefined
      ) {
        return sendProblem(req, reply, 422, 'checksum_mismatch', error.message, error.details);
      }
      const status = STATUS_OF[error.code] ?? 500;
      const retryAfter = error.details?.['retryAfterSeconds'];
      if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
      if (status >= 500) req.log.error({ err: error }, 'library error');
      return sendProblem(req, reply, status, error.code, error.message, error.details);
    }
    // A full disk met outside the library's own mapping (a tool, a plugin, the database driver)
    // is still the operator's to fix, not a bug: 507 everywhere (decision 123).
    if (isDiskFull(error)) {
      req.log.error({ err: error }, 'disk full');
      return sendProblem(
        req,
        reply,
        507,
        'insufficient_storage',
        'The server is out of disk space: nothing was changed. Free space or add capacity, then retry.',
      );
    }
    const fe = error as FastifyError;
    if (fe.validation) {
      return sendProblem(req, reply, 400, 'validation_error', `Invalid request: ${describeValidation(fe)}`, {
        errors: fe.validation.map((v) => ({
          path: v.instancePath,
          message: v.message ?? '',
          keyword: v.keyword,
        })),
        context: fe.validationContext,
      });
    }
    const status = typeof fe.statusCode === 'number' && fe.statusCode >= 400 ? fe.statusCode : 500;
    if (status === 413) return sendProblem(req, reply, 413, 'payload_too_large', fe.message);
    if (status === 415) return sendProblem(req, reply, 415, 'unsupported_media_type', fe.message);
    if (status === 404) return sendProblem(req, reply, 404, 'not_found', fe.message);
    if (status === 401) return sendProblem(req, reply, 401, 'unauthorized', fe.message);
    if (status === 403) return sendProblem(req, reply, 403, 'forbidden', fe.message);
    if (status < 500) return sendProblem(req, reply, status, 'validation_error', fe.message);
    req.log.error({ err: error }, 'unhandled error');
    return sendProblem(
      req,
      reply,
      500,
      'internal_error',
      'Something went wrong on the server; the request id is in the logs.',
    );
  });
}
