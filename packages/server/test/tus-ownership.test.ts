/**
 * tus routes check who owns an upload before anything else (issue 20, item 4): an id that is
 * not one the server issues (`<id>.json`, `..`, anything but 32 hex digits) is refused on every
 * tus route, an upload whose description cannot be read is denied, not let through, and no
 * answer shows a server path. `DELETE /uploads/<victim's id>.json` used to pass the ownership
 * check (the upload "<id>.json" could not be read) and delete the victim's upload description,
 * answering a 500 that showed its absolute path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedWorld, startTestServer, tusMetadata, type TestServer, type World } from './helpers.js';

describe('tus upload ownership and ids', () => {
  let t: TestServer;
  let w: World;
  const tus = (token: string) => ({ authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0' });

  beforeAll(async () => {
    t = await startTestServer('sqlite');
    w = await seedWorld(t);
  });
  afterAll(async () => t?.close());

  async function createAs(token: string): Promise<{ id: string; location: URL }> {
    const c = await fetch(`${t.api}/uploads`, {
      method: 'POST',
      headers: {
        ...tus(token),
        'upload-length': '1000',
        'upload-metadata': tusMetadata({
          filename: 'a.jpg',
          projectId: 'SWA',
          taskId: 'ep01_sq010_sh010_comp',
        }),
      },
    });
    expect(c.status, await c.clone().text()).toBe(201);
    const location = new URL(c.headers.get('location')!, t.url);
    return { id: location.pathname.split('/').pop()!, location };
  }
  const uploadsDir = () => path.join(t.dir, 'uploads');

  it("refuses DELETE /uploads/<someone else's id>.json and keeps the victim's upload", async () => {
    const victim = await createAs(w.users.artist.token);
    const meta = path.join(uploadsDir(), `${victim.id}.json`);
    expect(fs.existsSync(meta)).toBe(true);
    for (const token of [w.users.supervisor.token, w.users.outsider.token]) {
      const r = await fetch(`${t.api}/uploads/${victim.id}.json`, { method: 'DELETE', headers: tus(token) });
      const text = await r.text();
      expect(r.status, text).toBe(400);
      expect(text).not.toContain(t.dir);
    }
    expect(fs.existsSync(meta)).toBe(true);
    const head = await fetch(victim.location, { method: 'HEAD', headers: tus(w.users.artist.token) });
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe('0');
  });

  it('refuses ids the server never issues on every tus route', async () => {
    const token = w.users.artist.token;
    const { id } = await createAs(token);
    for (const bad of [
      `${id}.json`,
      `${id}x`,
      'results',
      '..%2Fmontu.db',
      id.toUpperCase(),
      'a'.repeat(32),
    ]) {
      const known = /^[0-9a-f]{32}$/.test(bad);
      for (const [method, suffix] of [
        ['HEAD', ''],
        ['DELETE', ''],
        ['PATCH', ''],
        ['GET', '/result'],
      ] as const) {
        const r = await fetch(`${t.api}/uploads/${bad}${suffix}`, {
          method,
          headers: {
            ...tus(token),
            ...(method === 'PATCH'
              ? { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }
              : {}),
          },
          ...(method === 'PATCH' ? { body: new Uint8Array(10) } : {}),
        });
        const text = await r.text();
        // A well-formed id nobody created is simply not found; anything else is refused.
        expect(r.status, `${method} ${bad}${suffix}: ${text}`).toBe(known ? 404 : 400);
        expect(text).not.toContain(t.dir);
      }
    }
  });

  it("answers 404 for another user's upload on every route, and the owner still has it", async () => {
    const victim = await createAs(w.users.artist.token);
    for (const method of ['HEAD', 'DELETE', 'PATCH'] as const) {
      const r = await fetch(victim.location, {
        method,
        headers: {
          ...tus(w.users.supervisor.token),
          ...(method === 'PATCH'
            ? { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }
            : {}),
        },
        ...(method === 'PATCH' ? { body: new Uint8Array(10) } : {}),
      });
      expect(r.status, method).toBe(404);
    }
    const result = await fetch(`${victim.location}/result`, { headers: tus(w.users.supervisor.token) });
    expect(result.status).toBe(404);
    const head = await fetch(victim.location, { method: 'HEAD', headers: tus(w.users.artist.token) });
    expect(head.status).toBe(200);
  });

  it('denies an upload whose description cannot be read, and shows no server path', async () => {
    const broken = await createAs(w.users.artist.token);
    fs.writeFileSync(path.join(uploadsDir(), `${broken.id}.json`), '{ not json');
    for (const method of ['HEAD', 'DELETE'] as const) {
      const r = await fetch(broken.location, { method, headers: tus(w.users.supervisor.token) });
      const text = await r.text();
      expect(r.status, `${method}: ${text}`).toBe(404);
      expect(text).not.toContain(t.dir);
    }
    expect(fs.existsSync(path.join(uploadsDir(), broken.id))).toBe(true);

    // The bytes gone under a readable description: an error without the path.
    const gone = await createAs(w.users.artist.token);
    fs.rmSync(path.join(uploadsDir(), gone.id));
    const r = await fetch(gone.location, { method: 'HEAD', headers: tus(w.users.artist.token) });
    const text = await r.text();
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(text).not.toContain(t.dir);
    expect(r.headers.get('upload-offset')).toBeNull();
  });
});
