/**
 * The thumbnail sprite sheet of a movie or sequence (issue 21 item 6): evenly spaced frames of
 * the proxy, small, tiled in a grid in one JPEG, with the index of which frame each tile shows —
 * what a timeline needs for its thumbnail strip and hover previews without decoding video.
 */
import fsp from 'node:fs/promises';
import sharp from 'sharp';
import { ProcessingError } from '@montu/domain';
import { resolveLimits, type MediaLimits } from './limits.js';
import type { Static } from '@sinclair/typebox';
import type { RenditionInfo as RenditionInfoSchema } from '@montu/domain/wire';
import { runTool } from './tools.js';
import { ffmpegPrologue } from './ffmpeg-input.js';
import { probeIsobmff } from './isobmff.js';
import type { MediaTools } from './media-tools.js';

/** At most this many tiles (a long movie gets one tile every n frames), this wide, this many a row. */
export const SPRITE_MAX_TILES = 100;
export const SPRITE_TILE_WIDTH = 160;
export const SPRITE_COLUMNS = 10;

/** The sprite's index, recorded as the rendition's info. */
export interface SpriteIndex {
  width: number;
  height: number;
  tileWidth: number;
  tileHeight: number;
  columns: number;
  rows: number;
  /** Tile i (row-major) shows the frame `offsets[i]` frames after the first (movie index, sequence start + offset). */
  offsets: number[];
}

/** Frames of a movie file as its container counts them (the proxy, made CFR, counts exactly). */
async function frameCountOf(tools: MediaTools, file: string, timeoutMs: number): Promise<number> {
  // The proxy's movie box answers in-process (isobmff.ts) without an ffprobe start.
  const read = await probeIsobmff(file).catch(() => null);
  const counted = Number(read?.streams.find((s) => s.codec_type === 'video')?.nb_frames);
  if (Number.isSafeInteger(counted) && counted > 0) return counted;
  const { stdout } = await runTool(
    tools.paths.ffprobe,
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=nb_frames', '-of', 'csv=p=0', file],
    { timeoutMs },
  );
  const n = Number(stdout.toString().trim().split(/\s+/)[0]);
  if (!Number.isSafeInteger(n) || n <= 0) throw new ProcessingError('the proxy has no frame count');
  return n;
}

/** The frame offsets a sheet of a `count`-frame movie shows: every `step`-th, at most SPRITE_MAX_TILES. */
export function spriteOffsets(count: number): number[] {
  const step = Math.max(1, Math.ceil(count / SPRITE_MAX_TILES));
  const out: number[] = [];
  for (let f = 0; f < count; f += step) out.push(f);
  return out;
}

/** Makes the sprite sheet JPEG of `video` (a proxy) at `outPath`; returns its index. */
export async function createSpriteSheet(
  video: string,
  outPath: string,
  opts: { limits?: Partial<MediaLimits>; signal?: AbortSignal; tools: MediaTools },
): Promise<SpriteIndex> {
  const limits = resolveLimits(opts.limits);
  const count = await frameCountOf(opts.tools, video, limits.thumbnailTimeoutMs);
  const offsets = spriteOffsets(count);
  const step = offsets.length > 1 ? offsets[1]! - offsets[0]! : 1;
  const columns = Math.min(SPRITE_COLUMNS, offsets.length);
  const rows = Math.ceil(offsets.length / columns);
  await runTool(
    opts.tools.paths.ffmpeg,
    [
      // The proxy: an MP4 this library wrote.
      ...ffmpegPrologue(video, 'mp4'),
      '-y',
      '-map',
      '0:v:0',
      '-an',
      '-vf',
      // Decoded frame n is frame n of the item (the proxy is constant-rate, one frame per frame).
      `select='not(mod(n\\,${step}))',scale=${SPRITE_TILE_WIDTH}:-2:flags=bicubic,tile=${columns}x${rows}`,
      '-fps_mode',
      'passthrough',
      '-frames:v',
      '1',
      '-q:v',
      '4',
      outPath,
    ],
    { timeoutMs: limits.proxyTimeoutMs, memoryBytes: limits.toolMemoryBytes, signal: opts.signal },
  );
  await fsp.access(outPath).catch(() => {
    throw new ProcessingError('ffmpeg wrote no sprite sheet');
  });
  const { width = 0, height = 0 } = await sharp(outPath).metadata();
  return {
    width,
    height,
    tileWidth: Math.floor(width / columns),
    tileHeight: Math.floor(height / rows),
    columns,
    rows,
    offsets,
  };
}

// The index is served as the file's `info`: every field must be declared in the wire schema, or
// the answer would drop it (closed schemas, decision 105).
type WireRenditionInfo = Static<typeof RenditionInfoSchema>;
const spriteIndexIsDeclared: [Exclude<keyof SpriteIndex, keyof WireRenditionInfo>] extends [never]
  ? SpriteIndex extends WireRenditionInfo
    ? true
    : false
  : false = true;
void spriteIndexIsDeclared;
