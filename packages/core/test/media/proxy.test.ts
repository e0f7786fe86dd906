import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessingError } from '@montu/domain';
import { MediaProber } from '../../src/processing/tools/probe.js';
import {
  createAudioPreview,
  createSequenceProxy,
  createVideoProxy,
  createWebImage,
  proxySize,
} from '../../src/processing/tools/proxy.js';
import { detectSequence } from '../../src/processing/tools/sequence.js';
import { exec, ffmpeg, ffprobeJson, tmpDir, TOOLS, writeFlatExr } from './helpers.js';

let dir: string;
const prober = new MediaProber({ tools: TOOLS });
beforeAll(async () => {
  dir = await tmpDir('montu-proxy-test-');
});
afterAll(async () => {
  await prober.close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function keyframeIndexes(file: string): Promise<number[]> {
  const { stdout } = await exec('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'frame=key_frame,pict_type',
    '-of',
    'csv=p=0',
    file,
  ]);
  // Only frame lines ("1,I"); side-data lines are skipped.
  const frames = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[01],[IPB?]/.test(l));
  return frames.map((l, i) => (l.startsWith('1') ? i : -1)).filter((i) => i >= 0);
}

async function moovBeforeMdat(file: string): Promise<boolean> {
  const buf = await fs.readFile(file);
  return buf.indexOf('moov') < buf.indexOf('mdat');
}

describe('proxies', () => {
  it('sizes: at most 1920 wide, even, aspect kept', () => {
    expect(proxySize(3840, 2160, 1920)).toEqual({ width: 1920, height: 1080 });
    expect(proxySize(999, 555, 1920)).toEqual({ width: 1000, height: 556 });
    expect(proxySize(4096, 1716, 1920)).toEqual({ width: 1920, height: 804 });
  });

  it('video → H.264 yuv420p, exact 30000/1001, GOP 12, faststart, audio AAC, progress to 100', async () => {
    const src = path.join(dir, 'src.mov');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=2200x1000:rate=30000/1001:duration=2',
      '-f',
      'lavfi',
      '-i',
      'sine=duration=2:sample_rate=44100',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv422p',
      '-c:a',
      'pcm_s16le',
      src,
    ]);
    const meta = await prober.probe(src);
    const out = path.join(dir, 'proxy.mp4');
    const progress: number[] = [];
    const r = await createVideoProxy(src, meta, out, { tools: TOOLS, onProgress: (p) => progress.push(p) });
    expect(r).toMatchObject({ width: 1920, height: 872, fps: '30000/1001', mimeType: 'video/mp4' });
    expect(progress.at(-1)).toBe(100);
    const fp = await ffprobeJson(out, ['-count_frames']);
    const v = fp.streams.find((s) => s.codec_type === 'video')!;
    expect(v).toMatchObject({
      codec_name: 'h264',
      pix_fmt: 'yuv420p',
      width: 1920,
      height: 872,
      avg_frame_rate: '30000/1001',
      r_frame_rate: '30000/1001',
    });
    expect(Number(v['nb_read_frames'])).toBe(60);
    expect(fp.streams.find((s) => s.codec_type === 'audio')).toMatchObject({
      codec_name: 'aac',
      channels: 1,
    });
    expect(await keyframeIndexes(out)).toEqual([0, 12, 24, 36, 48]);
    expect(await moovBeforeMdat(out)).toBe(true);
  });

  it('rotated phone video: proxy in display orientation', async () => {
    const src = path.join(dir, 'rot.mp4');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x180:rate=25:duration=1',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      src,
    ]);
    // ffmpeg 5.1 cannot write a display matrix; exiftool can (QuickTime Rotation, clockwise).
    await exec('exiftool', ['-q', '-overwrite_original', '-Rotation=90', src]);
    const meta = await prober.probe(src);
    expect(meta.rotation).toBe(90);
    const r = await createVideoProxy(src, meta, path.join(dir, 'rot-proxy.mp4'), { tools: TOOLS });
    expect([r.width, r.height]).toEqual([180, 320]);
  });

  it('EXR sequence with gaps → 100-frame movie at 24 fps, gaps held', async () => {
    const seqDir = path.join(dir, 'seq');
    await fs.mkdir(seqDir);
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=64x48:rate=24',
      '-frames:v',
      '100',
      '-pix_fmt',
      'gbrpf32le',
      '-c:v',
      'exr',
      '-start_number',
      '1001',
      path.join(seqDir, 'beauty.%04d.exr'),
    ]);
    await fs.rm(path.join(seqDir, 'beauty.1050.exr'));
    await fs.rm(path.join(seqDir, 'beauty.1077.exr'));
    const seq = await detectSequence(path.join(seqDir, 'beauty.####.exr'));
    expect(seq).toMatchObject({ start: 1001, end: 1100, missing: [1050, 1077] });
    const first = await prober.probe(seq.frames[0]!.path);
    const out = path.join(dir, 'seq.mp4');
    const r = await createSequenceProxy(seq, first, out, { tools: TOOLS, fps: '24' });
    expect(r).toMatchObject({ fps: '24/1', duration: 4.167, width: 64, height: 48 });
    const fp = await ffprobeJson(out, ['-count_frames']);
    expect(fp.streams[0]).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p', avg_frame_rate: '24/1' });
    expect(Number(fp.streams[0]!['nb_read_frames'])).toBe(100);
  });

  it('still → full-resolution web image with the display transform', async () => {
    const file = path.join(dir, 'grey.exr');
    await writeFlatExr(file, 0.18, 300, 200);
    const meta = await prober.probe(file);
    const web = await createWebImage(file, meta, { tools: TOOLS, format: 'webp' });
    expect([web.width, web.height, web.mimeType]).toEqual([300, 200, 'image/webp']);
    const s = await sharp(web.data).stats();
    expect(Math.abs(s.channels[0]!.mean - 118)).toBeLessThanOrEqual(8);
  });

  it('audio → AAC m4a and MP3 previews', async () => {
    const src = path.join(dir, 'tone.wav');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'sine=duration=1.5:sample_rate=96000,aformat=channel_layouts=5.1',
      '-c:a',
      'pcm_s24le',
      src,
    ]);
    const meta = await prober.probe(src);
    const m4a = await createAudioPreview(src, meta, path.join(dir, 'tone.m4a'), { tools: TOOLS });
    const mp3 = await createAudioPreview(src, meta, path.join(dir, 'tone.mp3'), {
      tools: TOOLS,
      format: 'mp3',
    });
    expect(m4a.mimeType).toBe('audio/mp4');
    expect(mp3.mimeType).toBe('audio/mpeg');
    expect((await ffprobeJson(m4a.path)).streams[0]).toMatchObject({
      codec_name: 'aac',
      channels: 2,
      sample_rate: '48000',
    });
    expect((await ffprobeJson(mp3.path)).streams[0]).toMatchObject({ codec_name: 'mp3', channels: 2 });
  });

  it('a proxy of a file that fails to decode is a ProcessingError with the tool message', async () => {
    const src = path.join(dir, 'cut.mp4');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x120:rate=25:duration=1',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      src,
    ]);
    const meta = await prober.probe(src);
    const buf = await fs.readFile(src);
    await fs.writeFile(src, buf.subarray(0, 2000));
    await expect(
      createVideoProxy(src, meta, path.join(dir, 'cut-proxy.mp4'), { tools: TOOLS }),
    ).rejects.toBeInstanceOf(ProcessingError);
  });
});
