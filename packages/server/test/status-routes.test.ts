/** Every workflow transition has a route: hold, reopen and the generic POST /media/:id/status. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, DATABASES, makePng, startTestServer, type TestServer } from './helpers.js';

for (const kind of DATABASES) {
  describe(`status routes (${kind})`, () => {
    let t: TestServer;
    let mediaId: string;
    let artist: string;
    let supervisor: string;
    beforeAll(async () => {
      t = await startTestServer(kind);
      const png = await makePng(path.join(t.dir, 'p.png'), 32, 32);
      mediaId = await t.montu.media.uploadMedia({
        filePath: png,
        projectId: 'SWA',
        taskId: 'sh010_comp',
        author: 'ann',
      });
      for (const [name, role] of [
        ['art', 'artist'],
        ['sup', 'supervisor'],
      ] as const) {
        const u = await t.montu.users.createUser({ username: name });
        await t.montu.users.setMembership('SWA', u.id, role);
        const { token } = await t.montu.users.createToken(u.id, { name: 't' });
        if (role === 'artist') artist = token;
        else supervisor = token;
      }
    });
    afterAll(async () => t.close());

    const post = (token: string, p: string, json: unknown = {}) =>
      call(`${t.api}/media/${mediaId}/${p}`, token, { method: 'POST', json });
    const status = async () => (await t.montu.media.getMediaById(mediaId)).status;

    it('hold and reopen: supervisors may, artists are refused and nothing is written', async () => {
      const before = (await t.montu.review.getHistory(mediaId)).length;
      const refused = await post(artist, 'hold', { comment: 'no' });
      expect(refused.status).toBe(403);
      expect(await status()).toBe('wip');
      expect((await t.montu.review.getHistory(mediaId)).length).toBe(before);

      const held = await post(supervisor, 'hold', { comment: 'waiting for plate' });
      expect(held.status).toBe(200);
      expect(((await held.json()) as { status: string }).status).toBe('on_hold');
      expect((await post(supervisor, 'hold')).status).toBe(409); // already on hold
      const reopened = await post(supervisor, 'reopen');
      expect(reopened.status).toBe(200);
      expect(((await reopened.json()) as { status: string }).status).toBe('wip');
      const last = (await t.montu.review.getHistory(mediaId)).at(-1) as unknown as {
        from: string;
        to: string;
      };
      expect(last).toMatchObject({ from: 'on_hold', to: 'wip' });
    });

    it('history entries carry labels in words; a supervisor may request changes on a WIP version', async () => {
      const wip = await t.montu.media.uploadMedia({
        filePath: await makePng(path.join(t.dir, 'w.png'), 16, 16),
        projectId: 'SWA',
        taskId: 'sh020_comp',
        author: 'ann',
      });
      // Regression: approve was allowed from wip, request changes was not (issue 21).
      const opts = (await (await call(`${t.api}/media/${wip}/status-options`, supervisor)).json()) as {
        targets: Array<{ to: string; action: string }>;
      };
      expect(opts.targets.map((x) => x.to)).toEqual(
        expect.arrayContaining(['approved', 'changes_requested']),
      );
      expect(
        (await call(`${t.api}/media/${wip}/request-changes`, artist, { method: 'POST', json: {} })).status,
      ).toBe(403);
      const changes = await call(`${t.api}/media/${wip}/request-changes`, supervisor, {
        method: 'POST',
        json: { comment: 'tighten the edge' },
      });
      expect(changes.status).toBe(200);
      await call(`${t.api}/media/${wip}/hold`, supervisor, { method: 'POST', json: {} });
      await call(`${t.api}/media/${wip}/reopen`, supervisor, { method: 'POST', json: {} });
      const history = (await (await call(`${t.api}/media/${wip}/history`, supervisor)).json()) as Array<{
        action: string;
        label: string;
      }>;
      expect(history.map((h) => h.label)).toEqual([
        'Version created',
        'Changes requested',
        'Put on hold',
        'Reopened',
      ]);
    });

    it("POST /media/:id/status goes through the workflow with the caller's role", async () => {
      const sub = await post(artist, 'status', { status: 'pending_review', comment: 'take a look' });
      expect(sub.status).toBe(200);
      expect(((await sub.json()) as { status: string }).status).toBe('pending_review');
      expect((await post(artist, 'status', { status: 'approved' })).status).toBe(403);
      expect(await status()).toBe('pending_review');
      expect((await post(supervisor, 'status', { status: 'nope' })).status).toBe(400);
      expect((await post(supervisor, 'status', {})).status).toBe(400);
      const ok = await post(supervisor, 'status', { status: 'approved', comment: 'lovely' });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ status: 'approved' });
    });

    it('the new routes are in the OpenAPI document', async () => {
      const doc = (await (await call(`${t.url}/api/v1/openapi.json`, null)).json()) as {
        paths: Record<string, Record<string, unknown>>;
      };
      for (const p of ['hold', 'reopen', 'status'])
        expect(doc.paths[`/api/v1/media/{mediaId}/${p}`]?.['post'], p).toBeTruthy();
    });
  });
}
