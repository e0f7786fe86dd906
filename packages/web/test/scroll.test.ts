import { describe, expect, it } from 'vitest';
import { FAST_PX_PER_FRAME, SETTLE_FRAMES, nextSpeedState } from '../src/lib/scrollSpeed.js';

describe('fast-scroll detection (thumbnails wait during a fling)', () => {
  it('a frame moving more than the threshold is fast, in either direction', () => {
    expect(nextSpeedState({ fast: false, calm: 0 }, FAST_PX_PER_FRAME + 1)).toEqual({ fast: true, calm: 0 });
    expect(nextSpeedState({ fast: false, calm: 3 }, -400)).toEqual({ fast: true, calm: 0 });
    expect(nextSpeedState({ fast: false, calm: 0 }, FAST_PX_PER_FRAME).fast).toBe(false);
  });

  it('settles only after enough calm frames in a row (frames, not milliseconds)', () => {
    let s = nextSpeedState({ fast: false, calm: 0 }, 400);
    for (let i = 1; i < SETTLE_FRAMES; i++) {
      s = nextSpeedState(s, 10);
      expect(s.fast).toBe(true);
    }
    s = nextSpeedState(s, 0);
    expect(s).toEqual({ fast: false, calm: SETTLE_FRAMES });
    // A new fling resets the count.
    expect(nextSpeedState({ fast: true, calm: SETTLE_FRAMES - 1 }, 100)).toEqual({ fast: true, calm: 0 });
  });
});
