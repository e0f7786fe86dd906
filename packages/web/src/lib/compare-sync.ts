/**
 * How compare lines B's frames up with A's: B's frame index = A's + offset. Pure arithmetic on
 * the domain's timing (source timecode, source start frame), unit-tested.
 */
import { parseRational, timecodeToFrame } from '@montu/domain';
import type { CompareSync } from './search-params.js';

/** What a compare side's timing carries (the API's `CompareSide.timing`). */
export interface SideTiming {
  fps: string | null;
  startTimecode: string | null;
  startFrame: number | null;
}

/** Seconds of the source clock at the first frame, from its timecode; null without one. */
function timecodeSeconds(t: SideTiming): number | null {
  const fps = parseRational(t.fps);
  if (!t.startTimecode || !fps) return null;
  try {
    return (timecodeToFrame(t.startTimecode, fps) * fps.den) / fps.num;
  } catch {
    return null;
  }
}

/**
 * B's frame offset for a sync rule. `start`: 0. `timecode`: the frames between the two start
 * timecodes (at B's rate), or between the source start frames when a side has no timecode
 * (image sequences), 0 when neither is known. `offset`: the chosen value.
 */
export function syncOffset(sync: CompareSync, a: SideTiming, b: SideTiming, chosen: number): number {
  if (sync === 'start') return 0;
  if (sync === 'offset') return chosen;
  const sa = timecodeSeconds(a);
  const sb = timecodeSeconds(b);
  const fpsB = parseRational(b.fps);
  if (sa !== null && sb !== null && fpsB) return Math.round(((sa - sb) * fpsB.num) / fpsB.den);
  if (a.startFrame !== null && b.startFrame !== null) return a.startFrame - b.startFrame;
  return 0;
}

/** True when `timecode` sync has timecodes on both sides (else it pairs source frame numbers). */
export function hasBothTimecodes(a: SideTiming, b: SideTiming): boolean {
  return timecodeSeconds(a) !== null && timecodeSeconds(b) !== null;
}
