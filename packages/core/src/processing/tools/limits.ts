import { ProcessingError } from '@montu/domain';
import type { MediaMetadata } from './metadata.js';

/** Safety limits for media processing. All are configurable; defaults suit a studio workstation. */
export interface MediaLimits {
  /** Largest image (width × height, per subimage/frame) that will be decoded. Default 268 M px (16384²). */
  maxPixels: number;
  /** Longest video/audio accepted for proxies and waveforms, in seconds. Default 4 h. */
  maxDurationSeconds: number;
  /** Largest file accepted for processing, in bytes. Default 64 GiB. */
  maxFileSize: number;
  /** Timeout for ffprobe and for the metadata step as a whole, in ms. Default 30 s. */
  probeTimeoutMs: number;
  /** Timeout for one thumbnail or web image, in ms. Default 120 s. */
  thumbnailTimeoutMs: number;
  /** Timeout for one proxy movie or audio preview, in ms. Default 4 h. */
  proxyTimeoutMs: number;
  /**
   * Address-space cap for each external tool (ffmpeg, ffprobe, oiiotool, vips), in bytes, applied
   * with `prlimit --as` when /usr/bin/prlimit exists. Default 8 GiB (a 16384² RGBA float image
   * is 4 GiB by itself).
   */
  toolMemoryBytes: number;
}

export const DEFAULT_MEDIA_LIMITS: Readonly<MediaLimits> = Object.freeze({
  maxPixels: 16384 * 16384,
  maxDurationSeconds: 4 * 3600,
  maxFileSize: 64 * 1024 ** 3,
  probeTimeoutMs: 30_000,
  thumbnailTimeoutMs: 120_000,
  proxyTimeoutMs: 4 * 3600_000,
  toolMemoryBytes: 8 * 1024 ** 3,
});

export function resolveLimits(partial?: Partial<MediaLimits>): MediaLimits {
  const out = { ...DEFAULT_MEDIA_LIMITS };
  for (const [k, v] of Object.entries(partial ?? {})) {
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v > 0))
      throw new ProcessingError(`media limit ${k} must be a positive number`);
    (out as Record<string, number>)[k] = v;
  }
  return out;
}

/** Throws ProcessingError when a file is larger than the limit (checked before any tool reads it). */
export function checkFileSize(size: number, limits: MediaLimits): void {
  if (size > limits.maxFileSize) {
    throw new ProcessingError(`file is ${size} bytes, more than the limit of ${limits.maxFileSize} bytes`, {
      details: { limit: 'maxFileSize', value: size, max: limits.maxFileSize },
    });
  }
}

/**
 * Rejects decompression bombs and over-long media from the header facts in `meta`, before any
 * pixel or sample is decoded. Every subimage/part declared in the header is checked.
 */
export function checkDecodeLimits(meta: MediaMetadata, limits: MediaLimits): void {
  checkFileSize(meta.fileSize, limits);
  const sizes: Array<[number, number]> = [];
  if (meta.width !== null && meta.height !== null) sizes.push([meta.width, meta.height]);
  if (meta.displayWindow) sizes.push([meta.displayWindow.width, meta.displayWindow.height]);
  for (const p of meta.parts ?? []) {
    if (p.width !== null && p.height !== null) sizes.push([p.width, p.height]);
  }
  for (const [w, h] of sizes) {
    if (w * h > limits.maxPixels) {
      throw new ProcessingError(
        `image declares ${w} × ${h} = ${w * h} pixels, more than the limit of ${limits.maxPixels}; not decoded`,
        { details: { limit: 'maxPixels', width: w, height: h, max: limits.maxPixels } },
      );
    }
  }
  if (meta.duration !== null && meta.duration > limits.maxDurationSeconds) {
    throw new ProcessingError(
      `media lasts ${meta.duration} s, more than the limit of ${limits.maxDurationSeconds} s`,
      {
        details: { limit: 'maxDurationSeconds', value: meta.duration, max: limits.maxDurationSeconds },
      },
    );
  }
}
