import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { readEnvironment } from '../../src/config/environment.js';
import { MediaTools } from '../../src/processing/tools/media-tools.js';

export const exec = promisify(execFile);

export async function tmpDir(prefix = 'montu-media-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function ffmpeg(args: string[]): Promise<void> {
  await exec('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args], { maxBuffer: 64 * 1024 * 1024 });
}

/** Every ffprobe stream field probe.ts reads. */
export const STREAM_FIELDS = [
  'codec_type',
  'codec_name',
  'profile',
  'width',
  'height',
  'sample_aspect_ratio',
  'pix_fmt',
  'color_space',
  'color_transfer',
  'color_primaries',
  'color_range',
  'r_frame_rate',
  'avg_frame_rate',
  'time_base',
  'duration_ts',
  'nb_frames',
  'bits_per_raw_sample',
  'bits_per_sample',
  'sample_fmt',
  'sample_rate',
  'channels',
  'channel_layout',
] as const;

export interface ProbeJson {
  streams: Array<Record<string, string | number | undefined> & { codec_type: string }>;
  format: Record<string, string | number | undefined>;
}

export async function ffprobeJson(file: string, extra: string[] = []): Promise<ProbeJson> {
  const { stdout } = await exec(
    'ffprobe',
    ['-v', 'error', '-show_streams', '-show_format', ...extra, '-of', 'json', file],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as ProbeJson;
}

/** Writes a scene-linear EXR filled with one value (planar float through ffmpeg's EXR encoder). */
export async function writeFlatExr(file: string, value: number, w = 64, h = 48, half = true): Promise<void> {
  const raw = path.join(path.dirname(file), `flat-${w}x${h}.raw`);
  const buf = Buffer.alloc(w * h * 3 * 4);
  for (let i = 0; i < w * h * 3; i++) buf.writeFloatLE(value, i * 4);
  await fs.writeFile(raw, buf);
  await ffmpeg([
    '-f',
    'rawvideo',
    '-pix_fmt',
    'gbrpf32le',
    '-s',
    `${w}x${h}`,
    '-i',
    raw,
    '-c:v',
    'exr',
    '-format',
    half ? 'half' : 'float',
    '-compression',
    'zip1',
    '-frames:v',
    '1',
    file,
  ]);
  await fs.rm(raw);
}

/**
 * oiiotool arguments for a 64×48 half-float EXR of one constant value per channel, with the
 * given channel names (`Y`, `Y,A`, `diffuse.R,…`): layouts the built-in and OCIO paths must
 * both show as the colour they hold.
 */
export function constantExrArgs(values: number[], channels: string[], file: string): string[] {
  return [
    '--pattern',
    `constant:color=${values.join(',')}`,
    '64x48',
    String(channels.length),
    '--chnames',
    channels.join(','),
    '-d',
    'half',
    '-o',
    file,
  ];
}

/**
 * The media tools these tests run with, as this process's environment names them (a library
 * makes its own in openMontu; functions of the tools take them as an argument).
 */
export const TOOLS = new MediaTools(readEnvironment());
