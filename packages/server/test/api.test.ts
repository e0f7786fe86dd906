import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const PNG = path.join(CORPUS, 'media/image/ExifTool.jpg');

describe.each(DATABASES)('HTTP API on %s', (kind) => {
  let t: TestServer;
  let w: World;
  let mediaId: string;
  const bytes = fs.readFileSync(PNG);
  const sha = createHash('sha256').update(bytes).digest('hex');

  beforeAll(async () => {
    t = await startTestServer(kind);
    w = await seedWorld(t);
  });
  afterAll(async () => t?.close());

  it('answers health without auth and everything else with 401 problem+json', async () => {
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    const r = await fetch(`${t.api}/media`);
    expect(r.status).toBe(401);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect(r.headers.get('www-authenticate')).toContain('Bearer');
    const body = (await r.json()) as { code: string; requestId: string };
    expect(body.code).toBe('unauthorized');
    expect(body.requestId).toBe(r.headers.get('x-request-id'));
    expect((await call(`${t.api}/media`, 'montu_nope')).status).toBe(401);
  });

  it('uploads with multipart, fields first, and verifies sha256', async () => {
    const r = await uploadForm(
      t.api,
      w.users.artist.token,
      { projectId: 'SWA', taskId: 'ep01_sq010_sh020_lighting', sha256: sha, tags: 'hero,lighting' },
      { name: 'shot.jpg', data: bytes },
    );
    expect(r.status, await r.clone().text()).toBe(201);
    const media = (await r.json()) as {
      id: string;
      sha256: string;
      version: string;
      author: string;
      tags: string[];
    };
    expect(media.sha256).toBe(sha);
    expect(media.version).toBe('v001');
    expect(media.author).toBe('artist');
    expect(media.tags).toEqual(['hero', 'lighting']);
    mediaId = media.id;

    const bad = await uploadForm(
      t.api,
      w.users.artist.token,
      { projectId: 'SWA', taskId: 'ep01_sq010_sh020_lighting', sha256: '0'.repeat(64) },
      { name: 'shot.jpg', data: bytes },
    );
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { code: string }).code).toBe('checksum_mismatch');
    const list = (await (
      await call(`${t.api}/tasks/ep01_sq010_sh020_lighting/versions?projectId=SWA`, w.users.artist.token)
    ).json()) as { versions: string[] };
    expect(list.versions).toEqual(['v001']);
  });

  it('gets, searches, updates and versions media', async () => {
    const get = await call(`${t.api}/media/${mediaId}`, w.users.artist.token);
    expect(get.status).toBe(200);
    const search = (await (
      await call(`${t.api}/media?projectId=SWA&tags=hero&limit=10`, w.users.artist.token)
    ).json()) as { items: unknown[] };
    expect(search.items).toHaveLength(1);
    const patched = await call(`${t.api}/media/${mediaId}`, w.users.artist.token, {
      method: 'PATCH',
      json: { description: 'first pass' },
    });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { description: string }).description).toBe('first pass');
    // An artist cannot approve through PATCH either.
    const sneaky = await call(`${t.api}/media/${mediaId}`, w.users.artist.token, {
      method: 'PATCH',
      json: { approvalStatus: 'approved' },
    });
    expect(sneaky.status).toBe(403);
    const meta = await call(`${t.api}/media/${mediaId}/metadata`, w.users.artist.token, {
      method: 'PATCH',
      json: { customProperties: { shotgunId: 12 } },
    });
    expect(((await meta.json()) as { customProperties: Record<string, unknown> }).customProperties).toEqual({
      shotgunId: 12,
    });
    const v2 = await uploadForm(
      t.api,
      w.users.artist.token,
      { description: 'v2' },
      { name: 'shot_v2.jpg', data: bytes },
      `/media/${mediaId}/versions`,
    );
    expect(v2.status).toBe(201);
    expect(((await v2.json()) as { version: string }).version).toBe('v002');
    const byTask = (await (
      await call(`${t.api}/tasks/ep01_sq010_sh020_lighting/media?projectId=SWA`, w.users.artist.token)
    ).json()) as unknown[];
    expect(byTask).toHaveLength(2);
    const history = (await (
      await call(`${t.api}/media/${mediaId}/history`, w.users.artist.token)
    ).json()) as Array<{ action: string }>;
    expect(history.map((h) => h.action)).toContain('media.created');
  });

  it('runs the review workflow with roles', async () => {
    expect(
      (
        await call(`${t.api}/media/${mediaId}/submit`, w.users.artist.token, {
          method: 'POST',
          json: { comment: 'ready' },
        })
      ).status,
    ).toBe(200);
    expect(
      (await call(`${t.api}/media/${mediaId}/approve`, w.users.artist.token, { method: 'POST', json: {} }))
        .status,
    ).toBe(403);
    const queue = (await (
      await call(`${t.api}/projects/SWA/review`, w.users.supervisor.token)
    ).json()) as unknown[];
    expect(queue).toHaveLength(1);
    expect(
      (
        await call(`${t.api}/media/${mediaId}/request-changes`, w.users.supervisor.token, {
          method: 'POST',
          json: { comment: 'more rim' },
        })
      ).status,
    ).toBe(200);
    expect(
      (await call(`${t.api}/media/${mediaId}/reject`, w.users.supervisor.token, { method: 'POST' })).status,
    ).toBe(200);
    const approved = await call(`${t.api}/media/${mediaId}/approve`, w.users.supervisor.token, {
      method: 'POST',
      json: { comment: 'great' },
    });
    expect(((await approved.json()) as { status: string }).status).toBe('approved');
    const again = await call(`${t.api}/media/${mediaId}/approve`, w.users.supervisor.token, {
      method: 'POST',
    });
    expect(again.status).toBe(409);
    const note = await call(`${t.api}/media/${mediaId}/annotations`, w.users.artist.token, {
      method: 'POST',
      json: { content: 'fix the edge', frame: 3, position: { x: 0.5, y: 0.25 } },
    });
    expect(note.status).toBe(201);
    const notes = (await (
      await call(`${t.api}/media/${mediaId}/annotations`, w.users.artist.token)
    ).json()) as Array<{ author: string }>;
    expect(notes[0]!.author).toBe('artist');
  });

  it('hides other projects (404, not 403)', async () => {
    const r = await call(`${t.api}/media/${mediaId}`, w.users.outsider.token);
    expect(r.status).toBe(404);
    const list = (await (await call(`${t.api}/media`, w.users.outsider.token)).json()) as {
      items: unknown[];
    };
    expect(list.items).toHaveLength(0);
    expect((await call(`${t.api}/projects/SWA`, w.users.outsider.token)).status).toBe(404);
    const projects = (await (await call(`${t.api}/projects`, w.users.outsider.token)).json()) as Array<{
      id: string;
    }>;
    expect(projects.map((p) => p.id)).toEqual(['OTH']);
  });

  it('maps Fastify validation and unknown routes to problem+json', async () => {
    const r = await call(`${t.api}/media?limit=0`, w.users.artist.token);
    expect(r.status).toBe(400);
    expect(((await r.json()) as { code: string }).code).toBe('validation_error');
    const nf = await call(`${t.api}/nothing-here`, w.users.artist.token);
    expect(nf.status).toBe(404);
    expect(nf.headers.get('content-type')).toContain('application/problem+json');
    const big = await call(`${t.api}/projects`, t.adminToken, {
      method: 'POST',
      json: { id: 'X', name: 'x'.repeat(2 * 1024 * 1024) },
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { code: string }).code).toBe('payload_too_large');
  });
});
