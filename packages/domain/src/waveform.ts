/**
 * The audio waveform rendition (file role `waveform`, served at `/media/:id/files/waveform`):
 * the peak amplitude of each 1/`peaksPerSecond` of a second of a movie's first audio track, all
 * channels mixed, linear 0–1. Made by core processing with the proxy; drawn by the web timeline.
 * The wire schema is `WaveformPeaks` (wire/components.ts); this is the one reader.
 */
import { ValidationError } from './errors.js';

export interface WaveformPeaksDocument {
  version: 1;
  peaksPerSecond: number;
  /** Seconds the peaks cover (peaks.length / peaksPerSecond). */
  duration: number;
  /** Peak of each window, 0 (silence) to 1 (full scale). */
  peaks: number[];
}

/** Checks a waveform document (as fetched); refuses anything else rather than drawing garbage. */
export function parseWaveformPeaks(v: unknown): WaveformPeaksDocument {
  const o = v as Partial<WaveformPeaksDocument> | null;
  if (
    !o ||
    typeof o !== 'object' ||
    o.version !== 1 ||
    typeof o.peaksPerSecond !== 'number' ||
    !(o.peaksPerSecond > 0) ||
    typeof o.duration !== 'number' ||
    !Array.isArray(o.peaks) ||
    !o.peaks.every((p) => typeof p === 'number' && p >= 0 && p <= 1)
  ) {
    throw new ValidationError(
      'Not a waveform document: { version: 1, peaksPerSecond, duration, peaks: [0–1…] }.',
    );
  }
  return { version: 1, peaksPerSecond: o.peaksPerSecond, duration: o.duration, peaks: o.peaks };
}

/** The highest peak over [from, to) seconds (0 outside the audio). */
export function peakBetween(doc: WaveformPeaksDocument, from: number, to: number): number {
  const a = Math.max(0, Math.floor(from * doc.peaksPerSecond));
  const b = Math.min(doc.peaks.length, Math.max(a + 1, Math.ceil(to * doc.peaksPerSecond)));
  let m = 0;
  for (let i = a; i < b; i++) m = Math.max(m, doc.peaks[i]!);
  return m;
}
