import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Media } from '../src/index.js';
import { CORPUS, DATABASES, makePng, tempDir } from './helpers/env.js';
import { openTestLibrary, type TestLibrary } from './helpers/montu.js';

const corpus = (p: string) => path.join(CORPUS, 'media', p);

/** Writes frames `name.1001.png`… with a frame-dependent grey so every frame differs. */
async function makeFrames(dir: string, frames: number[]): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of frames) {
    const v = (f * 7) % 255;
    await sharp({ create: { width: 64, height: 36, channels: 3, background: { r: v, g: 255 - v, b: 90 } } })
      .png()
      .toFile(path.join(dir, `beauty.${f}.png`));
  }
}

describe.each(DATABASES)('media processing through jobs on %s', (kind) => {
  let lib: TestLibrary;
  let work: string;

  beforeAll(async () => {
    lib = await openTestLibrary(kind, { jobs: { concurrency: 2, retry: { backoffMs: 50 } } });
    work = tempDir();
  });
  afterAll(async () => {
    await lib.cleanup();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const files = (m: Media, role: string) => m.files.filter((f) => f.role === role);

  it('probes, thumbnails and makes a web image for a still; the upload can wait for it', async () => {
    const { media } = lib.montu;
    const id = await media.uploadMedia({
      filePath: corpus('image/GammaChart.exr'),
      projectId: 'PRC',
      taskId: 'ep01_sq010_sh010_lighting',
      author: 'ana',
      wait: true,
    });
    const m = await media.getMediaById(id);
    expect(m.processingState).toBe('ready');
    expect(m.metadata).toMatchObject({
      schema: 1,
      mediaType: 'image',
      format: 'exr',
      width: 800,
      height: 800,
      linear: true,
    });
    const thumb = files(m, 'thumbnail')[0]!;
    expect(thumb.key).toBe('PRC/ep01_sq010_sh010_lighting/v001/_renditions/thumbnail.jpg');
    const info = await sharp(path.join(lib.storageRoot, thumb.key)).metadata();
    expect(Math.max(info.width!, info.height!)).toBe(256);
    expect(files(m, 'web')).toHaveLength(1);
    // Scene-linear: also its values as half floats for the colour-managed viewer (decision 147).
    const float = files(m, 'web_float');
    expect(float).toHaveLength(1);
    expect(float[0]).toMatchObject({
      key: 'PRC/ep01_sq010_sh010_lighting/v001/_renditions/web.mf16',
      contentType: 'application/x-montu-f16',
      info: { width: 800, height: 800, values: 'scene_linear' },
    });
    const jobs = await lib.montu.jobs!.list({ mediaId: id });
    expect(jobs.map((j) => [j.type, j.state]).sort()).toEqual([
      ['probe', 'done'],
      ['proxy', 'done'],
      ['thumbnail', 'done'],
    ]);
    expect(jobs.every((j) => j.attempts === 1 && j.progress === 100)).toBe(true);
  });

  it('a 16-bit still whose float rendition cannot be made still gets its web image, with the reason', async () => {
    // sharp makes the web image of a TIFF; the float rendition needs ffmpeg, made unavailable here.
    const tiff = path.join(work, 'sixteen.tif');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=64x48',
      '-frames:v',
      '1',
      '-pix_fmt',
      'rgb48le',
      '-y',
      tiff,
    ]);
    // The library is opened again with an ffmpeg that does not exist (its tools are its own).
    const { media } = await lib.reopen({ tools: { ffmpeg: path.join(work, 'no-such-ffmpeg') } });
    try {
      const id = await media.uploadMedia({
        filePath: tiff,
        projectId: 'PRC',
        taskId: 'ep01_sq010_sh030_lighting',
        author: 'ana',
        wait: true,
      });
      const m = await media.getMediaById(id);
      expect(m.processingState).toBe('ready');
      expect(files(m, 'web_float')).toEqual([]);
      expect(files(m, 'web')[0]?.info?.floatError).toMatch(/ffmpeg/);
    } finally {
      await lib.reopen();
    }
  });

  it('makes an H.264 proxy at the exact frame rate for a video and refines an audio-only MP4 to audio', async () => {
    const { media } = lib.montu;
    const mov = path.join(work, 'clip.mov');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x180:rate=24000/1001:duration=2',
      '-c:v',
      'mpeg4',
      '-y',
      mov,
    ]);
    const id = await media.uploadMedia({
      filePath: mov,
      projectId: 'PRC',
      taskId: 'sq1_sh1_anim',
      author: 'ben',
      wait: true,
    });
    const m = await media.getMediaById(id);
    expect(m.processingState).toBe('ready');
    expect(m.metadata).toMatchObject({ mediaType: 'video', fps: '24000/1001', width: 320, height: 180 });
    const proxy = files(m, 'proxy')[0]!;
    const probe = JSON.parse(
      execFileSync(
        'ffprobe',
        ['-v', 'error', '-show_streams', '-of', 'json', path.join(lib.storageRoot, proxy.key)],
        {
          encoding: 'utf8',
        },
      ),
    ) as { streams: Array<{ codec_name: string; avg_frame_rate: string; pix_fmt: string }> };
    expect(probe.streams[0]).toMatchObject({
      codec_name: 'h264',
      avg_frame_rate: '24000/1001',
      pix_fmt: 'yuv420p',
    });

    const m4a = await media.uploadMedia({
      filePath: corpus('audio/full.m4a'),
      projectId: 'PRC',
      taskId: 'sound',
      author: 'ben',
      wait: true,
    });
    const audio = await media.getMediaById(m4a);
    expect(audio.mediaType).toBe('audio');
    expect(files(audio, 'audio_preview')).toHaveLength(1);
    expect(files(audio, 'thumbnail')).toHaveLength(1);
  });

  it('ingests a sequence with gaps as one item with a proxy movie of every frame', async () => {
    const frames = Array.from({ length: 30 }, (_, i) => 1001 + i).filter((f) => f !== 1010 && f !== 1017);
    const dir = path.join(work, 'seq');
    await makeFrames(dir, frames);
    const id = await lib.montu.sequences.uploadSequence({
      source: path.join(dir, 'beauty.####.png'),
      projectId: 'PRC',
      taskId: 'sq1_sh2_comp',
      author: 'cat',
      fps: '25',
      wait: true,
    });
    const m = await lib.montu.media.getMediaById(id);
    expect(m).toMatchObject({ mediaType: 'sequence', fileName: 'beauty.####.png', processingState: 'ready' });
    expect(m.metadata).toMatchObject({
      frameStart: 1001,
      frameEnd: 1030,
      frameCount: 28,
      missingFrames: [1010, 1017],
      fps: '25/1',
    });
    expect(files(m, 'frame').map((f) => f.frame)).toEqual(frames);
    expect(files(m, 'frame')[0]!.key).toBe('PRC/sq1_sh2_comp/v001/sq1_sh2_comp_v001.1001.png');
    const proxy = path.join(lib.storageRoot, files(m, 'proxy')[0]!.key);
    const count = execFileSync(
      'ffprobe',
      [
        '-v',
        'error',
        '-count_frames',
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=nb_read_frames,avg_frame_rate',
        '-of',
        'csv=p=0',
        proxy,
      ],
      { encoding: 'utf8' },
    ).trim();
    expect(count).toBe('25/1,30');
  });

  it('regenerates a thumbnail at a timestamp', async () => {
    const mov = path.join(work, 'regen.mp4');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x90:rate=25:duration=3',
      '-pix_fmt',
      'yuv420p',
      '-y',
      mov,
    ]);
    const id = await lib.montu.media.uploadMedia({
      filePath: mov,
      projectId: 'PRC',
      taskId: 'regen',
      author: 'dan',
      wait: true,
    });
    // A job's completion commits first; the files it replaced are removed after that commit and
    // then `job.done` is published (jobs/runner.ts). The record is settled when the job's state
    // is, storage only at the event: wait for the event before looking at the files (decision 237).
    const finished = new Set<string>();
    const off = lib.montu.events.subscribe((e) => {
      if (e.type === 'job.done' || e.type === 'job.failed') finished.add(String(e.data?.['jobId']));
    });
    const cleanedUp = async (jobId: string) => {
      while (!finished.has(jobId)) await new Promise((r) => setTimeout(r, 20));
    };
    const before = files(await lib.montu.media.getMediaById(id), 'thumbnail')[0]!;
    const regenerated = await lib.montu.media.regenerateThumbnail(id, { timestamp: 2.5 });
    const after = files(await lib.montu.media.getMediaById(id), 'thumbnail')[0]!;
    await cleanedUp(regenerated.jobId);
    // A regeneration is stored under a key of its own; the one it replaces is gone.
    expect(after.key).not.toBe(before.key);
    expect(after.sha256).not.toBe(before.sha256);
    expect(after.id).not.toBe(before.id);
    expect(fs.existsSync(path.join(lib.storageRoot, before.key))).toBe(false);
    await expect(lib.montu.media.regenerateThumbnail(id, { timestamp: 3 })).rejects.toThrow(/past the end/);

    // Regression (issue 20, item 9): two quick regenerations raced on one fixed key, leaving
    // the record's sha256 and size describing the other job's file. The last request wins, and
    // the record describes the file stored.
    const first = await lib.montu.media.regenerateThumbnail(id, { timestamp: 0.5, wait: false });
    const second = await lib.montu.media.regenerateThumbnail(id, { timestamp: 1.5, wait: false });
    for (const { jobId } of [first, second]) await cleanedUp(jobId);
    off();
    expect((await lib.montu.jobs!.get(first.jobId)).state).toBe('done');
    expect((await lib.montu.jobs!.get(second.jobId)).state).toBe('done');
    const thumbs = files(await lib.montu.media.getMediaById(id), 'thumbnail');
    expect(thumbs).toHaveLength(1);
    const recorded = thumbs[0]!;
    expect(recorded.key).toContain(second.jobId);
    const bytes = fs.readFileSync(path.join(lib.storageRoot, recorded.key));
    expect(bytes.length).toBe(recorded.size);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(recorded.sha256);
    const renditions = fs.readdirSync(path.dirname(path.join(lib.storageRoot, recorded.key)));
    expect(renditions.filter((f) => f.startsWith('thumbnail'))).toEqual([path.basename(recorded.key)]);
  });

  it('keeps a broken upload and marks it with a clear processing error; retry re-queues it', async () => {
    const broken = corpus('broken/truncated_image.png');
    const id = await lib.montu.media.uploadMedia({
      filePath: broken,
      projectId: 'PRC',
      taskId: 'broken',
      author: 'eve',
      wait: true,
    });
    const m = await lib.montu.media.getMediaById(id);
    expect(m.processingState).toBe('failed');
    expect(m.processingError).toMatch(/^(metadata|thumbnail|proxy): .+/);
    expect(files(m, 'original')).toHaveLength(1);
    const failed = await lib.montu.jobs!.list({ mediaId: id, state: 'failed' });
    expect(failed.length).toBeGreaterThanOrEqual(1);
    const retried = await lib.montu.jobs!.retry({ mediaId: id });
    expect(retried.map((j) => j.state)).toEqual(failed.map(() => 'queued'));
    await waitFor(
      async () => (await lib.montu.jobs!.list({ mediaId: id, state: 'failed' })).length === failed.length,
    );
  });

  it('puts right an item left processing by a worker killed before it recorded the outcome', async () => {
    const png = await makePng(path.join(work, 'stuck.png'));
    const id = await lib.montu.media.uploadMedia({
      filePath: png,
      projectId: 'PRC',
      taskId: 'stuck',
      author: 'gus',
      wait: true,
    });
    // What a SIGKILL between "job done" and "item settled" leaves behind.
    await lib.montu.db
      .updateTable('media')
      .set({ processing_state: 'processing' })
      .where('id', '=', id)
      .execute();
    await lib.reopen({ jobs: { concurrency: 2, retry: { backoffMs: 50 } } });
    expect((await lib.montu.media.getMediaById(id)).processingState).toBe('ready');
  });

  it('publishes job progress and processing events', async () => {
    const seen: string[] = [];
    const off = lib.montu.events.subscribe((e) => seen.push(e.type));
    const png = await makePng(path.join(work, 'ev.png'));
    await lib.montu.media.uploadMedia({
      filePath: png,
      projectId: 'PRC',
      taskId: 'events',
      author: 'fay',
      wait: true,
    });
    off();
    expect(seen).toContain('media.created');
    expect(seen).toContain('job.started');
    expect(seen).toContain('job.done');
    expect(seen).toContain('rendition.ready');
    expect(seen.filter((t) => t === 'processing.finished')).toHaveLength(1);
    expect(seen.indexOf('processing.finished')).toBeGreaterThan(seen.indexOf('media.created'));
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}
