import { describe, expect, it } from 'vitest';
import {
  DIRECT_MIN_PART_BYTES,
  DIRECT_TARGET_PARTS,
  S3_MAX_PARTS,
  directPartCount,
  directPartRange,
  directPartSize,
} from '../src/direct-upload.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const TIB = 1024 * GIB;

describe('direct upload part size: max(8 MiB, ⌈size / 9,000⌉)', () => {
  it('uses 8 MiB parts up to 9,000 of them', () => {
    expect(directPartSize(1)).toBe(8 * MIB);
    expect(directPartCount(1)).toBe(1);
    expect(directPartCount(8 * MIB)).toBe(1);
    expect(directPartCount(8 * MIB + 1)).toBe(2);
    const edge = DIRECT_MIN_PART_BYTES * DIRECT_TARGET_PARTS; // 70.3 GiB
    expect(directPartSize(edge)).toBe(8 * MIB);
    expect(directPartCount(edge)).toBe(9_000);
  });

  it('grows the part past the 9,000-part edge instead of adding parts', () => {
    const edge = DIRECT_MIN_PART_BYTES * DIRECT_TARGET_PARTS;
    expect(directPartSize(edge + 1)).toBe(8 * MIB + 1);
    expect(directPartCount(edge + 1)).toBe(9_000);
  });

  it('never needs part 10,001, where a fixed 8 MiB part would (tus-node-server #688)', () => {
    // The sizes where a fixed 8 MiB part runs out of S3's 10,000 part numbers, and far beyond.
    const fixedLimit = 8 * MIB * S3_MAX_PARTS;
    for (const size of [fixedLimit - 1, fixedLimit, fixedLimit + 1, 100 * GIB, TIB, 5 * TIB, 40 * TIB]) {
      expect(Math.ceil(size / (8 * MIB)) > S3_MAX_PARTS).toBe(size > fixedLimit);
      expect(directPartCount(size)).toBeLessThanOrEqual(DIRECT_TARGET_PARTS);
      expect(directPartCount(size)).toBeLessThanOrEqual(S3_MAX_PARTS);
      expect(directPartSize(size)).toBeGreaterThanOrEqual(DIRECT_MIN_PART_BYTES);
    }
  });

  it('cuts parts that cover the file exactly, the last one short', () => {
    const size = 3 * 8 * MIB + 123;
    const ranges = [1, 2, 3, 4].map((n) => directPartRange(size, n));
    expect(ranges).toEqual([
      { start: 0, end: 8 * MIB },
      { start: 8 * MIB, end: 16 * MIB },
      { start: 16 * MIB, end: 24 * MIB },
      { start: 24 * MIB, end: size },
    ]);
    expect(() => directPartRange(size, 5)).toThrow(/not one of parts 1–4/);
    expect(() => directPartRange(size, 0)).toThrow(/not one of parts/);
  });

  it('refuses an empty file and one larger than 9,000 parts of 5 GiB', () => {
    expect(() => directPartSize(0)).toThrow(/at least one byte/);
    expect(() => directPartSize(9_000 * 5 * GIB + 1)).toThrow(/more than one S3 multipart upload/);
  });
});
