import type { FastifyReply, FastifyRequest } from 'fastify';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { ValidationError } from '@montu/core';
import { HttpProblem } from './problem.js';
import { formBoundary, readFormUntilFile, type FormFile, type FormLimits } from './multipart-form.js';

/** Form fields that came before the file part, and the file part itself (its stream not yet read). */
export interface MultipartUpload {
  fields: Record<string, string>;
  /** Every value of each field, in order. */
  values: Record<string, string[]>;
  file: FormFile;
}

/** Limits of every multipart form, apart from the file size (the configured upload limit). */
export const FORM_LIMITS: Omit<FormLimits, 'fileSize'> = {
  parts: 40,
  fields: 32,
  fieldSize: 256 * 1024,
  headerPairs: 200,
  headerBytes: 16 * 1024,
};

/**
 * Reads a multipart request up to its file part. Fields must come before the file (so the
 * upload can be checked and routed before a byte is stored); the file stream is handed on
 * unread, to be streamed straight into storage. The body is the request itself (a documented
 * Readable; decision 117): its chunks are the consumer's to keep.
 */
export async function readUntilFile(req: FastifyRequest, reply: FastifyReply): Promise<MultipartUpload> {
  const boundary = formBoundary(req.headers['content-type']);
  if (!boundary) throw new ValidationError('Send the upload as multipart/form-data with a "file" part.');
  try {
    const { fields, values, file } = await readFormUntilFile(
      req.raw,
      boundary,
      { ...FORM_LIMITS, fileSize: req.server.montu.config.limits.maxUploadBytes },
      { lent: false, fileTooLarge: () => tooLarge(req) },
    );
    return { fields, values, file };
  } catch (e) {
    // The rest of the body is not wanted: early-answers.ts drains a small rest or closes.
    if (!req.raw.complete) reply.header('connection', 'close');
    throw e;
  }
}

/**
 * `tags` from every `tags` field of a form, each a JSON array or a comma-separated list: a
 * client may send the field once per tag (as HTML forms and `curl -F tags=a -F tags=b` do).
 */
export function formTags(values: readonly string[] | undefined): string[] | undefined {
  const lists = (values ?? []).map(parseTags).filter((t): t is string[] => t !== undefined);
  return lists.length > 0 ? lists.flat() : undefined;
}

/** `tags` as a JSON array or a comma-separated list. */
export function parseTags(v: string | undefined): string[] | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const t = v.trim();
  if (t.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(t);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      /* fall through to the error */
    }
    throw new ValidationError('tags must be a JSON array of strings or a comma-separated list.', {
      field: 'tags',
    });
  }
  return t
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function parseJsonObject(v: string | undefined, field: string): Record<string, unknown> | undefined {
  if (v === undefined || v === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(v);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    /* below */
  }
  throw new ValidationError(`${field} must be a JSON object.`, { field });
}

/**
 * Runs `fn` on an unread file stream. If it fails before the stream was read to its end, the
 * answer asks to close the connection rather than drain the rest (it may be gigabytes);
 * early-answers.ts' installEarlyAnswers then drains a small rest (keeping the connection) or
 * closes lingeringly, so the client reads the answer instead of a reset.
 */
export async function consumingFile<T>(
  reply: FastifyReply,
  file: FormFile,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    // Over the size limit, whatever layer reported the failed stream.
    const error = file.stream.limitError ?? e;
    if (!file.stream.readableEnded) {
      reply.header('connection', 'close');
      file.stream.destroy();
    }
    throw error;
  }
}

function tooLarge(req: FastifyRequest): HttpProblem {
  const limit = req.server.montu.config.limits.maxUploadBytes;
  return new HttpProblem(
    413,
    'payload_too_large',
    `The file is larger than the upload limit${limit ? ` of ${limit} bytes` : ''}; nothing was stored.`,
    limit ? { limit } : undefined,
  );
}

/**
 * A raw request body capped at `max` bytes: a declared Content-Length over the cap is refused
 * at once; a body that grows past it fails the stream. `exceeded()` tells a caller that got a
 * (wrapped) storage error whether the cap was the cause, to answer 413.
 */
export function cappedBody(req: FastifyRequest, max: number): { stream: Readable; exceeded: () => boolean } {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    throw new HttpProblem(
      413,
      'payload_too_large',
      `The body is larger than the upload limit of ${max} bytes.`,
      { limit: max },
    );
  }
  let seen = 0;
  let over = false;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      seen += chunk.length;
      if (seen > max) {
        over = true;
        cb(
          new HttpProblem(
            413,
            'payload_too_large',
            `The body is larger than the upload limit of ${max} bytes.`,
            { limit: max },
          ),
        );
        return;
      }
      cb(null, chunk);
    },
  });
  req.raw.on('error', (e) => cap.destroy(e));
  req.raw.pipe(cap);
  return { stream: cap, exceeded: () => over };
}
