import { ProcessingError } from '@montu/domain';
import type { ToneMap } from './colour.mjs';
import { ffmpegInputArgs } from './ffmpeg-input.js';
import { checkDecodeLimits, resolveLimits, type MediaLimits } from './limits.js';
import type { MediaMetadata } from './metadata.js';
import { rationalToNumber } from '@montu/domain';
import {
  displaySize,
  encodeRaw,
  fitInside,
  renderStill,
  type EncodeOptions,
  type RenderedImage,
} from './still.js';
import { runTool } from './tools.js';
import type { MediaTools } from './media-tools.js';
import type { OcioSettings } from '../../config/environment.js';

export const DEFAULT_THUMBNAIL_SIZE = 256;
export const DEFAULT_THUMBNAIL_TIMESTAMP = 1;

export interface ThumbnailOptions extends EncodeOptions {
  /** Long edge in pixels (default 256); the aspect ratio is kept and small pictures are not enlarged. */
  size?: number;
  /** Video: time of the frame in seconds (default 1), clamped to the duration. */
  timestamp?: number;
  /** Linear (EXR/HDR/float) images: plain sRGB encoding (default) or a filmic tone curve first. */
  toneMap?: ToneMap;
  /** The studio display transform for linear images (default none: the built-in transform). */
  ocio?: OcioSettings;
  limits?: Partial<MediaLimits>;
  signal?: AbortSignal;
  /** The library's tools and decoder processes (media-tools.ts). */
  tools: MediaTools;
}

/**
 * A thumbnail for any probed media file, as encoded bytes (the caller stores them through the
 * storage backend): images through sharp or ffmpeg with the display transform for linear data,
 * video as the frame at `timestamp` (input seeking), audio as a waveform picture.
 * Throws ProcessingError (with the tool's stderr tail) on any failure or limit.
 */
export async function createThumbnail(
  file: string,
  meta: MediaMetadata,
  opts: ThumbnailOptions,
): Promise<RenderedImage> {
  const limits = resolveLimits(opts.limits);
  const size = opts.size ?? DEFAULT_THUMBNAIL_SIZE;
  if (!Number.isInteger(size) || size < 16 || size > 4096)
    throw new ProcessingError(`thumbnail size must be an integer from 16 to 4096, not ${size}`);
  const base = {
    format: opts.format,
    quality: opts.quality ?? 80,
    limits,
    timeoutMs: limits.thumbnailTimeoutMs,
    signal: opts.signal,
    tools: opts.tools,
  };
  switch (meta.mediaType) {
    case 'image':
      return renderStill(file, meta, {
        ...base,
        maxEdge: size,
        toneMap: opts.toneMap,
        ...(opts.ocio ? { ocio: opts.ocio } : {}),
      });
    case 'video':
      return videoFrame(file, meta, { ...base, maxEdge: size, timestamp: opts.timestamp });
    case 'audio':
      return waveform(file, meta, { ...base, width: size, height: Math.max(16, Math.round(size / 2)) });
  }
}

/** Clamps a requested time into the media: at most the start of the last frame, never negative. */
export function clampTimestamp(t: number, meta: MediaMetadata): number {
  let ts = Number.isFinite(t) && t > 0 ? t : 0;
  if (meta.duration !== null) {
    const frame = meta.fps ? 1 / rationalToNumber(meta.fps) : 0.04;
    ts = Math.min(ts, Math.max(0, meta.duration - frame));
  }
  return Math.round(ts * 1000) / 1000;
}

interface FrameOptions extends EncodeOptions {
  /** Long edge of the result; null for the full (display) size. */
  maxEdge: number | null;
  timestamp?: number;
  limits: MediaLimits;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The library's tools and decoder processes (media-tools.ts). */
  tools: MediaTools;
}

/**
 * One video frame, seeking on the input (`-ss` before `-i`, fast keyframe seek then decode to the
 * exact time). Rotation from the display matrix and non-square pixels are applied.
 */
