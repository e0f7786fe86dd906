/** The sequence naming rules, as pure functions of names (the core's sequence tests cover folders). */
import { describe, expect, it } from 'vitest';
import {
  baseName,
  formatSequencePattern,
  groupFrameNames,
  isSequencePattern,
  matchesSequencePattern,
  parseFrameFileName,
  parseSequencePatternName,
  sequenceFromNames,
  sequenceFromPattern,
  ValidationError,
} from '../src/index.js';

describe('sequence naming', () => {
  it('recognises the placeholders on the file name only, with either separator', () => {
    expect(baseName('renders\\sh010/beauty.####.exr')).toBe('beauty.####.exr');
    expect(isSequencePattern('renders/beauty.%04d.exr')).toBe(true);
    expect(isSequencePattern('renders/beauty.@@@.exr')).toBe(true);
    expect(isSequencePattern('renders#1/beauty.exr')).toBe(false);
  });

  it('parses patterns and refuses two placeholders or absurd padding', () => {
    expect(parseSequencePatternName('beauty.####.exr')).toEqual({ base: 'beauty.', padding: 4, ext: '.exr' });
    expect(parseSequencePatternName('beauty.%d.exr')).toEqual({ base: 'beauty.', padding: 0, ext: '.exr' });
    expect(() => parseSequencePatternName('a.##.b.##.exr')).toThrow(ValidationError);
    expect(() => parseSequencePatternName('beauty.%013d.exr')).toThrow(/13 digits/);
  });

  it('matches frames of a padded pattern, and longer numbers without a leading zero', () => {
    const pat = parseSequencePatternName('beauty.####.exr');
    expect(
      [
        'beauty.1001.exr',
        'beauty.0001.exr',
        'beauty.10001.exr',
        'beauty.01001.exr',
        'beauty.001.exr',
        'beauty.x001.exr',
      ].filter((n) => matchesSequencePattern(pat, n)),
    ).toEqual(['beauty.1001.exr', 'beauty.0001.exr', 'beauty.10001.exr']);
  });

  it('builds one sequence from names: padding, gaps, pattern; refuses mixed names', () => {
    const seq = sequenceFromNames(
      ['b.0003.exr', 'b.0001.exr', 'b.0004.exr'].map((name) => ({ name, full: `/r/${name}` })),
    );
    expect(seq).toMatchObject({
      base: 'b.',
      padding: 4,
      ext: '.exr',
      pattern: 'b.%04d.exr',
      start: 1,
      end: 4,
      missing: [2],
    });
    expect(seq.frames[0]).toEqual({ frame: 1, path: '/r/b.0001.exr' });
    expect(() =>
      sequenceFromNames([
        { name: 'a.1.exr', full: 'a' },
        { name: 'b.2.exr', full: 'b' },
      ]),
    ).toThrow(/one pattern/);
    expect(formatSequencePattern('100%.', 0, '.png')).toBe('100%%.%d.png');
    expect(parseFrameFileName('shot_v002.1001.exr')).toMatchObject({ base: 'shot_v002.', frame: 1001 });
    expect(groupFrameNames(['a.1.exr', 'a.2.exr', 'b.1.exr', 'notes.txt'])).toEqual([
      ['a.1.exr', 'a.2.exr'],
      ['b.1.exr'],
    ]);
  });

  it("takes the frames a pattern names from a folder listing, with the pattern's padding", () => {
    const listing = [
      'beauty.0999.exr',
      'beauty.1001.exr',
      'beauty.1003.exr',
      'beauty.exr',
      'other.1002.exr',
    ].map((name) => ({ name, full: `/r/${name}` }));
    const seq = sequenceFromPattern(
      parseSequencePatternName('beauty.####.exr'),
      listing,
      'r/beauty.####.exr',
    );
    expect(seq.frames).toEqual([
      { frame: 999, path: '/r/beauty.0999.exr' },
      { frame: 1001, path: '/r/beauty.1001.exr' },
      { frame: 1003, path: '/r/beauty.1003.exr' },
    ]);
    expect([seq.padding, seq.pattern, seq.missing]).toEqual([4, 'beauty.%04d.exr', [1000, 1002]]);
    // `%d` keeps what the frames say; a pattern nothing matches is a clear refusal.
    const unpadded = sequenceFromPattern(parseSequencePatternName('beauty.%d.exr'), listing, 'beauty.%d.exr');
    expect(unpadded.pattern).toBe('beauty.%04d.exr');
    expect(() =>
      sequenceFromPattern(parseSequencePatternName('comp.####.exr'), listing, 'comp.####.exr'),
    ).toThrow(/no frames match comp\.####\.exr/);
  });
});
