import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentDisposition } from '../src/http-range.js';
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

const FILE = path.join(CORPUS, 'media/image/ExifTool.jpg');

describe.each(DATABASES)('downloads on %s', (kind) => {
  let t: TestServer;
  let w: World;
  let id: string;
  let sha: string;
  const bytes = fs.readFileSync(FILE);
  const size = bytes.length;
  const get = (headers: Record<string, string> = {}, rendition = 'original') =>
    call(`${t.api}/media/${id}/files/${rendition}`, w.users.artist.token, { headers });

  beforeAll(async () => {
    t = await startTestServer(kind);
    w = await seedWorld(t);
    const r = await uploadForm(
      t.api,
      w.users.artist.token,
      { projectId: 'SWA', taskId: 'ep01_sq010_sh010_comp' },
      { name: 'plate ünïcode.jpg', data: bytes },
    );
    const m = (await r.json()) as { id: string; sha256: string };
    id = m.id;
    sha = m.sha256;
  });
  afterAll(async () => t?.close());

  it('serves the original as an attachment with safe headers and ETag', async () => {
    const r = await get();
    expect(r.status).toBe(200);
    expect(Buffer.from(await r.arrayBuffer()).equals(bytes)).toBe(true);
    expect(r.headers.get('etag')).toBe(`"${sha}"`);
    expect(r.headers.get('content-type')).toBe('image/jpeg');
    expect(r.headers.get('content-length')).toBe(String(size));
    expect(r.headers.get('accept-ranges')).toBe('bytes');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    const cd = r.headers.get('content-disposition')!;
    expect(cd).toMatch(/^attachment; filename="plate _n_code.jpg"; filename\*=UTF-8''/);
    expect(decodeURIComponent(cd.split("UTF-8''")[1]!)).toBe('plate ünïcode.jpg');
    expect(contentDisposition('attachment', 'a "b"\\.exr')).toBe(
      `attachment; filename="a _b__.exr"; filename*=UTF-8''a%20%22b%22%5C.exr`,
    );
    expect((await get({ 'if-none-match': `"${sha}"` })).status).toBe(304);
    const head = await call(`${t.api}/media/${id}/files/original`, w.users.artist.token, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(size));
  });

  it.each([
    ['first', 'bytes=0-99', 0, 99],
    ['middle', 'bytes=1000-1999', 1000, 1999],
    ['last', `bytes=${size - 100}-`, size - 100, size - 1],
    ['suffix', 'bytes=-500', size - 500, size - 1],
    ['past the end', `bytes=${size - 10}-${size + 1000}`, size - 10, size - 1],
    ['several (first served)', 'bytes=0-9,20-29', 0, 9],
  ])('answers a %s range with exactly those bytes', async (_name, header, start, end) => {
    const r = await get({ range: header });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe(`bytes ${start}-${end}/${size}`);
    const body = Buffer.from(await r.arrayBuffer());
    expect(body.equals(bytes.subarray(start, end + 1))).toBe(true);
  });

  it('answers 416 for unsatisfiable ranges', async () => {
    for (const header of [`bytes=${size}-`, `bytes=${size + 5}-${size + 10}`, 'bytes=-0']) {
      const r = await get({ range: header });
      expect(r.status, header).toBe(416);
      expect(r.headers.get('content-range')).toBe(`bytes */${size}`);
      expect(((await r.json()) as { code: string }).code).toBe('range_not_satisfiable');
    }
    // Malformed ranges are ignored: the whole file.
    expect((await get({ range: 'bytes=abc' })).status).toBe(200);
    // If-Range with another ETag: the whole file.
    expect((await get({ range: 'bytes=0-1', 'if-range': '"other"' })).status).toBe(200);
  });

  it('404s renditions that do not exist, and frames', async () => {
    const r = await get({}, 'proxy');
    expect(r.status).toBe(404);
    expect(((await r.json()) as { code: string }).code).toBe('not_found');
    for (const rendition of ['thumbnail', 'audio']) expect((await get({}, rendition)).status).toBe(404);
    expect((await call(`${t.api}/media/${id}/files/frames/1001`, w.users.artist.token)).status).toBe(404);
    expect((await get({}, 'bogus')).status).toBe(400);
    expect((await call(`${t.api}/media/${id}/files/original`, w.users.outsider.token)).status).toBe(404);
  });

  it('serves a browser-native still as its own web image, inline', async () => {
    // webImages 'needed' (the default) makes no `web` file for a JPEG: the original is the web image.
    const item = await t.montu.media.getMediaById(id);
    expect(item.files.some((f) => f.role === 'web')).toBe(false);
    const r = await get({}, 'web');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/jpeg');
    expect(r.headers.get('content-disposition')).toMatch(/^inline; filename="plate _n_code.web.jpg"/);
    expect(r.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await r.arrayBuffer()).equals(bytes)).toBe(true);
    const ranged = await get({ range: 'bytes=0-9' }, 'web');
    expect(ranged.status).toBe(206);
  });

  it('serves inline renditions and never HTML or SVG as such', async () => {
    // A rendition row added by hand (processing is not wired in this test) with a dangerous type.
    const stored = await t.montu.storage.put(
      'test/thumb.svg',
      (async function* () {
        yield Buffer.from('<svg onload="alert(1)"/>');
      })(),
    );
    await t.montu.db
      .insertInto('media_file')
      .values({
        id: 'f-thumb',
        media_id: id,
        role: 'thumbnail',
        frame: null,
        backend: t.montu.storage.name,
        storage_key: 'test/thumb.svg',
        size: stored.size,
        sha256: stored.sha256,
        content_type: 'image/svg+xml',
        state: 'ready',
        error: null,
        created_at: new Date().toISOString(),
      })
      .execute();
    const r = await get({}, 'thumbnail');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/octet-stream');
    expect(r.headers.get('content-disposition')).toMatch(/^inline;/);
    expect(await r.text()).toContain('<svg');
  });
});
