import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { ProcessingError, errorMessage } from '../errors.js';
import { floatInterleavedToRgb8, gbrpf32ToRgb8, type ToneMap } from './colour.js';
import { ffmpegInputArgs, withToolExtension } from './ffmpeg-input.js';
import { checkDecodeLimits, type MediaLimits } from './limits.js';
import type { MediaMetadata } from './metadata.js';
import { SHARP_FORMATS } from './probe.js';
import { findTool, runTool, stderrTail, TOOL_PATHS } from './tools.js';

/** JPEG has no alpha: transparent pictures are shown over neutral grey (neither dark nor light logos vanish). */
const ALPHA_BACKGROUND = '#808080';

export type ImageFormat = 'jpeg' | 'webp';

/** A rendered picture (thumbnail, web image, video frame, waveform), returned as bytes for the caller to store. */
export interface RenderedImage {
  data: Buffer;
  width: number;
  height: number;
  format: ImageFormat;
  mimeType: string;
  /** The display transform applied: none (display-referred source), srgb, filmic, or ocio (oiiotool). */
  transform: 'none' | 'srgb' | 'filmic' | 'ocio';
}

export interface EncodeOptions {
  format?: ImageFormat;
  /** 1–100, default 80 (thumbnails) / 90 (web images). */
  quality?: number;
}

