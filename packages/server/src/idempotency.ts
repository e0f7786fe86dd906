import type { FastifyRequest } from 'fastify';
import { IDEMPOTENCY_HEADER } from '@montu/domain/wire';
import { isMontuError, type IdempotencyStart } from '@montu/core';
import type { AppContext } from './app-context.js';
import { HttpProblem } from './problem.js';

/** Header of a retried upload (`Idempotency-Key`); the routes document it with `IdempotencyHeaders`. */
export { IDEMPOTENCY_HEADER, IdempotencyHeaders } from '@montu/domain/wire';
/** Set on an answer that repeats the first result of a key. */
export const REPLAYED_HEADER = 'idempotent-replayed';

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
