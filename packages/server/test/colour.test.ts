/**
 * The colour routes (decision 148) and the `float` rendition (decision 147) over HTTP: members
 * list the displays/views and fetch baked LUTs; an uploaded EXR gets a half-float rendition
 * served by the files route.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { halfToFloat, parseFloatImage } from '@montu/domain';
import { call, CORPUS, seedWorld, startTestServer, type TestServer, type World } from './helpers.js';
import { openSse } from './sse-client.js';

const EXR = path.join(CORPUS, 'media/image/GammaChart.exr');
const OIIOTOOL = existsSync('/usr/bin/oiiotool') ? '/usr/bin/oiiotool' : null;

describe('colour routes (built-in transform: no $OCIO)', () => {
  let t: TestServer;
  let w: World;
  beforeAll(async () => {
    t = await startTestServer('sqlite', {}, { processing: true });
    w = await seedWorld(t);
  });
  afterAll(async () => t?.close());

  it('lists the built-in display and views, the thumbnails’ one as default', async () => {
    const r = await call(`${t.api}/projects/SWA/colour/views`, w.users.artist.token);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({
      transform: 'builtin',
      config: null,
      displays: [
        {
          name: 'sRGB',
          isDefault: true,
          views: [
            { name: 'Standard', isDefault: true },
            { name: 'Filmic', isDefault: false },
          ],
        },
      ],
      default: { display: 'sRGB', view: 'Standard' },
    });
    expect((await call(`${t.api}/projects/SWA/colour/views`, w.users.outsider.token)).status).toBe(404);
  });

  it('serves a 65³ LUT in MF16, with an ETag; refuses unknown views with 400', async () => {
    const r = await call(`${t.api}/projects/SWA/colour/luts?display=sRGB&view=Filmic`, w.users.artist.token);
    expect(r.status).toBe(200);
    const bytes = new Uint8Array(await r.arrayBuffer());
    const { header, payload } = parseFloatImage(bytes);
    expect(header).toMatchObject({
      kind: 'lut3d',
      width: 65,
      depth: 65,
      transform: 'filmic',
      view: 'Filmic',
    });
    expect(zlib.inflateSync(payload).length).toBe(65 ** 3 * 3 * 2);
    const etag = r.headers.get('etag')!;
    const again = await call(
      `${t.api}/projects/SWA/colour/luts?display=sRGB&view=Filmic`,
      w.users.artist.token,
      {
        headers: { 'if-none-match': etag },
      },
    );
    expect(again.status).toBe(304);
    const bad = await call(`${t.api}/projects/SWA/colour/luts?view=Log`, w.users.artist.token);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toMatch(
      /"Log" is not a view of display "sRGB"/,
    );
  });

  it('an uploaded EXR gets a float rendition at /files/float', async () => {
    const id = await t.montu.media.uploadMedia({
      filePath: EXR,
      projectId: 'SWA',
      taskId: 'sh010_comp',
      author: 'artist',
      wait: true,
    });
    const m = (await (await call(`${t.api}/media/${id}`, w.users.artist.token)).json()) as {
      files: Array<{ role: string; state: string; info: Record<string, unknown> | null }>;
    };
    const files = m.files;
    expect(files.find((f) => f.role === 'web_float')).toMatchObject({
      state: 'ready',
      info: { width: 800, height: 800, values: 'scene_linear' },
    });
    const r = await call(`${t.api}/media/${id}/files/float`, w.users.artist.token);
    expect(r.status).toBe(200);
    const { header, payload } = parseFloatImage(new Uint8Array(await r.arrayBuffer()));
    expect(header).toMatchObject({ kind: 'image', width: 800, height: 800, values: 'scene_linear' });
    const raw = zlib.inflateSync(payload);
    expect(raw.length).toBe(800 * 800 * 3 * 2);
    // GammaChart runs from black to exactly 1.0 (oiiotool --stats).
    let max = 0;
    let min = Infinity;
    for (let i = 0; i < raw.length; i += 2) {
      const v = halfToFloat(raw.readUInt16LE(i));
      max = Math.max(max, v);
      min = Math.min(min, v);
    }
    expect([min, max]).toEqual([0, 1]);
  });

  // Decision 187: 16-bit PNG (no web image: the original is one), float TIFF and Radiance HDR.
  it.skipIf(!OIIOTOOL).each([
    ['sixteen.png', ['-d', 'uint16'], 'source', false],
    ['float.tif', ['-d', 'float'], 'scene_linear', true],
    ['radiance.hdr', [], 'scene_linear', true],
  ] as const)('an uploaded %s gets a float rendition', async (name, args, values, web) => {
    const file = path.join(t.dir, name);
    execFileSync(OIIOTOOL!, [EXR, '--ch', 'R,G,B', ...args, '-o', file]);
    const id = await t.montu.media.uploadMedia({
      filePath: file,
      projectId: 'SWA',
      taskId: 'sh020_comp',
      author: 'artist',
      wait: true,
    });
    const m = (await (await call(`${t.api}/media/${id}`, w.users.artist.token)).json()) as {
      processingState: string;
      files: Array<{ role: string; state: string; info: Record<string, unknown> | null }>;
    };
    expect(m.processingState).toBe('ready');
    expect(m.files.find((f) => f.role === 'web_float')).toMatchObject({
      state: 'ready',
      info: { width: 800, height: 800, values },
    });
    expect(m.files.some((f) => f.role === 'web')).toBe(web);
    const r = await call(`${t.api}/media/${id}/files/float`, w.users.artist.token);
    const { header, payload } = parseFloatImage(new Uint8Array(await r.arrayBuffer()));
    expect(header).toMatchObject({ width: 800, height: 800, values });
    // GammaChart's white patch is 1.0: within half (and RGBE) precision in every format.
    const raw = zlib.inflateSync(payload);
    let max = 0;
    for (let i = 0; i < raw.length; i += 2) max = Math.max(max, halfToFloat(raw.readUInt16LE(i)));
    expect(max).toBeCloseTo(1, 2);
  });
});

describe('colour routes with $OCIO: thumbnails and LUTs share the view', () => {
  const config = path.resolve(import.meta.dirname, '../../core/test/fixtures/ocio/config.ocio');
  let t: TestServer;
  let w: World;
  const saved = { OCIO: process.env['OCIO'], MONTU_OCIO_VIEW: process.env['MONTU_OCIO_VIEW'] };
  beforeAll(async () => {
    // openMontu reads the environment once, when it opens.
    process.env['OCIO'] = config;
    process.env['MONTU_OCIO_VIEW'] = 'Quarter Power';
    t = await startTestServer('sqlite', {}, { processing: true });
    w = await seedWorld(t);
  });
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await t?.close();
  });

  it('the default LUT is the view the thumbnail was rendered with', async () => {
    const views = (await (await call(`${t.api}/projects/SWA/colour/views`, w.users.artist.token)).json()) as {
      transform: string;
      config: string;
      default: { display: string; view: string };
    };
    expect(views).toMatchObject({
      transform: 'ocio',
      config: 'config.ocio',
      default: { display: 'sRGB', view: 'Quarter Power' },
    });
    const id = await t.montu.media.uploadMedia({
      filePath: EXR,
      projectId: 'SWA',
      taskId: 'sh020_comp',
      author: 'artist',
      wait: true,
    });
    const m = (await (await call(`${t.api}/media/${id}`, w.users.artist.token)).json()) as {
      files: Array<{ role: string; info: { ocio?: { display: string; view: string } } | null }>;
    };
    const thumb = m.files.find((f) => f.role === 'thumbnail')!;
    expect(thumb.info?.ocio).toMatchObject(views.default);
    const lut = await call(`${t.api}/projects/SWA/colour/luts`, w.users.artist.token);
    expect(lut.status).toBe(200);
    const { header } = parseFloatImage(new Uint8Array(await lut.arrayBuffer()));
    expect(header).toMatchObject({ transform: 'ocio', config: 'config.ocio', ...views.default });
  });

  it("a live session's colour view is one of the config's, followers get it over SSE", async () => {
    const id = await t.montu.media.uploadMedia({
      filePath: EXR,
      projectId: 'SWA',
      taskId: 'sh030_comp',
      author: 'artist',
    });
    const started = await call(`${t.api}/review-sessions`, w.users.supervisor.token, {
      method: 'POST',
      json: { mediaId: id },
    });
    expect(started.status).toBe(201);
    const s = (await started.json()) as { id: string; state: { colour: Record<string, unknown> } };
    expect(s.state.colour).toEqual({ display: null, view: null, exposure: 0, gamma: 1, channel: 'rgb' });
    await call(`${t.api}/review-sessions/${s.id}/join`, w.users.artist.token, { method: 'POST' });
    const follower = await openSse(`${t.api}/review-sessions/${s.id}/events`, w.users.artist.token);
    await follower.until((e) => e.some((x) => x.event === 'snapshot'));
    const patch = (json: unknown) =>
      call(`${t.api}/review-sessions/${s.id}/state`, w.users.supervisor.token, { method: 'PATCH', json });
    // The built-in views are not this config's; names are checked against the config.
    for (const [json, message] of [
      [
        { colour: { view: 'Filmic' } },
        /"Filmic" is not a view of display "sRGB"; its views are "Standard", "Quarter Power"/,
      ],
      [
        { colour: { display: 'Raw', view: 'Standard' } },
        /"Standard" is not a view of display "Raw"; its views are "Linear"/,
      ],
      [{ colour: { display: 'P3' } }, /"P3" is not a display here; the displays are "sRGB", "Raw"/],
    ] as const) {
      const bad = await patch(json);
      expect(bad.status, JSON.stringify(json)).toBe(400);
      expect(((await bad.json()) as { detail: string }).detail).toMatch(message);
    }
    const ok = await patch({
      colour: { display: 'Raw', view: 'Linear', exposure: 1, gamma: 2.2, channel: 'luminance' },
    });
    expect(ok.status).toBe(200);
    const { seq } = (await ok.json()) as { seq: number };
    const events = await follower.until((e) => e.some((x) => Number(x.id) === seq));
    const last = JSON.parse(events.find((x) => Number(x.id) === seq)!.data) as {
      data: { state: { colour: unknown } };
    };
    expect(last.data.state.colour).toEqual({
      display: 'Raw',
      view: 'Linear',
      exposure: 1,
      gamma: 2.2,
      channel: 'luminance',
    });
    follower.close();
  });
});
