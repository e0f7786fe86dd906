import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { isMontuError, type IdempotencyStart } from '@montu/core';
import type { AppContext } from './app-context.js';
import { HttpProblem } from './problem.js';

/** Header of a retried upload (`Idempotency-Key`, as in the IETF httpapi draft). */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** Set on an answer that repeats the first result of a key. */
export const REPLAYED_HEADER = 'idempotent-replayed';

/** The header as upload routes document it (OpenAPI). */
export const IdempotencyHeaders = Type.Object({
  [IDEMPOTENCY_HEADER]: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description:
        'Any unique string (a UUID) per upload: a retry with the same key by the same user within 24 h gets the first result (header Idempotent-Replayed: true) instead of a second version; 409 with Retry-After while the first is still running.',
    }),
  ),
});

/**
 * Starts an upload under the caller's `Idempotency-Key` (none: undefined, the upload runs as
 * usual). A retry of a finished key gets `{ kind: 'replay' }` with the first result; one of a
 * key still running is answered 409 with `Retry-After`.
 */
export async function startIdempotent(
  ctx: AppContext,
  req: FastifyRequest,
  scope: string,
): Promise<IdempotencyStart | undefined> {
  const key = req.headers[IDEMPOTENCY_HEADER];
  if (key === undefined) return undefined;
  if (typeof key !== 'string')
    throw new HttpProblem(400, 'validation_error', 'Send one Idempotency-Key header, not several.');
  try {
    return await ctx.montu.idempotency.begin(req.principal.user.id, key, scope);
  } catch (e) {
    if (isMontuError(e) && e.code === 'conflict' && e.details?.['retryAfterSeconds'] !== undefined)
      throw new HttpProblem(409, 'conflict', e.message, e.details, { 'retry-after': '1' });
    throw e;
  }
}

/**
 * Runs `upload` (which returns the new media id) under the request's Idempotency-Key: the first
 * time it runs and its id is recorded; a retry gets the recorded id without running it again.
 */
export async function idempotently(
  ctx: AppContext,
  req: FastifyRequest,
  scope: string,
  upload: () => Promise<string>,
): Promise<{ id: string; replayed: boolean }> {
  const start = await startIdempotent(ctx, req, scope);
  if (start?.kind === 'replay') return { id: start.result, replayed: true };
  let id: string;
  try {
    id = await upload();
  } catch (e) {
    await start?.abandon().catch(() => undefined);
    throw e;
  }
  await start?.complete(id);
  return { id, replayed: false };
}
