import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pixelFormats } from '../../src/processing/tools/ffprobe.js';
import {
  bmpLayout,
  DPX_HEADER_BYTES,
  dpxLayout,
  HEADER_PIX_FMTS,
  readHeader,
  tgaLayout,
} from '../../src/processing/tools/image-header.js';
import { MediaProber } from '../../src/processing/tools/probe.js';
import { corpusPath, HAVE_CORPUS, loadManifest } from './corpus.js';
import { ffmpeg, ffprobeJson, tmpDir, TOOLS } from './helpers.js';

/**
 * TGA/BMP pixel layout read from the header instead of running ffprobe: it must say exactly what
 * ffprobe says, for every pixel format ffmpeg's own encoders write and for the corpus files;
 * headers it does not answer for fall back to ffprobe.
 */
let dir: string;
const prober = new MediaProber({ tools: TOOLS });
beforeAll(async () => {
  dir = await tmpDir();
});
afterAll(async () => {
  await prober.close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function layoutOf(file: string) {
  const size = (await fs.stat(file)).size;
  if (file.toLowerCase().endsWith('.dpx')) return dpxLayout(await readHeader(file, DPX_HEADER_BYTES), size);
  const head = await readHeader(file);
  return file.toLowerCase().endsWith('.bmp') ? bmpLayout(head, size) : tgaLayout(head, size);
}

async function expectLikeFfprobe(file: string, mustAnswer: boolean) {
  const fp = await ffprobeJson(file);
  const v = fp.streams.find((s) => s.codec_type === 'video')!;
  const layout = await layoutOf(file);
  if (mustAnswer) expect(layout, 'header layout').not.toBeNull();
  if (layout)
    expect([layout.width, layout.height, layout.pixFmt]).toEqual([v['width'], v['height'], v['pix_fmt']]);
  const m = await prober.probe(file);
  expect([m.width, m.height, m.pixelFormat]).toEqual([v['width'], v['height'], v['pix_fmt']]);
  const sar = /^(\d+):(\d+)$/.exec(String(v['sample_aspect_ratio'] ?? ''));
  expect(m.pixelAspect).toBe(sar && Number(sar[1]) > 0 ? Number(sar[1]) / Number(sar[2]) : 1);
  expect(m.sources).toContain(layout ? 'sniff' : 'ffprobe');
  expect(m.container).toBe(fp.format['format_name']);
}

const BMP_FORMATS = [
  'bgra',
  'bgr24',
  'rgb565le',
  'rgb555le',
  'rgb444le',
  'rgb8',
  'bgr8',
  'rgb4_byte',
  'bgr4_byte',
  'gray',
  'pal8',
  'monob',
];
const TGA_FORMATS = ['bgr24', 'bgra', 'rgb555le', 'gray', 'pal8'];

describe('TGA/BMP header layout agrees with ffprobe', () => {
  it('knows ffmpeg’s facts for every pixel format it returns', async () => {
    const table = await pixelFormats(TOOLS);
    for (const [name, info] of Object.entries(HEADER_PIX_FMTS)) expect(info, name).toEqual(table.get(name));
  });

  it.each(BMP_FORMATS)('BMP written as %s', async (pixFmt) => {
    const file = path.join(dir, `bmp-${pixFmt}.bmp`);
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=67x33', '-frames:v', '1', '-pix_fmt', pixFmt, file]);
    // ffmpeg writes bgra as 32-bit BI_RGB: answered by ffprobe (see below).
    await expectLikeFfprobe(file, pixFmt !== 'bgra');
  });

  it.each(
    TGA_FORMATS.flatMap(
      (f) =>
        [
          [f, 0],
          [f, 1],
        ] as const,
    ),
  )('TGA written as %s, rle %i', async (pixFmt, rle) => {
    const file = path.join(dir, `tga-${pixFmt}-${rle}.tga`);
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=67x33',
      '-frames:v',
      '1',
      '-pix_fmt',
      pixFmt,
      '-rle',
      String(rle),
      file,
    ]);
    await expectLikeFfprobe(file, true);
  });

  it('leaves 32-bit BI_RGB BMP (pix_fmt depends on the alpha bytes) to ffprobe', async () => {
    for (const alpha of [0, 255]) {
      const w = 5;
      const h = 3;
      const head = Buffer.alloc(54);
      head.write('BM', 0, 'latin1');
      head.writeUInt32LE(54 + w * h * 4, 2);
      head.writeUInt32LE(54, 10);
      head.writeUInt32LE(40, 14);
      head.writeInt32LE(w, 18);
      head.writeInt32LE(h, 22);
      head.writeUInt16LE(1, 26);
      head.writeUInt16LE(32, 28);
      const pixels = Buffer.alloc(w * h * 4, 0x40);
      for (let i = 3; i < pixels.length; i += 4) pixels[i] = alpha;
      const file = path.join(dir, `rgb32-alpha${alpha}.bmp`);
      await fs.writeFile(file, Buffer.concat([head, pixels]));
      expect(await layoutOf(file)).toBeNull();
      await expectLikeFfprobe(file, false);
    }
  });

  it('leaves a truncated uncompressed TGA to ffprobe', async () => {
    const full = await fs.readFile(path.join(dir, 'tga-bgr24-0.tga'));
    const file = path.join(dir, 'truncated.tga');
    await fs.writeFile(file, full.subarray(0, 200));
    expect(await layoutOf(file)).toBeNull();
  });

  const corpus = loadManifest().filter((e) => e.kind === 'image' && /\.(bmp|tga)$/i.test(e.path));
  it.skipIf(!HAVE_CORPUS).each(corpus.map((e) => [e.path.split('/').pop()!, e] as const))(
    'corpus %s',
    async (_n, e) => {
      await expectLikeFfprobe(corpusPath(e), false);
    },
  );
});

describe('DPX header layout agrees with ffprobe', () => {
  // Every pix_fmt ffmpeg's DPX encoder writes (big- and little-endian where it offers both).
  const DPX_FORMATS = [
    'gray',
    'rgb24',
    'rgba',
    'gray16le',
    'gray16be',
    'rgb48le',
    'rgb48be',
    'rgba64le',
    'rgba64be',
    'gbrp10le',
    'gbrp10be',
    'gbrp12le',
    'gbrp12be',
  ];
  it.each(DPX_FORMATS)('%s', { timeout: 60_000 }, async (pixFmt) => {
    const file = path.join(dir, `dpx-${pixFmt}.dpx`);
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=96x54', '-frames:v', '1', '-pix_fmt', pixFmt, file]);
    await expectLikeFfprobe(file, true);
  });
  it('reads the sample aspect ratio from the header', { timeout: 60_000 }, async () => {
    const file = path.join(dir, 'dpx-sar.dpx');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=96x54',
      '-frames:v',
      '1',
      '-vf',
      'setsar=4/3',
      '-pix_fmt',
      'rgb24',
      file,
    ]);
    expect((await layoutOf(file))?.sar).toEqual([4, 3]);
    await expectLikeFfprobe(file, true);
  });
  const corpus = loadManifest().filter((e) => /\.dpx$/i.test(e.path));
  it.skipIf(!HAVE_CORPUS).each(corpus.map((e) => [e.path.split('/').pop()!, e] as const))(
    'corpus %s',
    async (_n, e) => {
      if (e.kind === 'broken') {
        // A header-only DPX: ffmpeg cannot decode it, nor does the reader answer.
        expect(await layoutOf(corpusPath(e))).toBeNull();
        return;
      }
      await expectLikeFfprobe(corpusPath(e), true);
    },
  );
});