export async function videoFrame(
  file: string,
  meta: MediaMetadata,
  opts: FrameOptions,
): Promise<RenderedImage> {
  checkDecodeLimits(meta, opts.limits);
  const src = displaySize(meta);
  if (!src.width || !src.height) throw new ProcessingError('the video has no picture size');
  const { width, height } = fitInside(src.width, src.height, opts.maxEdge);
  const ts = clampTimestamp(opts.timestamp ?? DEFAULT_THUMBNAIL_TIMESTAMP, meta);
  const grab = async (t: number, inputSeek: boolean) => {
    const seek = t > 0 ? ['-ss', t.toFixed(3)] : [];
    const args = [
      '-v',
      'error',
      '-nostdin',
      '-hide_banner',
      ...ffmpegInputArgs(file, meta.format, inputSeek ? seek : []),
      ...(inputSeek ? [] : seek),
      '-map',
      '0:v:0',
      '-frames:v',
      '1',
      '-an',
      '-sn',
      '-dn',
      '-vf',
      `scale=${width}:${height}:flags=bicubic`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ];
    const { stdout } = await runTool(opts.tools.paths.ffmpeg, args, {
      timeoutMs: opts.timeoutMs,
      maxStdoutBytes: width * height * 3 + 1,
      signal: opts.signal,
      memoryBytes: opts.limits.toolMemoryBytes,
    });
    return stdout;
  };
  const size = width * height * 3;
  // Input seeking first (fast). Some streams cannot restart mid-file (VP8 with alpha, broken
  // indexes, edit lists): then decode from the start to the time, then take the first frame.
  const attempts: Array<[number, boolean]> =
    ts > 0
      ? [
          [ts, true],
          [ts, false],
          [0, true],
        ]
      : [[0, true]];
  let raw: Buffer | null = null;
  let lastError: unknown = null;
  for (const [t, inputSeek] of attempts) {
    try {
      const out = await grab(t, inputSeek);
      if (out.length === size) {
        raw = out;
        break;
      }
    } catch (e) {
      lastError = e;
      if (opts.signal?.aborted) break;
    }
  }
  if (!raw)
    throw lastError instanceof ProcessingError
      ? lastError
      : new ProcessingError('ffmpeg decoded no video frame');
  return encodeRaw(raw, width, height, 3, opts, 'none');
}

interface WaveformOptions extends EncodeOptions {
  width: number;
  height: number;
  limits: MediaLimits;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The library's tools and decoder processes (media-tools.ts). */
  tools: MediaTools;
}

/** Audio as a waveform picture (ffmpeg showwavespic, all channels mixed to one, log amplitude so quiet takes show), light on dark. */
export async function waveform(
  file: string,
  meta: MediaMetadata,
  opts: WaveformOptions,
): Promise<RenderedImage> {
  checkDecodeLimits(meta, opts.limits);
  const { width, height } = opts;
  const args = [
    '-v',
    'error',
    '-nostdin',
    '-hide_banner',
    ...ffmpegInputArgs(file, meta.format),
    '-filter_complex',
    `[0:a:0]aformat=channel_layouts=mono,showwavespic=s=${width}x${height}:colors=#8fc7ff:scale=log[w]`,
    '-map',
    '[w]',
    '-frames:v',
    '1',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgba',
    'pipe:1',
  ];
  const { stdout } = await runTool(opts.tools.paths.ffmpeg, args, {
    timeoutMs: opts.timeoutMs,
    maxStdoutBytes: width * height * 4 + 1,
    signal: opts.signal,
    memoryBytes: opts.limits.toolMemoryBytes,
  });
  if (stdout.length !== width * height * 4) throw new ProcessingError('ffmpeg produced no waveform');
  // showwavespic draws on transparency: put it on a dark background.
  const flat = Buffer.alloc(width * height * 3);
  for (let i = 0, j = 0; i < stdout.length; i += 4, j += 3) {
    const a = stdout[i + 3]! / 255;
    flat[j] = Math.round(stdout[i]! * a + 30 * (1 - a));
    flat[j + 1] = Math.round(stdout[i + 1]! * a + 30 * (1 - a));
    flat[j + 2] = Math.round(stdout[i + 2]! * a + 34 * (1 - a));
  }
  return encodeRaw(flat, width, height, 3, opts, 'none');
}
