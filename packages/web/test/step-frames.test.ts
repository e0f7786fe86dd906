/** Which neighbouring frames the step screen decodes ahead, and which it keeps (decision 205). */
import { describe, expect, it } from 'vitest';
import { AHEAD, BEHIND, prefetchOrder, worthKeeping } from '../src/lib/stepFrames.js';

describe('step screen prefetch', () => {
  it('decodes nearest first, the direction of travel before the other side', () => {
    expect(AHEAD).toBe(4);
    expect(BEHIND).toBe(2);
    expect(prefetchOrder(10, 1, 100)).toEqual([11, 9, 12, 8, 13, 14]);
    expect(prefetchOrder(10, -1, 100)).toEqual([9, 11, 8, 12, 7, 6]);
  });
  it('never asks for a frame outside the clip', () => {
    expect(prefetchOrder(0, 1, 48)).toEqual([1, 2, 3, 4]);
    expect(prefetchOrder(47, 1, 48)).toEqual([46, 45]);
    expect(prefetchOrder(1, -1, 48)).toEqual([0, 2, 3]);
    expect(prefetchOrder(0, 1, 1)).toEqual([]);
  });
  it('keeps what a step either way may still want, and lets the rest go', () => {
    for (const f of prefetchOrder(20, 1, 100)) expect(worthKeeping(f, 20)).toBe(true);
    for (const f of prefetchOrder(20, -1, 100)) expect(worthKeeping(f, 20)).toBe(true);
    expect(worthKeeping(20, 20)).toBe(true);
    expect(worthKeeping(25, 20)).toBe(false);
    expect(worthKeeping(15, 20)).toBe(false);
  });
});
