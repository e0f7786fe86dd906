/**
 * The half-float container Montu serves to browsers (decisions 147 and 148): the high-precision
 * web rendition of float and high-bit-depth stills (role `web_float`) and the baked 3D LUTs of
 * the colour routes. One format for both, so the viewer has one reader:
 *
 *   bytes 0–3   "MF16"
 *   bytes 4–7   N, the header's length in bytes (uint32, little-endian)
 *   bytes 8…    the header, N bytes of UTF-8 JSON (FloatImageHeader)
 *   then        the payload: zlib (RFC 1950) deflate of IEEE 754 half floats, little-endian,
 *               channels interleaved — `new DecompressionStream('deflate')` in a browser, and the
 *               result uploads to WebGL2 as it is (`RGB16F`/`RGBA16F`, `HALF_FLOAT`).
 *
 * Images: rows top to bottom, pixels left to right. LUTs: red varies fastest, then green, then
 * blue (the layout `texImage3D` expects with x = red, y = green, z = blue).
 */

// Both exist in Node and every browser; the domain package compiles without DOM or Node types.
declare const TextEncoder: new () => { encode(s: string): Uint8Array };
declare const TextDecoder: new () => { decode(b: Uint8Array): string };

export const FLOAT_IMAGE_MAGIC = 'MF16';
export const FLOAT_IMAGE_CONTENT_TYPE = 'application/x-montu-f16';

/**
 * How a LUT's lattice coordinate u (0–1 on each axis) maps to the scene-linear value it was
 * baked for: `linear = offset × (2^(u × stops) − 1)`. A viewer computes
 * `u = log2(linear / offset + 1) / stops` (linear clamped to 0–maxLinear) before the lookup.
 */
export interface LutShaper {
  type: 'log2-offset';
  offset: number;
  stops: number;
  /** linear at u = 1; brighter values take the last lattice entry. */
  maxLinear: number;
}

export interface FloatImageHeader {
  kind: 'image' | 'lut3d';
  /** Pixels across; for a LUT, its edge (entries per axis). */
  width: number;
  height: number;
  /** 1 for images, the LUT edge for LUTs. */
  depth: number;
  /** RGB, or RGBA for images with an alpha channel (straight, as stored). LUTs: 3. */
  channels: 3 | 4;
  compression: 'deflate';
  /**
   * What the image values are: `scene_linear` (EXR, HDR, float TIFF: the file's own values),
   * `source` (DPX, 16-bit TIFF/PNG: code values scaled to 0–1, not linearised). LUT output is
   * `display` (0–1 display code values).
   */
  values: 'scene_linear' | 'source' | 'display';
  /** LUTs: how their input coordinates map to scene-linear values. */
  shaper?: LutShaper;
  /** LUTs: the transform, and for OCIO the config's file name, display and view baked. */
  transform?: 'srgb' | 'filmic' | 'ocio';
  config?: string;
  display?: string;
  view?: string;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float → IEEE 754 half bits, rounding to nearest even; overflow → ±Inf, NaN stays NaN. */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    // Subnormal half: shift the mantissa (with its hidden bit) into place, round to nearest even.
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (rest > mid || (rest === mid && half & 1) ? half + 1 : half);
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to Inf).
  return sign | (rest > 0x1000 || (rest === 0x1000 && half & 1) ? half + 1 : half);
}

/** IEEE 754 half bits → float. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** The bytes before the payload: magic, header length, header. */
export function floatImagePrefix(header: FloatImageHeader): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length);
  out.set(new TextEncoder().encode(FLOAT_IMAGE_MAGIC), 0);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  return out;
}

/** Splits a container into its header and its (still compressed) payload; refuses anything else. */
export function parseFloatImage(bytes: Uint8Array): { header: FloatImageHeader; payload: Uint8Array } {
  const magic = new TextDecoder().decode(bytes.subarray(0, 4));
  if (bytes.length < 8 || magic !== FLOAT_IMAGE_MAGIC) throw new RangeError('not a Montu MF16 file');
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (8 + n > bytes.length) throw new RangeError('MF16 header runs past the end of the file');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as FloatImageHeader;
  return { header, payload: bytes.subarray(8 + n) };
}

/** Still formats whose integer samples can carry more than 8 bits. */
const HIGH_BIT_FORMATS = new Set(['dpx', 'tif', 'png']);

/** Scene-linear formats with a float rendition: EXR, float TIFF, Radiance HDR (decision 187). */
const LINEAR_FLOAT_FORMATS = new Set(['exr', 'tif', 'hdr']);

/**
 * True for the pictures that get a half-float rendition (decisions 147, 187): scene-linear EXR,
 * float TIFF and Radiance HDR, and integer formats with more than 8 bits a sample (DPX, 16-bit
 * TIFF/PNG). `mediaType` is `image` for a still; a sequence's frames are asked about as stills.
 */
export function wantsFloatRendition(meta: {
  mediaType: string;
  format?: string | null;
  linear?: boolean | null;
  bitDepth?: number | null;
}): boolean {
  if (meta.mediaType !== 'image' || !meta.format) return false;
  if (meta.linear) return LINEAR_FLOAT_FORMATS.has(meta.format);
  return HIGH_BIT_FORMATS.has(meta.format) && (meta.bitDepth ?? 8) > 8;
}

/**
 * True for an image sequence whose frames get float renditions on request
 * (`GET /media/:id/files/frames/:frame/float`, decision 217): its frames are float stills.
 */
export function hasFrameFloats(media: {
  mediaType: string;
  metadata: Record<string, unknown> | null;
}): boolean {
  if (media.mediaType !== 'sequence' || !media.metadata) return false;
  const m = media.metadata;
  return wantsFloatRendition({
    mediaType: 'image',
    format: typeof m['format'] === 'string' ? m['format'] : null,
    linear: m['linear'] === true,
    bitDepth: typeof m['bitDepth'] === 'number' ? m['bitDepth'] : null,
  });
}
