import { afterAll, describe, expect, it } from 'vitest';
import { MediaProber } from '../../src/processing/tools/probe.js';
import type { MediaMetadata } from '../../src/processing/tools/metadata.js';
import { normaliseRational } from '@montu/domain';
import { corpusPath, HAVE_CORPUS, loadManifest, type ManifestEntry } from './corpus.js';
import { TOOLS } from './helpers.js';

/**
 * Every non-broken corpus file, compared field by field with the manifest's oracle values.
 * Where the oracles disagree (corpus README), the manifest's choice is followed: oiiotool for
 * images (EXR width/height = data window), ffprobe for video and audio.
 */
const files = loadManifest().filter((f) => f.kind !== 'broken');
const prober = new MediaProber({ tools: TOOLS, maxProcs: 2 });
afterAll(() => prober.close());

/** Channel counts where Montu reports what the file stores and oiiotool what it expands to. */
const CHANNEL_EXCEPTIONS: Record<string, string> = {
  'pil_sample_cmyk.jpg': 'CMYK: sharp reports 4 stored channels, oiiotool converts to RGB',
  'tiff_strip_cmyk_jpeg.tif': 'CMYK JPEG-in-TIFF, as above',
};

function base(e: ManifestEntry): string {
  return e.path.split('/').pop()!;
}

async function probeEntry(e: ManifestEntry): Promise<MediaMetadata> {
  return prober.probe(corpusPath(e), { name: base(e) });
}

describe.skipIf(!HAVE_CORPUS)('probe: corpus images against oiiotool/exiftool', () => {
  const images = files.filter((f) => f.kind === 'image');
  it.each(images.map((e) => [base(e), e] as const))('%s', async (_n, e) => {
    const x = e.expected;
    const m = await probeEntry(e);
    expect(m.mediaType).toBe('image');
    expect(m.width).toBe(x['width']);
    expect(m.height).toBe(x['height']);
    if (typeof x['channels'] === 'number' && !CHANNEL_EXCEPTIONS[base(e)])
      expect(m.channels).toBe(x['channels']);
    if (m.format === 'exr') {
      if (x['subimages'] !== undefined) expect(m.subimages).toBe(x['subimages']);
      if (x['compression'] !== undefined) expect(m.compression).toBe(x['compression']);
      if (typeof x['channel_names'] === 'string') {
        // oiiotool lists channels in its own order and adds "(type)" when types are mixed.
        // The manifest truncates long lists (trailing comma): then check the listed ones are present.
        const want = x['channel_names']
          .split(',')
          .map((c) => c.trim().replace(/ \(.*\)$/, ''))
          .filter(Boolean)
          .sort();
        if (x['channel_names'].trim().endsWith(','))
          expect(m.channelNames).toEqual(expect.arrayContaining(want));
        else expect([...(m.channelNames ?? [])].sort()).toEqual(want);
      }
      if (x['display_window_size'])
        expect(`${m.displayWindow?.width} x ${m.displayWindow?.height}`).toBe(x['display_window_size']);
      if (typeof x['pixel_type'] === 'string')
        expect(m.pixelType).toBe(x['pixel_type'].replace(/^deep /, ''));
      expect(m.linear).toBe(true);
    }
    if (m.format === 'dpx' || m.format === 'tga' || m.format === 'bmp')
      expect(m.pixelFormat).toBe((x['ffmpeg'] as Record<string, unknown>)['pix_fmt']);
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });
});

describe.skipIf(!HAVE_CORPUS)('probe: corpus video against ffprobe', () => {
  const videos = files.filter((f) => f.kind === 'video');
  it.each(videos.map((e) => [base(e), e] as const))('%s', async (_n, e) => {
    const x = e.expected;
    const m = await probeEntry(e);
    expect(m.container).toBe(x['container']);
    if (typeof x['duration_s'] === 'number')
      expect(Math.abs(m.duration! - x['duration_s'])).toBeLessThanOrEqual(0.0011);
    const v = x.video;
    if (v) {
      expect(m.mediaType).toBe('video');
      expect(m.videoCodec).toBe(v['codec']);
      expect(m.width).toBe(v['width']);
      expect(m.height).toBe(v['height']);
      expect(m.fps).toBe(normaliseRational(v['fps'] as string));
      expect(m.baseFps).toBe(normaliseRational(v['r_frame_rate'] as string));
      expect(m.pixelFormat).toBe(v['pix_fmt']);
      expect(m.videoProfile ?? null).toBe(v['profile'] ?? null);
      if (String(v['frame_count_source']).startsWith('container'))
        expect(m.frameCount).toBe(v['frame_count']);
      else expect(m.frameCountSource).toBe('estimated'); // duration × fps; the oracle decoded every frame
      const rot = typeof v['rotation'] === 'number' ? ((-v['rotation'] % 360) + 360) % 360 : 0;
      expect(m.rotation).toBe(rot);
    } else {
      expect(m.mediaType).toBe('audio');
    }
    if (x['timecode']) expect(m.timecode).toBe(x['timecode']);
    const a = x.audio;
    if (a) {
      expect(m.audio?.codec).toBe(a['codec']);
      expect(m.audio?.channels).toBe(a['channels']);
      expect(m.audio?.sampleRate).toBe(a['sample_rate']);
    }
  });
});

describe.skipIf(!HAVE_CORPUS)('probe: corpus audio against ffprobe', () => {
  const audio = files.filter((f) => f.kind === 'audio');
  it.each(audio.map((e) => [base(e), e] as const))('%s', async (_n, e) => {
    const x = e.expected;
    const m = await probeEntry(e);
    expect(m.mediaType).toBe('audio');
    expect(m.container).toBe(x['container']);
    expect(m.audio?.codec).toBe(x['codec']);
    expect(m.audio?.channels).toBe(x['channels']);
    expect(m.audio?.sampleRate).toBe(x['sample_rate']);
    expect(m.audio?.bitDepth ?? null).toBe(x['bit_depth'] ?? null);
    if (typeof x['duration_s'] === 'number')
      expect(Math.abs(m.duration! - x['duration_s'])).toBeLessThanOrEqual(0.0011);
    else expect(m.duration).toBeNull();
  });
});
