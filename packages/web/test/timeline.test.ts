/** The timeline's geometry and the zoom label (issue 21 items 6 and 9). */
import { describe, expect, it } from 'vitest';
import { parseRational } from '@montu/domain';
import {
  frameAtX,
  frameCentre,
  nearestTile,
  spriteIndex,
  tickSpacing,
  tileStyle,
} from '../src/lib/timeline.js';
import { actualSizeZoom, imageRect, zoomPercent, type Viewport } from '../src/lib/drawing.js';
import { frameLabel, mediaTiming } from '../src/lib/timecode.js';

describe('timeline cells', () => {
  it('a click anywhere in a frame cell is that frame; a cell middle maps back to its frame', () => {
    const width = 1000;
    for (const count of [1, 2, 48, 1000, 86400]) {
      for (let f = 0; f < count; f += Math.max(1, Math.floor(count / 37))) {
        expect(frameAtX(frameCentre(f, count) * width, width, count)).toBe(f);
        expect(frameAtX((f / count) * width + 1e-9, width, count)).toBe(f);
      }
    }
    expect(frameAtX(-5, 1000, 48)).toBe(0);
    expect(frameAtX(1000, 1000, 48)).toBe(47);
  });
  it('ticks: every frame when there is room, else round steps; tall ticks on seconds', () => {
    expect(tickSpacing(1000, 48, 24)).toEqual({ step: 1, major: 24 });
    const long = tickSpacing(1000, 24 * 600, 24);
    expect(long.step * (1000 / (24 * 600))).toBeGreaterThanOrEqual(4);
    expect(long.major % long.step).toBe(0);
  });
});

describe('sprite tiles', () => {
  const index = spriteIndex({
    tileWidth: 160,
    tileHeight: 90,
    columns: 10,
    rows: 2,
    offsets: [0, 3, 6, 9, 12],
  })!;
  it('reads the index from the rendition info and refuses a broken one', () => {
    expect(index.offsets).toHaveLength(5);
    expect(spriteIndex({ tileWidth: 160 })).toBeNull();
    expect(spriteIndex(null)).toBeNull();
  });
  it('picks the tile nearest a frame', () => {
    expect([0, 1, 2, 4, 5, 11, 13, 99].map((f) => nearestTile(index, f))).toEqual([0, 0, 1, 1, 2, 4, 4, 4]);
  });
  it('positions a tile of the sheet scaled to a height', () => {
    const s = tileStyle(index, '/s.jpg', 12, 45);
    expect(s).toMatchObject({
      width: 80,
      height: 45,
      backgroundSize: '800px 90px',
      backgroundPosition: '-160px -45px',
    });
  });
});

describe('zoom label', () => {
  const vp: Viewport = {
    containerWidth: 1000,
    containerHeight: 600,
    imageWidth: 1920,
    imageHeight: 1080,
    zoom: 1,
    panX: 0,
    panY: 0,
  };
  it('reads the true percentage at Fit and 100 % at 1:1, at any device pixel ratio', () => {
    expect(zoomPercent(vp, 1)).toBeCloseTo((100 * 1000) / 1920);
    for (const dpr of [1, 1.5, 2]) {
      expect(zoomPercent({ ...vp, zoom: actualSizeZoom(vp, dpr) }, dpr)).toBeCloseTo(100);
    }
  });
  it('counts source pixels when the rendition shown is smaller than the source', () => {
    const proxy = { ...vp, imageWidth: 960, imageHeight: 540 };
    const z = actualSizeZoom(proxy, 1, 3840);
    expect(imageRect({ ...proxy, zoom: z }).width).toBeCloseTo(3840);
    expect(zoomPercent({ ...proxy, zoom: z }, 1, 3840)).toBeCloseTo(100);
  });
});

describe('frame names', () => {
  const movie = {
    mediaType: 'video' as const,
    metadata: { fps: '24000/1001', frameCount: 48 },
    startTimecode: '01:00:00:00',
    startFrame: 86400,
  };
  it('source frame and source timecode by default, 0-based on the toggle', () => {
    const t = mediaTiming(movie);
    expect(t.fps).toEqual(parseRational('24000/1001'));
    expect(frameLabel(41, t, false)).toEqual({ frame: 86441, timecode: '01:00:01:17' });
    expect(frameLabel(41, t, true)).toEqual({ frame: 41, timecode: '00:00:01:17' });
  });
  it('keeps drop-frame from the source timecode', () => {
    const t = mediaTiming({
      mediaType: 'video',
      metadata: { fps: '30000/1001', frameCount: 30 },
      startTimecode: '00:01:15;26',
      startFrame: null,
    });
    expect(frameLabel(4, t, false).timecode).toBe('00:01:16;00');
  });
});
