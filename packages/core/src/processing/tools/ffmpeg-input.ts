import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * ffmpeg demuxer forced for each sniffed format, so a file is read as what its content says it
 * is (a hostile file cannot steer ffmpeg to another demuxer by its name). Formats missing here
 * are probed by ffmpeg itself, still under the protocol whitelist.
 */
const DEMUXERS: Record<string, string> = {
  mov: 'mov',
  mp4: 'mov',
  m4v: 'mov',
  m4a: 'mov',
  '3gp': 'mov',
  mkv: 'matroska',
  webm: 'matroska',
  avi: 'avi',
  flv: 'flv',
  asf: 'asf',
  wmv: 'asf',
  wma: 'asf',
  mxf: 'mxf',
  mts: 'mpegts',
  mpg: 'mpeg',
  ogg: 'ogg',
  ogv: 'ogg',
  oga: 'ogg',
  opus: 'ogg',
  wav: 'wav',
  mp3: 'mp3',
  mp2: 'mp3',
  flac: 'flac',
  aac: 'aac',
  aif: 'aiff',
  ac3: 'ac3',
  exr: 'exr_pipe',
  dpx: 'dpx_pipe',
  bmp: 'bmp_pipe',
  png: 'png_pipe',
  apng: 'apng',
  jpg: 'jpeg_pipe',
  tif: 'tiff_pipe',
  webp: 'webp_pipe',
  gif: 'gif',
  psd: 'psd_pipe',
};

/** Formats read through the image2 demuxer, which picks the decoder from the file extension. */
const BY_EXTENSION: Record<string, string> = { tga: '.tga' };

export function demuxerFor(format: string): string | null {
  return DEMUXERS[format] ?? null;
}

/** How libavformat opens one file: the forced demuxer ('' = probed), its options and the URL. */
export interface FfmpegInput {
  demuxer: string;
  options: Record<string, string>;
  url: string;
}

/**
 * How one file is opened by ffmpeg, ffprobe and the stay-open prober: protocol whitelist, forced
 * demuxer, MOV data references off, and the file as an explicit `file:` URL (never a protocol or
 * pattern).
 */
export function ffmpegInput(file: string, format: string): FfmpegInput {
  const options: Record<string, string> = { protocol_whitelist: 'file,pipe' };
  let demuxer = DEMUXERS[format] ?? '';
  if (demuxer === 'mov') options['enable_drefs'] = '0';
  if (BY_EXTENSION[format]) {
    demuxer = 'image2';
    options['pattern_type'] = 'none';
  }
  return { demuxer, options, url: 'file:' + path.resolve(file) };
}

/** The input part of an ffmpeg/ffprobe command line (ffmpegInput as arguments). */
export function ffmpegInputArgs(file: string, format: string, extra: readonly string[] = []): string[] {
  const input = ffmpegInput(file, format);
  const args = Object.entries(input.options).flatMap(([k, v]) => [`-${k}`, v]);
  if (input.demuxer) args.unshift('-f', input.demuxer);
  args.push(...extra, '-i', input.url);
  return args;
}

/**
 * The start of an ffmpeg command line reading one file: errors only, no stdin, no banner, then
 * the input part (ffmpegInputArgs). The output options and the output follow.
 */
export function ffmpegPrologue(file: string, format: string, extra: readonly string[] = []): string[] {
  return ['-v', 'error', '-nostdin', '-hide_banner', ...ffmpegInputArgs(file, format, extra)];
}

/**
 * For formats that ffmpeg only recognises by extension (TGA): gives a path with that extension,
 * a symlink in a private temporary folder when the stored file has another name. Call the
 * returned cleanup when done.
 */
export async function withToolExtension(
  file: string,
  format: string,
): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const ext = BY_EXTENSION[format];
  if (!ext || file.toLowerCase().endsWith(ext)) return { path: file, cleanup: async () => {} };
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'montu-in-'));
  const link = path.join(dir, 'input' + ext);
  await fsp.symlink(path.resolve(file), link);
  return { path: link, cleanup: () => fsp.rm(dir, { recursive: true, force: true }) };
}
