/**
 * Annotated frames as pictures: the frame a note is on (from the media's renditions, or
 * extracted with ffmpeg at the frame's exact time) with the note's vector drawing composited
 * over it (an SVG rendered by sharp/librsvg).
 *
 * Stored pictures (originals and frames people uploaded, renditions) are decoded in the image
 * decoder processes (media/decoder-pool.ts). Compositing runs here: its inputs are the PNG the
 * decoder returned and an SVG Montu writes from a validated drawing, not a file from outside.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Media, MediaFile } from '@montu/domain';
import { drawingToSvg, type Drawing } from '@montu/domain';
import { frameSeekSeconds } from '@montu/domain';
import type { StorageBackend } from '../storage/backend.js';
import { DEFAULT_MEDIA_LIMITS } from '../processing/tools/limits.js';
import { runTool } from '../processing/tools/tools.js';
import type { MediaTools } from '../processing/tools/media-tools.js';
import { withLocalFiles } from '../processing/local-files.js';
import type { MediaTiming } from '@montu/domain';

export interface FrameImage {
  png: Buffer;
  width: number;
  height: number;
  /** Where the picture came from: `frame` (exact), `thumbnail`/`web` (a stand-in) or `placeholder`. */
  source: 'frame' | 'original' | 'web' | 'thumbnail' | 'proxy' | 'placeholder';
}

/** Draws a drawing over a picture; returns a PNG of the picture's size. */
export async function renderAnnotatedFrame(picture: Buffer, drawing: Drawing | null): Promise<Buffer> {
  const sharp = (await import('sharp')).default;
  const base = sharp(picture).rotate();
  const { width, height } = await base
    .clone()
    .png()
    .toBuffer({ resolveWithObject: true })
    .then((r) => r.info);
  if (!drawing || drawing.shapes.length === 0) return base.png().toBuffer();
  const svg = Buffer.from(drawingToSvg(drawing, width, height));
  return sharp(await base.png().toBuffer())
    .composite([{ input: svg, top: 0, left: 0 }])
    .png()
    .toBuffer();
}

const STILL_TYPES = /^image\/(png|jpeg|webp|gif|tiff|avif)$/;

/** A picture file, oriented and fitted inside `maxEdge`, as PNG: decoded in a decoder process. */
async function fit(
  tools: MediaTools,
  file: string,
  maxEdge: number,
  source: FrameImage['source'],
): Promise<FrameImage> {
  const limits = DEFAULT_MEDIA_LIMITS;
  const { data, width, height } = await tools.decoders(limits).render(
    {
      file,
      maxEdge,
      linear: false,
      toneMap: 'srgb',
      failOn: 'warning',
      maxPixels: limits.maxPixels,
      format: 'png',
      quality: 100,
    },
    { timeoutMs: limits.thumbnailTimeoutMs },
  );
  return { png: data, width, height, source };
}

/** A neutral grey picture with the media's aspect ratio, when no frame can be had. */
async function placeholder(media: Media, maxEdge: number): Promise<FrameImage> {
  const sharp = (await import('sharp')).default;
  const w0 = Number(media.metadata['width']) || 16;
  const h0 = Number(media.metadata['height']) || 9;
  const scale = Math.min(maxEdge / w0, maxEdge / h0, 1280 / Math.max(w0, h0));
  const width = Math.max(16, Math.round(w0 * scale));
  const height = Math.max(16, Math.round(h0 * scale));
  const png = await sharp({ create: { width, height, channels: 3, background: { r: 64, g: 64, b: 64 } } })
    .png()
    .toBuffer();
  return { png, width, height, source: 'placeholder' };
}

/** Extracts one movie frame at the exact time of `frame` (middle of the frame) as PNG. */
export async function extractVideoFrame(
  tools: MediaTools,
  file: string,
  frame: number,
  fps: string,
  timeoutMs = 60_000,
): Promise<Buffer> {
  const args = [
    '-v',
    'error',
    '-nostdin',
    '-hide_banner',
    '-ss',
    frameSeekSeconds(frame, fps),
    '-i',
    file,
    '-map',
    '0:v:0',
    '-frames:v',
    '1',
    '-an',
    '-sn',
    '-dn',
    '-f',
    'image2pipe',
    '-vcodec',
    'png',
    'pipe:1',
  ];
  const { stdout } = await runTool(tools.paths.ffmpeg, args, {
    timeoutMs,
    maxStdoutBytes: 256 * 1024 * 1024,
  });
  if (stdout.length === 0) throw new Error(`ffmpeg returned no picture for frame ${frame}`);
  return stdout;
}

/** Where frames come from: the library's storage, and its tools to decode them. */
export interface FrameSources {
  storage: StorageBackend;
  tools: MediaTools;
}

/**
 * The picture of `frame` of a media item, at most `maxEdge` pixels on its long side. Exact where
 * possible (the sequence's frame file, the movie frame via ffmpeg); otherwise the web rendition
 * or thumbnail; a grey placeholder as the last resort (a report never fails for want of a frame).
 */
export async function frameImage(
  { storage, tools }: FrameSources,
  media: Media,
  timing: MediaTiming,
  frame: number | null,
  maxEdge = 1280,
): Promise<FrameImage> {
  const byRole = (role: MediaFile['role']) =>
    media.files.find((f) => f.role === role && f.state !== 'missing' && f.state !== 'corrupt');
  const tryStill = async (
    f: MediaFile | undefined,
    source: FrameImage['source'],
  ): Promise<FrameImage | null> => {
    if (!f) return null;
    try {
      return await withLocalFiles(storage, [f.key], ([p]) => fit(tools, p!, maxEdge, source));
    } catch {
      return null;
    }
  };
  if (media.mediaType === 'sequence' && frame !== null) {
    const f = media.files.find((x) => x.role === 'frame' && x.frame === frame);
    const got = await tryStill(f, 'frame');
    if (got) return got;
  }
  if (media.mediaType === 'video' && frame !== null && timing.fps) {
    const source = byRole('proxy') ?? byRole('original');
    if (source) {
      const tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'montu-frame-'));
      try {
        const file = path.join(tmp, `in${path.extname(source.key) || '.mov'}`);
        await pipeline(await storage.get(source.key), fs.createWriteStream(file));
        const png = path.join(tmp, 'frame.png');
        await fs.promises.writeFile(png, await extractVideoFrame(tools, file, frame, timing.fps));
        return await fit(tools, png, maxEdge, 'frame');
      } catch {
        // fall through to stand-ins
      } finally {
        await fs.promises.rm(tmp, { recursive: true, force: true });
      }
    }
  }
  if (media.mediaType === 'image') {
    const original = byRole('original');
    if (original && STILL_TYPES.test(original.contentType)) {
      const got = await tryStill(original, 'original');
      if (got) return got;
    }
  }
  return (
    (await tryStill(byRole('web'), 'web')) ??
    (await tryStill(byRole('thumbnail'), 'thumbnail')) ??
    placeholder(media, maxEdge)
  );
}
