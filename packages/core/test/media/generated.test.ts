import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessingError } from '@montu/domain';
import { MediaProber } from '../../src/processing/tools/probe.js';
import { normaliseRational } from '@montu/domain';
import { createThumbnail } from '../../src/processing/tools/thumbnail.js';
import { runTool } from '../../src/processing/tools/tools.js';
import { ffmpeg, ffprobeJson, tmpDir, TOOLS, writeFlatExr } from './helpers.js';

/** Media generated here with ffmpeg, probed by Montu and compared with ffprobe on the same file. */
let dir: string;
const prober = new MediaProber({ tools: TOOLS });
beforeAll(async () => {
  dir = await tmpDir();
});
afterAll(async () => {
  await prober.close();
  await fs.rm(dir, { recursive: true, force: true });
});

// Deterministic "random" sizes so failures reproduce.
let seed = 12345;
const rand = (lo: number, hi: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return lo + (seed % (hi - lo + 1));
};
const even = (x: number) => x - (x % 2);

interface VideoCase {
  name: string;
  fps: string;
  vcodec: string[];
  ext: string;
  layout: string | null;
  acodec: string[];
  evenSize?: boolean;
}

const VIDEO: VideoCase[] = [
  {
    name: 'h264-23976',
    fps: '24000/1001',
    vcodec: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
    ext: 'mp4',
    layout: 'stereo',
    acodec: ['-c:a', 'aac'],
    evenSize: true,
  },
  {
    name: 'h264-2997-51',
    fps: '30000/1001',
    vcodec: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv444p'],
    ext: 'mov',
    layout: '5.1',
    acodec: ['-c:a', 'aac'],
  },
  {
    name: 'hevc-25',
    fps: '25/1',
    vcodec: [
      '-c:v',
      'libx265',
      '-preset',
      'ultrafast',
      '-x265-params',
      'log-level=error',
      '-pix_fmt',
      'yuv420p',
    ],
    ext: 'mkv',
    layout: 'mono',
    acodec: ['-c:a', 'flac'],
    evenSize: true,
  },
  {
    name: 'vp9-60',
    fps: '60/1',
    vcodec: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8'],
    ext: 'webm',
    layout: 'stereo',
    acodec: ['-c:a', 'libopus'],
    evenSize: true,
  },
  {
    name: 'prores-24',
    fps: '24/1',
    vcodec: ['-c:v', 'prores_ks', '-profile:v', '0'],
    ext: 'mov',
    layout: 'stereo',
    acodec: ['-c:a', 'pcm_s24le'],
    evenSize: true,
  },
  {
    name: 'mpeg4-avi-25',
    fps: '25/1',
    vcodec: ['-c:v', 'mpeg4'],
    ext: 'avi',
    layout: 'mono',
    acodec: ['-c:a', 'libmp3lame'],
    evenSize: true,
  },
  {
    name: 'dnxhd-2997',
    fps: '30000/1001',
    vcodec: ['-c:v', 'dnxhd', '-profile:v', 'dnxhr_lb', '-pix_fmt', 'yuv422p'],
    ext: 'mov',
    layout: null,
    acodec: [],
    evenSize: true,
  },
];

