import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '@montu/domain';
import {
  detectSequence,
  isSequencePattern,
  middleFrame,
  parseFrameFileName,
  parseSequencePattern,
} from '../../src/processing/tools/sequence.js';
import { tmpDir } from './helpers.js';

let root: string;
const touch = async (rel: string) => {
  await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await fs.writeFile(path.join(root, rel), '');
};

beforeAll(async () => {
  root = await tmpDir('montu-seq-test-');
  for (let f = 1001; f <= 1100; f++) if (f !== 1050 && f !== 1077) await touch(`render/beauty.${f}.exr`);
  for (let f = 1; f <= 12; f++) await touch(`padded/comp_v001.${String(f).padStart(4, '0')}.dpx`);
  for (const f of [8, 9, 10, 11]) await touch(`unpadded/shot.${f}.tga`);
  await touch('mixed/a.0001.exr');
  await touch('mixed/b.0001.exr');
  await touch('render/notes.txt');
});
afterAll(() => fs.rm(root, { recursive: true, force: true }));

describe('sequence patterns', () => {
  it('parses ####, %04d, @@@@ and %d', () => {
    expect(parseSequencePattern('/x/beauty.####.exr')).toMatchObject({
      dir: '/x',
      base: 'beauty.',
      padding: 4,
      ext: '.exr',
    });
    expect(parseSequencePattern('/x/beauty.%04d.exr')).toMatchObject({
      base: 'beauty.',
      padding: 4,
      ext: '.exr',
    });
    expect(parseSequencePattern('/x/beauty_@@@@@.exr')).toMatchObject({ base: 'beauty_', padding: 5 });
    expect(parseSequencePattern('/x/beauty.%d.exr')).toMatchObject({ padding: 0 });
    expect(isSequencePattern('a/b.####.exr')).toBe(true);
    expect(isSequencePattern('a/b.1001.exr')).toBe(false);
  });

  it('rejects traversal and escaping the root', () => {
    expect(() => parseSequencePattern('../etc/beauty.####.exr')).toThrow(ValidationError);
    expect(() => parseSequencePattern('shots/../../beauty.####.exr', '/data')).toThrow(ValidationError);
    expect(() => parseSequencePattern('/etc/beauty.####.exr', '/data')).toThrow(ValidationError);
    expect(() => parseSequencePattern('beauty.##.##.exr')).toThrow(ValidationError);
    expect(() => parseSequencePattern('beauty.exr')).toThrow(ValidationError);
  });

  it('splits frame file names', () => {
    expect(parseFrameFileName('beauty.1001.exr')).toEqual({
      base: 'beauty.',
      digits: '1001',
      frame: 1001,
      ext: '.exr',
    });
    expect(parseFrameFileName('plate_v002_0042.tar.gz')).toMatchObject({
      base: 'plate_v002_',
      frame: 42,
      ext: '.tar.gz',
    });
    expect(parseFrameFileName('noframe.exr')).toBeNull();
  });
});

describe('sequence detection', () => {
  it('finds 1001–1100 with gaps [1050, 1077] from every kind of input', async () => {
    const inputs = [
      path.join(root, 'render/beauty.####.exr'),
      path.join(root, 'render/beauty.%04d.exr'),
      path.join(root, 'render/beauty.@@@@.exr'),
    ];
    for (const input of inputs) {
      const s = await detectSequence(input);
      expect(s).toMatchObject({
        base: 'beauty.',
        padding: 4,
        ext: '.exr',
        start: 1001,
        end: 1100,
        missing: [1050, 1077],
        pattern: 'beauty.%04d.exr',
      });
      expect(s.frames).toHaveLength(98);
      expect(s.frames[0]).toEqual({ frame: 1001, path: path.join(root, 'render/beauty.1001.exr') });
    }
    const list = (await fs.readdir(path.join(root, 'render')))
      .filter((n) => n.endsWith('.exr'))
      .map((n) => path.join(root, 'render', n));
    const fromList = await detectSequence(list.reverse());
    expect(fromList).toMatchObject({ start: 1001, end: 1100, missing: [1050, 1077] });
    // A folder with one sequence plus unnumbered files (notes.txt) is one sequence.
    const fromDir = await detectSequence(path.join(root, 'render'));
    expect(fromDir).toMatchObject({ start: 1001, end: 1100, missing: [1050, 1077], padding: 4 });
    expect(middleFrame(fromDir).frame).toBe(1049);
  });

  it('keeps padding and unpadded numbering apart', async () => {
    expect(await detectSequence(path.join(root, 'padded'))).toMatchObject({
      base: 'comp_v001.',
      padding: 4,
      start: 1,
      end: 12,
      missing: [],
      pattern: 'comp_v001.%04d.dpx',
    });
    expect(await detectSequence(path.join(root, 'unpadded'))).toMatchObject({
      padding: 0,
      start: 8,
      end: 11,
      pattern: 'shot.%d.tga',
    });
  });

  it('rejects frames of different patterns, duplicates, folders in a list, and bad input', async () => {
    await expect(detectSequence(path.join(root, 'mixed'))).rejects.toThrow(/2 sequences/);
    await expect(
      detectSequence([path.join(root, 'mixed/a.0001.exr'), path.join(root, 'mixed/b.0001.exr')]),
    ).rejects.toThrow(ValidationError);
    await expect(detectSequence(['/a/x.0001.exr', '/a/x.001.exr'])).rejects.toThrow(ValidationError);
    await expect(detectSequence(['/a/x.0001.exr', '/b/x.0002.exr'])).rejects.toThrow(/one folder/);
    await expect(detectSequence([])).rejects.toThrow(ValidationError);
    await expect(detectSequence(path.join(root, 'render/none.####.exr'))).rejects.toThrow(/no frames/);
    await expect(detectSequence(['/a/x.1.exr', '/a/x.9999999.exr'])).rejects.toThrow(/missing frames/);
    await expect(
      detectSequence('render/beauty.####.exr', { root: path.join(root, 'padded') }),
    ).rejects.toThrow(ValidationError);
    await expect(
      detectSequence('../render/beauty.####.exr', { root: path.join(root, 'padded') }),
    ).rejects.toThrow(/\.\./);
  });

  it('resolves relative patterns inside a root', async () => {
    const s = await detectSequence('render/beauty.####.exr', { root });
    expect(s.frames).toHaveLength(98);
  });
});
