/**
 * What the colour e2e files judge the WebGL2 viewer by: oiiotool's 8-bit rendering of a file
 * through a display/view of the test OCIO config (as the thumbnails run it), the float canvas's
 * pixels read back, and the largest difference between the two.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { ROOT } from './harness.js';

export const OIIOTOOL = '/usr/bin/oiiotool';
export const OCIO_CONFIG = path.join(ROOT, 'packages/core/test/fixtures/ocio/config.ocio');
export const hasOiiotool = existsSync(OIIOTOOL);

export function oiio(args: string[]): string {
  return execFileSync(OIIOTOOL, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

/** An 8-bit binary PPM (what oiiotool writes for `.ppm`) → RGB bytes, rows top to bottom. */
export function readPpm(file: string): { width: number; height: number; rgb: Uint8Array } {
  const buf = readFileSync(file);
  const m = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(buf.subarray(0, 64).toString('latin1'));
  if (!m) throw new Error(`${file}: not an 8-bit P6 PPM`);
  const width = Number(m[1]);
  const height = Number(m[2]);
  return { width, height, rgb: new Uint8Array(buf.subarray(m[0].length, m[0].length + width * height * 3)) };
}

/**
 * oiiotool's 8-bit rendering of `file` through a display/view (RGB, rows top to bottom), written in
 * `work`; `pre` are operations on the scene-linear image first. Alpha is dropped: the viewer shows
 * straight colour.
 */
export function oiioDisplay(
  work: string,
  file: string,
  display: string,
  view: string,
  pre: string[] = [],
): Uint8Array {
  const out = path.join(work, `ref-${Math.random().toString(36).slice(2)}.ppm`);
  oiio([
    '--colorconfig',
    OCIO_CONFIG,
    file,
    '--ch',
    'R,G,B',
    ...pre,
    '--ociodisplay:from=scene_linear',
    display,
    view,
    '-d',
    'uint8',
    '-o',
    out,
  ]);
  return readPpm(out).rgb;
}

/**
 * The float canvas's pixels (RGBA, rows top to bottom) once it shows `drawn`
 * (`display/view|exposure|gamma|channel`) and, when given, the picture whose URL ends in `picture`.
 */
export async function floatCanvasPixels(
  page: Page,
  drawn: string,
  picture?: RegExp,
): Promise<{ width: number; height: number; rgba: Uint8Array }> {
  const canvas = page.getByTestId('float-canvas');
  if (picture)
    await expect.poll(() => canvas.getAttribute('data-picture'), { timeout: 60_000 }).toMatch(picture);
  await expect.poll(() => canvas.getAttribute('data-drawn'), { timeout: 30_000 }).toBe(drawn);
  const { width, height, data } = await canvas.evaluate((c: HTMLCanvasElement) => {
    const gl = c.getContext('webgl2')!;
    const px = new Uint8Array(c.width * c.height * 4);
    gl.readPixels(0, 0, c.width, c.height, gl.RGBA, gl.UNSIGNED_BYTE, px);
    let s = '';
    for (let i = 0; i < px.length; i += 0x8000) s += String.fromCharCode(...px.subarray(i, i + 0x8000));
    return { width: c.width, height: c.height, data: btoa(s) };
  });
  // readPixels rows run bottom to top.
  const raw = Buffer.from(data, 'base64');
  const rgba = new Uint8Array(raw.length);
  const row = width * 4;
  for (let y = 0; y < height; y++)
    rgba.set(raw.subarray((height - 1 - y) * row, (height - y) * row), y * row);
  return { width, height, rgba };
}

/** Largest per-channel difference (8-bit code values) of an RGBA canvas against RGB, and how many exceed 1. */
export function maxError(rgba: Uint8Array, rgb: Uint8Array): { max: number; over1: number } {
  let max = 0;
  let over1 = 0;
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3)
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(rgba[i + c]! - rgb[j + c]!);
      if (d > max) max = d;
      if (d > 1) over1++;
    }
  return { max, over1 };
}
