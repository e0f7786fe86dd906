import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { TUS_RESUMABLE } from '@tus/server';
import { isMontuError, type IdempotencyStart, type Principal } from '@montu/core';
import { HttpProblem, STATUS_OF, type ProblemCode } from '../../problem.js';

/** Ids of resumable uploads (the contract's UPLOAD_ID), issued here. */
export { UPLOAD_ID, UploadParams as UploadIdParams } from '@montu/domain/wire';
export const newUploadId = () => randomUUID().replace(/-/g, '');

export const PRINCIPAL = Symbol('montu.principal');
/** The Idempotency-Key claim of a tus POST (onUploadCreate records the new upload under it). */
export const IDEMPOTENT = Symbol('montu.idempotent');
export type RawWithPrincipal = IncomingMessage & {
  [PRINCIPAL]?: Principal;
  [IDEMPOTENT]?: IdempotencyStart;
  id?: string;
};

/** The Node request behind tus's web Request (srvx keeps it at runtime.node.req). */
export function rawOf(req: Request): RawWithPrincipal | undefined {
  return (req as unknown as { runtime?: { node?: { req?: RawWithPrincipal } } }).runtime?.node?.req;
}
export function principalOf(req: Request): Principal {
  const p = rawOf(req)?.[PRINCIPAL];
  if (!p) throw { status_code: 401, body: 'Authentication required.' };
  return p;
}

/** tus hooks answer errors as `{ status_code, body }`; the body is a problem+json document. */
export function tusError(
  status: number,
  code: string,
  detail: string,
  details?: Record<string, unknown>,
): { status_code: number; body: string } {
  return {
    status_code: status,
    body: JSON.stringify({
      type: `https://montu.dev/problems/${code}`,
      title: code,
      status,
      detail,
      code,
      ...(details ? { details } : {}),
    }),
  };
}

export function fromMontuError(e: unknown): { status_code: number; body: string } {
  if (isMontuError(e)) {
    if (
      e.code === 'validation_error' &&
      e.details?.['expected'] !== undefined &&
      e.details?.['actual'] !== undefined
    ) {
      return tusError(422, 'checksum_mismatch', e.message, e.details);
    }
    return tusError(STATUS_OF[e.code as ProblemCode] ?? 500, e.code, e.message, e.details);
  }
  if (typeof e === 'object' && e !== null && 'status_code' in e)
    return e as { status_code: number; body: string };
  return tusError(500, 'internal_error', 'The upload could not be stored.');
}

export const tusHeaders = { 'tus-resumable': TUS_RESUMABLE, 'access-control-allow-origin': '*' };
export const tusProblem = (
  status: number,
  code: string,
  detail: string,
  headers: Record<string, string> = {},
) => new HttpProblem(status, code, detail, undefined, { ...tusHeaders, ...headers });
/**
 * tus's own protocol answers, as @tus/server gave them: plain text, no problem `code`. Clients
 * rely on that for 409: without a code it means "your offset is stale, ask (HEAD) and resume";
 * a problem 409 (a version conflict) is final (clients/python, packages/client).
 */
export const tusText = (status: number, text: string, headers: Record<string, string> = {}) =>
  new TusAnswer(status, text, { ...tusHeaders, ...headers });

/** A tus protocol answer in @tus/server's form (plain text), thrown by the PATCH handler. */
export class TusAnswer extends Error {
  constructor(
    readonly status: number,
    readonly text: string,
    readonly headers: Record<string, string>,
  ) {
    super(text.trim());
  }
}
