/**
 * Web images by need (the default): a still browsers show as it is (JPEG, PNG, WebP, GIF) is its
 * own full-resolution web image — no proxy job, no `web` file; everything else gets one.
 */
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originalIsWebImage } from '../../src/processing/pipeline.js';
import { CORPUS, DATABASES, makePng, tempDir } from '../helpers/env.js';
import { openTestLibrary, type TestLibrary } from '../helpers/montu.js';

describe('originalIsWebImage', () => {
  it('is true for browser stills that are not scene-linear data', () => {
    for (const format of ['jpg', 'png', 'webp', 'gif'])
      expect(originalIsWebImage({ mediaType: 'image', format, linear: false })).toBe(true);
    for (const format of ['exr', 'tif', 'dpx', 'tga', 'bmp', 'hdr', 'psd'])
      expect(originalIsWebImage({ mediaType: 'image', format, linear: false })).toBe(false);
    expect(originalIsWebImage({ mediaType: 'image', format: 'png', linear: true })).toBe(false);
    expect(originalIsWebImage({ mediaType: 'video', format: 'gif', linear: false })).toBe(false);
  });
});

describe.each(DATABASES)('web images on %s', (kind) => {
  let lib: TestLibrary;
  let always: TestLibrary;
  beforeAll(async () => {
    lib = await openTestLibrary(kind, { jobs: { concurrency: 2 } });
    always = await openTestLibrary(kind, { jobs: { concurrency: 2 }, processing: { webImages: 'always' } });
  });
  afterAll(async () => {
    await lib.cleanup();
    await always.cleanup();
  });

  const upload = (l: TestLibrary, filePath: string, taskId: string) =>
    l.montu.media.uploadMedia({ filePath, projectId: 'WEB', taskId, author: 'ana', wait: true });

  it('gives a JPEG or PNG a thumbnail only', async () => {
    const dir = tempDir();
    const jpg = path.join(dir, 'plate.jpg');
    await sharp({ create: { width: 640, height: 360, channels: 3, background: '#336699' } })
      .jpeg()
      .toFile(jpg);
    for (const [file, task] of [
      [jpg, 'sh010_comp'],
      [await makePng(path.join(dir, 'matte.png'), 320, 180), 'sh020_comp'],
    ] as const) {
      const id = await upload(lib, file, task);
      const m = await lib.montu.media.getMediaById(id);
      expect(m.processingState).toBe('ready');
      expect(m.files.map((f) => f.role).sort()).toEqual(['original', 'thumbnail']);
      // How each file was made is recorded with it: a display-referred still needs no transform.
      const thumb = m.files.find((f) => f.role === 'thumbnail')!;
      expect(thumb.info).toMatchObject({ transform: 'none', width: 256, height: 144 });
      expect(m.files.find((f) => f.role === 'original')!.info).toBeNull();
      const jobs = await lib.montu.jobs!.list({ mediaId: id });
      expect(jobs.map((j) => [j.type, j.state, j.attempts]).sort()).toEqual([
        ['probe', 'done', 1],
        ['thumbnail', 'done', 1],
      ]);
    }
  });

  it('still makes a web image for a format browsers do not show', async () => {
    const id = await upload(lib, path.join(CORPUS, 'media/image/GammaChart.exr'), 'sh030_comp');
    const m = await lib.montu.media.getMediaById(id);
    expect(m.processingState).toBe('ready');
    expect(m.files.map((f) => f.role).sort()).toEqual(['original', 'thumbnail', 'web', 'web_float']);
    // A linear render: both pictures record the built-in display transform that made them.
    for (const role of ['thumbnail', 'web'])
      expect(m.files.find((f) => f.role === role)!.info, role).toMatchObject({ transform: 'srgb' });
    expect((await lib.montu.jobs!.list({ mediaId: id })).map((j) => j.type).sort()).toEqual([
      'probe',
      'proxy',
      'thumbnail',
    ]);
  });

  it("encodes one for every still with webImages: 'always'", async () => {
    const id = await upload(always, await makePng(path.join(tempDir(), 'a.png'), 320, 180), 'sh010_comp');
    const m = await always.montu.media.getMediaById(id);
    expect(m.processingState).toBe('ready');
    expect(m.files.map((f) => f.role).sort()).toEqual(['original', 'thumbnail', 'web']);
    expect(m.files.find((f) => f.role === 'web')!.contentType).toBe('image/jpeg');
  });
});
