import type { Media, MediaType } from './types.js';
import { frameToTimecode, supportsDropFrame, timecodeToFrame } from './timecode.js';
import { normaliseRational } from './rational.js';
import { ValidationError } from './errors.js';

/**
 * Source time: where a media item's frames sit on the material's own clock. A movie's frames are
 * stored and addressed by index (0…count−1), a sequence's by its file numbers; the *source frame*
 * and *source timecode* of a frame add the item's start frame and start timecode (a movie's
 * `tmcd` track, an MXF's or any stream's `timecode` tag, drop-frame kept). This module is the one
 * implementation: core, the server, exports, webhooks and the web player derive from it.
 * See docs/decisions/130-source-time.md.
 */

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
  /** The source timecode of the first frame (`01:00:00:00`, drop-frame `00:01:15;26`), null when none. */
  startTimecode: string | null;
  /** The source frame number of the first frame (a sequence's first file number; for a movie see `sourceStart`). */
  startFrame: number | null;
}

/** What a media record carries about its source clock (columns `start_timecode`, `start_frame`). */
export interface SourceStart {
  startTimecode: string | null;
  startFrame: number | null;
}

/**
 * A project's rule for numbering a movie's frames (project setting `movieStartFrame`): a whole
 * number (1001 for frames-based work), or `"timecode"`: the frame count of the start timecode
 * (01:00:00:00 at 24 → 86400). Unset: `"timecode"` when the movie has one, else 0.
 */
export type MovieStartFrame = number | 'timecode';

/** The project setting `movieStartFrame`, checked; undefined when unset. Refuses anything else. */
export function parseMovieStartFrame(v: unknown): MovieStartFrame | undefined {
  if (v === undefined || v === null) return undefined;
  if (v === 'timecode') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= 100_000_000) return v;
  throw new ValidationError(
    'movieStartFrame must be a whole frame number from 0 (such as 1001) or "timecode".',
    { field: 'settings.movieStartFrame' },
  );
}

function int(v: unknown): number | null {
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : null;
}

function fpsOf(metadata: Record<string, unknown>): string | null {
  const v = metadata['fps'];
  return normaliseRational(typeof v === 'string' || typeof v === 'number' ? v : null);
}

/**
 * A source timecode as Montu writes it: `HH:MM:SS:FF`, `;` before the frames for drop-frame
 * (`.` and `,` are read as `;`). Null when it is not a valid timecode at the rate, or drop-frame
 * at a rate without it: a bad tag must not become a wrong clock.
 */
export function normaliseTimecode(tc: unknown, fps: string | null): string | null {
  if (typeof tc !== 'string' || !fps) return null;
  const text = tc.trim().replace(/[.,](\d+)$/, ';$1');
  const dropFrame = /;\d+$/.test(text);
  if (dropFrame && !supportsDropFrame(fps)) return null;
  try {
    const frame = timecodeToFrame(text, fps, { dropFrame });
    return frame < 0 ? null : frameToTimecode(frame, fps, { dropFrame });
  } catch {
    return null;
  }
}

/**
 * The source start a media record carries, from its metadata (`timecode`, `fps`, a sequence's
 * `frameStart`) and the project's `movieStartFrame`. Written when the metadata is recorded.
 */
export function sourceStart(
  mediaType: MediaType,
  metadata: Record<string, unknown>,
  settings: { movieStartFrame?: unknown } = {},
): SourceStart {
  const fps = fpsOf(metadata);
  if (mediaType === 'sequence') {
    return {
      startTimecode: normaliseTimecode(metadata['timecode'], fps),
      startFrame: int(metadata['frameStart']),
    };
  }
  if (mediaType !== 'video') return { startTimecode: null, startFrame: null };
  const startTimecode = normaliseTimecode(metadata['timecode'], fps);
  let rule: MovieStartFrame | undefined;
  try {
    rule = parseMovieStartFrame(settings.movieStartFrame);
  } catch {
    rule = undefined; // a setting saved before it was checked: fall back to the default rule
  }
  if (typeof rule === 'number') return { startTimecode, startFrame: rule };
  const startFrame =
    startTimecode && fps ? timecodeToFrame(startTimecode, fps, { dropFrame: /;/.test(startTimecode) }) : 0;
  return { startTimecode, startFrame };
}

