import { ProcessingError } from '@montu/domain';
import { ffmpegInput, ffmpegInputArgs, withToolExtension, type FfmpegInput } from './ffmpeg-input.js';
import { runTool } from './tools.js';
import type { MediaTools } from './media-tools.js';

/** The subset of ffprobe's JSON output that Montu reads. */
export interface FfprobeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  width?: number;
  height?: number;
  coded_width?: number;
  coded_height?: number;
  sample_aspect_ratio?: string;
  pix_fmt?: string;
  color_space?: string;
  color_transfer?: string;
  color_primaries?: string;
  color_range?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  time_base?: string;
  start_pts?: number;
  duration_ts?: number;
  duration?: string;
  nb_frames?: string;
  bit_rate?: string;
  bits_per_raw_sample?: string;
  bits_per_sample?: number;
  sample_fmt?: string;
  sample_rate?: string;
  channels?: number;
  channel_layout?: string;
  disposition?: Record<string, number>;
  tags?: Record<string, string>;
  side_data_list?: Array<{ side_data_type?: string; rotation?: number }>;
}

export interface FfprobeFormat {
  format_name?: string;
  duration?: string;
  bit_rate?: string;
  nb_streams?: number;
  tags?: Record<string, string>;
}

export interface FfprobeResult {
  streams: FfprobeStream[];
  format: FfprobeFormat;
}

/** Something that answers as ffprobe does for one opened input: the stay-open prober (avprobe.ts). */
export interface FfprobeAnswerer {
  probe(request: FfmpegInput & { timeoutMs: number }): Promise<FfprobeResult>;
}

/**
 * ffprobe's `-show_format -show_streams` for one file: from the stay-open prober when one is
 * given (the same libavformat calls, one process for many files), else from an ffprobe run.
 */
export async function ffprobe(
  tools: MediaTools,
  file: string,
  format: string,
  timeoutMs: number,
  avprobe?: FfprobeAnswerer | null,
): Promise<FfprobeResult> {
  const input = await withToolExtension(file, format);
  try {
    if (avprobe) return await avprobe.probe({ ...ffmpegInput(input.path, format), timeoutMs });
    const args = [
      '-v',
      'error',
      '-hide_banner',
      ...ffmpegInputArgs(input.path, format),
      '-show_format',
      '-show_streams',
      '-of',
      'json=compact=1',
    ];
    const { stdout, stderr } = await runTool(tools.paths.ffprobe, args, {
      timeoutMs,
      maxStdoutBytes: 32 * 1024 * 1024,
    });
    let parsed: unknown;
    try {
      parsed = JSON.parse(stdout.toString('utf8'));
    } catch (e) {
      throw new ProcessingError(`ffprobe printed no readable JSON: ${stderr.slice(-300)}`, { cause: e });
    }
    const obj = (parsed ?? {}) as Partial<FfprobeResult>;
    return { streams: Array.isArray(obj.streams) ? obj.streams : [], format: obj.format ?? {} };
  } finally {
    await input.cleanup();
  }
}

export interface PixFmtInfo {
  components: number;
  bits: number;
  alpha: boolean;
  float: boolean;
  palette: boolean;
}

/** Each library's ffprobe's pixel-format table, loaded once (tools may differ per library). */
const pixFmtTables = new WeakMap<MediaTools, Promise<Map<string, PixFmtInfo>>>();

/** ffmpeg's own pixel-format table (`ffprobe -show_pixel_formats`), loaded once per tools. */
export function pixelFormats(tools: MediaTools): Promise<Map<string, PixFmtInfo>> {
  const known = pixFmtTables.get(tools);
  if (known) return known;
  const table = (async () => {
    const { stdout } = await runTool(
      tools.paths.ffprobe,
      ['-v', 'error', '-show_pixel_formats', '-of', 'json'],
      { timeoutMs: 15_000 },
    );
    const json = JSON.parse(stdout.toString('utf8')) as {
      pixel_formats?: Array<{
        name: string;
        nb_components: number;
        flags?: Record<string, number>;
        components?: Array<{ bit_depth: number }>;
      }>;
    };
    const map = new Map<string, PixFmtInfo>();
    for (const p of json.pixel_formats ?? []) {
      map.set(p.name, {
        components: p.nb_components,
        bits: p.components?.[0]?.bit_depth ?? 0,
        alpha: p.flags?.['alpha'] === 1,
        float: /f(16|32|64)(le|be)?$/.test(p.name),
        palette: p.flags?.['palette'] === 1,
      });
    }
    return map;
  })().catch((e: unknown) => {
    pixFmtTables.delete(tools);
    throw e;
  });
  pixFmtTables.set(tools, table);
  return table;
}
