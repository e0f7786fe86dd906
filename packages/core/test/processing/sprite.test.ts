import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, tempDir } from '../helpers/env.js';
import { openTestLibrary, type TestLibrary } from '../helpers/montu.js';
import { spriteOffsets, type SpriteIndex } from '../../src/processing/tools/sprite.js';
import {
  BARCODE_BITS,
  BARCODE_CELL,
  COUNTER_RATES,
  COUNTER_SIZE,
  makeCounterClip,
} from '../../../../e2e/fixtures/media.js';

/** Key frame positions of a movie, read with ffprobe. */
function keyframes(file: string): number[] {
  const out = execFileSync(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=key_frame', '-of', 'csv=p=0', file],
    { encoding: 'utf8' },
  );
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[01]/.test(l))
    .flatMap((l, i) => (l.startsWith('1') ? [i] : []));
}

describe('sprite offsets', () => {
  it('short clips get every frame, long ones at most 100 tiles evenly spaced', () => {
    expect(spriteOffsets(5)).toEqual([0, 1, 2, 3, 4]);
    expect(spriteOffsets(100)).toHaveLength(100);
    const long = spriteOffsets(250);
    expect(long.slice(0, 3)).toEqual([0, 3, 6]);
    expect(long.length).toBeLessThanOrEqual(100);
  });
});

describe.each(DATABASES)('thumbnail sprite sheet and proxy key frames on %s', (kind) => {
  let lib: TestLibrary;
  let work: string;
  beforeAll(async () => {
    lib = await openTestLibrary(kind, { jobs: { concurrency: 2, retry: { backoffMs: 50 } } });
    work = tempDir();
  });
  afterAll(async () => {
    await lib.cleanup();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('processing makes a sprite sheet whose every tile shows the frame its index names', async () => {
    const rate = COUNTER_RATES[0]; // 23.976
    const id = await lib.montu.media.uploadMedia({
      filePath: makeCounterClip(work, rate, { frames: 250 }),
      projectId: 'SPR',
      taskId: 'ep01_sq010_sh010_comp',
      author: 'ana',
      wait: true,
    });
    const m = await lib.montu.media.getMediaById(id);
    const sprite = m.files.find((f) => f.role === 'sprite');
    expect(sprite?.state).toBe('ready');
    expect(sprite?.contentType).toBe('image/jpeg');
    const index = sprite!.info as unknown as SpriteIndex & { fps: string };
    expect(index.fps).toBe(rate.fps);
    expect(index.offsets).toEqual(spriteOffsets(250));
    expect(index.columns).toBe(10);
    expect(index.rows).toBe(Math.ceil(index.offsets.length / 10));
    expect(index.tileWidth).toBe(COUNTER_SIZE.width); // the counter clip is 160 wide already
    const { data, info } = await sharp(path.join(lib.storageRoot, sprite!.key))
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([index.width, index.height]);
    const scale = index.tileHeight / COUNTER_SIZE.height;
    index.offsets.forEach((offset, tile) => {
      const x0 = (tile % index.columns) * index.tileWidth;
      const y0 = Math.floor(tile / index.columns) * index.tileHeight;
      let n = 0;
      for (let bit = 0; bit < BARCODE_BITS; bit++) {
        const x = x0 + bit * BARCODE_CELL + BARCODE_CELL / 2;
        const y = y0 + Math.round((COUNTER_SIZE.height / 6) * scale);
        if (data[y * info.width * info.channels + x * info.channels]! > 128) n += 2 ** bit;
      }
      expect(n, `tile ${tile}`).toBe(offset);
    });
  });

  it('proxies have a key frame at least every 12 frames (59.94 counter clip)', async () => {
    const id = await lib.montu.media.uploadMedia({
      filePath: makeCounterClip(work, COUNTER_RATES[4], { frames: 60, name: 'kf.mov' }),
      projectId: 'SPR',
      taskId: 'ep01_sq010_sh020_comp',
      author: 'ana',
      wait: true,
    });
    const m = await lib.montu.media.getMediaById(id);
    const proxy = m.files.find((f) => f.role === 'proxy')!;
    const keys = keyframes(path.join(lib.storageRoot, proxy.key));
    expect(keys[0]).toBe(0);
    for (let i = 1; i < keys.length; i++) expect(keys[i]! - keys[i - 1]!).toBeLessThanOrEqual(12);
    expect(60 - 1 - keys.at(-1)!).toBeLessThan(12);
  });
});
