import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcessingError } from '@montu/domain';
import { MediaProber } from '../../src/processing/tools/probe.js';
import { displaySize } from '../../src/processing/tools/still.js';
import { createThumbnail } from '../../src/processing/tools/thumbnail.js';
import { corpusPath, HAVE_CORPUS, loadManifest } from './corpus.js';
import { TOOLS } from './helpers.js';

/**
 * Corpus files that no decoder available to Montu can turn into pixels (without oiiotool): the
 * thumbnail step must fail with a ProcessingError for them, and succeed for every other file.
 */
const UNDECODABLE: Record<string, string> = {
  'caspian.tif': '64-bit float TIFF: libvips and ffmpeg both refuse it',
  'comp_dwab_v1.exr': 'DWAB: ffmpeg 5.1 decode_block() fails',
  'Trunks.exr': 'deep EXR',
  'v1.7.test.tiled.exr': 'mixed half/float channels',
  'WideFloatRange.exr': 'single-channel float EXR',
  'Rec709_YC.exr': 'subsampled luminance/chroma EXR',
};

/** Files whose picture (or sound) really is uniform: checked by hand with ffmpeg signalstats/volumedetect. */
const UNIFORM = new Set([
  'ExifTool.jpg', // 8×8 white
  'mode_16bit.png', // one colour
  'multipage.tiff', // first page is one colour
  'old-rle.hdr', // old-style RLE: libvips decodes it black (oiiotool cannot read its pixels either)
  'test-4867.flv', // black frames (Y=16 throughout)
  'dovi-p81.mp4', // flat frame at 1 s
  'issue55.flv',
  'aac_he_v2.aac',
  'full.alac.m4a',
  'full.m4a',
  'full.ogg',
  'image.mp3', // digital silence (≤ −80 dBFS)
  // Display window beside the data window: all black, as OpenEXR defines it and oiiotool shows it
  // (t13/t14 share one corner pixel with the data). Decision 075.
  't09.exr',
  't10.exr',
  't11.exr',
  't12.exr',
]);

const files = loadManifest().filter((f) => f.kind !== 'broken');
const prober = new MediaProber({ tools: TOOLS });
afterAll(() => prober.close());

describe.skipIf(!HAVE_CORPUS)('thumbnails of every corpus file', () => {
  it.concurrent.each(files.map((e) => [e.path.split('/').pop()!, e] as const))('%s', async (name, e) => {
    const meta = await prober.probe(corpusPath(e), { name });
    const run = createThumbnail(corpusPath(e), meta, { tools: TOOLS, size: 128 });
    if (UNDECODABLE[name]) {
      await expect(run).rejects.toBeInstanceOf(ProcessingError);
      return;
    }
    const t = await run;
    expect(t.mimeType).toBe('image/jpeg');
    const info = await sharp(t.data).metadata();
    expect(info.format).toBe('jpeg');
    expect(info.width).toBe(t.width);
    if (meta.mediaType === 'audio') {
      expect([t.width, t.height]).toEqual([128, 64]);
    } else {
      const d = displaySize(meta);
      const long = Math.max(d.width, d.height);
      expect(Math.max(t.width, t.height)).toBe(Math.min(128, long));
      // Aspect kept (within rounding).
      expect(Math.abs(t.width / t.height - d.width / d.height)).toBeLessThan(
        0.05 * Math.max(1, d.width / d.height) + 2 / Math.min(t.width, t.height),
      );
    }
    if (Math.min(t.width, t.height) >= 8 && !UNIFORM.has(name)) {
      const stats = await sharp(t.data).stats();
      // Not blank: some variation in at least one channel.
      expect(Math.max(...stats.channels.map((c) => c.stdev))).toBeGreaterThan(0.1);
    }
  });
});
