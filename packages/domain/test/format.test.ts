import { describe, expect, it } from 'vitest';
import { formatBytes } from '../src/index.js';

describe('formatBytes', () => {
  it('counts in SI units, one decimal below 10, a dash for nothing', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1_500_000)).toBe('1.5 MB');
    expect(formatBytes(134_217_728)).toBe('134 MB');
    expect(formatBytes(2e15)).toBe('2000 TB');
    expect(formatBytes(undefined)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });
});
