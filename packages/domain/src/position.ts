import { ValidationError } from './errors.js';
import type { Point } from './drawing.js';

/*
 * Points on a picture. Montu stores them normalised (0–1 of the upright picture, x right, y
 * down), like drawings; callers may give and read them in pixels too (decision 097).
 */

export interface PixelSize {
  width: number;
  height: number;
}

/**
 * The upright size in pixels of a picture as its metadata measured it (a 90° or 270° rotation
 * swaps width and height), or null when it is not known.
 */
export function uprightSize(metadata: Record<string, unknown>): PixelSize | null {
  const w = metadata['width'];
  const h = metadata['height'];
  if (typeof w !== 'number' || typeof h !== 'number' || !(w > 0) || !(h > 0)) return null;
  const r = metadata['rotation'];
  return r === 90 || r === 270 ? { width: h, height: w } : { width: w, height: h };
}

/** A point given in pixels, checked against the picture, as stored (normalised). */
export function pixelsToNormalised(p: unknown, size: PixelSize, field = 'positionPx'): Point {
  const o = p as Record<string, unknown>;
  if (
    typeof p !== 'object' ||
    p === null ||
    Array.isArray(p) ||
    Object.keys(o).some((k) => k !== 'x' && k !== 'y') ||
    typeof o['x'] !== 'number' ||
    typeof o['y'] !== 'number' ||
    !Number.isFinite(o['x']) ||
    !Number.isFinite(o['y'])
  ) {
    throw new ValidationError(`${field} must be { x, y } in pixels.`, { field });
  }
  const x = o['x'];
  const y = o['y'];
  if (x < 0 || x > size.width || y < 0 || y > size.height) {
    throw new ValidationError(
      `${field} (${x}, ${y}) is outside the picture: x must be 0–${size.width} and y 0–${size.height} pixels.`,
      { field },
    );
  }
  return { x: x / size.width, y: y / size.height };
}

/** A stored (normalised) point in pixels of the picture, to the thousandth of a pixel. */
export function normalisedToPixels(p: Point, size: PixelSize): Point {
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return { x: round(p.x * size.width), y: round(p.y * size.height) };
}
