import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  CORPUS,
  DATABASES,
  seedWorld,
  startTestServer,
  tusMetadata,
  type TestServer,
  type World,
} from './helpers.js';

const FILE = path.join(CORPUS, 'media/image/ExifTool.jpg');

describe.each(DATABASES)('tus uploads on %s', (kind) => {
  let t: TestServer;
  let w: World;
  // A real JPEG followed by padding, so the type is recognised and the body is big enough to cut.
  const bytes = Buffer.concat([fs.readFileSync(FILE), randomBytes(3 * 1024 * 1024)]);
  const sha = createHash('sha256').update(bytes).digest('hex');
  const tusHeaders = (token: string) => ({ authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0' });

  beforeAll(async () => {
    t = await startTestServer(kind);
    w = await seedWorld(t);
  });
  afterAll(async () => t?.close());

  async function create(
    token: string,
    meta: Record<string, string>,
    length = bytes.length,
  ): Promise<Response> {
    return fetch(`${t.api}/uploads`, {
      method: 'POST',
      headers: {
        ...tusHeaders(token),
        'upload-length': String(length),
        'upload-metadata': tusMetadata(meta),
      },
    });
  }
  async function patch(
    token: string,
    location: string,
    offset: number,
    chunk: Uint8Array,
  ): Promise<Response> {
    return fetch(new URL(location, t.url), {
      method: 'PATCH',
      headers: {
        ...tusHeaders(token),
        'upload-offset': String(offset),
        'content-type': 'application/offset+octet-stream',
      },
      body: chunk,
    });
  }

  it('resumes an upload cut at 60% and stores the right sha256', async () => {
    const token = w.users.artist.token;
    const c = await create(token, {
      filename: 'render.jpg',
      projectId: 'SWA',
      taskId: 'ep01_sq010_sh030_fx',
      sha256: sha,
    });
    expect(c.status, await c.clone().text()).toBe(201);
    const location = c.headers.get('location')!;
    expect(location).toMatch(/\/api\/v1\/uploads\/[a-f0-9]+$/);
    const cut = Math.floor(bytes.length * 0.6);

    // Send 60% then drop the connection mid-body: the server keeps what arrived.
    const controller = new AbortController();
    const partial = new ReadableStream<Uint8Array>({
      start(ctrl) {
        ctrl.enqueue(bytes.subarray(0, cut));
        setTimeout(() => controller.abort(), 300);
      },
    });
    await fetch(new URL(location, t.url), {
      method: 'PATCH',
      headers: {
        ...tusHeaders(token),
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: partial,
      signal: controller.signal,
      duplex: 'half',
    } as RequestInit).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));

    const head = await fetch(new URL(location, t.url), { method: 'HEAD', headers: tusHeaders(token) });
    expect(head.status).toBe(200);
    const offset = Number(head.headers.get('upload-offset'));
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(cut);

    // Others cannot see or resume it.
    const spy = await fetch(new URL(location, t.url), {
      method: 'HEAD',
      headers: tusHeaders(w.users.supervisor.token),
    });
    expect(spy.status).toBe(404);

    const id = location.split('/').pop()!;
    const pending = await call(`${t.api}/uploads/${id}/result`, token);
    expect(pending.status).toBe(202);

    const rest = await patch(token, location, offset, bytes.subarray(offset));
    expect(rest.status).toBe(204);
    const mediaId = rest.headers.get('montu-media-id')!;
    expect(mediaId).toBeTruthy();
    const media = (await (await call(`${t.api}/media/${mediaId}`, token)).json()) as {
      sha256: string;
      size: number;
      fileName: string;
    };
    expect(media.sha256).toBe(sha);
    expect(media.size).toBe(bytes.length);
    expect(media.fileName).toBe('render.jpg');
    const result = (await (await call(`${t.api}/uploads/${id}/result`, token)).json()) as {
      state: string;
      mediaId: string;
    };
    expect(result).toMatchObject({ state: 'complete', mediaId });
    // The partial file is gone.
    expect(fs.existsSync(path.join(t.dir, 'uploads', id))).toBe(false);
  });

  it('refuses a sha256 mismatch and keeps nothing', async () => {
    const token = w.users.artist.token;
    const c = await create(token, {
      filename: 'bad.jpg',
      projectId: 'SWA',
      taskId: 'ep01_sq010_sh040_fx',
      sha256: 'a'.repeat(64),
    });
    const location = c.headers.get('location')!;
    const r = await patch(token, location, 0, bytes);
    expect(r.status).toBe(422);
    expect(((await r.json()) as { code: string }).code).toBe('checksum_mismatch');
    const id = location.split('/').pop()!;
    const result = (await (await call(`${t.api}/uploads/${id}/result`, token)).json()) as { state: string };
    expect(result.state).toBe('failed');
    const versions = (await (
      await call(`${t.api}/tasks/ep01_sq010_sh040_fx/versions?projectId=SWA`, token)
    ).json()) as { versions: string[] };
    expect(versions.versions).toEqual([]);
  });

  it('checks roles and metadata at creation, and lets the owner cancel', async () => {
    expect(
      (
        await create(w.users.outsider.token, {
          filename: 'x.jpg',
          projectId: 'SWA',
          taskId: 'ep01_sq010_sh010_fx',
        })
      ).status,
    ).toBe(404);
    expect((await create(w.users.artist.token, { filename: 'x.jpg' })).status).toBe(400);
    expect(
      (
        await fetch(`${t.api}/uploads`, {
          method: 'POST',
          headers: { 'tus-resumable': '1.0.0', 'upload-length': '10' },
        })
      ).status,
    ).toBe(401);
    const c = await create(w.users.artist.token, {
      filename: 'x.jpg',
      projectId: 'SWA',
      taskId: 'ep01_sq010_sh010_fx',
    });
    const location = c.headers.get('location')!;
    const del = await fetch(new URL(location, t.url), {
      method: 'DELETE',
      headers: tusHeaders(w.users.artist.token),
    });
    expect(del.status).toBe(204);
    const opt = await fetch(`${t.api}/uploads`, {
      method: 'OPTIONS',
      headers: { authorization: `Bearer ${w.users.artist.token}` },
    });
    expect(opt.status).toBe(204);
    expect(opt.headers.get('tus-version')).toContain('1.0.0');
  });

  it('creates a new version from sourceMediaId', async () => {
    const token = w.users.artist.token;
    const c = await create(token, { filename: 'a.jpg', projectId: 'SWA', taskId: 'ep01_sq010_sh050_fx' });
    const first = await patch(token, c.headers.get('location')!, 0, bytes);
    const sourceId = first.headers.get('montu-media-id')!;
    const c2 = await create(token, { filename: 'b.jpg', sourceMediaId: sourceId });
    expect(c2.status).toBe(201);
    const second = await patch(token, c2.headers.get('location')!, 0, bytes);
    const m = (await (
      await call(`${t.api}/media/${second.headers.get('montu-media-id')}`, token)
    ).json()) as { version: string; taskId: string };
    expect(m).toMatchObject({ version: 'v002', taskId: 'ep01_sq010_sh050_fx' });
  });
});
