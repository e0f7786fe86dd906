import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMontu, type Montu } from '@montu/core';
import { Closed, Health } from '@montu/domain/wire';
import { Type } from '@sinclair/typebox';
import { createServer, DEFAULT_CONFIG, type ServerConfig } from '../src/index.js';
import { droppedFields } from '../src/response-check.js';
import { tempDir } from './helpers.js';

// Decision 150: a field a handler returns and its closed response schema does not declare is
// dropped by the serialiser without a word (job records lost `lockedBy` that way). The test
// servers (helpers.ts) run every route with `checkResponses`, which turns such a drop into a 500.
describe('fields a response schema would drop', () => {
  it('are named by path, through objects and arrays; undefined values are no fields', () => {
    const raw = {
      id: 'j1',
      lockedBy: 'w1',
      gone: undefined,
      items: [{ a: 1, extra: true }],
      nested: { keep: 1, lost: 2 },
    };
    const sent = { id: 'j1', items: [{ a: 1 }], nested: { keep: 1 } };
    expect(droppedFields(raw, sent)).toEqual(['lockedBy', 'items[0].extra', 'nested.lost']);
    expect(droppedFields(raw, JSON.parse(JSON.stringify(raw)))).toEqual([]);
  });

  let montu: Montu;
  const dir = tempDir('montu-response-check-');
  beforeAll(async () => {
    montu = await openMontu({ dataDir: dir, storage: { type: 'local', root: path.join(dir, 'storage') } });
  });
  afterAll(async () => {
    await montu.close();
  });

  const server = async (checkResponses: boolean) => {
    const config: ServerConfig = {
      ...structuredClone(DEFAULT_CONFIG),
      dataDir: dir,
      logLevel: 'silent',
      checkResponses,
    };
    const app = await createServer({ montu, config });
    const Job = Closed({ id: Type.String() });
    app.get('/test/job', { config: { public: true }, schema: { response: { 200: Job } } }, async () => ({
      id: 'j1',
      lockedBy: 'worker-1',
    }));
    await app.ready();
    return app;
  };

  it('without the check the serialiser drops the field silently', async () => {
    const app = await server(false);
    try {
      const r = await app.inject({ method: 'GET', url: '/test/job' });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toEqual({ id: 'j1' });
    } finally {
      await app.close();
    }
  });

  it('with the check the answer is a 500 naming the route and the field', async () => {
    const app = await server(true);
    try {
      const r = await app.inject({ method: 'GET', url: '/test/job' });
      expect(r.statusCode).toBe(500);
      expect(r.json()).toMatchObject({
        code: 'internal_error',
        details: { route: 'GET /test/job', fields: ['lockedBy'] },
      });
      expect(r.body).not.toContain('worker-1');
      // Readiness builds its answer from typed checks: nothing it reports is dropped.
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect([200, 503]).toContain(ready.statusCode);
      const body = ready.json() as Record<string, unknown>;
      expect(Object.keys(body).every((k) => k in Health.properties)).toBe(true);
      expect(body['database']).toBe('ok');
      expect(body['storageSpace']).toBeDefined();
    } finally {
      await app.close();
    }
  });
});