export interface StillOptions extends EncodeOptions {
  /** Longest edge in pixels; null keeps the full resolution. Never enlarges. */
  maxEdge: number | null;
  toneMap?: ToneMap;
  limits: MediaLimits;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Fits w × h inside a square of `maxEdge` keeping the aspect ratio (never enlarging); at least 1 px. */
export function fitInside(w: number, h: number, maxEdge: number | null): { width: number; height: number } {
  if (maxEdge === null || (w <= maxEdge && h <= maxEdge))
    return { width: Math.max(1, Math.round(w)), height: Math.max(1, Math.round(h)) };
  const s = maxEdge / Math.max(w, h);
  return { width: Math.max(1, Math.round(w * s)), height: Math.max(1, Math.round(h * s)) };
}

export async function encodeRaw(
  raw: Buffer,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
  opts: EncodeOptions,
  transform: RenderedImage['transform'],
): Promise<RenderedImage> {
  return encode(sharp(raw, { raw: { width, height, channels } }), opts, transform);
}

async function encode(
  img: sharp.Sharp,
  opts: EncodeOptions,
  transform: RenderedImage['transform'],
): Promise<RenderedImage> {
  const format = opts.format ?? 'jpeg';
  const quality = opts.quality ?? 80;
  try {
    const out =
      format === 'webp'
        ? img.webp({ quality })
        : img.flatten({ background: ALPHA_BACKGROUND }).jpeg({ quality });
    const { data, info } = await out.toBuffer({ resolveWithObject: true });
    return {
      data,
      width: info.width,
      height: info.height,
      format,
      mimeType: format === 'webp' ? 'image/webp' : 'image/jpeg',
      transform,
    };
  } catch (e) {
    throw new ProcessingError(`image encoding failed: ${errorMessage(e)}`, { cause: e });
  }
}

/** Size of the picture as displayed: EXR display window, pixel aspect applied, EXIF rotation applied. */
export function displaySize(meta: MediaMetadata): { width: number; height: number } {
  const w = meta.displayWindow?.width ?? meta.width ?? 0;
  const h = meta.displayWindow?.height ?? meta.height ?? 0;
  const pa = meta.pixelAspect && meta.pixelAspect > 0 ? meta.pixelAspect : 1;
  const sw = Math.round(w * pa);
  return meta.rotation === 90 || meta.rotation === 270 ? { width: h, height: sw } : { width: sw, height: h };
}

/**
 * Renders a still image (or the first frame/page/part of one) at a bounded size. Limits are
 * checked from the probed header before anything is decoded.
 */
export async function renderStill(
  file: string,
  meta: MediaMetadata,
  opts: StillOptions,
): Promise<RenderedImage> {
  checkDecodeLimits(meta, opts.limits);
  const toneMap = opts.toneMap ?? 'srgb';
  if (meta.linear && process.env['OCIO'] && findTool(TOOL_PATHS.oiiotool)) {
    return renderWithOiio(file, meta, opts);
  }
  if (meta.format === 'jpg') {
    // libjpeg-turbo gives up on some valid files (UltraHDR with gain maps fill grey after a
    // "premature end" warning) that ffmpeg's decoder reads; damaged JPEGs still show what decodes.
    try {
      return await renderWithSharp(file, meta, opts, toneMap, 'warning');
    } catch {
      try {
        return await renderWithFfmpeg(file, meta, opts, toneMap, true);
      } catch {
        return renderWithSharp(file, meta, opts, toneMap, 'none');
      }
    }
  }
  if (
    SHARP_FORMATS.has(meta.format) &&
    !meta.warnings.some((w) => w.startsWith('cannot read the image header'))
  ) {
    // Truncated PNG/GIF/WebP data is only a warning to their decoders: refuse it. libtiff warns
    // about much that is valid (old-style LZW, unknown tags): TIFF fails on errors only.
    return renderWithSharp(file, meta, opts, toneMap, meta.format === 'tif' ? 'error' : 'warning');
  }
  if (meta.format === 'hdr') return renderHdrWithVips(file, meta, opts, toneMap);
  return renderWithFfmpeg(file, meta, opts, toneMap);
}

async function renderWithSharp(
  file: string,
  meta: MediaMetadata,
  opts: StillOptions,
  toneMap: ToneMap,
  failOn: 'none' | 'warning' | 'error',
): Promise<RenderedImage> {
  const edge = opts.maxEdge;
  try {
    let img = sharp(file, { limitInputPixels: opts.limits.maxPixels, failOn, sequentialRead: true }).rotate();
    if (edge !== null)
      img = img.resize({ width: edge, height: edge, fit: 'inside', withoutEnlargement: true });
    if (meta.linear) {
      const { data, info } = await img.raw({ depth: 'float' }).toBuffer({ resolveWithObject: true });
      const rgb = floatInterleavedToRgb8(data, info.channels, toneMap);
      return await encodeRaw(rgb, info.width, info.height, info.channels as 1 | 2 | 3 | 4, opts, toneMap);
    }
    return await encode(img, opts, 'none');
  } catch (e) {
    if (e instanceof ProcessingError) throw e;
    throw new ProcessingError(`cannot decode the image: ${errorMessage(e)}`, { cause: e });
  }
}

/** ffmpeg decodes EXR, DPX, TGA, BMP, …; it scales, and linear data comes out as float for our transform. */
async function renderWithFfmpeg(
  file: string,
  meta: MediaMetadata,
  opts: StillOptions,
  toneMap: ToneMap,
  tolerant = false,
): Promise<RenderedImage> {
  const src = displaySize(meta);
  const { width, height } = fitInside(src.width, src.height, opts.maxEdge);
  const pixFmt = meta.linear ? 'gbrpf32le' : 'rgba';
  const input = await withToolExtension(file, meta.format);
  try {
    const args = [
      '-v',
      'error',
      '-nostdin',
      '-hide_banner',
      ...ffmpegInputArgs(input.path, meta.format),
      '-map',
      '0:v:0',
      '-frames:v',
      '1',
      '-vf',
      `scale=${width}:${height}:flags=area`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      pixFmt,
      'pipe:1',
    ];
    const expected = width * height * (meta.linear ? 12 : 4);
    const { stdout, stderr } = await runTool(TOOL_PATHS.ffmpeg, args, {
      timeoutMs: opts.timeoutMs,
      maxStdoutBytes: expected + 1,
      signal: opts.signal,
      memoryBytes: opts.limits.toolMemoryBytes,
    });
    // A still that decodes with errors (ffmpeg fills the damaged blocks) is not shown half-broken.
    if (stdout.length !== expected || (!tolerant && stderr.trim() !== '')) {
      throw new ProcessingError(
        `ffmpeg could not decode the picture${stderr.trim() ? ': ' + stderrTail(stderr) : ''}`,
      );
    }
    if (meta.linear)
      return await encodeRaw(gbrpf32ToRgb8(stdout, width, height, toneMap), width, height, 3, opts, toneMap);
    // TGA/BMP writers often leave the alpha channel at zero: a fully transparent picture is shown opaque.
    let transparent = true;
    for (let i = 3; i < stdout.length && transparent; i += 4) if (stdout[i] !== 0) transparent = false;
    if (transparent) for (let i = 3; i < stdout.length; i += 4) stdout[i] = 255;
    return await encodeRaw(stdout, width, height, 4, opts, 'none');
  } finally {
    await input.cleanup();
  }
}

/** Radiance HDR: neither sharp's libvips build nor ffmpeg 5.1 decode it; the system `vips` CLI does. */
async function renderHdrWithVips(
  file: string,
  meta: MediaMetadata,
  opts: StillOptions,
  toneMap: ToneMap,
): Promise<RenderedImage> {
  if (!findTool(TOOL_PATHS.vips))
    throw new ProcessingError('Radiance HDR needs the `vips` command (libvips-tools) to be decoded');
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'montu-hdr-'));
  try {
    const tmp = path.join(dir, 'float.v');
    await runTool(TOOL_PATHS.vips, ['rad2float', path.resolve(file), tmp], {
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      memoryBytes: opts.limits.toolMemoryBytes,
    });
    return await renderWithSharp(tmp, { ...meta, format: 'vips', linear: true }, opts, toneMap, 'error');
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

/**
 * Studio colour management: with `$OCIO` naming a config and `oiiotool` installed, the config's
 * default display/view (or MONTU_OCIO_DISPLAY / MONTU_OCIO_VIEW) renders linear images.
 */
async function renderWithOiio(file: string, meta: MediaMetadata, opts: StillOptions): Promise<RenderedImage> {
  const src = displaySize(meta);
  const { width, height } = fitInside(src.width, src.height, opts.maxEdge);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'montu-oiio-'));
  try {
    const out = path.join(dir, 'display.png');
    const display = process.env['MONTU_OCIO_DISPLAY'] ?? '';
    const view = process.env['MONTU_OCIO_VIEW'] ?? '';
    const args = [
      path.resolve(file),
      '--ch',
      'R,G,B',
      '--ociodisplay',
      display,
      view,
      '--fit',
      `${width}x${height}`,
      '-d',
      'uint8',
      '-o',
      out,
    ];
    await runTool(TOOL_PATHS.oiiotool, args, {
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      memoryBytes: opts.limits.toolMemoryBytes,
    });
    return await encode(sharp(await fsp.readFile(out)), opts, 'ocio');
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
