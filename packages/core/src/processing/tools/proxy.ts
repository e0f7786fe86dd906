import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ProcessingError, errorMessage } from '@montu/domain';
import type { ToneMap } from './colour.mjs';
import { ffmpegInputArgs } from './ffmpeg-input.js';
import { checkDecodeLimits, resolveLimits, type MediaLimits } from './limits.js';
import type { MediaMetadata } from './metadata.js';
import { normaliseRational, parseRational, rationalToNumber, roundMs } from '@montu/domain';
import type { ImageSequence } from './sequence.js';
import { displaySize, renderStill, type EncodeOptions, type RenderedImage } from './still.js';
import { runTool } from './tools.js';
import type { MediaTools } from './media-tools.js';
import type { OcioSettings } from '../../config/environment.js';

export const PROXY_MAX_WIDTH = 1920;
export const PROXY_GOP = 12;
export const DEFAULT_SEQUENCE_FPS = '24/1';

export interface ProxyOptions {
  /** Widest proxy in pixels (default 1920); height follows the aspect ratio; both even. */
  maxWidth?: number;
  /** x264 constant rate factor (default 20) and preset (default `veryfast`). */
  crf?: number;
  preset?: string;
  /** Keyframe interval in frames (default 12): short so browsers step and seek frame-accurately. */
  gop?: number;
  /** Include the first audio track as AAC (default true). */
  audio?: boolean;
  /** Progress 0–100 parsed from ffmpeg's `-progress` output. */
  onProgress?: (percent: number) => void;
  limits?: Partial<MediaLimits>;
  signal?: AbortSignal;
  /** The library's tools and decoder processes (media-tools.ts). */
  tools: MediaTools;
}

export interface ProxyResult {
  path: string;
  mimeType: string;
  size: number;
  width: number;
  height: number;
  /** Exact frame rate of the proxy (the source's). */
  fps: string;
  duration: number | null;
}

/** Proxy size: display size (rotation, pixel aspect) fitted to maxWidth, both dimensions even. */
export function proxySize(srcW: number, srcH: number, maxWidth: number): { width: number; height: number } {
  const w = Math.min(maxWidth, srcW);
  const h = (srcH * w) / srcW;
  const even = (x: number) => Math.max(2, 2 * Math.round(x / 2));
  return { width: even(w), height: even(h) };
}

function timescale(fps: string): number {
  const r = parseRational(fps)!;
  return r.den === 1 ? r.num * 1000 : r.num;
}

function x264Args(opts: ProxyOptions, fps: string): string[] {
  const gop = opts.gop ?? PROXY_GOP;
  return [
    '-c:v',
    'libx264',
    '-preset',
    opts.preset ?? 'veryfast',
    '-crf',
    String(opts.crf ?? 20),
    '-pix_fmt',
    'yuv420p',
    '-profile:v',
    'high',
    '-g',
    String(gop),
    '-keyint_min',
    String(gop),
    '-sc_threshold',
    '0',
    '-r',
    fps,
    '-fps_mode',
    'cfr',
    '-video_track_timescale',
    String(timescale(fps)),
    '-movflags',
    '+faststart',
  ];
}

function progressParser(
  totalSeconds: number | null,
  cb?: (p: number) => void,
): ((line: string) => void) | undefined {
  if (!cb) return undefined;
  let last = -1;
  return (line) => {
    let pct: number | null = null;
    if (line === 'progress=end') pct = 100;
    else if (line.startsWith('out_time_us=') && totalSeconds) {
      const us = Number(line.slice(12));
      if (Number.isFinite(us)) pct = Math.max(0, Math.min(99, Math.floor(us / 1e4 / totalSeconds)));
    }
    if (pct !== null && pct !== last) {
      last = pct;
      cb(pct);
    }
  };
}

async function finishOutput(
  out: string,
  width: number,
  height: number,
  fps: string,
  duration: number | null,
  mimeType: string,
): Promise<ProxyResult> {
  const st = await fsp.stat(out).catch(() => null);
  if (!st || st.size === 0) throw new ProcessingError('ffmpeg wrote no output');
  return { path: out, mimeType, size: st.size, width, height, fps, duration };
}

/**
 * Browser proxy of a video: H.264 High, yuv420p, `+faststart`, the source's exact frame rate
 * (constant), keyframe every `gop` frames, at most `maxWidth` wide, first audio track as AAC.
 * Written to `outPath` (an .mp4 the caller then stores).
 */
