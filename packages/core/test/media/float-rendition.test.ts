/**
 * The colour-managed viewer's server side (decisions 147, 148), against real tools: the half-float
 * `web_float` rendition holds the source's own values (read back by oiiotool), and a baked LUT
 * applied to those values gives what `oiiotool --ociodisplay` gives (within 1/255), for every
 * display/view of the test OCIO config and for the built-in views.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { halfToFloat, parseFloatImage, type FloatImageHeader } from '@montu/domain';
import { bakedLut, colourViews, linearToShaper } from '../../src/colour/lut.js';
import { readEnvironment } from '../../src/config/environment.js';
import { toDisplay } from '../../src/processing/tools/colour.mjs';
import { createFloatRendition, wantsFloatRendition } from '../../src/processing/tools/float-rendition.js';
import { resolveLimits } from '../../src/processing/tools/limits.js';
import type { MediaMetadata } from '../../src/processing/tools/metadata.js';
import { MediaProber } from '../../src/processing/tools/probe.js';
import { writeChartExr, writeHalfExr } from '../helpers/float-images.js';
import { CORPUS_DIR, HAVE_CORPUS } from './corpus.js';
import { exec, tmpDir, TOOLS } from './helpers.js';

const CONFIG = fileURLToPath(new URL('../fixtures/ocio/config.ocio', import.meta.url));
const OIIOTOOL = TOOLS.find('oiiotool');
const limits = resolveLimits({});
const prober = new MediaProber({ tools: TOOLS });
let dir: string;

/** Every pixel oiiotool reads from a file: the float values it prints with `--dumpdata`. */
async function oiioPixels(file: string): Promise<Map<string, number[]>> {
  const { stdout } = await exec(OIIOTOOL!, ['--dumpdata', file], { maxBuffer: 512 * 1024 * 1024 });
  const out = new Map<string, number[]>();
  for (const m of stdout.matchAll(/Pixel \((-?\d+), (-?\d+)\): ([^\n]*)/g)) {
    const paren = /\(([^)]*)\)/.exec(m[3]!);
    out.set(`${m[1]},${m[2]}`, (paren ? paren[1]! : m[3]!).trim().split(/\s+/).map(Number));
  }
  return out;
}

function decode(data: Buffer): { header: FloatImageHeader; values: Float32Array } {
  const { header, payload } = parseFloatImage(data);
  const raw = zlib.inflateSync(payload);
  const halves = new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2);
  return { header, values: Float32Array.from(halves, halfToFloat) };
}

/** Trilinear lookup of a decoded MF16 LUT (red fastest), after its shaper. */
function applyLut(lut: { header: FloatImageHeader; values: Float32Array }, rgb: number[]): number[] {
  const n = lut.header.width;
  const pos = rgb.map((v) => linearToShaper(v, lut.header.shaper) * (n - 1));
  const i0 = pos.map((p) => Math.min(Math.floor(p), n - 2));
  const f = pos.map((p, k) => p - i0[k]!);
  const out = [0, 0, 0];
  for (let corner = 0; corner < 8; corner++) {
    const d = [corner & 1, (corner >> 1) & 1, (corner >> 2) & 1];
    const w = d.reduce((acc, b, k) => acc * (b ? f[k]! : 1 - f[k]!), 1);
    const idx = ((i0[2]! + d[2]!) * n * n + (i0[1]! + d[1]!) * n + (i0[0]! + d[0]!)) * 3;
    for (let c = 0; c < 3; c++) out[c]! += w * lut.values[idx + c]!;
  }
  return out;
}

/** The 8-bit picture oiiotool renders through a display/view (optionally after an exposure factor). */
async function oiioDisplay(file: string, display: string, view: string, gain = 1): Promise<Buffer> {
  const out = path.join(dir, `ref-${Math.random().toString(36).slice(2)}.png`);
  await exec(OIIOTOOL!, [
    '--colorconfig',
    CONFIG,
    file,
    ...(gain !== 1 ? ['--mulc', String(gain)] : []),
    '--ociodisplay:from=scene_linear',
    display,
    view,
    '-d',
    'uint8',
    '-o',
    out,
  ]);
  return sharp(out).removeAlpha().raw().toBuffer();
}

let ramp: string;
let chart: string;
const rendered = new Map<string, { header: FloatImageHeader; values: Float32Array; meta: MediaMetadata }>();

