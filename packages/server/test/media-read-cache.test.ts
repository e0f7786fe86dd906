import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMontu, type Montu } from '@montu/core';
import { call, CORPUS, DATABASES, startTestServer, type TestServer } from './helpers.js';

/**
 * GET /api/v1/media/:id answers from a cache of serialized answers on SQLite, kept with the
 * database's change stamp (decision 166). Whatever changes the database — this server, another
 * connection (as a worker or the CLI would be), a job — the next answer shows it, and who may
 * see an item is checked on every answer.
 */
describe.each(DATABASES)('GET /media/:id read cache on %s', (kind) => {
  let t: TestServer;
  let other: Montu;
  let id: string;
  const get = async (token: string) => {
    const r = await call(`${t.api}/media/${id}`, token);
    return {
      status: r.status,
      type: r.headers.get('content-type'),
      body: (await r.json()) as Record<string, unknown>,
    };
  };

  beforeAll(async () => {
    t = await startTestServer(kind);
    // A second library on the same database: another connection, as another process has.
    other = await openMontu({ dataDir: t.dir, databaseUrl: t.config.databaseUrl, jobs: false });
    id = await t.montu.media.uploadMedia({
      filePath: path.join(CORPUS, 'media/image/ExifTool.jpg'),
      projectId: 'CACHE',
      taskId: 'ep01_sq010_sh010_comp',
      author: 'admin',
      description: 'first',
    });
  });
  afterAll(async () => {
    await other?.close();
    await t?.close();
  });

  it('answers what the database holds after every kind of write', async () => {
    const a = await get(t.adminToken);
    expect(a.status).toBe(200);
    expect(a.type).toBe('application/json; charset=utf-8');
    expect(a.body['description']).toBe('first');
    expect(await get(t.adminToken)).toEqual(a); // the same answer twice (the second from the cache)

    // A write through this server's API.
    const patched = await call(`${t.api}/media/${id}`, t.adminToken, {
      method: 'PATCH',
      json: { description: 'second' },
    });
    expect(patched.status).toBe(200);
    expect((await get(t.adminToken)).body['description']).toBe('second');

    // A write through this server's own connection, outside any route.
    await t.montu.db.updateTable('media').set({ description: 'third' }).where('id', '=', id).execute();
    expect((await get(t.adminToken)).body['description']).toBe('third');

    // A commit by another connection.
    await other.db.updateTable('media').set({ description: 'fourth' }).where('id', '=', id).execute();
    expect((await get(t.adminToken)).body['description']).toBe('fourth');

    // A file row added elsewhere (renditions are other rows than the item's).
    const before = ((await get(t.adminToken)).body['files'] as unknown[]).length;
    await other.db
      .insertInto('media_file')
      .values({
        id: 'f-cache-test',
        media_id: id,
        role: 'thumbnail',
        frame: null,
        backend: 'local',
        storage_key: `CACHE/${id}/thumb.jpg`,
        size: 1,
        sha256: 'a'.repeat(64),
        content_type: 'image/jpeg',
        state: 'ready',
        error: null,
        created_at: new Date().toISOString(),
      })
      .execute();
    expect(((await get(t.adminToken)).body['files'] as unknown[]).length).toBe(before + 1);

    // The answer matches a fresh read by the library.
    expect((await get(t.adminToken)).body).toEqual(
      JSON.parse(JSON.stringify(await other.media.getMediaById(id))),
    );
  });

  it('checks who may see the item on every answer, cached or not', async () => {
    expect((await get(t.adminToken)).status).toBe(200); // cached for the admin
    const outsider = await t.montu.users.createUser({ username: 'outsider', password: 'a long password 1' });
    const { token } = await t.montu.users.createToken(outsider.id, { name: 'test' });
    const r = await get(token);
    expect(r.status).toBe(404);
    expect(r.body['code']).toBe('not_found');
    const added = await call(`${t.api}/projects/CACHE/members/${outsider.id}`, t.adminToken, {
      method: 'PUT',
      json: { role: 'artist' },
    });
    expect(added.status).toBe(200);
    expect((await get(token)).status).toBe(200);
  });
});
