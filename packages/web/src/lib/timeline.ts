/**
 * The timeline's geometry, kept apart from React so it can be tested: every frame owns an equal
 * cell of the bar (frame f spans [f, f+1) × width / count), so a click anywhere in a cell lands
 * on that frame and markers sit on their frame's middle, never on a neighbour (kitsu PR#2044).
 */

/** The frame under `x` (CSS pixels from the bar's left edge) of a bar `width` wide. */
export function frameAtX(x: number, width: number, count: number): number {
  if (width <= 0 || count <= 0) return 0;
  return Math.min(count - 1, Math.max(0, Math.floor((x / width) * count)));
}

/** The middle of frame `frame`'s cell, as a fraction of the bar (0–1). */
export function frameCentre(frame: number, count: number): number {
  return (frame + 0.5) / Math.max(1, count);
}

/** Left edge of frame `frame`'s cell, as a fraction of the bar. */
export function frameEdge(frame: number, count: number): number {
  return frame / Math.max(1, count);
}

export interface Ticks {
  /** Frames between ticks. */
  step: number;
  /** Frames between tall ticks (a whole number of steps). */
  major: number;
}

/**
 * Tick spacing: a tick on every frame when frames are at least `minGap` pixels apart, else every
 * 2, 5, 10… frames or whole seconds (so a tick still names a round number); tall ticks mark
 * seconds (or the next round multiple when seconds are too close).
 */
export function tickSpacing(width: number, count: number, fps: number, minGap = 4): Ticks {
  const perFrame = width / Math.max(1, count);
  const second = Math.max(1, Math.round(fps));
  const candidates = [1, 2, 5, 10, second, 2 * second, 5 * second, 10 * second, 30 * second, 60 * second];
  const sorted = [...new Set(candidates)].sort((a, b) => a - b);
  const step = sorted.find((s) => s * perFrame >= minGap) ?? sorted[sorted.length - 1]!;
  const majors = [second, 5 * second, 10 * second, 60 * second, 600 * second];
  const major = majors.find((m) => m % step === 0 && m * perFrame >= 40) ?? step * 10;
  return { step, major };
}

/** A sprite sheet's tile index (the `sprite` rendition's info, decision 134). */
export interface SpriteIndex {
  tileWidth: number;
  tileHeight: number;
  columns: number;
  rows: number;
  offsets: number[];
}

/** Reads a rendition's info as a sprite index; null when something is missing. */
export function spriteIndex(info: Record<string, unknown> | null | undefined): SpriteIndex | null {
  if (!info) return null;
  const { tileWidth, tileHeight, columns, rows, offsets } = info;
  const whole = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (!whole(tileWidth) || !whole(tileHeight) || !whole(columns) || !whole(rows)) return null;
  if (!Array.isArray(offsets) || offsets.length === 0 || !offsets.every((o) => Number.isInteger(o)))
    return null;
  return { tileWidth, tileHeight, columns, rows, offsets: offsets as number[] };
}

/** The tile showing the frame nearest `frame` (offsets are sorted, evenly spaced). */
export function nearestTile(sprite: SpriteIndex, frame: number): number {
  const o = sprite.offsets;
  let lo = 0;
  let hi = o.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (o[mid]! < frame) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(o[lo - 1]! - frame) <= Math.abs(o[lo]! - frame)) return lo - 1;
  return lo;
}

/** CSS that shows tile `i` of the sheet at `url` scaled to `height` pixels tall. */
export function tileStyle(
  sprite: SpriteIndex,
  url: string,
  i: number,
  height: number,
): {
  width: number;
  height: number;
  backgroundImage: string;
  backgroundSize: string;
  backgroundPosition: string;
} {
  const s = height / sprite.tileHeight;
  const col = i % sprite.columns;
  const row = Math.floor(i / sprite.columns);
  return {
    width: sprite.tileWidth * s,
    height,
    backgroundImage: `url("${url}")`,
    backgroundSize: `${sprite.columns * sprite.tileWidth * s}px ${sprite.rows * sprite.tileHeight * s}px`,
    backgroundPosition: `${-col * sprite.tileWidth * s}px ${-row * sprite.tileHeight * s}px`,
  };
}
