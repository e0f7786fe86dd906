import { describe, expect, it } from 'vitest';
import {
  frameSeekSeconds,
  frameStartSeconds,
  frameToTimecode,
  nominalRate,
  secondsToFrame,
  timecodeToFrame,
} from '@montu/domain';

describe('timecode', () => {
  it('frame 1001 at 24000/1001 is 00:00:41:17 non-drop and back', () => {
    expect(frameToTimecode(1001, '24000/1001')).toBe('00:00:41:17');
    expect(timecodeToFrame('00:00:41:17', '24000/1001')).toBe(1001);
  });

  it('nominal rates', () => {
    expect(nominalRate('24000/1001')).toBe(24);
    expect(nominalRate('30000/1001')).toBe(30);
    expect(nominalRate('60000/1001')).toBe(60);
    expect(nominalRate('25/1')).toBe(25);
    expect(nominalRate('48/2')).toBe(24);
  });

  it('drop-frame at 29.97: known values', () => {
    const df = { dropFrame: true };
    expect(frameToTimecode(1799, '30000/1001', df)).toBe('00:00:59;29');
    expect(frameToTimecode(1800, '30000/1001', df)).toBe('00:01:00;02');
    expect(frameToTimecode(17982, '30000/1001', df)).toBe('00:10:00;00');
    expect(frameToTimecode(107892, '30000/1001', df)).toBe('01:00:00;00');
    expect(timecodeToFrame('00:01:00;02', '30000/1001')).toBe(1800);
    expect(() => timecodeToFrame('00:01:00;01', '30000/1001')).toThrow(/does not exist/);
    expect(timecodeToFrame('00:10:00;00', '30000/1001')).toBe(17982);
  });

  it('drop-frame at 59.94: known values', () => {
    const df = { dropFrame: true };
    expect(frameToTimecode(3599, '60000/1001', df)).toBe('00:00:59;59');
    expect(frameToTimecode(3600, '60000/1001', df)).toBe('00:01:00;04');
    expect(frameToTimecode(215784, '60000/1001', df)).toBe('01:00:00;00');
  });

  it('drop-frame is refused for other rates', () => {
    expect(() => frameToTimecode(10, '24000/1001', { dropFrame: true })).toThrow(
      /only for 30000\/1001 and 60000\/1001/,
    );
    expect(() => frameToTimecode(10, '25/1', { dropFrame: true })).toThrow();
  });

  it('round-trips every frame of two hours at every common rate', () => {
    for (const [fps, dropFrame] of [
      ['24000/1001', false],
      ['24/1', false],
      ['25/1', false],
      ['30000/1001', true],
      ['30000/1001', false],
      ['60000/1001', true],
      ['50/1', false],
    ] as const) {
      const limit = nominalRate(fps) * 7200;
      let prev = '';
      for (let f = 0; f < limit; f += f < 40000 ? 1 : 7) {
        const tc = frameToTimecode(f, fps, { dropFrame });
        // Plain checks, not expect(): ~700,000 iterations, and expect's cost made this test time
        // out on a loaded machine.
        if (!(tc > prev || f === 0)) throw new Error(`${fps} df=${dropFrame}: ${f} -> ${tc} after ${prev}`);
        prev = tc;
        if (timecodeToFrame(tc, fps, { dropFrame }) !== f)
          throw new Error(`${fps} df=${dropFrame}: ${f} -> ${tc}`);
      }
    }
  });

  it('exact times from the rational rate', () => {
    expect(frameStartSeconds(1001, '24000/1001')).toEqual({ num: 1002001, den: 24000 });
    expect(frameSeekSeconds(0, '24000/1001')).toBe('0.000000');
    expect(frameSeekSeconds(1, '24000/1001')).toBe('0.020854');
    // The seek point lies in the frame before: ffmpeg then outputs the first frame at or after it.
    const seek = frameSeekSeconds(1001, '24000/1001');
    const [s, us] = seek.split('.').map(Number) as [number, number];
    expect(secondsToFrame({ num: s * 1_000_000 + us, den: 1_000_000 }, '24000/1001')).toBe(1000);
    expect(secondsToFrame({ num: 1001 * 1001, den: 24000 }, '24000/1001')).toBe(1001);
  });
});
