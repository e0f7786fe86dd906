/**
 * Display transforms for scene-linear pictures (EXR, HDR, float TIFF): linear Rec.709/sRGB
 * primaries → sRGB display encoding, optionally through a filmic tone curve first. Applied to
 * already-resized float pixels, so the cost is proportional to the output size.
 */
export type ToneMap = 'srgb' | 'filmic';

/** sRGB opto-electronic transfer function (IEC 61966-2-1), input and output 0–1. */
export function linearToSrgb(v: number): number {
  return v <= 0.0031308 ? 12.92 * v : 1.055 * Math.pow(v, 1 / 2.4) - 0.055;
}

/**
 * Filmic curve: Krzysztof Narkowicz's fit of the ACES reference rendering transform, with his
 * 0.6 input scale, so mid-grey 0.18 lands near display 0.39 (sRGB ~100) and highlights roll off
 * instead of clipping.
 */
export function filmic(x: number): number {
  const v = x * 0.6;
  return (v * (2.51 * v + 0.03)) / (v * (2.43 * v + 0.59) + 0.14);
}

function encode(v: number, toneMap: ToneMap): number {
  if (!(v > 0)) return 0; // negative, zero and NaN
  if (v === Infinity) return 255;
  const d = toneMap === 'filmic' ? filmic(v) : v;
  const s = linearToSrgb(Math.min(1, d));
  return Math.max(0, Math.min(255, Math.round(s * 255)));
}

/**
 * Planar float RGB as ffmpeg writes `gbrpf32le` (planes G, B, R) → interleaved 8-bit RGB.
 */
export function gbrpf32ToRgb8(buf: Buffer, width: number, height: number, toneMap: ToneMap): Buffer {
  const n = width * height;
  const floats = new Float32Array(buf.buffer, buf.byteOffset, Math.floor(buf.byteLength / 4));
  if (floats.length < n * 3) throw new RangeError(`expected ${n * 3} floats, got ${floats.length}`);
  const out = Buffer.allocUnsafe(n * 3);
  for (let i = 0; i < n; i++) {
    out[i * 3] = encode(floats[2 * n + i]!, toneMap);
    out[i * 3 + 1] = encode(floats[i]!, toneMap);
    out[i * 3 + 2] = encode(floats[n + i]!, toneMap);
  }
  return out;
}

/** Interleaved float pixels (sharp `raw({ depth: 'float' })`) → interleaved 8-bit, alpha kept linear. */
export function floatInterleavedToRgb8(buf: Buffer, channels: number, toneMap: ToneMap): Buffer {
  const floats = new Float32Array(buf.buffer, buf.byteOffset, Math.floor(buf.byteLength / 4));
  const out = Buffer.allocUnsafe(floats.length);
  const colour = channels >= 3 ? 3 : 1;
  for (let i = 0; i < floats.length; i++) {
    const c = i % channels;
    const v = floats[i]!;
    out[i] =
      c < colour
        ? encode(v, toneMap)
        : Math.max(0, Math.min(255, Math.round((v > 0 ? Math.min(1, v) : 0) * 255)));
  }
  return out;
}
