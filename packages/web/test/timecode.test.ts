import { describe, expect, it } from 'vitest';
import {
  frameToSeekTime,
  frameToTimecode,
  parseFps,
  timeToFrame,
  timecodeToFrame,
  nominalFps,
  supportsDropFrame,
  type Rational,
} from '../src/lib/timecode.js';

const r = (s: string): Rational => parseFps(s)!;

describe('parseFps', () => {
  it('reads rationals, integers and NTSC floats', () => {
    expect(parseFps('24000/1001')).toEqual({ num: 24000, den: 1001 });
    expect(parseFps('48/2')).toEqual({ num: 24, den: 1 });
    expect(parseFps('25')).toEqual({ num: 25, den: 1 });
    expect(parseFps(23.976)).toEqual({ num: 24000, den: 1001 });
    expect(parseFps('29.97')).toEqual({ num: 30000, den: 1001 });
    expect(parseFps('0/0')).toBeNull();
    expect(parseFps('abc')).toBeNull();
    expect(parseFps(null)).toBeNull();
  });
  it('knows nominal rates and drop-frame', () => {
    expect(nominalFps(r('24000/1001'))).toBe(24);
    expect(supportsDropFrame(r('30000/1001'))).toBe(true);
    expect(supportsDropFrame(r('60000/1001'))).toBe(true);
    expect(supportsDropFrame(r('24000/1001'))).toBe(false);
    expect(supportsDropFrame(r('30/1'))).toBe(false);
  });
});

describe('frameToTimecode (non-drop)', () => {
  it('frame 1001 at 23.976 is 00:00:41:17', () => {
    expect(frameToTimecode(1001, r('24000/1001'))).toBe('00:00:41:17');
  });
  it('frame 12 at 24 and 25', () => {
    expect(frameToTimecode(12, r('24/1'))).toBe('00:00:00:12');
    expect(frameToTimecode(12, r('25/1'))).toBe('00:00:00:12');
    expect(frameToTimecode(25, r('25/1'))).toBe('00:00:01:00');
    expect(frameToTimecode(24 * 3600 + 1, r('24/1'))).toBe('01:00:00:01');
  });
  it('round-trips', () => {
    for (const fps of ['24/1', '25/1', '24000/1001', '30000/1001', '60/1']) {
      for (const f of [0, 1, 23, 24, 1001, 86399, 123456]) {
        expect(timecodeToFrame(frameToTimecode(f, r(fps)), r(fps))).toBe(f);
      }
    }
  });
});

describe('drop-frame timecode', () => {
  const ntsc = r('30000/1001');
  it('skips frames 0 and 1 at each minute except every tenth', () => {
    expect(frameToTimecode(1799, ntsc, true)).toBe('00:00:59;29');
    expect(frameToTimecode(1800, ntsc, true)).toBe('00:01:00;02');
    expect(frameToTimecode(17981, ntsc, true)).toBe('00:09:59;29');
    expect(frameToTimecode(17982, ntsc, true)).toBe('00:10:00;00');
    // One hour of 29.97 is 107892 frames.
    expect(frameToTimecode(107892, ntsc, true)).toBe('01:00:00;00');
  });
  it('59.94 drops four', () => {
    expect(frameToTimecode(3600, r('60000/1001'), true)).toBe('00:01:00;04');
  });
  it('round-trips every frame across eleven minutes', () => {
    for (let f = 0; f < 30 * 60 * 11; f += 7) {
      expect(timecodeToFrame(frameToTimecode(f, ntsc, true), ntsc)).toBe(f);
    }
  });
  it('is ignored for rates without drop-frame', () => {
    expect(frameToTimecode(1800, r('30/1'), true)).toBe('00:01:00:00');
  });
  it('rejects bad timecodes', () => {
    expect(() => timecodeToFrame('00:00:00:24', r('24/1'))).toThrow(RangeError);
    expect(() => timecodeToFrame('nope', r('24/1'))).toThrow(SyntaxError);
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
