/**
 * The player's frame arithmetic on @montu/domain's rules: rates are exact rationals, timecode
 * (drop-frame included) and a media item's timing are the domain's. What is the player's own is
 * talking to <video>, which counts float seconds: the time to seek to for a frame, and the
 * frame a presentation time shows.
 */
import {
  frameToTimecode as domainTimecode,
  mediaTiming as domainTiming,
  parseRational,
  sourceFrameAt,
  sourceTimecodeAt,
  supportsDropFrame,
  type MediaTiming,
  type Rational,
  type TimedMedia,
} from '@montu/domain';

export type { Rational };

/** A rate for people: `24`, `23.976`. */
export function formatFps(r: Rational): string {
  const v = r.num / r.den;
  return Number.isInteger(v) ? String(v) : v.toFixed(3).replace(/0+$/, '');
}

/**
 * Timecode of a frame (counted from 0 at 00:00:00:00); drop-frame only where the rate has it
 * (a drop-frame source timecode on another rate is shown non-drop).
 */
export function frameToTimecode(frame: number, fps: Rational, dropFrame = false): string {
  return domainTimecode(frame, fps, { dropFrame: dropFrame && supportsDropFrame(fps) });
}

/** The media time (seconds) at the middle of a frame: seeking there lands on that frame unambiguously. */
export function frameToSeekTime(frame: number, fps: Rational): number {
  return ((frame + 0.5) * fps.den) / fps.num;
}

/**
 * The frame shown at a media time (e.g. `requestVideoFrameCallback`'s `metadata.mediaTime`, the
 * frame's presentation timestamp). A small tolerance absorbs the container's timebase rounding.
 */
export function timeToFrame(seconds: number, fps: Rational): number {
  const exact = (seconds * fps.num) / fps.den;
  return Math.max(0, Math.floor(exact + 1e-3));
}

export function clampFrame(frame: number, frameCount: number): number {
  return Math.min(Math.max(0, Math.round(frame)), Math.max(0, frameCount - 1));
}

/** The domain's timing of a media item, with the player's fallbacks for what is not known yet. */
export interface PlayerTiming {
  fps: Rational;
  /** True when the rate is only the player's fallback (stills, unprobed media): 24/1. */
  fpsGuessed: boolean;
  dropFrame: boolean;
  /** First frame number: the sequence's own number, 0 for movies. */
  frameStart: number;
  frameCount: number;
  /** The domain's timing of the item (source start frame and timecode). */
  source: MediaTiming;
}

const FALLBACK_FPS: Rational = { num: 24, den: 1 };

export function mediaTiming(media: TimedMedia, projectDefaultFps?: string | null): PlayerTiming {
  const t = domainTiming(media, projectDefaultFps);
  const own = parseRational(t.fps);
  const fps = own ?? parseRational(projectDefaultFps) ?? FALLBACK_FPS;
  const duration = media.metadata['duration'];
  const count =
    t.frameCount ??
    (typeof duration === 'number' ? Math.max(1, Math.round((duration * fps.num) / fps.den)) : 1);
  return {
    fps,
    fpsGuessed: own === null,
    dropFrame: t.dropFrame,
    frameStart: t.frameStart ?? 0,
    frameCount: Math.max(1, count),
    source: { ...t, fps: t.fps ?? `${fps.num}/${fps.den}` },
  };
}

/**
 * How the player names the frame at `index` (0…count−1 on the player's own axis): the source
 * frame and source timecode (the item's start frame and start timecode, drop-frame kept; the
 * domain's `sourceFrameAt`/`sourceTimecodeAt`), or with `zeroBased` the index and its timecode
 * from 00:00:00:00 — the toggle supervisors use to talk about "frame 12 of the clip".
 */
export function frameLabel(
  index: number,
  timing: PlayerTiming,
  zeroBased: boolean,
): { frame: number; timecode: string } {
  if (zeroBased) return { frame: index, timecode: frameToTimecode(index, timing.fps, timing.dropFrame) };
  const stored = timing.frameStart + index;
  return {
    frame: sourceFrameAt(stored, timing.source) ?? stored,
    timecode: sourceTimecodeAt(stored, timing.source) ?? frameToTimecode(index, timing.fps, timing.dropFrame),
  };
}
