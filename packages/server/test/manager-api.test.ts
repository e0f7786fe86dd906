/**
 * The media services document over REST, for every client: people named as given by admins and
 * pipeline tokens (403 for anyone else, on every route that takes a name), the document's status
 * words, the flat metadata patch, pixel positions, and the small routes the clients need.
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
  tusMetadata,
  uploadForm,
  type TestServer,
  type World,
} from './helpers.js';

describe.each(DATABASES)('the media services document over REST on %s', (kind) => {
  let t: TestServer;
  let w: World;
  let png: Buffer;
  let pipeline: string;

  const json = (method: string, body?: unknown) => ({
    method,
    ...(body !== undefined ? { json: body } : {}),
  });
  const upload = async (token: string, fields: Record<string, string>) =>
    uploadForm(
      t.api,
      token,
      { projectId: 'SWA', taskId: 'ep01_sq010_sh020_lighting', ...fields },
      {
        name: 'render.png',
        data: png,
      },
    );
  const history = async (mediaId: string) =>
    (
      (await (await call(`${t.api}/media/${mediaId}/history`, t.adminToken)).json()) as Array<{
        action: string;
        actor: string;
      }>
    ).map((h) => [h.action, h.actor]);

  beforeAll(async () => {
    t = await startTestServer(kind);
    w = await seedWorld(t);
    png = fs.readFileSync(await makePng(path.join(t.dir, 'render.png'), 64, 32));
    const svc = await t.montu.users.createUser({ username: 'svc-publish' });
    await t.montu.users.setMembership('SWA', svc.id, 'supervisor');
    const res = await call(
      `${t.api}/users/${svc.id}/tokens`,
      t.adminToken,
      json('POST', { name: 'hook', actForOthers: true }),
    );
    expect(res.status).toBe(201);
    const created = (await res.json()) as { token: string; info: { actForOthers: boolean } };
    expect(created.info.actForOthers).toBe(true);
    pipeline = created.token;
  }, 120_000);
  afterAll(async () => t?.close());

  it('lets a pipeline token name people on every route, and history says who acted', async () => {
    const via = 'via svc-publish (hook)';
    const res = await upload(pipeline, { author: 'John Doe' });
    expect(res.status).toBe(201);
    const media = (await res.json()) as { id: string; author: string };
    expect(media.author).toBe('John Doe');
    for (const [route, body] of [
      ['submit', { by: 'Jane Roe' }],
      ['approve', { by: 'Review Supervisor', comment: 'ok' }],
    ] as const) {
      expect((await call(`${t.api}/media/${media.id}/${route}`, pipeline, json('POST', body))).status).toBe(
        200,
      );
    }
    const note = await call(
      `${t.api}/media/${media.id}/notes`,
      pipeline,
      json('POST', { content: 'x', author: 'Review Supervisor' }),
    );
    expect(((await note.json()) as { author: string }).author).toBe('Review Supervisor');
    expect(await history(media.id)).toEqual([
      ['media.created', `John Doe ${via}`],
      ['media.status_changed', `Jane Roe ${via}`],
      ['media.status_changed', `Review Supervisor ${via}`],
      ['annotation.created', `Review Supervisor ${via}`],
    ]);

    // A new version (multipart), a tus upload and a sequence, each in someone's name.
    const v = await uploadForm(
      t.api,
      pipeline,
      { author: 'Ann Lee' },
      { name: 'v2.png', data: png },
      `/media/${media.id}/versions`,
    );
    expect(((await v.json()) as { author: string }).author).toBe('Ann Lee');
    const tus = await call(`${t.api}/uploads`, pipeline, {
      method: 'POST',
      headers: {
        'tus-resumable': '1.0.0',
        'upload-length': String(png.length),
        'upload-metadata': tusMetadata({
          filename: 'r.png',
          projectId: 'SWA',
          taskId: 'ep01_sq010_sh050_lighting',
          author: 'Tus Person',
          montuVia: 'forged',
        }),
      },
    });
    expect(tus.status).toBe(201);
    const patch = await fetch(new URL(tus.headers.get('location')!, t.url), {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${pipeline}`,
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: png,
    });
    expect(patch.status).toBe(204);
    const tusId = patch.headers.get('montu-media-id')!;
    expect(await history(tusId)).toEqual([['media.created', `Tus Person ${via}`]]);
    const seq = await call(
      `${t.api}/uploads/sequences`,
      pipeline,
      json('POST', {
        projectId: 'SWA',
        taskId: 'ep01_sq010_sh060_comp',
        author: 'Seq Person',
        frames: [{ frame: 1001, fileName: 'f.1001.png' }],
      }),
    );
    const { uploadId } = (await seq.json()) as { uploadId: string };
    await call(`${t.api}/uploads/sequences/${uploadId}/frames/1001`, pipeline, { method: 'PUT', body: png });
    const done = (await (
      await call(`${t.api}/uploads/sequences/${uploadId}/complete`, pipeline, json('POST'))
    ).json()) as {
      id: string;
      author: string;
    };
    expect(done.author).toBe('Seq Person');
    expect(await history(done.id)).toEqual([['media.created', `Seq Person ${via}`]]);
  });

  it('refuses an ordinary token that names someone else, on every route, keeping nothing', async () => {
    const artist = w.users.artist.token;
    const refused = async (res: Response) => {
      expect(res.status).toBe(403);
      const problem = (await res.json()) as { code: string; details: { reason: string } };
      expect(problem).toMatchObject({ code: 'forbidden', details: { reason: 'act_for_others' } });
    };
    await refused(await upload(artist, { author: 'John Doe', taskId: 'ep01_sq010_sh070_lighting' }));
    expect(await t.montu.media.getMediaVersions('ep01_sq010_sh070_lighting')).toEqual([]);
    await refused(
      await call(`${t.api}/uploads`, artist, {
        method: 'POST',
        headers: {
          'tus-resumable': '1.0.0',
          'upload-length': '10',
          'upload-metadata': tusMetadata({
            filename: 'r.png',
            projectId: 'SWA',
            taskId: 't',
            author: 'John Doe',
          }),
        },
      }),
    );
    await refused(
      await call(
        `${t.api}/uploads/sequences`,
        artist,
        json('POST', {
          projectId: 'SWA',
          taskId: 't2',
          author: 'John Doe',
          frames: [{ frame: 1, fileName: 'a.1.png' }],
        }),
      ),
    );
    const mine = (await (
      await upload(artist, { author: 'ARTIST', taskId: 'ep01_sq010_sh080_lighting' })
    ).json()) as {
      id: string;
      author: string;
    };
    expect(mine.author).toBe('artist');
    await refused(
      await uploadForm(
        t.api,
        artist,
        { author: 'X' },
        { name: 'v.png', data: png },
        `/media/${mine.id}/versions`,
      ),
    );
    for (const [route, body] of [
      ['submit', { by: 'Review Supervisor' }],
      ['status', { status: 'pending', by: 'Review Supervisor' }],
      ['notes', { content: 'x', author: 'Review Supervisor' }],
      ['annotations', { content: 'x', author: 'Review Supervisor' }],
    ] as const) {
      await refused(await call(`${t.api}/media/${mine.id}/${route}`, artist, json('POST', body)));
    }
    expect(await history(mine.id)).toEqual([['media.created', 'artist']]);
    // Their own display name is themselves: recorded as given, with who acted.
    const ana = await t.montu.users.createUser({ username: 'ana', displayName: 'Ana Artist' });
    await t.montu.users.setMembership('SWA', ana.id, 'artist');
    const { token: anaToken } = await t.montu.users.createToken(ana.id, { name: 'dcc' });
    expect(
      (await call(`${t.api}/media/${mine.id}/submit`, anaToken, json('POST', { by: 'ana artist' }))).status,
    ).toBe(200);
    expect((await history(mine.id)).at(-1)).toEqual(['media.status_changed', 'ana artist via ana (dcc)']);
    // Pipeline tokens are made by instance admins only.
    expect(
      (await call(`${t.api}/tokens`, artist, json('POST', { name: 'x', actForOthers: true }))).status,
    ).toBe(403);
    const plain = (await (await call(`${t.api}/tokens`, artist, json('POST', { name: 'y' }))).json()) as {
      info: { actForOthers: boolean };
    };
    expect(plain.info.actForOthers).toBe(false);
  }, 60_000);

  it('takes the document words for statuses and reports them in statistics', async () => {
    const sup = w.users.supervisor.token;
    const m = (await (await upload(sup, { taskId: 'ep01_sq020_sh010_lighting' })).json()) as { id: string };
    const patched = await call(`${t.api}/media/${m.id}`, sup, json('PATCH', { approvalStatus: 'pending' }));
    expect(((await patched.json()) as { status: string }).status).toBe('pending_review');
    const again = await call(`${t.api}/media/${m.id}`, sup, json('PATCH', { approvalStatus: 'pending' }));
    expect(again.status).toBe(200);
    const ids = async (url: string) => {
      const body = (await (await call(url, sup)).json()) as
        Array<{ id: string }> | { items: Array<{ id: string }> };
      return (Array.isArray(body) ? body : body.items).map((x) => x.id);
    };
    expect(await ids(`${t.api}/media?projectId=SWA&taskId=ep01_sq020_sh010_lighting&status=pending`)).toEqual(
      [m.id],
    );
    expect(await ids(`${t.api}/projects/SWA/review?status=pending`)).toContain(m.id);
    expect(
      (await call(`${t.api}/media/${m.id}/status`, sup, json('POST', { status: 'rejected' }))).status,
    ).toBe(200);
    const stats = (await (await call(`${t.api}/projects/SWA/statistics`, sup)).json()) as {
      byStatus: Record<string, number>;
    };
    expect(stats.byStatus['rejected']).toBeGreaterThanOrEqual(1);
    expect(stats.byStatus).not.toHaveProperty('pending_review');
    const bad = await call(`${t.api}/media?status=finished`, sup);
    expect(bad.status).toBe(400);
  });

  it('merges the flat metadata patch and places pixel positions', async () => {
    const sup = w.users.supervisor.token;
    const m = (await (await upload(sup, { taskId: 'ep01_sq020_sh020_lighting' })).json()) as { id: string };
    const meta = async (body: unknown) => call(`${t.api}/media/${m.id}/metadata`, sup, json('PATCH', body));
    // Processing is not worked in this server: a position in pixels must wait for the size…
    const early = await call(
      `${t.api}/media/${m.id}/notes`,
      sup,
      json('POST', { content: 'x', positionPx: { x: 1, y: 1 } }),
    );
    expect(early.status).toBe(409);
    expect(await early.json()).toMatchObject({ details: { reason: 'size_pending' } });
    // …which a patch may give (measured fields keep their types).
    expect((await meta({ width: 'wide' })).status).toBe(400);
    const res = await meta({
      width: 640,
      height: 480,
      colorSpace: 'sRGB',
      renderTime: 45.2,
      customProperties: { a: 1 },
    });
    expect(res.status).toBe(200);
    const media = (await res.json()) as {
      metadata: Record<string, unknown>;
      customProperties: Record<string, unknown>;
    };
    expect(media.metadata).toMatchObject({ width: 640, colorSpace: 'sRGB', renderTime: 45.2 });
    expect(media.customProperties).toEqual({ a: 1 });
    const note = await call(
      `${t.api}/media/${m.id}/annotations`,
      sup,
      json('POST', { content: 'here', positionPx: { x: 100, y: 200 } }),
    );
    expect(note.status).toBe(201);
    expect(await note.json()).toMatchObject({
      position: { x: 100 / 640, y: 200 / 480 },
      positionPx: { x: 100, y: 200 },
    });
    const listed = (await (await call(`${t.api}/media/${m.id}/notes`, sup)).json()) as Array<{
      positionPx: unknown;
    }>;
    expect(listed.map((n) => n.positionPx)).toEqual([{ x: 100, y: 200 }]);
    expect(
      (
        await call(
          `${t.api}/media/${m.id}/notes`,
          sup,
          json('POST', { content: 'x', positionPx: { x: 700, y: 1 } }),
        )
      ).status,
    ).toBe(400);
  });

  it('finds which projects hold a task, and gives the job making a thumbnail', async () => {
    await upload(w.users.artist.token, { taskId: 'ep01_sq030_sh010_fx' });
    const seen = async (token: string) =>
      (
        (await (await call(`${t.api}/tasks/ep01_sq030_sh010_fx`, token)).json()) as Array<{
          projectId: string;
        }>
      ).map((x) => x.projectId);
    expect(await seen(w.users.artist.token)).toEqual(['SWA']);
    expect(await seen(w.users.outsider.token)).toEqual([]);
    const m = (await (await upload(w.users.artist.token, { taskId: 'ep01_sq030_sh020_fx' })).json()) as {
      id: string;
    };
    const res = await call(
      `${t.api}/media/${m.id}/thumbnail`,
      w.users.artist.token,
      json('POST', { timestamp: 1 }),
    );
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    const job = (await (await call(`${t.api}/jobs/${jobId}`, w.users.artist.token)).json()) as {
      type: string;
      mediaId: string;
    };
    expect(job).toMatchObject({ type: 'thumbnail', mediaId: m.id });
  });
});
