/**
 * Display transforms for scene-linear pictures (EXR, HDR, float TIFF): linear Rec.709/sRGB
 * primaries → sRGB display encoding, optionally through a filmic tone curve first. Applied to
 * already-resized float pixels, so the cost is proportional to the output size.
 *
 * Plain JavaScript (typed with JSDoc, checked by tsc) because the image decoder child process
 * (decoder-child.mjs) runs it too, straight from the sources under vitest and from dist in
 * production: one implementation for both sides of the process boundary.
 */

/** @typedef {'srgb' | 'filmic'} ToneMap */

/**
 * sRGB opto-electronic transfer function (IEC 61966-2-1), input and output 0–1.
 * @param {number} v
 * @returns {number}
 */
export function linearToSrgb(v) {
  return v <= 0.0031308 ? 12.92 * v : 1.055 * Math.pow(v, 1 / 2.4) - 0.055;
}

/**
 * Filmic curve: Krzysztof Narkowicz's fit of the ACES reference rendering transform, with his
 * 0.6 input scale, so mid-grey 0.18 lands near display 0.39 (sRGB ~100) and highlights roll off
 * instead of clipping.
 * @param {number} x
 * @returns {number}
 */
export function filmic(x) {
  const v = x * 0.6;
  return (v * (2.51 * v + 0.03)) / (v * (2.43 * v + 0.59) + 0.14);
}

/**
 * @param {number} v
 * @param {ToneMap} toneMap
 * @returns {number}
 */
function encode(v, toneMap) {
  return Math.max(0, Math.min(255, Math.round(toDisplay(v, toneMap) * 255)));
}

/**
 * The built-in display transform before 8-bit quantisation: scene-linear → display code value
 * 0–1. The baked LUTs of the built-in views (core/colour/lut.ts) are made from it, so the viewer
 * and the thumbnails share one definition.
 * @param {number} v
 * @param {ToneMap} toneMap
 * @returns {number}
 */
export function toDisplay(v, toneMap) {
  if (!(v > 0)) return 0; // negative, zero and NaN
  if (v === Infinity) return 1;
  const d = toneMap === 'filmic' ? filmic(v) : v;
  return Math.max(0, Math.min(1, linearToSrgb(Math.min(1, d))));
}

/**
 * Planar float RGB as ffmpeg writes `gbrpf32le` (planes G, B, R) → interleaved 8-bit RGB.
 * @param {Buffer} buf
 * @param {number} width
 * @param {number} height
 * @param {ToneMap} toneMap
 * @returns {Buffer}
 */
export function gbrpf32ToRgb8(buf, width, height, toneMap) {
  const n = width * height;
  const floats = new Float32Array(buf.buffer, buf.byteOffset, Math.floor(buf.byteLength / 4));
  if (floats.length < n * 3) throw new RangeError(`expected ${n * 3} floats, got ${floats.length}`);
  const out = Buffer.allocUnsafe(n * 3);
  for (let i = 0; i < n; i++) {
    // In range (checked above); typed-array reads are number | undefined under noUncheckedIndexedAccess.
    out[i * 3] = encode(/** @type {number} */ (floats[2 * n + i]), toneMap);
    out[i * 3 + 1] = encode(/** @type {number} */ (floats[i]), toneMap);
    out[i * 3 + 2] = encode(/** @type {number} */ (floats[n + i]), toneMap);
  }
  return out;
}

/**
 * One float grey plane as ffmpeg writes `grayf32le` → interleaved 8-bit RGB, the grey value in
 * all three channels. Single-channel (Y) EXRs are decoded this way: ffmpeg 5.1's own
 * grayf32 → gbrpf32 conversion fills only the G plane, which shows a grey picture as green.
 * @param {Buffer} buf
 * @param {number} width
 * @param {number} height
 * @param {ToneMap} toneMap
 * @returns {Buffer}
 */
export function grayf32ToRgb8(buf, width, height, toneMap) {
  const n = width * height;
  const floats = new Float32Array(buf.buffer, buf.byteOffset, Math.floor(buf.byteLength / 4));
  if (floats.length < n) throw new RangeError(`expected ${n} floats, got ${floats.length}`);
  const out = Buffer.allocUnsafe(n * 3);
  for (let i = 0; i < n; i++) {
    const v = encode(/** @type {number} */ (floats[i]), toneMap);
    out[i * 3] = v;
    out[i * 3 + 1] = v;
    out[i * 3 + 2] = v;
  }
  return out;
}

/**
 * Interleaved float pixels (sharp `raw({ depth: 'float' })`) → interleaved 8-bit, alpha kept linear.
 * @param {Buffer} buf
 * @param {number} channels
 * @param {ToneMap} toneMap
 * @returns {Buffer}
 */
export function floatInterleavedToRgb8(buf, channels, toneMap) {
  const floats = new Float32Array(buf.buffer, buf.byteOffset, Math.floor(buf.byteLength / 4));
  const out = Buffer.allocUnsafe(floats.length);
  const colour = channels >= 3 ? 3 : 1;
  for (let i = 0; i < floats.length; i++) {
    const c = i % channels;
    const v = /** @type {number} */ (floats[i]);
    out[i] =
      c < colour
        ? encode(v, toneMap)
        : Math.max(0, Math.min(255, Math.round((v > 0 ? Math.min(1, v) : 0) * 255)));
  }
  return out;
}