/** What `mediaTiming` reads of a media item (the web app passes what its API client returns). */
export type TimedMedia = Pick<Media, 'mediaType' | 'metadata'> &
  Partial<Pick<Media, 'startTimecode' | 'startFrame'>>;

/** Timing from the media's metadata; sequences without an fps use the project default. */
export function mediaTiming(media: TimedMedia, projectDefaultFps?: string | null): MediaTiming {
  const m = media.metadata;
  let fps = fpsOf(m);
  if (!fps && media.mediaType === 'sequence' && projectDefaultFps) fps = normaliseRational(projectDefaultFps);
  // Records written before source time (or by a client without it): derive as the record would.
  const derived = sourceStart(media.mediaType, { ...m, fps });
  const startTimecode =
    media.startTimecode !== undefined ? normaliseTimecode(media.startTimecode, fps) : derived.startTimecode;
  const startFrame = media.startFrame !== undefined ? media.startFrame : derived.startFrame;
  const dropFrame = startTimecode !== null && /;/.test(startTimecode);
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
      startTimecode,
      startFrame: start,
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
      startTimecode,
      startFrame: startFrame ?? 0,
    };
  }
  return {
    fps,
    dropFrame,
    frameStart: null,
    frameEnd: null,
    frameCount: null,
    numbering: null,
    startTimecode: null,
    startFrame: null,
  };
}

/**
 * The timecode of a frame counted from 00:00:00:00 (a movie's index, a sequence's number),
 * ignoring the source clock — the 0-based reading; null when the rate is unknown.
 */
export function timecodeAt(frame: number | null, timing: MediaTiming): string | null {
  if (frame === null || !timing.fps) return null;
  return frameToTimecode(frame, timing.fps, { dropFrame: timing.dropFrame });
}

/** Frames since the item's first frame (a movie's index; a sequence's number − its first number). */
function offsetOf(frame: number, timing: MediaTiming): number {
  return timing.numbering === 'frame_number' ? frame - (timing.frameStart ?? 0) : frame;
}

/**
 * The source frame number of a stored frame: a sequence's own number; for a movie, its start
 * frame + the index (frame 40 of a movie starting at 1001 is 1041). Null without a frame.
 */
export function sourceFrameAt(frame: number | null, timing: MediaTiming): number | null {
  if (frame === null) return null;
  // Stills and unprobed items have no source clock: their frames are what was given.
  if (timing.numbering !== 'frame_index') return frame;
  return (timing.startFrame ?? 0) + frame;
}

/** The stored frame (movie index, sequence number) of a source frame number; inverse of `sourceFrameAt`. */
export function frameOfSource(sourceFrame: number, timing: MediaTiming): number {
  if (timing.numbering !== 'frame_index') return sourceFrame;
  return sourceFrame - (timing.startFrame ?? 0);
}

/**
 * The source timecode of a stored frame: the start timecode plus the frames since the first
 * (frame 41 of a 23.976 movie starting at 01:00:00:00 is 01:00:01:17), drop-frame kept. Without
 * a start timecode a movie starts at 00:00:00:00 and a sequence reads its frame numbers as
 * timecode (1001 at 24 → 00:00:41:17). Null when the rate is unknown.
 */
export function sourceTimecodeAt(frame: number | null, timing: MediaTiming): string | null {
  const count = timecodeFrameAt(frame, timing);
  if (count === null || !timing.fps) return null;
  return frameToTimecode(count, timing.fps, { dropFrame: timing.dropFrame });
}

/**
 * The source timecode of a stored frame as a count of frames since 00:00:00:00 (what OTIO and
 * EDLs count in): 86441 for frame 41 of a movie starting at 01:00:00:00 at 23.976.
 */
export function timecodeFrameAt(frame: number | null, timing: MediaTiming): number | null {
  if (frame === null || !timing.fps) return null;
  const base = timing.startTimecode
    ? timecodeToFrame(timing.startTimecode, timing.fps, { dropFrame: timing.dropFrame })
    : timing.numbering === 'frame_number'
      ? (timing.frameStart ?? 0)
      : 0;
  return base + offsetOf(frame, timing);
}
