/**
 * The libvips (sharp) operations Montu runs on image files: header reads, and decode → orient →
 * resize → (display transform) → encode. This is the one implementation of each; the decoder
 * child processes (decoder-child.mjs, driven by decoder-pool.ts) run every decode of a file.
 * Only `encodeRaw` (pixels Montu already holds, e.g. ffmpeg's raw output) runs in the caller's
 * process: it parses no file.
 *
 * Plain JavaScript, typed with JSDoc and checked by tsc, so the child runs the same file from the
 * sources (vitest) and from dist (production) without a build step or a TypeScript loader.
 */
import sharp from 'sharp';
import { floatInterleavedToRgb8 } from './colour.mjs';

/** JPEG has no alpha: transparent pictures are shown over neutral grey (neither dark nor light logos vanish). */
const ALPHA_BACKGROUND = '#808080';

/** @typedef {import('./colour.mjs').ToneMap} ToneMap */
/** @typedef {'jpeg' | 'webp'} ImageFormat */
/** @typedef {'none' | 'truncated' | 'error' | 'warning'} FailOn */

/**
 * @typedef {object} EncodeParams
 * @property {ImageFormat | 'png'} format
 * @property {number} quality 1–100 (JPEG, WebP)
 */

/**
 * An encoded picture.
 * @typedef {object} EncodedImage
 * @property {Buffer} data
 * @property {number} width
 * @property {number} height
 */

/**
 * The header facts Montu uses; the binary blocks sharp also returns (EXIF, ICC, XMP, IPTC) stay
 * in the child (exiftool reads those).
 * @typedef {Pick<import('sharp').Metadata, 'format' | 'width' | 'height' | 'pages' | 'pageHeight'
 *   | 'channels' | 'depth' | 'bitsPerSample' | 'orientation' | 'space' | 'compression' | 'hasAlpha'>} ImageHeader
 */

/**
 * Read an image header.
 * @typedef {object} MetadataRequest
 * @property {'metadata'} op
 * @property {string | Uint8Array} input a file path, or the bytes of a small upload that is on no local disk
 * @property {number | false} maxPixels sharp's `limitInputPixels`
 * @property {FailOn} failOn
 */

/**
 * Decode a file (first page/frame), apply its EXIF orientation, fit it inside `maxEdge` (never
 * enlarging), map scene-linear data through the display transform, encode.
 * @typedef {object} RenderRequest
 * @property {'render'} op
 * @property {string} file
 * @property {number | null} maxEdge long edge of the result; null keeps the full resolution
 * @property {boolean} linear scene-linear data: decoded as float, then `toneMap` to 8-bit sRGB
 * @property {ToneMap} toneMap
 * @property {FailOn} failOn
 * @property {number} maxPixels sharp's `limitInputPixels`
 * @property {ImageFormat | 'png'} format
 * @property {number} quality
 */

/** @typedef {MetadataRequest | RenderRequest} DecodeRequest */

/**
 * Runs one request (in the decoder child).
 * @param {DecodeRequest} request
 * @returns {Promise<ImageHeader | EncodedImage>}
 */
export function runDecode(request) {
  switch (request.op) {
    case 'metadata':
      return imageHeader(request);
    case 'render':
      return renderImage(request);
  }
}

/**
 * @param {MetadataRequest} r
 * @returns {Promise<ImageHeader>}
 */
async function imageHeader(r) {
  const input =
    typeof r.input === 'string'
      ? r.input
      : Buffer.from(r.input.buffer, r.input.byteOffset, r.input.byteLength);
  const m = await sharp(input, { limitInputPixels: r.maxPixels, failOn: r.failOn }).metadata();
  return {
    format: m.format,
    width: m.width,
    height: m.height,
    pages: m.pages,
    pageHeight: m.pageHeight,
    channels: m.channels,
    depth: m.depth,
    bitsPerSample: m.bitsPerSample,
    orientation: m.orientation,
    space: m.space,
    compression: m.compression,
    hasAlpha: m.hasAlpha,
  };
}

/**
 * @param {RenderRequest} r
 * @returns {Promise<EncodedImage>}
 */
async function renderImage(r) {
  const open = () => sharp(r.file, { limitInputPixels: r.maxPixels, failOn: r.failOn, sequentialRead: true });
  let img = open().rotate();
  // libvips tags float RGB (TIFF, Radiance through rad2float) as scRGB, and sharp's default output
  // space is sRGB: it would encode 0.18 to 118.0 *before* our transform, which then clips it to
  // white. Kept in scRGB, the floats reach the display transform as the linear values they are.
  // (Float greyscale is B_W, which sharp leaves as it is.)
  if (r.linear && (await open().metadata()).space === 'scrgb') img = img.toColourspace('scrgb');
  if (r.maxEdge !== null)
    img = img.resize({ width: r.maxEdge, height: r.maxEdge, fit: 'inside', withoutEnlargement: true });
  if (r.linear) {
    const { data, info } = await img.raw({ depth: 'float' }).toBuffer({ resolveWithObject: true });
    const rgb = floatInterleavedToRgb8(data, info.channels, r.toneMap);
    return encodeRaw(rgb, info.width, info.height, info.channels, r);
  }
  return encodeImage(img, r);
}

/**
 * Encodes 8-bit interleaved pixels. Runs in whichever process holds them: the bytes are pixels,
 * not a file format, so no decoder is involved.
 * @param {Buffer} raw
 * @param {number} width
 * @param {number} height
 * @param {1 | 2 | 3 | 4} channels
 * @param {EncodeParams} params
 * @returns {Promise<EncodedImage>}
 */
export function encodeRaw(raw, width, height, channels, params) {
  return encodeImage(sharp(raw, { raw: { width, height, channels } }), params);
}

/**
 * @param {import('sharp').Sharp} img
 * @param {EncodeParams} params
 * @returns {Promise<EncodedImage>}
 */
async function encodeImage(img, { format, quality }) {
  const out =
    format === 'webp'
      ? img.webp({ quality })
      : format === 'png'
        ? img.png()
        : img.flatten({ background: ALPHA_BACKGROUND }).jpeg({ quality });
  const { data, info } = await out.toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}
