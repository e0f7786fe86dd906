import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  CORPUS,
  seedWorld,
  startTestServer,
  uploadForm,
  type TestServer,
  type World,
} from './helpers.js';

const JPEG = fs.readFileSync(path.join(CORPUS, 'media/image/ExifTool.jpg'));

/** The text a PDF shows: its (deflated) content streams' TJ/Tj strings, WinAnsi as latin1. */
function pdfText(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  let out = '';
  for (const m of raw.matchAll(/stream\r?\n/g)) {
    const start = m.index + m[0].length;
    const end = raw.indexOf('endstream', start);
    let body: string;
    try {
      body = zlib.inflateSync(pdf.subarray(start, end)).toString('latin1');
    } catch {
      continue; // not a deflated content stream (an image)
    }
    for (const tj of body.matchAll(/\[([^\]]*)\]\s*TJ/g)) {
      out += [...tj[1]!.matchAll(/<([0-9a-f]*)>/gi)]
        .map((h) => Buffer.from(h[1]!, 'hex').toString('latin1'))
        .join('');
      out += '\n';
    }
  }
  return out;
}

// Regressions of issue 20, item 9 (review correctness).
describe('review correctness (sqlite)', () => {
  let t: TestServer;
  let w: World;
  let movie: string;
  let sequence: string;
  const artist = () => w.users.artist.token;
  const note = (mediaId: string, json: unknown) =>
    call(`${t.api}/media/${mediaId}/annotations`, artist(), { method: 'POST', json });

  beforeAll(async () => {
    t = await startTestServer('sqlite');
    w = await seedWorld(t);
    const r = await uploadForm(
      t.api,
      artist(),
      { projectId: 'SWA', taskId: 'ep01_sq010_sh010_anim' },
      { name: 'clip.jpg', data: JPEG },
    );
    movie = ((await r.json()) as { id: string }).id;
    // Its timing as a 48-frame, 2 s movie would have after probing.
    await t.montu.media.updateMediaMetadata(movie, {
      metadata: { fps: '24/1', frameCount: 48, duration: 2 },
    });
    await t.montu.db.updateTable('media').set({ media_type: 'video' }).where('id', '=', movie).execute();
    const frames = [1001, 1002, 1003, 1004].map((n) => {
      const f = path.join(t.dir, `plate.${n}.jpg`);
      fs.writeFileSync(f, JPEG);
      return f;
    });
    sequence = await t.montu.sequences.uploadSequence({
      projectId: 'SWA',
      taskId: 'ep01_sq010_sh020_comp',
      author: 'artist',
      source: frames,
    });
  });
  afterAll(async () => t?.close());

  it("refuses a note's frame the media item does not have", async () => {
    for (const [id, frame, frameEnd] of [
      [movie, 5000, undefined],
      [movie, -1, undefined],
      [movie, 40, 48],
      [sequence, 10, undefined],
      [sequence, 1000, undefined],
      [sequence, 1005, undefined],
    ] as const) {
      const r = await note(id, { content: 'here', frame, ...(frameEnd !== undefined ? { frameEnd } : {}) });
      const body = (await r.json()) as { code: string; detail: string };
      expect(r.status, `${frame}: ${body.detail}`).toBe(400);
      expect(body.detail).toMatch(/is not a frame of this media item/);
    }
    expect((await note(movie, { content: 'last', frame: 47 })).status).toBe(201);
    expect((await note(sequence, { content: 'first', frame: 1001, frameEnd: 1004 })).status).toBe(201);
    // Moving a note is checked too.
    const n = (await (await note(movie, { content: 'move me', frame: 3 })).json()) as { id: string };
    const moved = await call(`${t.api}/notes/${n.id}`, artist(), {
      method: 'PATCH',
      json: { frame: 480 },
    });
    expect(moved.status).toBe(400);
  });

  it('refuses an empty note', async () => {
    for (const content of ['', '   \n']) {
      const r = await note(movie, { content, frame: 1 });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { detail: string }).detail).toMatch(/needs text or a drawing/);
    }
  });

  it('keeps every repeated tags field, honours tags on new versions, and wants a project', async () => {
    const form = new FormData();
    form.append('projectId', 'SWA');
    form.append('taskId', 'ep01_sq010_sh030_comp');
    form.append('tags', 'hero');
    form.append('tags', 'fx,night');
    form.append('file', new Blob([JPEG]), 'tagged.jpg');
    const r = await fetch(`${t.api}/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${artist()}` },
      body: form,
    });
    const created = (await r.json()) as { id: string; tags: string[] };
    expect(r.status).toBe(201);
    expect(created.tags.sort()).toEqual(['fx', 'hero', 'night']);

    const v2 = await uploadForm(
      t.api,
      artist(),
      { tags: 'v2only' },
      { name: 'v2.jpg', data: JPEG },
      `/media/${created.id}/versions`,
    );
    expect(v2.status).toBe(201);
    expect(((await v2.json()) as { tags: string[] }).tags).toEqual(['v2only']);
    const v3 = await uploadForm(
      t.api,
      artist(),
      {},
      { name: 'v3.jpg', data: JPEG },
      `/media/${created.id}/versions`,
    );
    expect(((await v3.json()) as { tags: string[] }).tags.sort()).toEqual(['fx', 'hero', 'night']);

    const noProject = await uploadForm(
      t.api,
      artist(),
      { taskId: 'ep01_sq010_sh030_comp' },
      { name: 'x.jpg', data: JPEG },
    );
    expect(noProject.status).toBe(400);
    expect(((await noProject.json()) as { detail: string }).detail).toMatch(/projectId is required/);
  });

  it('exports OTIO whose target_url is a route that serves the original, and a PDF whose reply marker is legible', async () => {
    const sup = w.users.supervisor.token;
    const p = (await (
      await call(`${t.api}/projects/SWA/playlists`, sup, {
        method: 'POST',
        json: { name: 'Dailies', mediaIds: [movie] },
      })
    ).json()) as { id: string };
    const otio = (await (await call(`${t.api}/playlists/${p.id}/export.otio`, sup)).json()) as {
      tracks: {
        children: Array<{ children: Array<{ media_references: { DEFAULT_MEDIA: { target_url: string } } }> }>;
      };
    };
    const url = otio.tracks.children[0]!.children[0]!.media_references.DEFAULT_MEDIA.target_url;
    const original = await call(url, sup);
    expect(original.status, url).toBe(200);
    expect(Buffer.from(await original.arrayBuffer()).equals(JPEG)).toBe(true);

    const root = (await (await note(movie, { content: 'root note', frame: 2 })).json()) as { id: string };
    expect((await note(movie, { content: 'a reply', frame: 2, parentId: root.id })).status).toBe(201);
    const pdf = Buffer.from(await (await call(`${t.api}/playlists/${p.id}/export.pdf`, sup)).arrayBuffer());
    const text = pdfText(pdf);
    expect(text).toMatch(/» artist/);
    expect(text).not.toContain('!³');
  });

  it('refuses a thumbnail timestamp past the end of the item', async () => {
    const r = await call(`${t.api}/media/${movie}/thumbnail`, artist(), {
      method: 'POST',
      json: { timestamp: 2.5 },
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { detail: string }).detail).toMatch(/past the end/);
  });
});
