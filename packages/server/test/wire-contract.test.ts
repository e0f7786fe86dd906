/**
 * The wire contract as the server applies it (decision 105): bodies are taken as sent — a
 * string or null where a number belongs, or a field the route does not know, is a 400 naming
 * the field, never coerced — while query strings are still read as text; the statistics the
 * dashboard shows come whole from the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import {
  call,
  DATABASES,
  makePng,
  seedWorld,
  startTestServer,
  uploadForm,
  type TestServer,
  type World,
} from './helpers.js';

describe.each(DATABASES)('the wire contract on %s', (kind) => {
  let t: TestServer;
  let w: World;
  let mediaId: string;

  beforeAll(async () => {
    t = await startTestServer(kind);
    w = await seedWorld(t);
    const res = await uploadForm(
      t.api,
      w.users.supervisor.token,
      { projectId: 'SWA', taskId: 'ep01_sq010_sh020_lighting' },
      { name: 'render.png', data: fs.readFileSync(await makePng(path.join(t.dir, 'render.png'), 8, 8)) },
    );
    mediaId = ((await res.json()) as { id: string }).id;
  }, 120_000);
  afterAll(async () => t?.close());

  const post = (path: string, body: unknown) =>
    call(`${t.api}${path}`, w.users.supervisor.token, { method: 'POST', json: body });
  const problem = async (res: Response) => {
    expect(res.status).toBe(400);
    return (await res.json()) as { code: string; detail: string };
  };

  it('refuses a number sent as a string, naming the field (not coerced to 41)', async () => {
    const p = await problem(await post(`/media/${mediaId}/notes`, { content: 'x', frame: '41' }));
    expect(p.code).toBe('validation_error');
    expect(p.detail).toContain('body.frame');
  });

  it('refuses null where a number belongs (not coerced to 0)', async () => {
    const p = await problem(await post(`/media/${mediaId}/notes`, { content: 'x', frame: null }));
    expect(p.detail).toContain('body.frame');
    const list = (await (
      await call(`${t.api}/media/${mediaId}/notes`, w.users.supervisor.token)
    ).json()) as unknown[];
    expect(list).toHaveLength(0);
  });

  it('refuses a boolean sent as a string', async () => {
    const res = await call(`${t.api}/media/${mediaId}/review-selected`, w.users.supervisor.token, {
      method: 'PUT',
      json: { selected: 'true' },
    });
    expect((await problem(res)).detail).toContain('body.selected');
  });

  it('refuses a field the route does not know, naming it', async () => {
    const p = await problem(await post(`/media/${mediaId}/approve`, { comment: 'ok', colour: 'red' }));
    expect(p.detail).toContain('unknown field "colour"');
    const nested = await problem(
      await post(`/media/${mediaId}/notes`, { content: 'x', position: { x: 0.5, y: 0.5, z: 1 } }),
    );
    expect(nested.detail).toContain('body.position has an unknown field "z"');
  });

  it('still reads query strings as text (?limit=1, ?reviewSelected=false)', async () => {
    const res = await call(
      `${t.api}/media?projectId=SWA&limit=1&reviewSelected=false`,
      w.users.supervisor.token,
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { items: unknown[] }).items).toHaveLength(1);
  });

  it('gives the dashboard its numbers: versions per task and approvals by day', async () => {
    expect((await post(`/media/${mediaId}/approve`, {})).status).toBe(200);
    const stats = (await (
      await call(`${t.api}/projects/SWA/statistics`, w.users.supervisor.token)
    ).json()) as {
      totalMedia: number;
      versionsPerTask: Array<{ projectId: string; taskId: string; versions: number }>;
      approvalsByDay: Array<{ date: string; count: number }>;
    };
    expect(stats.totalMedia).toBe(1);
    expect(stats.versionsPerTask).toEqual([
      { projectId: 'SWA', taskId: 'ep01_sq010_sh020_lighting', versions: 1 },
    ]);
    expect(stats.approvalsByDay).toEqual([{ date: new Date().toISOString().slice(0, 10), count: 1 }]);
  });
});
