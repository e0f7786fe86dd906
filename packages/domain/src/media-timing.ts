import type { Media } from './types.js';
import { frameToTimecode, supportsDropFrame } from './timecode.js';
import { normaliseRational } from './rational.js';

/** How a media item counts frames: its exact rate and its first/last frame numbers. */
export interface MediaTiming {
  /** Exact rational rate (`24000/1001`), null when unknown (stills, audio, unprobed). */
  fps: string | null;
  /** True when the source timecode is drop-frame (and the rate allows it). */
  dropFrame: boolean;
  /** First and last frame numbers: the sequence's own numbers, 0…count−1 for movies. */
  frameStart: number | null;
  frameEnd: number | null;
  frameCount: number | null;
  /** `frame_number` for sequences, `frame_index` for movies. */
  numbering: 'frame_number' | 'frame_index' | null;
}

function int(v: unknown): number | null {
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : null;
}

/** Timing from the media's metadata; sequences without an fps use the project default. */
export function mediaTiming(media: Media, projectDefaultFps?: string | null): MediaTiming {
  const m = media.metadata;
  let fps = normaliseRational(typeof m['fps'] === 'string' || typeof m['fps'] === 'number' ? m['fps'] : null);
  if (!fps && media.mediaType === 'sequence' && projectDefaultFps) fps = normaliseRational(projectDefaultFps);
  const tc = typeof m['timecode'] === 'string' ? m['timecode'] : '';
  const dropFrame = fps !== null && supportsDropFrame(fps) && /[;.,]\d+$/.test(tc);
  if (media.mediaType === 'sequence') {
    const start = int(m['frameStart']);
    const end = int(m['frameEnd']);
    return {
      fps,
      dropFrame,
      frameStart: start,
      frameEnd: end,
      frameCount: int(m['frameCount']) ?? (start !== null && end !== null ? end - start + 1 : null),
      numbering: 'frame_number',
    };
  }
  if (media.mediaType === 'video') {
    const count = int(m['frameCount']);
    return {
      fps,
      dropFrame,
      frameStart: count !== null ? 0 : null,
      frameEnd: count !== null ? count - 1 : null,
      frameCount: count,
      numbering: 'frame_index',
    };
  }
  return { fps, dropFrame, frameStart: null, frameEnd: null, frameCount: null, numbering: null };
}

/** The timecode of a frame under a timing, or null when the rate is unknown. */
export function timecodeAt(frame: number | null, timing: MediaTiming): string | null {
  if (frame === null || !timing.fps) return null;
  return frameToTimecode(frame, timing.fps, { dropFrame: timing.dropFrame });
}
