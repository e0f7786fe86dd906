import { promisify } from 'node:util';
import zlib from 'node:zlib';
import {
  FLOAT_IMAGE_CONTENT_TYPE,
  ProcessingError,
  floatImagePrefix,
  floatToHalf,
  type FloatImageHeader,
} from '@montu/domain';
import { exrLayout, withDisplayWindow } from './exr-window.js';
import { ffmpegInputArgs, withToolExtension } from './ffmpeg-input.js';
import { checkDecodeLimits, type MediaLimits } from './limits.js';
import type { MediaMetadata } from './metadata.js';
import { exrGreyOnly } from './still.js';
import { runTool, stderrTail, TOOL_PATHS } from './tools.js';

const deflate = promisify(zlib.deflate);

/** Still formats whose integer samples can carry more than 8 bits. */
const HIGH_BIT_FORMATS = new Set(['dpx', 'tif', 'png']);

/**
 * True for the stills that get a `web_float` rendition (decision 147): scene-linear EXR and integer formats with more than 8 bits a sample (DPX, 16-bit TIFF/PNG).
 * 8-bit stills, movies and sequences keep the plain path.
 */
export function wantsFloatRendition(
  meta: Pick<MediaMetadata, 'mediaType' | 'format' | 'linear' | 'bitDepth'>,
) {
  if (meta.mediaType !== 'image') return false;
  // Float TIFF and Radiance HDR: ffmpeg 5.1 decodes neither (they keep the plain path for now).
  if (meta.linear) return meta.format === 'exr';
  return HIGH_BIT_FORMATS.has(meta.format) && (meta.bitDepth ?? 8) > 8;
}

export interface FloatRendition {
  data: Buffer;
  header: FloatImageHeader;
  mimeType: string;
}

/**
 * Decodes a still at full resolution into float RGB through ffmpeg (no scaling: this ffmpeg
 * clips floats above 1 when it scales, decision 075) and packs it as half floats in the MF16
 * container. EXR display windows are honoured as in the 8-bit renderer (exr-window.ts): the
 * picture is the display window, black where it has no data.
 */
export async function createFloatRendition(
  file: string,
  meta: MediaMetadata,
  opts: { limits: MediaLimits; timeoutMs?: number; signal?: AbortSignal },
): Promise<FloatRendition> {
  checkDecodeLimits(meta, opts.limits);
  const width = meta.displayWindow?.width ?? meta.width ?? 0;
  const height = meta.displayWindow?.height ?? meta.height ?? 0;
  if (width < 1 || height < 1) throw new ProcessingError('the picture has no size');
  const layout = meta.linear ? exrLayout(meta, width, height) : null;
  const channels = hasAlpha(meta) ? 4 : 3;
  const header: FloatImageHeader = {
    kind: 'image',
    width,
    height,
    depth: 1,
    channels,
    compression: 'deflate',
    values: meta.linear ? 'scene_linear' : 'source',
  };
  const halves = new Uint16Array(width * height * channels);
  if (!layout || layout.place) {
    const place = layout?.place ?? { x: 0, y: 0, width, height };
    const grey = meta.linear && meta.format === 'exr' && exrGreyOnly(meta.channelNames);
    const input = layout?.headerWindow
      ? await withDisplayWindow(file, layout.headerWindow)
      : await withToolExtension(file, meta.format);
    try {
      const crop = layout?.crop;
      // Integer sources as 16-bit samples (ffmpeg widens 10/12-bit by bit replication, as oiiotool
      // does), scaled here: its own integer → float conversion is off by up to ~12/65535.
      const fmt = grey
        ? 'grayf32le'
        : meta.linear
          ? channels === 4
            ? 'gbrapf32le'
            : 'gbrpf32le'
          : channels === 4
            ? 'rgba64le'
            : 'rgb48le';
      const bytesPerPixel = grey ? 4 : meta.linear ? 4 * channels : 2 * channels;
      const expected = place.width * place.height * bytesPerPixel;
      const { stdout, stderr } = await runTool(
        TOOL_PATHS.ffmpeg,
        [
          '-v',
          'error',
          '-nostdin',
          '-hide_banner',
          ...ffmpegInputArgs(input.path, meta.format),
          '-map',
          '0:v:0',
          '-frames:v',
          '1',
          ...(crop ? ['-vf', `crop=${crop.width}:${crop.height}:${crop.x}:${crop.y}:exact=1`] : []),
          '-f',
          'rawvideo',
          '-pix_fmt',
          fmt,
          'pipe:1',
        ],
        {
          timeoutMs: opts.timeoutMs ?? 120_000,
          maxStdoutBytes: expected + 1,
          signal: opts.signal,
          memoryBytes: opts.limits.toolMemoryBytes,
        },
      );
      if (stdout.length !== expected || stderr.trim() !== '')
        throw new ProcessingError(
          `ffmpeg could not decode the picture as float${stderr.trim() ? ': ' + stderrTail(stderr) : ''}`,
        );
      if (!meta.linear) packInteger(stdout, channels, place, width, halves);
      else packPlanes(stdout, grey, channels, place, width, halves);
    } finally {
      await input.cleanup();
    }
  }
  const payload = await deflate(Buffer.from(halves.buffer, halves.byteOffset, halves.byteLength));
  return {
    data: Buffer.concat([floatImagePrefix(header), payload]),
    header,
    mimeType: FLOAT_IMAGE_CONTENT_TYPE,
  };
}

/** Interleaved 16-bit RGB(A) → half floats of code / 65535. */
function packInteger(
  raw: Buffer,
  channels: 3 | 4,
  place: { x: number; y: number; width: number; height: number },
  width: number,
  out: Uint16Array,
): void {
  const row = place.width * channels;
  for (let y = 0; y < place.height; y++)
    for (let x = 0; x < row; x++)
      out[((place.y + y) * width + place.x) * channels + x] = floatToHalf(
        raw.readUInt16LE((y * row + x) * 2) / 65535,
      );
}

/**
 * ffmpeg's planar float (`gbrpf32le`/`gbrapf32le`: planes G, B, R, A; or one grey plane) →
 * interleaved RGB(A) half floats at `place` inside a `width`-wide picture. NaN becomes 0, as the
 * thumbnails show it.
 */
function packPlanes(
  raw: Buffer,
  grey: boolean,
  channels: 3 | 4,
  place: { x: number; y: number; width: number; height: number },
  width: number,
  out: Uint16Array,
): void {
  const n = place.width * place.height;
  const floats = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const half = (v: number) => floatToHalf(Number.isNaN(v) ? 0 : v);
  for (let y = 0; y < place.height; y++) {
    for (let x = 0; x < place.width; x++) {
      const i = y * place.width + x;
      const o = ((place.y + y) * width + place.x + x) * channels;
      if (grey) {
        const v = half(floats[i]!);
        out[o] = v;
        out[o + 1] = v;
        out[o + 2] = v;
      } else {
        out[o] = half(floats[2 * n + i]!);
        out[o + 1] = half(floats[i]!);
        out[o + 2] = half(floats[n + i]!);
        if (channels === 4) out[o + 3] = half(floats[3 * n + i]!);
      }
    }
  }
}

/** An alpha channel among the unlayered channels (EXR, DPX), or a 2/4-channel picture otherwise. */
function hasAlpha(meta: Pick<MediaMetadata, 'channelNames' | 'channels'>): boolean {
  if (meta.channelNames) return meta.channelNames.includes('A');
  return meta.channels === 4 || meta.channels === 2;
}
