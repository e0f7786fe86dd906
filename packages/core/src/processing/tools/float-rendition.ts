import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import {
  FLOAT_IMAGE_CONTENT_TYPE,
  ProcessingError,
  errorMessage,
  floatImagePrefix,
  floatToHalf,
  wantsFloatRendition,
  type FloatImageHeader,
} from '@montu/domain';
import { exrLayout, withDisplayWindow } from './exr-window.js';
import { ffmpegPrologue, withToolExtension } from './ffmpeg-input.js';
import { checkDecodeLimits, type MediaLimits } from './limits.js';
import type { MediaMetadata } from './metadata.js';
import { exrGreyOnly } from './still.js';
import { runTool, stderrTail } from './tools.js';
import type { MediaTools } from './media-tools.js';

const deflate = promisify(zlib.deflate);

/** Scene-linear formats ffmpeg 5.1 cannot decode: libvips does, as the thumbnails do (decision 187). */
const VIPS_LINEAR_FORMATS = new Set(['tif', 'hdr']);

/** Which pictures get a `web_float` rendition: the domain's rule (decisions 147, 187). */
export { wantsFloatRendition };

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
  opts: { limits: MediaLimits; timeoutMs?: number; signal?: AbortSignal; tools: MediaTools },
): Promise<FloatRendition> {
  checkDecodeLimits(meta, opts.limits);
  if (meta.linear && VIPS_LINEAR_FORMATS.has(meta.format)) return floatWithVips(file, meta, opts);
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
        opts.tools.paths.ffmpeg,
        [
          ...ffmpegPrologue(input.path, meta.format),
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

/**
 * Float TIFF and Radiance HDR through the `vips` command, as their thumbnails are decoded
 * (still.ts): HDR through `rad2float` (Radiance's own RGBE decoding, mantissa + ½), then
 * `rawsave`: the bands as little-endian floats, interleaved, rows top to bottom, no header. One
 * band is grey, three RGB.
 */
async function floatWithVips(
  file: string,
  meta: MediaMetadata,
  opts: { limits: MediaLimits; timeoutMs?: number; signal?: AbortSignal; tools: MediaTools },
): Promise<FloatRendition> {
  if (!opts.tools.find('vips'))
    throw new ProcessingError(
      `a float ${meta.format.toUpperCase()} needs the \`vips\` command (libvips-tools)`,
    );
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width < 1 || height < 1) throw new ProcessingError('the picture has no size');
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'montu-float-'));
  try {
    const run = (args: string[]) =>
      runTool(opts.tools.paths.vips, args, {
        timeoutMs: opts.timeoutMs ?? 120_000,
        signal: opts.signal,
        memoryBytes: opts.limits.toolMemoryBytes,
      }).catch((e: unknown) => {
        throw new ProcessingError(`vips could not decode the picture as float: ${errorMessage(e)}`, {
          cause: e,
        });
      });
    let source = path.resolve(file);
    if (meta.format === 'hdr') {
      const floats = path.join(dir, 'float.v');
      await run(['rad2float', source, floats]);
      source = floats;
    }
    const raw = path.join(dir, 'pixels.raw');
    await run(['rawsave', source, raw]);
    const bytes = await fsp.readFile(raw);
    const bands = bytes.length / (width * height * 4);
    if (![1, 2, 3, 4].includes(bands))
      throw new ProcessingError(`vips gave ${bytes.length} bytes for a ${width}×${height} float picture`);
    // libvips 8.14 unpremultiplies float TIFFs with (associated) alpha on a 0–255 alpha scale:
    // colour comes out ×255/alpha, and 0 under alpha 0. Refused rather than shown wrong.
    if (bands === 2 || bands === 4)
      throw new ProcessingError(
        'a float TIFF with alpha cannot be read exactly (libvips unpremultiplies it)',
      );
    const channels = 3;
    const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    const halves = new Uint16Array(width * height * channels);
    const half = (v: number) => floatToHalf(Number.isNaN(v) ? 0 : v);
    for (let i = 0; i < width * height; i++) {
      const s = i * bands;
      const o = i * channels;
      const grey = bands < 3;
      halves[o] = half(floats[s]!);
      halves[o + 1] = half(floats[grey ? s : s + 1]!);
      halves[o + 2] = half(floats[grey ? s : s + 2]!);
    }
    const header: FloatImageHeader = {
      kind: 'image',
      width,
      height,
      depth: 1,
      channels,
      compression: 'deflate',
      values: 'scene_linear',
    };
    const payload = await deflate(Buffer.from(halves.buffer, halves.byteOffset, halves.byteLength));
    return {
      data: Buffer.concat([floatImagePrefix(header), payload]),
      header,
      mimeType: FLOAT_IMAGE_CONTENT_TYPE,
    };
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
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
