/**
 * Closed response schemas (decision 105) make the serialiser drop any field a handler returns
 * that the schema does not declare, silently: `lockedBy` was lost from job records that way.
 * With `checkResponses` on (the test servers turn it on; decision 150) every JSON answer is
 * compared with what the handler returned, and a field the serialiser dropped fails the request
 * with a 500 naming it, so a test of any route notices. Off in production: it parses each answer
 * once more.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpProblem } from './problem.js';

const returned = new WeakMap<FastifyRequest, unknown>();

/** Paths (`items[0].lockedBy`) of fields `raw` has and `sent` lacks; values that are not JSON objects are leaves. */
export function droppedFields(raw: unknown, sent: unknown, at = ''): string[] {
  if (Array.isArray(raw)) {
    if (!Array.isArray(sent)) return [];
    return raw.flatMap((v, i) => droppedFields(v, sent[i], `${at}[${i}]`));
  }
  if (!isPlainObject(raw) || !isPlainObject(sent)) return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue; // JSON has no undefined: not a field of the answer
    const path = at ? `${at}.${key}` : key;
    if (!Object.hasOwn(sent, key)) out.push(path);
    else out.push(...droppedFields(value, sent[key], path));
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

export function installResponseCheck(app: FastifyInstance): void {
  app.addHook('preSerialization', async (req, _reply, payload) => {
    returned.set(req, payload);
    return payload;
  });
  app.addHook('onSend', async (req, reply, payload) => {
    const raw = returned.get(req);
    returned.delete(req);
    if (raw === undefined || typeof payload !== 'string') return payload;
    if (!String(reply.getHeader('content-type') ?? '').includes('json')) return payload;
    const fields = droppedFields(raw, JSON.parse(payload) as unknown);
    if (fields.length === 0) return payload;
    const route = `${req.method} ${req.routeOptions.url ?? req.url}`;
    req.log.error({ fields, route }, 'response schema dropped fields');
    const them = fields.length === 1 ? 'it' : 'them';
    throw new HttpProblem(
      500,
      'internal_error',
      `The response schema of ${route} drops ${fields.join(', ')}: declare ${them} in @montu/domain/wire or stop returning ${them}.`,
      { route, fields },
    );
  });
}
