import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv, timecodeToFrame, CSV_COLUMNS } from '@montu/core';
import { call, DATABASES, makePng, startTestServer, uploadForm, type TestServer } from './helpers.js';

for (const kind of DATABASES) {
  describe(`review API (${kind})`, () => {
    let t: TestServer;
    let mediaId: string;
    beforeAll(async () => {
      t = await startTestServer(kind);
      const png = await makePng(path.join(t.dir, 'p.png'), 64, 32);
      mediaId = await t.montu.media.uploadMedia({
        filePath: png,
        projectId: 'SWA',
        taskId: 'ep01_sq010_sh020_comp',
        author: 'ann',
      });
      await t.montu.media.updateMediaMetadata(mediaId, { metadata: { fps: '24000/1001', frameCount: 2000 } });
    });
    afterAll(async () => t.close());

    it('a note on frame 1001 at 23.976 round-trips through the API and the CSV export at 00:00:41:17', async () => {
      const res = await call(`${t.api}/media/${mediaId}/notes`, t.adminToken, {
        method: 'POST',
        json: {
          content: 'pop',
          frame: 1001,
          drawing: {
            version: 1,
            shapes: [
              { type: 'line', color: '#ff0000', width: 0.01, from: { x: 0, y: 0 }, to: { x: 1, y: 1 } },
            ],
          },
        },
      });
      expect(res.status).toBe(201);
      const note = (await res.json()) as {
        id: string;
        frame: number;
        timecode: string;
        drawing: { shapes: unknown[] };
      };
      expect(note).toMatchObject({ frame: 1001, timecode: '00:00:41:17' });
      expect(note.drawing.shapes).toHaveLength(1);
      const bad = await call(`${t.api}/media/${mediaId}/notes`, t.adminToken, {
        method: 'POST',
        json: { content: 'x', drawing: { shapes: [{ type: 'nope' }] } },
      });
      expect(bad.status).toBe(400);
      const list = (await (await call(`${t.api}/media/${mediaId}/notes`, t.adminToken)).json()) as Array<{
        id: string;
        timecode: string;
      }>;
      expect(list.find((n) => n.id === note.id)?.timecode).toBe('00:00:41:17');

      const pl = await call(`${t.api}/projects/SWA/playlists`, t.adminToken, {
        method: 'POST',
        json: { name: 'Dailies', mediaIds: [mediaId] },
      });
      expect(pl.status).toBe(201);
      const { id: playlistId } = (await pl.json()) as { id: string };
      const csvRes = await call(`${t.api}/playlists/${playlistId}/export.csv`, t.adminToken);
      expect(csvRes.status).toBe(200);
      const rows = parseCsv(await csvRes.text());
      const row = Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, rows[1]![i]!]));
      expect(row['frame']).toBe('1001');
      expect(row['timecode']).toBe('00:00:41:17');
      expect(timecodeToFrame(row['timecode']!, row['fps']!)).toBe(1001);
      const otio = await call(`${t.api}/playlists/${playlistId}/export.otio`, t.adminToken);
      expect(((await otio.json()) as { OTIO_SCHEMA: string }).OTIO_SCHEMA).toBe('Timeline.1');
      for (const url of [
        `${t.api}/playlists/${playlistId}/export.zip`,
        `${t.api}/media/${mediaId}/notes-package.zip`,
      ]) {
        const zip = await call(url, t.adminToken);
        expect(zip.status).toBe(200);
        expect(zip.headers.get('content-type')).toBe('application/zip');
        const body = Buffer.from(await zip.arrayBuffer());
        expect(body.subarray(0, 2).toString()).toBe('PK');
        expect(body.includes(Buffer.from('markers.edl'))).toBe(true);
      }
      const pdf = await call(`${t.api}/playlists/${playlistId}/export.pdf`, t.adminToken);
      expect(
        Buffer.from(await pdf.arrayBuffer())
          .subarray(0, 5)
          .toString(),
      ).toBe('%PDF-');
    });

    it('a drawing saved on a stale revision is a 409 with the current strokes; POST strokes merges', async () => {
      const stroke = (x: number, id: string) => ({
        id,
        type: 'line',
        color: '#00ff00',
        width: 0.01,
        from: { x, y: 0 },
        to: { x, y: 1 },
      });
      const made = await call(`${t.api}/media/${mediaId}/notes`, t.adminToken, {
        method: 'POST',
        json: { content: 'd', frame: 10, drawing: { version: 1, shapes: [stroke(0.1, 'a')] } },
      });
      const note = (await made.json()) as { id: string; revision: number };
      expect(note.revision).toBe(1);
      const first = await call(`${t.api}/notes/${note.id}`, t.adminToken, {
        method: 'PATCH',
        json: { revision: 1, drawing: { version: 1, shapes: [stroke(0.1, 'a'), stroke(0.2, 'b')] } },
      });
      expect(first.status).toBe(200);
      const stale = await call(`${t.api}/notes/${note.id}`, t.adminToken, {
        method: 'PATCH',
        json: { revision: 1, drawing: { version: 1, shapes: [stroke(0.1, 'a'), stroke(0.3, 'c')] } },
      });
      expect(stale.status).toBe(409);
      const problem = (await stale.json()) as {
        details: { reason: string; revision: number; drawing: { shapes: Array<{ id: string }> } };
      };
      expect(problem.details.reason).toBe('stale_revision');
      expect(problem.details.revision).toBe(2);
      expect(problem.details.drawing.shapes.map((s) => s.id)).toEqual(['a', 'b']);
      const merged = await call(`${t.api}/notes/${note.id}/strokes`, t.adminToken, {
        method: 'POST',
        json: { add: [stroke(0.3, 'c')] },
      });
      expect(merged.status).toBe(200);
      const after = (await merged.json()) as { revision: number; drawing: { shapes: Array<{ id: string }> } };
      expect(after.drawing.shapes.map((s) => s.id)).toEqual(['a', 'b', 'c']);
      expect(after.revision).toBe(3);
      const empty = await call(`${t.api}/notes/${note.id}/strokes`, t.adminToken, {
        method: 'POST',
        json: {},
      });
      expect(empty.status).toBe(400);
    });

    it('a note without a drawing answers drawing: null (not {}) on every note route', async () => {
      const made = await call(`${t.api}/media/${mediaId}/annotations`, t.adminToken, {
        method: 'POST',
        json: { content: 'a pin, no drawing', frame: 41 },
      });
      expect(made.status).toBe(201);
      const note = (await made.json()) as { id: string; drawing: unknown };
      expect(note.drawing).toBeNull();
      const one = (await (await call(`${t.api}/notes/${note.id}`, t.adminToken)).json()) as {
        drawing: unknown;
      };
      expect(one.drawing).toBeNull();
      const list = (await (
        await call(`${t.api}/media/${mediaId}/annotations`, t.adminToken)
      ).json()) as Array<{
        id: string;
        drawing: unknown;
      }>;
      expect(list.find((n) => n.id === note.id)!.drawing).toBeNull();
    });

    it('attaches an image to a note, serves it back, and refuses what is not one', async () => {
      const created = await call(`${t.api}/media/${mediaId}/notes`, t.adminToken, {
        method: 'POST',
        json: { content: 'see the reference', frame: 1 },
      });
      const noteId = ((await created.json()) as { id: string }).id;
      const png = fs.readFileSync(await makePng(path.join(t.dir, 'ref.png'), 40, 20));
      const attach = (data: Uint8Array, name = 'ref.png') =>
        uploadForm(t.api, t.adminToken, {}, { name, data }, `/notes/${noteId}/attachments`);

      const ok = await attach(png);
      expect(ok.status, await ok.clone().text()).toBe(201);
      const att = (await ok.json()) as { fileId: string; fileName: string };
      expect(att.fileName).toBe('ref.png');
      const back = await call(`${t.api}/notes/${noteId}/attachments/${att.fileId}`, t.adminToken);
      expect(back.status).toBe(200);
      expect(back.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await back.arrayBuffer()).equals(png)).toBe(true);

      const text = await attach(Buffer.from('not a picture'), 'notes.png');
      expect(text.status).toBe(400);
      expect(((await text.json()) as { code: string }).code).toBe('validation_error');
      // Over 25 MB: refused after 25 MB are read (the rest is not), with a problem, not a reset.
      const huge = await attach(Buffer.concat([png, Buffer.alloc(26 << 20)]));
      expect(huge.status).toBe(400);
      expect(((await huge.json()) as { detail: string }).detail).toMatch(/at most 25 MB/);
      const noFile = await fetch(`${t.api}/notes/${noteId}/attachments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.adminToken}` },
        body: (() => {
          const form = new FormData();
          form.append('comment', 'no file');
          return form;
        })(),
      });
      expect(noFile.status).toBe(400);
      expect(((await noFile.json()) as { detail: string }).detail).toMatch(/no "file" part/);
      const listed = (await (await call(`${t.api}/notes/${noteId}`, t.adminToken)).json()) as {
        attachments: unknown[];
      };
      expect(listed.attachments).toHaveLength(1);
    });

    it('status options, workflow and compare', async () => {
      const opts = await call(`${t.api}/media/${mediaId}/status-options`, t.adminToken);
      expect(opts.status).toBe(200);
      const wf = await call(`${t.api}/projects/SWA/workflow`, t.adminToken);
      expect(((await wf.json()) as { initial: string }).initial).toBe('wip');
      const cmp = await call(
        `${t.api}/tasks/ep01_sq010_sh020_comp/compare?a=v001&b=v001&projectId=SWA`,
        t.adminToken,
      );
      expect(cmp.status).toBe(200);
      expect(((await cmp.json()) as { alignment: { mode: string } }).alignment.mode).toBe('none'); // a still has no frame range
    });
  });
}
