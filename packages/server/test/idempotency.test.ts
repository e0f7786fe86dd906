/**
 * Idempotency-Key on uploads (issue 20, item 10): a client that lost the answer to an upload
 * (a timeout while Redis was down, a dropped connection) retries with the same key and gets the
 * first result, not a second version. Keys live in the database (any API process answers), per
 * user, for a day; bound to one request; a key still running answers 409 with Retry-After; a
 * failed first attempt gives its key up. On SQLite and PostgreSQL.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_KEY_TTL_MS, IdempotencyKeys } from '@montu/core';
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

const JPG = fs.readFileSync(path.join(CORPUS, 'media/image/ExifTool.jpg'));

describe.each(DATABASES)('Idempotency-Key on %s', (kind) => {
  let t: TestServer;
  let w: World;
  beforeAll(async () => {
    t = await startTestServer(kind);
    w = await seedWorld(t);
  });
  afterAll(async () => t?.close());

  function form(taskId: string, extra: Record<string, string> = {}): FormData {
    const f = new FormData();
    f.append('projectId', 'SWA');
    f.append('taskId', taskId);
    for (const [k, v] of Object.entries(extra)) f.append(k, v);
    f.append('file', new Blob([JPG]), 'plate.jpg');
    return f;
  }
  const post = (token: string, url: string, body: FormData, key?: string) =>
    fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, ...(key ? { 'idempotency-key': key } : {}) },
      body,
    });
  const versionsOf = async (taskId: string) =>
    (
      (await (await call(`${t.api}/media?projectId=SWA&taskId=${taskId}`, w.users.artist.token)).json()) as {
        items: Array<{ id: string; version: string }>;
      }
    ).items;

  it('a retried multipart upload gets the first item, not a second version', async () => {
    const key = randomUUID();
    const first = await post(w.users.artist.token, `${t.api}/media`, form('ep01_sq010_sh010_comp'), key);
    expect(first.status, await first.clone().text()).toBe(201);
    const item = (await first.json()) as { id: string; version: string };
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await post(w.users.artist.token, `${t.api}/media`, form('ep01_sq010_sh010_comp'), key);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(`/api/v1/media/${item.id}`);
    expect(((await again.json()) as { id: string }).id).toBe(item.id);
    expect((await versionsOf('ep01_sq010_sh010_comp')).map((m) => m.id)).toEqual([item.id]);
    // Without a key, or with another, a second upload is a new version as before.
    const other = await post(
      w.users.artist.token,
      `${t.api}/media`,
      form('ep01_sq010_sh010_comp'),
      randomUUID(),
    );
    expect(((await other.json()) as { version: string }).version).toBe('v002');
  });

  it('a retried new version (POST /media/:id/versions) is created once', async () => {
    const base = (await (
      await post(w.users.artist.token, `${t.api}/media`, form('ep01_sq010_sh020_comp'))
    ).json()) as { id: string };
    const key = randomUUID();
    const url = `${t.api}/media/${base.id}/versions`;
    const first = await post(w.users.artist.token, url, form('ignored'), key);
    expect(first.status, await first.clone().text()).toBe(201);
    const again = await post(w.users.artist.token, url, form('ignored'), key);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
    expect(await versionsOf('ep01_sq010_sh020_comp')).toHaveLength(2);
  });

  it('a retried tus creation gets the same upload', async () => {
    const key = randomUUID();
    const create = () =>
      fetch(`${t.api}/uploads`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${w.users.artist.token}`,
          'tus-resumable': '1.0.0',
          'idempotency-key': key,
          'upload-length': String(JPG.length),
          'upload-metadata': tusMetadata({
            filename: 'a.jpg',
            projectId: 'SWA',
            taskId: 'ep01_sq010_sh030_comp',
          }),
        },
      });
    const first = await create();
    expect(first.status, await first.text()).toBe(201);
    const location = first.headers.get('location')!;
    const again = await create();
    expect(again.status).toBe(201);
    expect(again.headers.get('location')).toBe(location);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const patch = await fetch(new URL(location, t.url), {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${w.users.artist.token}`,
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: JPG,
    });
    expect(patch.status).toBe(204);
    // Even after the upload finished, the retry names it; its result tells the media item.
    expect((await create()).headers.get('location')).toBe(location);
    const result = (await (await call(`${t.url}${location}/result`, w.users.artist.token)).json()) as {
      mediaId: string;
    };
    expect(result.mediaId).toBe(patch.headers.get('montu-media-id'));
    expect(await versionsOf('ep01_sq010_sh030_comp')).toHaveLength(1);
  });

  it('keys are per user and bound to one request', async () => {
    const key = randomUUID();
    const mine = await post(w.users.artist.token, `${t.api}/media`, form('ep01_sq010_sh040_comp'), key);
    expect(mine.status).toBe(201);
    // Another user's key of the same text is their own.
    const theirs = await post(w.users.supervisor.token, `${t.api}/media`, form('ep01_sq010_sh040_comp'), key);
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    // The same key for another route is refused, not replayed.
    const base = ((await mine.json()) as { id: string }).id;
    const misuse = await post(w.users.artist.token, `${t.api}/media/${base}/versions`, form('x'), key);
    expect(misuse.status).toBe(409);
    expect(((await misuse.json()) as { code: string }).code).toBe('conflict');
    // A malformed key is refused.
    const bad = await post(
      w.users.artist.token,
      `${t.api}/media`,
      form('ep01_sq010_sh040_comp'),
      'has space',
    );
    expect(bad.status).toBe(400);
  });

  it('a failed first attempt gives its key up: the retry runs', async () => {
    const key = randomUUID();
    const text = new FormData();
    text.append('projectId', 'SWA');
    text.append('taskId', 'ep01_sq010_sh050_comp');
    text.append('file', new Blob(['not media at all\n']), 'notes.txt');
    const refused = await post(w.users.artist.token, `${t.api}/media`, text, key);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    const retried = await post(w.users.artist.token, `${t.api}/media`, form('ep01_sq010_sh050_comp'), key);
    expect(retried.status, await retried.clone().text()).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
  });

  it('a retry while the first is still running gets 409 with Retry-After', async () => {
    const key = randomUUID();
    const url = new URL(`${t.api}/media`);
    // The first upload: its form is started and held open.
    const held = http.request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: {
        authorization: `Bearer ${w.users.artist.token}`,
        'idempotency-key': key,
        'content-type': 'multipart/form-data; boundary=held',
      },
    });
    held.on('error', () => undefined);
    held.write('--held\r\nContent-Disposition: form-data; name="projectId"\r\n\r\nSWA\r\n');
    held.flushHeaders();
    // Wait until the held request has claimed its key (it is read from the database).
    for (;;) {
      const row = await t.montu.db
        .selectFrom('idempotency_key')
        .select('state')
        .where('key', '=', key)
        .executeTakeFirst();
      if (row) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const retry = await post(w.users.artist.token, `${t.api}/media`, form('ep01_sq010_sh060_comp'), key);
    held.destroy();
    expect(retry.status).toBe(409);
    expect(retry.headers.get('retry-after')).toBe('1');
  });

  it('a key is forgotten after a day', async () => {
    const keys = new IdempotencyKeys(t.montu.db);
    const first = await keys.begin(w.users.artist.id, 'day-old', 'POST /media');
    expect(first.kind).toBe('first');
    if (first.kind === 'first') await first.complete('m1');
    expect(await keys.begin(w.users.artist.id, 'day-old', 'POST /media')).toEqual({
      kind: 'replay',
      result: 'm1',
    });
    const tomorrow = new IdempotencyKeys(t.montu.db, () => Date.now() + IDEMPOTENCY_KEY_TTL_MS + 1000);
    expect((await tomorrow.begin(w.users.artist.id, 'day-old', 'POST /media')).kind).toBe('first');
  });
});
