/**
 * The built-in display transform (no `$OCIO`) against oiiotool as the reference (decision 075):
 * float TIFF (32-bit and half) and Radiance HDR must go through linear → sRGB like EXR, grey-only
 * EXRs must render grey, and an EXR shows its display window with the data window placed in it.
 * Thumbnails and web images share one renderer; both are checked.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaMetadata } from '../../src/processing/tools/metadata.js';
import { MediaProber } from '../../src/processing/tools/probe.js';
import { createWebImage } from '../../src/processing/tools/proxy.js';
import type { RenderedImage } from '../../src/processing/tools/still.js';
import { createThumbnail } from '../../src/processing/tools/thumbnail.js';
import { CORPUS_DIR, HAVE_CORPUS } from './corpus.js';
import { constantExrArgs, exec, tmpDir, TOOLS } from './helpers.js';

const OIIOTOOL = TOOLS.find('oiiotool');
/** sRGB code value of scene-linear 0.18 (oiiotool's `--colorconvert linear sRGB` gives the same). */
const GREY = 118;

interface Pixels {
  data: Buffer;
  width: number;
  height: number;
  at(x: number, y: number): [number, number, number];
}

async function pixels(input: Buffer | string): Promise<Pixels> {
  const { data, info } = await sharp(input).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return {
    data,
    width: info.width,
    height: info.height,
    at: (x, y) => {
      const i = (y * info.width + x) * 3;
      return [data[i]!, data[i + 1]!, data[i + 2]!];
    },
  };
}

/**
 * oiiotool's rendering of a linear file: its display window at (0,0), black outside the data
 * window, linear → sRGB. A grey-only file's one channel is shown in R, G and B.
 */
async function oiioReference(file: string, dir: string, grey = false): Promise<Pixels> {
  const out = path.join(dir, `ref-${path.basename(file)}.png`);
  await exec(OIIOTOOL!, [
    file,
    '--ch',
    grey ? 'R=Y,G=Y,B=Y' : 'R,G,B',
    '--croptofull',
    '--origin',
    '+0+0',
    '--fullpixels',
    '--colorconvert',
    'linear',
    'sRGB',
    '-d',
    'uint8',
    '-o',
    out,
  ]);
  return pixels(out);
}

/** Every pixel of a flat picture within `tol` of `rgb`. */
function expectFlat(p: Pixels, rgb: readonly number[], tol: number): void {
  let worst = 0;
  for (let i = 0; i < p.data.length; i++) worst = Math.max(worst, Math.abs(p.data[i]! - rgb[i % 3]!));
  expect(worst, `worst difference from ${rgb.join(',')}`).toBeLessThanOrEqual(tol);
}

/** A half-float RGB TIFF, written by hand: oiiotool 2.4 and ffmpeg write float TIFFs as 32-bit only. */
async function writeHalfTiff(file: string, w: number, h: number, value: number): Promise<void> {
  const half = toHalf(value);
  const pixelsBytes = Buffer.alloc(w * h * 3 * 2);
  for (let i = 0; i < w * h * 3; i++) pixelsBytes.writeUInt16LE(half, i * 2);
  // tag, type (3 SHORT, 4 LONG), count, value; 258 and 339 point at their three values.
  const tags: [number, number, number, number][] = [
    [256, 3, 1, w],
    [257, 3, 1, h],
    [258, 3, 3, 0],
    [259, 3, 1, 1], // no compression
    [262, 3, 1, 2], // RGB
    [273, 4, 1, 0],
    [277, 3, 1, 3],
    [278, 3, 1, h],
    [279, 4, 1, pixelsBytes.length],
    [284, 3, 1, 1], // interleaved
    [339, 3, 3, 0], // SampleFormat: IEEE float
  ];
  const ifdSize = 2 + tags.length * 12 + 4;
  const bitsAt = 8 + ifdSize;
  const formatAt = bitsAt + 6;
  const dataAt = formatAt + 6;
  const head = Buffer.alloc(dataAt);
  head.write('II*\0', 0, 'latin1');
  head.writeUInt32LE(8, 4);
  head.writeUInt16LE(tags.length, 8);
  tags.forEach(([tag, type, count, value], i) => {
    const at = 10 + i * 12;
    const v = tag === 258 ? bitsAt : tag === 339 ? formatAt : tag === 273 ? dataAt : value;
    head.writeUInt16LE(tag, at);
    head.writeUInt16LE(type, at + 2);
    head.writeUInt32LE(count, at + 4);
    if (type === 3 && count === 1) head.writeUInt16LE(v, at + 8);
    else head.writeUInt32LE(v, at + 8);
  });
  for (let i = 0; i < 3; i++) {
    head.writeUInt16LE(16, bitsAt + i * 2);
    head.writeUInt16LE(3, formatAt + i * 2);
  }
  await fsp.writeFile(file, Buffer.concat([head, pixelsBytes]));
}

/** IEEE half bits of a normal positive number (all this test needs). */
function toHalf(v: number): number {
  const f = new DataView(new ArrayBuffer(4));
  f.setFloat32(0, v);
  const bits = f.getUint32(0);
  const exp = ((bits >>> 23) & 0xff) - 127 + 15;
  return (exp << 10) | Math.round((bits & 0x7fffff) / (1 << 13));
}