describe('generated video, probed like ffprobe', () => {
  it.concurrent.each(VIDEO.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    let w = rand(64, 400);
    let h = rand(48, 300);
    if (c.evenSize) [w, h] = [even(w), even(h)];
    if (c.name.startsWith('dnxhd')) [w, h] = [1280, 720];
    const file = path.join(dir, `${c.name}.${c.ext}`);
    const audioIn = c.layout
      ? [
          '-f',
          'lavfi',
          '-i',
          `sine=frequency=440:sample_rate=48000:duration=1.5,aformat=channel_layouts=${c.layout}`,
        ]
      : [];
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${w}x${h}:rate=${c.fps}:duration=1.5`,
      ...audioIn,
      ...c.vcodec,
      ...c.acodec,
      '-shortest',
      file,
    ]);
    const [m, fp] = await Promise.all([prober.probe(file), ffprobeJson(file)]);
    const v = fp.streams.find((s) => s.codec_type === 'video')!;
    expect(m.mediaType).toBe('video');
    expect(m.width).toBe(v['width']);
    expect(m.height).toBe(v['height']);
    expect(m.videoCodec).toBe(v['codec_name']);
    expect(m.fps).toBe(normaliseRational(String(v['avg_frame_rate'])));
    expect(m.fps).toBe(normaliseRational(c.fps));
    expect(m.pixelFormat).toBe(v['pix_fmt']);
    expect(Math.abs(m.duration! - Number(fp.format['duration']))).toBeLessThanOrEqual(0.0005);
    const a = fp.streams.find((s) => s.codec_type === 'audio');
    if (c.layout) {
      expect(m.audio?.codec).toBe(a?.['codec_name']);
      expect(m.audio?.channels).toBe(a?.['channels']);
      expect(m.audio?.channelLayout ?? null).toBe(a?.['channel_layout'] ?? null);
      expect(m.audio?.sampleRate).toBe(Number(a?.['sample_rate']));
    } else {
      expect(m.audio).toBeNull();
    }
    const t = await createThumbnail(file, m, { tools: TOOLS, timestamp: 99 });
    expect(Math.max(t.width, t.height)).toBe(Math.min(256, Math.max(w, h)));
    const stats = await sharp(t.data).stats();
    expect(Math.max(...stats.channels.map((ch) => ch.stdev))).toBeGreaterThan(5);
  });
});

const AUDIO: Array<{
  name: string;
  ext: string;
  codec: string[];
  layout: string;
  rate: number;
  bits: number | null;
}> = [
  { name: 's16-stereo', ext: 'wav', codec: ['-c:a', 'pcm_s16le'], layout: 'stereo', rate: 48000, bits: 16 },
  { name: 's24-51', ext: 'wav', codec: ['-c:a', 'pcm_s24le'], layout: '5.1', rate: 96000, bits: 24 },
  { name: 'f32-mono', ext: 'wav', codec: ['-c:a', 'pcm_f32le'], layout: 'mono', rate: 44100, bits: 32 },
  { name: 'flac-quad', ext: 'flac', codec: ['-c:a', 'flac'], layout: 'quad', rate: 44100, bits: 16 },
  {
    name: 'mp3-stereo',
    ext: 'mp3',
    codec: ['-c:a', 'libmp3lame'],
    layout: 'stereo',
    rate: 44100,
    bits: null,
  },
  { name: 'aac-m4a', ext: 'm4a', codec: ['-c:a', 'aac'], layout: 'stereo', rate: 48000, bits: null },
  { name: 'opus-ogg', ext: 'ogg', codec: ['-c:a', 'libopus'], layout: 'stereo', rate: 48000, bits: null },
  { name: 'aiff', ext: 'aiff', codec: ['-c:a', 'pcm_s16be'], layout: 'mono', rate: 22050, bits: 16 },
];

describe('generated audio, probed like ffprobe', () => {
  it.concurrent.each(AUDIO.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const file = path.join(dir, `${c.name}.${c.ext}`);
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=300:sample_rate=${c.rate}:duration=1.25,aformat=channel_layouts=${c.layout}`,
      ...c.codec,
      file,
    ]);
    const [m, fp] = await Promise.all([prober.probe(file), ffprobeJson(file)]);
    const a = fp.streams.find((s) => s.codec_type === 'audio')!;
    expect(m.mediaType).toBe('audio');
    expect(m.audio?.codec).toBe(a['codec_name']);
    expect(m.audio?.channels).toBe(a['channels']);
    expect(m.audio?.channelLayout ?? null).toBe(a['channel_layout'] ?? null);
    expect(m.audio?.sampleRate).toBe(c.rate);
    expect(m.audio?.bitDepth).toBe(c.bits);
    expect(Math.abs(m.duration! - Number(fp.format['duration']))).toBeLessThanOrEqual(0.0005);
    const t = await createThumbnail(file, m, { tools: TOOLS, format: 'webp' });
    expect(t.mimeType).toBe('image/webp');
    expect([t.width, t.height]).toEqual([256, 128]);
  });
});

describe('linear EXR display transform', () => {
  it.each([
    ['half', true],
    ['float', false],
  ] as const)('mid-grey 0.18 (%s) shows as sRGB 118±8', async (_n, half) => {
    const file = path.join(dir, `grey-${_n}.exr`);
    await writeFlatExr(file, 0.18, 96, 64, half);
    const m = await prober.probe(file);
    expect(m.linear).toBe(true);
    expect([m.width, m.height]).toEqual([96, 64]);
    const t = await createThumbnail(file, m, { tools: TOOLS });
    expect(t.transform).toBe('srgb');
    expect([t.width, t.height]).toEqual([96, 64]);
    const { channels } = await sharp(t.data).stats();
    for (const ch of channels.slice(0, 3)) expect(Math.abs(ch.mean - 118)).toBeLessThanOrEqual(8);
    const filmic = await createThumbnail(file, m, { tools: TOOLS, toneMap: 'filmic', format: 'webp' });
    expect(filmic.transform).toBe('filmic');
    const f = await sharp(filmic.data).stats();
    expect(f.channels[0]!.mean).toBeGreaterThan(60);
    expect(f.channels[0]!.mean).toBeLessThan(118);
  });

  it('highlights above 1.0 clip to white in sRGB and roll off with filmic', async () => {
    const file = path.join(dir, 'bright.exr');
    await writeFlatExr(file, 4, 32, 32);
    const m = await prober.probe(file);
    const s = await sharp((await createThumbnail(file, m, { tools: TOOLS })).data).stats();
    expect(s.channels[0]!.mean).toBeGreaterThan(250);
    const f = await sharp((await createThumbnail(file, m, { tools: TOOLS, toneMap: 'filmic' })).data).stats();
    expect(f.channels[0]!.mean).toBeLessThan(250);
    expect(f.channels[0]!.mean).toBeGreaterThan(200);
  });
});

describe('limits and tool safety', () => {
  it('refuses an image above maxPixels before decoding', async () => {
    const file = path.join(dir, 'grey-limit.exr');
    await writeFlatExr(file, 0.5, 200, 100);
    const m = await prober.probe(file);
    await expect(createThumbnail(file, m, { tools: TOOLS, limits: { maxPixels: 10_000 } })).rejects.toThrow(
      /more than the limit/,
    );
  });

  it('kills a tool that runs past its timeout', async () => {
    const t0 = Date.now();
    await expect(runTool('sleep', ['10'], { timeoutMs: 200 })).rejects.toBeInstanceOf(ProcessingError);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('reports a missing tool as a ProcessingError', async () => {
    await expect(runTool('/nonexistent/ffmpeg', [], { timeoutMs: 1000 })).rejects.toBeInstanceOf(
      ProcessingError,
    );
  });

  it('refuses files that are not media', async () => {
    const file = path.join(dir, 'page.html.png');
    await fs.writeFile(file, '<html><script>alert(1)</script></html>');
    await expect(prober.probe(file)).rejects.toBeInstanceOf(ProcessingError);
  });
});
