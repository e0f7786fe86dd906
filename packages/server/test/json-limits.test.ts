import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, JSON_LIMITS, jsonDepth } from '@montu/core';
import {
  call,
  CORPUS,
  DATABASES,
  seedWorld,
  startTestServer,
  uploadForm,
  type TestServer,
  type World,
} from './helpers.js';

/** `{"k":{"k":…{"k":1}}}`, `levels` objects deep. */
function nested(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = { k: 1 };
  for (let i = 1; i < levels; i++) v = { k: v };
  return v;
}

// Regression (issue 20, item 6): custom properties nested 3,800 levels deep were stored, and
// then every Python client reading the project's media failed with RecursionError.
describe.each(DATABASES)('user-written JSON is bounded in depth and size on %s', (kind) => {
  let t: TestServer;
  let w: World;
  let mediaId: string;
  beforeAll(async () => {
    t = await startTestServer(kind);
    w = await seedWorld(t);
    const r = await uploadForm(
      t.api,
      w.users.artist.token,
      { projectId: 'SWA', taskId: 'ep01_sq010_sh020_lighting' },
      { name: 'shot.jpg', data: fs.readFileSync(path.join(CORPUS, 'media/image/ExifTool.jpg')) },
    );
    expect(r.status, await r.clone().text()).toBe(201);
    mediaId = ((await r.json()) as { id: string }).id;
  });
  afterAll(async () => t?.close());

  const refused = async (r: Response, pattern: RegExp) => {
    const body = (await r.json()) as { code: string; detail: string };
    expect(r.status, body.detail).toBe(400);
    expect(body.code).toBe('validation_error');
    expect(body.detail).toMatch(pattern);
  };

  it('counts depth without recursion, however deep', () => {
    expect(jsonDepth(1)).toBe(0);
    expect(jsonDepth({ a: [1, { b: 2 }] })).toBe(3);
    expect(jsonDepth(nested(200_000))).toBe(200_000);
    expect(jsonDepth(nested(200_000), 40)).toBe(41);
  });

  it('refuses 3,800 levels of custom properties and metadata, and stores nothing', async () => {
    const deep = nested(3800);
    for (const json of [{ customProperties: deep }, { metadata: deep }, { renderEngine: deep }]) {
      const r = await call(`${t.api}/media/${mediaId}/metadata`, w.users.artist.token, {
        method: 'PATCH',
        json,
      });
      await refused(r, /nested more than/);
    }
    const media = (await (await call(`${t.api}/media/${mediaId}`, w.users.artist.token)).json()) as {
      customProperties: Record<string, unknown>;
    };
    expect(media.customProperties).toEqual({});
  });

  it('accepts the limit and refuses one level more, in the field itself (not only the body)', async () => {
    const ok = await call(`${t.api}/media/${mediaId}/metadata`, w.users.artist.token, {
      method: 'PATCH',
      json: { customProperties: { a: nested(JSON_LIMITS.maxDepth - 1) } },
    });
    expect(ok.status, await ok.clone().text()).toBe(200);
    // A form field is not part of the JSON body: the service's own check answers.
    const form = await uploadForm(
      t.api,
      w.users.artist.token,
      {
        projectId: 'SWA',
        taskId: 'ep01_sq010_sh030_lighting',
        customProperties: JSON.stringify(nested(JSON_LIMITS.maxDepth + 1)),
      },
      { name: 'shot.jpg', data: fs.readFileSync(path.join(CORPUS, 'media/image/ExifTool.jpg')) },
    );
    await refused(form, /customProperties is nested more than 32 levels/);
  });

  it('refuses oversized custom properties', async () => {
    const r = await call(`${t.api}/media/${mediaId}/metadata`, w.users.artist.token, {
      method: 'PATCH',
      json: { customProperties: { big: 'x'.repeat(DEFAULT_LIMITS.maxJsonBytes) } },
    });
    await refused(r, /larger than/);
  });

  it('bounds project settings, note positions, webhooks and playlists', async () => {
    const deep = nested(3800);
    const admin = t.adminToken;
    await refused(
      await call(`${t.api}/projects`, admin, { method: 'POST', json: { id: 'DEEP', settings: deep } }),
      /nested more than/,
    );
    // The library checks the field itself (the CLI's local mode has no HTTP body).
    await expect(t.montu.projects.updateProject('SWA', { settings: nested(33) })).rejects.toThrow(
      /settings is nested more than 32 levels/,
    );
    await refused(
      await call(`${t.api}/media/${mediaId}/annotations`, w.users.artist.token, {
        method: 'POST',
        json: { content: 'look', frame: 0, position: { x: 0.5, y: 0.5, extra: deep } },
      }),
      /nested more than/,
    );
    await refused(
      await call(`${t.api}/webhooks`, admin, {
        method: 'POST',
        json: { url: 'http://192.0.2.1:9/hook', events: ['media.created'], description: 'x', extra: deep },
      }),
      /nested more than/,
    );
    await refused(
      await call(`${t.api}/projects/SWA/playlists`, w.users.supervisor.token, {
        method: 'POST',
        json: { name: 'dailies', extra: deep },
      }),
      /nested more than/,
    );
  });
});