async function rendition(file: string) {
  let r = rendered.get(file);
  if (!r) {
    const meta = await prober.probe(file);
    r = { ...decode((await createFloatRendition(file, meta, { tools: TOOLS, limits })).data), meta };
    rendered.set(file, r);
  }
  return r;
}

beforeAll(async () => {
  dir = await tmpDir('montu-float-test-');
  if (!OIIOTOOL) return;
  ramp = path.join(dir, 'ramp.exr');
  // 0 to 8 (three stops over 1.0), denser near black, in each channel.
  writeHalfExr(OIIOTOOL, ramp, 256, 4, (x, y) => {
    const v = 8 * (x / 255) ** 2;
    return [v, y === 1 ? v / 2 : v, y === 2 ? v / 4 : v];
  });
  chart = path.join(dir, 'chart.exr');
  writeChartExr(OIIOTOOL, chart, 8);
});
afterAll(async () => {
  await prober.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

describe.skipIf(!OIIOTOOL)('web_float rendition', () => {
  it('holds an EXR ramp and chart exactly (half sources round-trip through half)', async () => {
    for (const file of [ramp, chart]) {
      const { header, values, meta } = await rendition(file);
      expect(wantsFloatRendition(meta)).toBe(true);
      expect(header).toMatchObject({ kind: 'image', values: 'scene_linear', channels: 3 });
      const source = await oiioPixels(file);
      expect(source.size).toBe(header.width * header.height);
      for (const [xy, px] of source) {
        const [x, y] = xy.split(',').map(Number);
        const o = (y! * header.width + x!) * 3;
        // oiiotool prints ten significant digits.
        for (let c = 0; c < 3; c++) expect(values[o + c]).toBeCloseTo(px[c]!, 8);
      }
    }
  });

  it.skipIf(!HAVE_CORPUS).each([
    ['image/WideColorGamut.exr', 'scene_linear', 0],
    ['image/Garden.exr', 'scene_linear', 0], // Y only: grey in R, G and B
    ['image/dpx_nuke_10bits_rgb.dpx', 'source', 2 ** -11],
    ['image/lighthouse_rgb48.dpx', 'source', 2 ** -11],
  ] as const)('corpus %s: values equal oiiotool’s within half precision', async (name, kind, rel) => {
    const file = path.join(CORPUS_DIR, 'media', name);
    const { header, values, meta } = await rendition(file);
    expect(wantsFloatRendition(meta)).toBe(true);
    expect(header.values).toBe(kind);
    // A 64×64 crop from the middle, read by oiiotool (the source's own decoder).
    const x0 = Math.floor(header.width / 2) - 32;
    const y0 = Math.floor(header.height / 2) - 32;
    const crop = path.join(dir, `crop-${path.basename(name)}.exr`);
    const ch = name.includes('Garden') ? 'R=Y,G=Y,B=Y' : 'R,G,B';
    await exec(OIIOTOOL!, [file, '--ch', ch, '--cut', `64x64+${x0}+${y0}`, '-d', 'float', '-o', crop]);
    const source = await oiioPixels(crop);
    expect(source.size).toBe(64 * 64);
    for (const [xy, px] of source) {
      const [x, y] = xy.split(',').map(Number);
      // --cut moves the crop to (0,0).
      const o = ((y! + y0) * header.width + x! + x0) * 3;
      for (let c = 0; c < 3; c++) {
        const want = px[c]!;
        expect(Math.abs(values[o + c]! - want)).toBeLessThanOrEqual(Math.abs(want) * rel + 1e-8);
      }
    }
  });

  it.each([
    ['generated chart with alpha', ''],
    ['corpus dpx_nuke_16bits_rgba.dpx', 'image/dpx_nuke_16bits_rgba.dpx'],
  ])('keeps the alpha channel: %s', async (_label, name) => {
    if (name && !HAVE_CORPUS) return;
    const file = name ? path.join(CORPUS_DIR, 'media', name) : path.join(dir, 'chart-alpha.exr');
    // Alpha = green, so every patch has its own.
    if (!name) await exec(OIIOTOOL!, [chart, '--ch', 'R,G,B,A=G', '-d', 'half', '-o', file]);
    const { header, values } = await rendition(file);
    expect(header.channels).toBe(4);
    const ref = path.join(dir, `alpha-${path.basename(file)}.exr`);
    await exec(OIIOTOOL!, [file, '--cut', '32x32+0+0', '-d', 'float', '-o', ref]);
    const source = await oiioPixels(ref);
    expect(source.size).toBe(32 * 32);
    for (const [xy, px] of source) {
      const [x, y] = xy.split(',').map(Number);
      const o = (y! * header.width + x!) * 4;
      for (let c = 0; c < 4; c++)
        expect(Math.abs(values[o + c]! - px[c]!)).toBeLessThanOrEqual(Math.abs(px[c]!) * 2 ** -11 + 1e-8);
    }
  });

  // Decision 187: 16-bit PNG/TIFF (ffmpeg), float TIFF and Radiance HDR (vips), made by oiiotool
  // from the chart and the ramp, hold what oiiotool reads back from the very files.
  it.each([
    ['16-bit PNG', 'chart', 'png', ['-d', 'uint16'], 'source', 2 ** -11],
    ['16-bit TIFF', 'chart', 'tif', ['-d', 'uint16'], 'source', 2 ** -11],
    ['float TIFF', 'ramp', 'tif', ['-d', 'float'], 'scene_linear', 2 ** -11],
    ['half TIFF', 'chart', 'tif', ['-d', 'half'], 'scene_linear', 2 ** -11],
    // RGBE keeps 8 mantissa bits under a shared exponent; vips decodes as Radiance does (mantissa
    // + ½), OpenImageIO without the ½: up to 1/256 of the pixel's largest channel apart.
    ['Radiance HDR', 'ramp', 'hdr', [], 'scene_linear', 2 ** -7],
  ] as const)('%s: values equal oiiotool’s', async (label, from, ext, args, kind, rel) => {
    const file = path.join(dir, `${label.replaceAll(' ', '-')}.${ext}`);
    // The 16-bit files: the chart in 0–1 (code values), as an integer format holds it.
    await exec(OIIOTOOL!, [
      from === 'ramp' ? ramp : chart,
      ...(kind === 'source' ? ['--clamp:min=0:max=1'] : []),
      ...args,
      '-o',
      file,
    ]);
    const { header, values, meta } = await rendition(file);
    expect(wantsFloatRendition(meta)).toBe(true);
    const channels = 3;
    expect(header).toMatchObject({ kind: 'image', values: kind, channels });
    const source = await oiioPixels(file);
    expect(source.size).toBe(header.width * header.height);
    for (const [xy, px] of source) {
      const [x, y] = xy.split(',').map(Number);
      const o = (y! * header.width + x!) * channels;
      const scale = ext === 'hdr' ? Math.max(...px.slice(0, 3).map(Math.abs)) : 0;
      for (let c = 0; c < channels; c++) {
        const want = px[c]!;
        expect(Math.abs(values[o + c]! - want), `${label} ${xy}`).toBeLessThanOrEqual(
          Math.max(Math.abs(want), scale) * rel + 1e-7,
        );
      }
    }
  });

  it('a float TIFF with alpha is refused (libvips would unpremultiply it wrongly), not shown wrong', async () => {
    const file = path.join(dir, 'alpha.tif');
    await exec(OIIOTOOL!, [chart, '--ch', 'R,G,B,A=G', '-d', 'float', '-o', file]);
    const meta = await prober.probe(file);
    expect(wantsFloatRendition(meta)).toBe(true);
    await expect(createFloatRendition(file, meta, { tools: TOOLS, limits })).rejects.toThrow(
      /float TIFF with alpha cannot be read exactly/,
    );
  });

  it('8-bit stills get none, 16-bit PNGs one', async () => {
    const png8 = path.join(dir, 'eight.png');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
      .png()
      .toFile(png8);
    expect(wantsFloatRendition(await prober.probe(png8))).toBe(false);
    const png16 = path.join(dir, 'sixteen.png');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
      .toColourspace('rgb16')
      .png()
      .toFile(png16);
    const meta16 = await prober.probe(png16);
    expect(meta16.bitDepth).toBe(16);
    expect(wantsFloatRendition(meta16)).toBe(true);
    expect(wantsFloatRendition({ mediaType: 'video', format: 'mov', linear: false, bitDepth: 10 })).toBe(
      false,
    );
    expect(wantsFloatRendition({ mediaType: 'image', format: 'png', linear: false, bitDepth: 8 })).toBe(
      false,
    );
    expect(wantsFloatRendition({ mediaType: 'image', format: 'png', linear: false, bitDepth: 16 })).toBe(
      true,
    );
  });
});

describe.skipIf(!OIIOTOOL)('baked LUTs', () => {
  const ocio = readEnvironment({ OCIO: CONFIG }).ocio;

  it('lists the OCIO config’s displays and views, and the thumbnails’ default', async () => {
    const views = await colourViews({ tools: TOOLS, ocio });
    expect(views.transform).toBe('ocio');
    expect(views.config).toBe('config.ocio');
    expect(views.displays.map((d) => [d.name, d.views.map((v) => v.name)])).toEqual([
      ['sRGB', ['Standard', 'Quarter Power']],
      ['Raw', ['Linear']],
    ]);
    expect(views.default).toEqual({ display: 'sRGB', view: 'Standard' });
    const picked = await colourViews({
      tools: TOOLS,
      ocio: readEnvironment({ OCIO: CONFIG, MONTU_OCIO_VIEW: 'Quarter Power' }).ocio,
    });
    expect(picked.default).toEqual({ display: 'sRGB', view: 'Quarter Power' });
  });

  // Quarter Power is a 33-entry 1D LUT whose first segment is the steepest: its kink at 1/32 sits
  // on a lattice entry (decision 216; between entries it cost 2/255).
  it.each([
    ['sRGB', 'Standard', 1],
    ['sRGB', 'Quarter Power', 1],
    ['Raw', 'Linear', 1],
  ])(
    '%s / %s: LUT(rendition) equals oiiotool --ociodisplay within %i/255, at exposure 0 and +1',
    async (display, view, tolerance) => {
      const cacheDir = path.join(dir, 'luts');
      const { data, header } = await bakedLut({ tools: TOOLS, ocio, cacheDir }, { display, view });
      expect(header).toMatchObject({ kind: 'lut3d', width: 65, transform: 'ocio', display, view });
      const lut = decode(data);
      // Cached: the same bytes from disk, one file per display/view.
      expect((await bakedLut({ tools: TOOLS, ocio, cacheDir }, { display, view })).data.equals(data)).toBe(
        true,
      );
      for (const file of [ramp, chart]) {
        const { values } = await rendition(file);
        for (const gain of [1, 2]) {
          const ref = await oiioDisplay(file, display, view, gain);
          let worst = 0;
          for (let i = 0; i < ref.length; i += 3) {
            const px = [values[i]! * gain, values[i + 1]! * gain, values[i + 2]! * gain];
            const got = applyLut(lut, px).map((v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
            for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(got[c]! - ref[i + c]!));
          }
          expect(worst, `${path.basename(file)} ×${gain}`).toBeLessThanOrEqual(tolerance);
        }
      }
    },
  );

  it('exposure +1 doubles the linear value the rendition carries', async () => {
    const { values } = await rendition(chart);
    const source = await oiioPixels(chart);
    const grey = source.get('8,24')!; // patch 20 (0.59 grey)
    const o = (24 * 48 + 8) * 3;
    expect([values[o]! * 2, values[o + 1]! * 2, values[o + 2]! * 2]).toEqual(
      grey.slice(0, 3).map((v) => v * 2),
    );
  });

  it('an unknown display or view is refused, naming the choices', async () => {
    await expect(bakedLut({ tools: TOOLS, ocio }, { display: 'P3' })).rejects.toThrow(
      /"P3" is not a display.*"sRGB", "Raw"/,
    );
    await expect(bakedLut({ tools: TOOLS, ocio }, { display: 'Raw', view: 'Standard' })).rejects.toThrow(
      /not a view of display "Raw"; its views are "Linear"/,
    );
  });
});

describe('built-in views (no $OCIO)', () => {
  it.each([
    ['Standard', 'srgb'],
    ['Filmic', 'filmic'],
  ] as const)('%s: the LUT equals the thumbnails’ own transform within 1/255', async (view, toneMap) => {
    const views = await colourViews({ tools: TOOLS, toneMap });
    expect(views.transform).toBe('builtin');
    expect(views.default).toEqual({ display: 'sRGB', view: toneMap === 'filmic' ? 'Filmic' : 'Standard' });
    const { data, header } = await bakedLut(
      { tools: TOOLS, toneMap, cacheDir: path.join(dir, 'luts') },
      { view },
    );
    expect(header.transform).toBe(toneMap);
    const lut = decode(data);
    for (let i = 0; i <= 400; i++) {
      const v = 8 * (i / 400) ** 2;
      for (const rgb of [
        [v, v, v],
        [v, v / 2, v / 7],
      ]) {
        const got = applyLut(lut, rgb);
        rgb.forEach((x, c) => expect(Math.abs(got[c]! - toDisplay(x, toneMap)) * 255).toBeLessThanOrEqual(1));
      }
    }
  });
});
