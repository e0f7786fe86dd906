/**
 * The audio waveform a timeline draws under its frames (issue 21 item 6): the peak amplitude of
 * each WAVEFORM_PEAKS_PER_SECOND-th of a second of a movie's first audio track, all channels
 * mixed, as a small JSON document (schema `WaveformPeaks` in @montu/domain/wire). ffmpeg does the
 * measuring (astats over fixed windows); this process only reads one number a line, so a four
 * hour movie never sits in memory.
 */
import fsp from 'node:fs/promises';
import { ProcessingError } from '@montu/domain';
import type { Static } from '@sinclair/typebox';
import type { WaveformPeaks } from '@montu/domain/wire';
import { resolveLimits, type MediaLimits } from './limits.js';
import type { MediaTools } from './media-tools.js';
import { runTool } from './tools.js';
import { ffmpegPrologue } from './ffmpeg-input.js';

/** Peaks a second: 20 ms windows, finer than a frame at every review rate up to 50 fps. */
export const WAVEFORM_PEAKS_PER_SECOND = 50;
const RATE = 48_000;
const WINDOW = RATE / WAVEFORM_PEAKS_PER_SECOND;

export type WaveformDocument = Static<typeof WaveformPeaks>;

/** Linear peak (0–1, 3 decimals) from astats' dBFS reading; silence (-inf) is 0. */
export function peakFromDb(text: string): number {
  const db = Number(text);
  if (!Number.isFinite(db)) return 0;
  return Math.min(1, Math.round(10 ** (db / 20) * 1000) / 1000);
}

/**
 * Measures the peaks of `file`'s first audio track and writes the JSON document to `outPath`.
 * Returns the document's summary (how many peaks, the duration they cover).
 */
export async function createWaveformPeaks(
  file: string,
  outPath: string,
  opts: { limits?: Partial<MediaLimits>; signal?: AbortSignal; tools: MediaTools },
): Promise<{ peaks: number; duration: number }> {
  const limits = resolveLimits(opts.limits);
  const peaks: number[] = [];
  await runTool(
    opts.tools.paths.ffmpeg,
    [
      // The proxy: an MP4 this library wrote.
      ...ffmpegPrologue(file, 'mp4'),
      '-map',
      '0:a:0',
      '-af',
      `aformat=channel_layouts=mono,aresample=${RATE},asetnsamples=n=${WINDOW}:p=0,` +
        'astats=metadata=1:reset=1:measure_perchannel=none:measure_overall=Peak_level,' +
        'ametadata=print:key=lavfi.astats.Overall.Peak_level:file=-',
      '-f',
      'null',
      '-',
    ],
    {
      timeoutMs: limits.proxyTimeoutMs,
      memoryBytes: limits.toolMemoryBytes,
      ...(opts.signal ? { signal: opts.signal } : {}),
      onStdoutLine: (line) => {
        const m = /Peak_level=(\S+)/.exec(line);
        if (m) peaks.push(peakFromDb(m[1]!));
      },
    },
  );
  if (peaks.length === 0) throw new ProcessingError('ffmpeg measured no audio peaks');
  const doc: WaveformDocument = {
    version: 1,
    peaksPerSecond: WAVEFORM_PEAKS_PER_SECOND,
    duration: peaks.length / WAVEFORM_PEAKS_PER_SECOND,
    peaks,
  };
  await fsp.writeFile(outPath, JSON.stringify(doc));
  return { peaks: peaks.length, duration: doc.duration };
}