export async function createVideoProxy(
  file: string,
  meta: MediaMetadata,
  outPath: string,
  opts: ProxyOptions,
): Promise<ProxyResult> {
  const limits = resolveLimits(opts.limits);
  if (meta.mediaType !== 'video') throw new ProcessingError(`a ${meta.mediaType} file has no video proxy`);
  checkDecodeLimits(meta, limits);
  const src = displaySize(meta);
  if (!src.width || !src.height) throw new ProcessingError('the video has no picture size');
  const { width, height } = proxySize(src.width, src.height, opts.maxWidth ?? PROXY_MAX_WIDTH);
  const fps = meta.fps ?? meta.baseFps ?? DEFAULT_SEQUENCE_FPS;
  const audio = opts.audio !== false && meta.audio !== null;
  const args = [
    '-v',
    'error',
    '-nostdin',
    '-hide_banner',
    '-y',
    ...ffmpegInputArgs(file, meta.format),
    '-map',
    '0:v:0',
    ...(audio ? ['-map', '0:a:0?'] : []),
    '-sn',
    '-dn',
    '-map_metadata',
    '-1',
    '-vf',
    `scale=${width}:${height}:flags=bicubic,setsar=1`,
    ...x264Args(opts, fps),
    ...(audio
      ? ['-c:a', 'aac', '-b:a', '160k', '-ac', String(Math.min(2, meta.audio?.channels ?? 2)), '-ar', '48000']
      : ['-an']),
    '-progress',
    'pipe:1',
    '-nostats',
    '-f',
    'mp4',
    outPath,
  ];
  await runTool(opts.tools.paths.ffmpeg, args, {
    timeoutMs: limits.proxyTimeoutMs,
    memoryBytes: limits.toolMemoryBytes,
    signal: opts.signal,
    onStdoutLine: progressParser(meta.duration, opts.onProgress),
  });
  return finishOutput(outPath, width, height, fps, meta.duration, 'video/mp4');
}

export interface SequenceProxyOptions extends ProxyOptions {
  /** Frame rate as an exact rational (`24/1`, `24000/1001`); default 24. */
  fps?: string;
}

/**
 * Proxy movie of an image sequence. Every frame number from start to end becomes one movie
 * frame; a missing frame holds the previous frame, so movie frame i is always sequence frame
 * start + i (notes keyed to frames stay right). Linear EXR frames get the sRGB transfer
 * (ffmpeg's EXR `apply_trc`). `firstFrame` is the probed metadata of the first frame.
 */
