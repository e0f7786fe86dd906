/**
 * The player's frame arithmetic. Timecode itself (drop-frame included) is @montu/domain's and is
 * tested there (packages/core/test/review/timecode.test.ts); here: that the player shows the
 * domain's timecode, and its own part — <video> media time ↔ frames, and the timing fallbacks.
 */
import { describe, expect, it } from 'vitest';
import { frameToTimecode as domainTimecode, parseRational, type Rational } from '@montu/domain';
import { frameToSeekTime, frameToTimecode, mediaTiming, timeToFrame } from '../src/lib/timecode.js';

const r = (s: string): Rational => parseRational(s)!;

describe('timecode in the player', () => {
  it("is the domain's, drop-frame included", () => {
    const ntsc = r('30000/1001');
    for (const f of [0, 1799, 1800, 17982, 107892]) {
      expect(frameToTimecode(f, ntsc, true)).toBe(domainTimecode(f, ntsc, { dropFrame: true }));
    }
    expect(frameToTimecode(1800, ntsc, true)).toBe('00:01:00;02');
    expect(frameToTimecode(1001, r('24000/1001'))).toBe('00:00:41:17');
  });
  it('shows non-drop timecode where the rate has no drop-frame', () => {
    expect(frameToTimecode(1800, r('30/1'), true)).toBe('00:01:00:00');
  });
});

describe('media time ↔ frame', () => {
  it('seek time lands inside the frame and maps back', () => {
    for (const fps of ['24/1', '24000/1001', '30000/1001', '25/1']) {
      for (let f = 0; f < 3000; f += 13) {
        expect(timeToFrame(frameToSeekTime(f, r(fps)), r(fps))).toBe(f);
      }
    }
  });
  it('presentation timestamps of frame starts map to the frame (with timebase rounding)', () => {
    const fps = r('24000/1001');
    // 12 * 1001/24000 = 0.5005 s; containers often store 0.500499 or 0.5005
    expect(timeToFrame(0.5005, fps)).toBe(12);
    expect(timeToFrame(0.50049, fps)).toBe(12);
    expect(timeToFrame(0.5, fps)).toBe(11);
  });
});

describe('media timing', () => {
  it("takes the domain's timing of a sequence (its own frame numbers, drop-frame from the source timecode)", () => {
    const t = mediaTiming({
      mediaType: 'sequence',
      metadata: { fps: '30000/1001', frameStart: 1001, frameEnd: 1100, timecode: '01:00:00;00' },
    });
    expect(t).toMatchObject({
      fps: { num: 30000, den: 1001 },
      fpsGuessed: false,
      dropFrame: true,
      frameStart: 1001,
      frameCount: 100,
    });
    expect(t.source).toMatchObject({
      startTimecode: '01:00:00;00',
      startFrame: 1001,
      numbering: 'frame_number',
    });
  });
  it('falls back to 24/1 for stills and counts frames from the duration when the container did not', () => {
    expect(mediaTiming({ mediaType: 'image', metadata: {} })).toMatchObject({
      fps: { num: 24, den: 1 },
      fpsGuessed: true,
      frameCount: 1,
    });
    expect(mediaTiming({ mediaType: 'video', metadata: { fps: '25/1', duration: 2 } }).frameCount).toBe(50);
  });
});
