/**
 * Float test images from exact values, for the colour-managed viewer's checks: the core's float
 * rendition test and the colour e2e make their EXRs here (the values go in as a PFM, which
 * oiiotool turns into a half-float EXR), so both judge the same kind of picture.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';

/**
 * Linear Rec.709 (sRGB primaries) values of a ColorChecker-like chart, 6 × 4 patches, row by row;
 * the last two are a highlight over 1.0 and a near-black patch.
 */
export const CHART: ReadonlyArray<readonly [number, number, number]> = [
  [0.173, 0.085, 0.056],
  [0.544, 0.304, 0.222],
  [0.121, 0.196, 0.341],
  [0.098, 0.151, 0.052],
  [0.243, 0.223, 0.434],
  [0.131, 0.515, 0.413],
  [0.681, 0.194, 0.026],
  [0.074, 0.107, 0.396],
  [0.523, 0.084, 0.121],
  [0.106, 0.041, 0.142],
  [0.335, 0.503, 0.046],
  [0.743, 0.364, 0.024],
  [0.035, 0.05, 0.287],
  [0.067, 0.296, 0.062],
  [0.434, 0.03, 0.037],
  [0.809, 0.586, 0.012],
  [0.488, 0.081, 0.297],
  [0.0, 0.24, 0.383],
  [0.9, 0.9, 0.9],
  [0.59, 0.59, 0.59],
  [0.36, 0.36, 0.36],
  [0.19, 0.19, 0.19],
  [4.0, 2.5, 1.2],
  [0.004, 0.002, 0.001],
];

/** Pixel values by position (x left to right, y top to bottom): RGB. */
export type Pixels = (x: number, y: number) => readonly number[];

/** Writes float channels (rows top to bottom) as a PFM: `PF` colour (3 channels) or `Pf` grey. */
export function writePfm(file: string, w: number, h: number, channels: 1 | 3, px: Pixels): void {
  const body = Buffer.alloc(w * h * 4 * channels);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      px(x, y).forEach((v, c) => body.writeFloatLE(v, ((h - 1 - y) * w + x) * 4 * channels + c * 4));
  writeFileSync(
    file,
    Buffer.concat([Buffer.from(`${channels === 3 ? 'PF' : 'Pf'}\n${w} ${h}\n-1.0\n`), body]),
  );
}

/**
 * A half-float EXR of `px` made by `oiiotool`: RGB, or RGBA when `alpha` is given. The PFMs it
 * is made from are removed.
 */
export function writeHalfExr(
  oiiotool: string,
  file: string,
  w: number,
  h: number,
  px: Pixels,
  alpha?: (x: number, y: number) => number,
): void {
  const rgb = `${file}.rgb.pfm`;
  writePfm(rgb, w, h, 3, px);
  const inputs = [rgb];
  if (alpha) {
    const a = `${file}.a.pfm`;
    writePfm(a, w, h, 1, (x, y) => [alpha(x, y)]);
    inputs.push(a, '--chappend', '--chnames', 'R,G,B,A');
  }
  try {
    execFileSync(oiiotool, [...inputs, '-d', 'half', '-o', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  } finally {
    for (const f of [rgb, `${file}.a.pfm`]) rmSync(f, { force: true });
  }
}

/** The CHART as a half-float EXR, each patch `patch` pixels square (6 × 4 patches). */
export function writeChartExr(oiiotool: string, file: string, patch: number): void {
  writeHalfExr(
    oiiotool,
    file,
    6 * patch,
    4 * patch,
    (x, y) => CHART[Math.floor(y / patch) * 6 + Math.floor(x / patch)]!,
  );
}