export async function createSequenceProxy(
  seq: ImageSequence,
  firstFrame: MediaMetadata,
  outPath: string,
  opts: SequenceProxyOptions,
): Promise<ProxyResult> {
  const limits = resolveLimits(opts.limits);
  const fps = normaliseRational(opts.fps ?? DEFAULT_SEQUENCE_FPS);
  if (!fps) throw new ProcessingError(`not a frame rate: ${opts.fps}`);
  checkDecodeLimits(firstFrame, limits);
  const total = seq.end - seq.start + 1;
  const duration = roundMs(total / rationalToNumber(fps));
  if (duration > limits.maxDurationSeconds)
    throw new ProcessingError(`the sequence lasts ${duration} s, more than the limit`);
  const src = displaySize(firstFrame);
  const { width, height } = proxySize(src.width, src.height, opts.maxWidth ?? PROXY_MAX_WIDTH);
  const ext = path.extname(seq.frames[0]!.path) || seq.ext || '.img';
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'montu-seq-'));
  try {
    // Links named 000000…: ffmpeg reads plain consecutive names, never the user's pattern.
    let i = 0;
    let fi = 0;
    let held = seq.frames[0]!.path;
    for (let f = seq.start; f <= seq.end; f++, i++) {
      if (seq.frames[fi]?.frame === f) held = seq.frames[fi++]!.path;
      await fsp.symlink(path.resolve(held), path.join(dir, String(i).padStart(6, '0') + ext));
    }
    const decoder = firstFrame.format === 'exr' ? ['-apply_trc', 'iec61966_2_1'] : [];
    const args = [
      '-v',
      'error',
      '-nostdin',
      '-hide_banner',
      '-y',
      '-protocol_whitelist',
      'file,pipe',
      '-f',
      'image2',
      '-framerate',
      fps,
      '-start_number',
      '0',
      ...decoder,
      '-i',
      'file:' + path.join(dir, '%06d' + ext),
      '-map',
      '0:v:0',
      '-an',
      '-vf',
      `scale=${width}:${height}:flags=bicubic,setsar=1`,
      ...x264Args(opts, fps),
      '-frames:v',
      String(total),
      '-progress',
      'pipe:1',
      '-nostats',
      '-f',
      'mp4',
      outPath,
    ];
    await runTool(opts.tools.paths.ffmpeg, args, {
      timeoutMs: limits.proxyTimeoutMs,
      memoryBytes: limits.toolMemoryBytes,
      signal: opts.signal,
      onStdoutLine: progressParser(duration, opts.onProgress),
    });
    return await finishOutput(outPath, width, height, fps, duration, 'video/mp4');
  } finally {
    await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

export interface WebImageOptions extends EncodeOptions {
  /** Long edge limit; default null = full resolution. */
  maxEdge?: number | null;
  toneMap?: ToneMap;
  /** The studio display transform for linear images (default none: the built-in transform). */
  ocio?: OcioSettings;
  limits?: Partial<MediaLimits>;
  signal?: AbortSignal;
  /** The library's tools and decoder processes (media-tools.ts). */
  tools: MediaTools;
}

/** Full-resolution web image of a still (JPEG default, quality 90), with the same display transform as thumbnails. */
export async function createWebImage(
  file: string,
  meta: MediaMetadata,
  opts: WebImageOptions,
): Promise<RenderedImage> {
  const limits = resolveLimits(opts.limits);
  if (meta.mediaType !== 'image') throw new ProcessingError(`a ${meta.mediaType} file has no web image`);
  return renderStill(file, meta, {
    format: opts.format,
    quality: opts.quality ?? 90,
    maxEdge: opts.maxEdge ?? null,
    toneMap: opts.toneMap,
    ...(opts.ocio ? { ocio: opts.ocio } : {}),
    limits,
    timeoutMs: limits.thumbnailTimeoutMs,
    signal: opts.signal,
    tools: opts.tools,
  });
}

export interface AudioPreviewOptions {
  /** `aac` in .m4a (default) or `mp3`. */
  format?: 'aac' | 'mp3';
  onProgress?: (percent: number) => void;
  limits?: Partial<MediaLimits>;
  signal?: AbortSignal;
  /** The library's tools and decoder processes (media-tools.ts). */
  tools: MediaTools;
}

/** Audio preview for browsers: AAC 192 kb/s in M4A (+faststart) or MP3, stereo at most, 48/44.1 kHz. */
export async function createAudioPreview(
  file: string,
  meta: MediaMetadata,
  outPath: string,
  opts: AudioPreviewOptions,
): Promise<ProxyResult> {
  const limits = resolveLimits(opts.limits);
  if (!meta.audio) throw new ProcessingError('the file has no audio');
  checkDecodeLimits(meta, limits);
  const mp3 = opts.format === 'mp3';
  const channels = Math.min(2, meta.audio.channels ?? 2);
  const rate = mp3 ? 44100 : 48000;
  const args = [
    '-v',
    'error',
    '-nostdin',
    '-hide_banner',
    '-y',
    ...ffmpegInputArgs(file, meta.format),
    '-map',
    '0:a:0',
    '-vn',
    '-sn',
    '-dn',
    '-map_metadata',
    '-1',
    '-ac',
    String(channels),
    '-ar',
    String(rate),
    ...(mp3
      ? ['-c:a', 'libmp3lame', '-b:a', '192k', '-f', 'mp3']
      : ['-c:a', 'aac', '-b:a', '192k', '-movflags', '+faststart', '-f', 'mp4']),
    '-progress',
    'pipe:1',
    '-nostats',
    outPath,
  ];
  try {
    await runTool(opts.tools.paths.ffmpeg, args, {
      timeoutMs: limits.proxyTimeoutMs,
      memoryBytes: limits.toolMemoryBytes,
      signal: opts.signal,
      onStdoutLine: progressParser(meta.duration, opts.onProgress),
    });
  } catch (e) {
    throw e instanceof ProcessingError ? e : new ProcessingError(errorMessage(e), { cause: e });
  }
  return finishOutput(outPath, 0, 0, '0/1', meta.duration, mp3 ? 'audio/mpeg' : 'audio/mp4');
}