let dir: string;
const prober = new MediaProber({ tools: TOOLS });

beforeAll(async () => {
  dir = await tmpDir('montu-display-transform-test-');
});
afterAll(async () => {
  await prober.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

async function renditions(
  file: string,
): Promise<{ meta: MediaMetadata; thumb: RenderedImage; web: RenderedImage }> {
  const meta = await prober.probe(file);
  const [thumb, web] = await Promise.all([
    createThumbnail(file, meta, { tools: TOOLS, size: 32, quality: 95 }),
    createWebImage(file, meta, { tools: TOOLS, quality: 95 }),
  ]);
  return { meta, thumb, web };
}

async function oiio(args: string[]): Promise<void> {
  await exec(OIIOTOOL!, args);
}

describe.skipIf(!OIIOTOOL)('float TIFF and Radiance HDR: linear → sRGB like EXR', () => {
  const cases: [string, (file: string) => Promise<void>][] = [
    [
      'float32.tif',
      (f) => oiio(['--pattern', 'constant:color=0.18,0.18,0.18', '64x48', '3', '-d', 'float', '-o', f]),
    ],
    ['half.tif', (f) => writeHalfTiff(f, 64, 48, 0.18)],
    [
      'grey-float32.tif',
      (f) => oiio(['--pattern', 'constant:color=0.18', '64x48', '1', '-d', 'float', '-o', f]),
    ],
    ['grey.hdr', (f) => oiio(['--pattern', 'constant:color=0.18,0.18,0.18', '64x48', '3', '-o', f])],
  ];
  for (const [name, write] of cases) {
    it(`${name}: 0.18 renders ${GREY} in the thumbnail and the web image, as oiiotool does`, async () => {
      const file = path.join(dir, name);
      await write(file);
      const ref = await oiioReference(file, dir, name.startsWith('grey-'));
      expect(ref.at(10, 10)[0]).toBeGreaterThanOrEqual(GREY - 1);
      expect(ref.at(10, 10)[0]).toBeLessThanOrEqual(GREY + 1);
      const { meta, thumb, web } = await renditions(file);
      expect(meta.linear).toBe(true);
      expect([thumb.transform, web.transform]).toEqual(['srgb', 'srgb']);
      expect([web.width, web.height]).toEqual([64, 48]);
      expect([thumb.width, thumb.height]).toEqual([32, 24]);
      expectFlat(await pixels(thumb.data), ref.at(10, 10), 3);
      expectFlat(await pixels(web.data), ref.at(10, 10), 3);
    });
  }

  it('values above 1 still clip to white and the filmic curve still applies', async () => {
    const file = path.join(dir, 'bright.tif');
    await oiio(['--pattern', 'constant:color=4,4,4', '16x16', '3', '-d', 'float', '-o', file]);
    const meta = await prober.probe(file);
    const plain = await createThumbnail(file, meta, { tools: TOOLS, quality: 95 });
    const filmic = await createThumbnail(file, meta, { tools: TOOLS, quality: 95, toneMap: 'filmic' });
    expectFlat(await pixels(plain.data), [255, 255, 255], 1);
    // Narkowicz ACES fit of 4 × 0.6 = 0.925 → sRGB 0.966 → 246.
    expectFlat(await pixels(filmic.data), [246, 246, 246], 3);
    expect(filmic.transform).toBe('filmic');
  });
});

describe.skipIf(!OIIOTOOL)('grey-only EXRs render grey, not green', () => {
  it('a single Y channel: R = G = B = 118, as oiiotool shows it', async () => {
    const file = path.join(dir, 'y.exr');
    await oiio(constantExrArgs([0.18], ['Y'], file));
    const ref = await oiioReference(file, dir, true);
    const { meta, thumb, web } = await renditions(file);
    expect(meta.channelNames).toEqual(['Y']);
    expectFlat(await pixels(thumb.data), ref.at(5, 5), 2);
    expectFlat(await pixels(web.data), ref.at(5, 5), 2);
    expect(ref.at(5, 5)[1]).toBeGreaterThanOrEqual(GREY - 1);
  });

  it('Y with alpha renders grey too', async () => {
    const file = path.join(dir, 'ya.exr');
    await oiio(constantExrArgs([0.18, 1], ['Y', 'A'], file));
    const { thumb, web } = await renditions(file);
    expectFlat(await pixels(thumb.data), [GREY, GREY, GREY], 2);
    expectFlat(await pixels(web.data), [GREY, GREY, GREY], 2);
  });

  for (const name of ['Garden.exr', 'Fog.exr']) {
    it.skipIf(!HAVE_CORPUS)(`corpus ${name}: every pixel grey, brightness as oiiotool's`, async () => {
      const file = path.join(CORPUS_DIR, 'media/image', name);
      const { thumb } = await renditions(file);
      const p = await pixels(thumb.data);
      let worstChroma = 0;
      let sum = 0;
      for (let i = 0; i < p.data.length; i += 3) {
        const [r, g, b] = [p.data[i]!, p.data[i + 1]!, p.data[i + 2]!];
        worstChroma = Math.max(worstChroma, Math.abs(r - g), Math.abs(g - b), Math.abs(r - b));
        sum += g;
      }
      expect(worstChroma).toBeLessThanOrEqual(2);
      // Same mean brightness as oiiotool's rendering resized to the thumbnail (resampling differs).
      const ref = await oiioReference(file, dir, true);
      const refSmall = await pixels(
        await sharp(ref.data, { raw: { width: ref.width, height: ref.height, channels: 3 } })
          .resize(p.width, p.height, { fit: 'fill' })
          .png()
          .toBuffer(),
      );
      let refSum = 0;
      for (let i = 1; i < refSmall.data.length; i += 3) refSum += refSmall.data[i]!;
      const n = p.data.length / 3;
      expect(Math.abs(sum / n - refSum / n)).toBeLessThan(6);
    });
  }
});

describe.skipIf(!OIIOTOOL)('EXR display window: the picture, with the data window placed in it', () => {
  /** Checks listed pixels (x, y, expected grey level) of the web image against oiiotool and the value. */
  async function check(
    file: string,
    size: [number, number],
    points: [number, number, number][],
  ): Promise<{ thumb: RenderedImage; web: RenderedImage }> {
    const ref = await oiioReference(file, dir);
    const { thumb, web } = await renditions(file);
    expect([web.width, web.height]).toEqual(size);
    const p = await pixels(web.data);
    for (const [x, y, v] of points) {
      expect(ref.at(x, y)[0], `oiiotool at ${x},${y}`).toBe(v);
      for (const c of p.at(x, y)) expect(Math.abs(c - v), `web image at ${x},${y}`).toBeLessThanOrEqual(3);
    }
    return { thumb, web };
  }

  it('data inside a larger display window at (0,0): black around it', async () => {
    const file = path.join(dir, 'inside.exr');
    await oiio([
      ...['--pattern', 'constant:color=0.18,0.18,0.18', '32x32', '3'],
      ...['--origin', '+16+16', '--fullsize', '128x128+0+0', '-d', 'half', '-o', file],
    ]);
    const { thumb } = await check(
      file,
      [128, 128],
      [
        [4, 4, 0],
        [31, 31, GREY],
        [40, 20, GREY],
        [60, 60, 0],
        [100, 30, 0],
      ],
    );
    expect([thumb.width, thumb.height]).toEqual([32, 32]);
    const t = await pixels(thumb.data);
    // Thumbnail scale 1/4: the data covers 4..12.
    expect(t.at(8, 8)[1]).toBeGreaterThanOrEqual(GREY - 3);
    expect(t.at(20, 20)[1]).toBeLessThanOrEqual(3);
  });

  it('display window right of and below (0,0): shifted, and the data past its old size kept', async () => {
    // Data 0..95 grey with a white square at 64..95; display window 48..111. ffmpeg alone made a
    // 64 × 64 frame of absolute 0..63, which holds none of the white square.
    const file = path.join(dir, 'positive.exr');
    await oiio([
      ...['--pattern', 'constant:color=0.18,0.18,0.18', '96x96', '3', '--fill:color=1,1,1', '32x32+64+64'],
      ...['--fullsize', '64x64+48+48', '-d', 'half', '-o', file],
    ]);
    await check(
      file,
      [64, 64],
      [
        [4, 4, GREY], // absolute 52,52
        [30, 30, 255], // 78,78: the white square
        [30, 4, GREY], // 78,52
        [56, 30, 0], // 104,78: right of the data
        [30, 56, 0], // below it
      ],
    );
  });

  it('display window left of and above (0,0): the data shifted right and down', async () => {
    const file = path.join(dir, 'negative.exr');
    await oiio([
      ...['--pattern', 'constant:color=0.18,0.18,0.18', '32x32', '3'],
      ...['--fullsize', '64x64-32-32', '-d', 'half', '-o', file],
    ]);
    await check(
      file,
      [64, 64],
      [
        [8, 8, 0],
        [40, 8, 0],
        [8, 40, 0],
        [40, 40, GREY],
        [60, 60, GREY],
      ],
    );
  });

  it.skipIf(!HAVE_CORPUS)(
    'corpus t09–t14 (display window beside the data) are black, at the display size',
    async () => {
      for (const [name, size] of [
        ['t09.exr', [200, 300]],
        ['t10.exr', [100, 300]],
        ['t11.exr', [400, 200]],
        ['t12.exr', [400, 100]],
        ['t13.exr', [101, 101]],
        ['t14.exr', [101, 101]],
      ] as const) {
        const file = path.join(CORPUS_DIR, 'media/image', name);
        const ref = await oiioReference(file, dir);
        const { web } = await renditions(file);
        expect([web.width, web.height], name).toEqual(size);
        const p = await pixels(web.data);
        // t13/t14 share one corner pixel with the data (t13: its top-left, t14: its bottom-right).
        let off = 0;
        for (let i = 0; i < p.data.length; i++) if (Math.abs(p.data[i]! - ref.data[i]!) > 24) off++;
        expect(off, name).toBeLessThanOrEqual(12);
      }
    },
  );
});
