import fsp from 'node:fs/promises';
import type { PixFmtInfo } from './ffprobe.js';
import { avReduce } from './container-read.js';

/**
 * Pixel layout of TGA and BMP files from their fixed-size headers, as ffmpeg's decoders decide
 * it (libavcodec targa.c / bmp.c), so that these stills need no ffprobe process (~65 ms of
 * start-up each with Debian's ffmpeg) just to learn their size and pix_fmt.
 *
 * Deliberately narrow: only header combinations whose pix_fmt ffmpeg chooses from the header
 * alone are answered; anything else (32-bit BI_RGB BMP, whose pix_fmt ffmpeg picks after looking
 * at the alpha bytes, unknown bit fields, odd header sizes, truncated headers…) returns null and
 * the caller asks ffprobe as before. Checked against ffprobe in the tests
 * (test/media/image-header.test.ts: every pix_fmt ffmpeg's own encoders write, and the corpus).
 */
export interface HeaderLayout {
  /** ffprobe's format_name for the demuxer Montu forces (`image2` for TGA, `bmp_pipe`). */
  container: string;
  width: number;
  height: number;
  pixFmt: string;
  /** Sample aspect ratio the decoder sets (DPX); none for TGA/BMP. */
  sar?: [number, number];
}

/** ffmpeg's pixel-format facts (`ffprobe -show_pixel_formats`) for the formats returned here. */
export const HEADER_PIX_FMTS: Readonly<Record<string, PixFmtInfo>> = Object.freeze({
  gray: { components: 1, bits: 8, alpha: false, float: false, palette: false },
  pal8: { components: 1, bits: 8, alpha: true, float: false, palette: true },
  bgr24: { components: 3, bits: 8, alpha: false, float: false, palette: false },
  bgra: { components: 4, bits: 8, alpha: true, float: false, palette: false },
  rgba: { components: 4, bits: 8, alpha: true, float: false, palette: false },
  abgr: { components: 4, bits: 8, alpha: true, float: false, palette: false },
  argb: { components: 4, bits: 8, alpha: true, float: false, palette: false },
  bgr0: { components: 3, bits: 8, alpha: false, float: false, palette: false },
  rgb0: { components: 3, bits: 8, alpha: false, float: false, palette: false },
  '0bgr': { components: 3, bits: 8, alpha: false, float: false, palette: false },
  '0rgb': { components: 3, bits: 8, alpha: false, float: false, palette: false },
  rgb555le: { components: 3, bits: 5, alpha: false, float: false, palette: false },
  rgb565le: { components: 3, bits: 5, alpha: false, float: false, palette: false },
  rgb444le: { components: 3, bits: 4, alpha: false, float: false, palette: false },
  // DPX (dpx.c)
  rgb24: { components: 3, bits: 8, alpha: false, float: false, palette: false },
  gbrp10le: { components: 3, bits: 10, alpha: false, float: false, palette: false },
  gbrap10le: { components: 4, bits: 10, alpha: true, float: false, palette: false },
  gbrp12le: { components: 3, bits: 12, alpha: false, float: false, palette: false },
  gbrap12le: { components: 4, bits: 12, alpha: true, float: false, palette: false },
  rgb48be: { components: 3, bits: 16, alpha: false, float: false, palette: false },
  rgb48le: { components: 3, bits: 16, alpha: false, float: false, palette: false },
  rgba64be: { components: 4, bits: 16, alpha: true, float: false, palette: false },
  rgba64le: { components: 4, bits: 16, alpha: true, float: false, palette: false },
  gray10le: { components: 1, bits: 10, alpha: false, float: false, palette: false },
  gray12le: { components: 1, bits: 12, alpha: false, float: false, palette: false },
  gray16be: { components: 1, bits: 16, alpha: false, float: false, palette: false },
  gray16le: { components: 1, bits: 16, alpha: false, float: false, palette: false },
});

/** Bytes read from the start of the file: the largest TGA header (18 + 255-byte id) and any BMP info header. */
export const HEADER_BYTES = 512;
/** DPX's generic, industry and television headers (the aspect ratio sits at 1628). */
export const DPX_HEADER_BYTES = 2048;

/**
 * `parse` over the file's first `first` bytes, read once more up to `max` when it answers
 * 'short' (the header runs past what was read); null when it is short even so.
 */
export async function parseHeader<T>(
  file: string,
  parse: (b: Buffer) => T | 'short',
  first: number,
  max = first,
): Promise<T | null> {
  const fh = await fsp.open(file, 'r');
  try {
    let size = first;
    for (;;) {
      const buf = Buffer.alloc(size);
      const { bytesRead } = await fh.read(buf, 0, size, 0);
      const r = parse(buf.subarray(0, bytesRead));
      if (r !== 'short') return r;
      if (bytesRead < size || size >= max) return null;
      size = max;
    }
  } finally {
    await fh.close();
  }
}

export async function readHeader(file: string, bytes = HEADER_BYTES): Promise<Buffer> {
  const fh = await fsp.open(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

const TGA_BW = 3;
const TGA_RLE = 8;

/** TGA (targa.c): pix_fmt from the bits per pixel and the image type. */
export function tgaLayout(b: Buffer, fileSize: number): HeaderLayout | null {
  if (b.length < 18) return null;
  const idlen = b[0]!;
  const hasMap = b[1]!;
  const type = b[2]!;
  let firstColour = b.readUInt16LE(3);
  let colours = b.readUInt16LE(5);
  let mapBits = b[7]!;
  const width = b.readUInt16LE(12);
  const height = b.readUInt16LE(14);
  const bpp = b[16]!;
  if (hasMap > 1 || ![1, 2, 3, 9, 10, 11].includes(type) || width === 0 || height === 0) return null;
  if (!hasMap) firstColour = colours = mapBits = 0;
  // ffmpeg refuses these headers; ffprobe gives the authoritative error.
  if (fileSize - 18 < idlen + 2 * colours) return null;
  if (colours && colours + firstColour > 256) return null;
  if (colours && ![15, 16, 24, 32].includes(mapBits)) return null;
  const pixFmt =
    bpp === 8
      ? (type & ~TGA_RLE) === TGA_BW
        ? 'gray'
        : 'pal8'
      : bpp === 15 || bpp === 16
        ? 'rgb555le'
        : bpp === 24
          ? 'bgr24'
          : bpp === 32
            ? 'bgra'
            : null;
  if (!pixFmt) return null;
  // Uncompressed data shorter than declared: ffmpeg fails to decode it; let ffprobe report it.
  const mapBytes = colours * (mapBits === 32 ? 4 : mapBits === 24 ? 3 : 2);
  if (!(type & TGA_RLE) && fileSize - 18 - idlen - mapBytes < width * ((bpp + 1) >> 3) * height) return null;
  return { container: 'image2', width, height, pixFmt };
}

const BI_RGB = 0;
const BI_RLE8 = 1;
const BI_RLE4 = 2;
const BI_BITFIELDS = 3;

/** BMP (bmp.c): pix_fmt from the bit depth, compression and colour masks. */
export function bmpLayout(b: Buffer, fileSize: number): HeaderLayout | null {
  if (b.length < 26 || b[0] !== 0x42 || b[1] !== 0x4d) return null;
  const declared = b.readUInt32LE(2);
  const hsize = b.readUInt32LE(10); // offset of the pixel data
  const ihsize = b.readUInt32LE(14); // info header size
  // bmp.c's own sanity checks on the sizes.
  const fsize = declared === 14 || declared === ihsize + 14 ? fileSize - 2 : Math.min(declared, fileSize);
  if (![12, 40, 56, 64, 108, 124].includes(ihsize) || ihsize + 14 > hsize || fsize <= hsize) return null;
  if (b.length < 14 + Math.min(ihsize, 40) + (ihsize >= 40 ? 16 : 0)) return null;
  let width: number;
  let height: number;
  let o = 18;
  if (ihsize === 12) {
    width = b.readUInt16LE(o);
    height = b.readUInt16LE(o + 2);
    o += 4;
  } else {
    width = b.readInt32LE(o);
    height = Math.abs(b.readInt32LE(o + 4));
    o += 8;
  }
  if (b.readUInt16LE(o) !== 1) return null; // planes
  const depth = b.readUInt16LE(o + 2);
  o += 4;
  const comp = ihsize >= 40 ? b.readUInt32LE(o) : BI_RGB;
  if (width <= 0 || height <= 0) return null;
  if (comp !== BI_RGB && comp !== BI_BITFIELDS && comp !== BI_RLE4 && comp !== BI_RLE8) return null;
  let masks: [number, number, number, number] = [0, 0, 0, 0];
  if (comp === BI_BITFIELDS) {
    // Masks follow the 40-byte header (inside a v4/v5 header, or after a v3 one).
    const m = 14 + 40;
    if (b.length < m + 16) return null;
    masks = [
      b.readUInt32LE(m),
      b.readUInt32LE(m + 4),
      b.readUInt32LE(m + 8),
      ihsize > 40 ? b.readUInt32LE(m + 12) : 0,
    ];
  }
  const [r, g, bl, alpha] = masks;
  const palette = hsize - ihsize - 14 > 0;
  let pixFmt: string | null = null;
  if (depth === 32) {
    // 32-bit BI_RGB: ffmpeg reports bgra or bgr0 depending on the alpha bytes: ask ffprobe.
    if (comp !== BI_BITFIELDS) return null;
    if (r === 0xff000000 && g === 0x00ff0000 && bl === 0x0000ff00) pixFmt = alpha ? 'abgr' : '0bgr';
    else if (r === 0x00ff0000 && g === 0x0000ff00 && bl === 0x000000ff) pixFmt = alpha ? 'bgra' : 'bgr0';
    else if (r === 0x0000ff00 && g === 0x00ff0000 && bl === 0xff000000) pixFmt = alpha ? 'argb' : '0rgb';
    else if (r === 0x000000ff && g === 0x0000ff00 && bl === 0x00ff0000) pixFmt = alpha ? 'rgba' : 'rgb0';
  } else if (depth === 24) {
    pixFmt = comp === BI_RGB ? 'bgr24' : null;
  } else if (depth === 16) {
    if (comp === BI_RGB) pixFmt = 'rgb555le';
    else if (comp === BI_BITFIELDS) {
      if (r === 0xf800 && g === 0x07e0 && bl === 0x001f) pixFmt = 'rgb565le';
      else if (r === 0x7c00 && g === 0x03e0 && bl === 0x001f) pixFmt = 'rgb555le';
      else if (r === 0x0f00 && g === 0x00f0 && bl === 0x000f) pixFmt = 'rgb444le';
    }
  } else if (depth === 8) {
    pixFmt = palette ? 'pal8' : 'gray';
  } else if (depth === 1 || depth === 4) {
    pixFmt = palette ? 'pal8' : null;
  }
  if (!pixFmt) return null;
  // Uncompressed data shorter than its rows: ffmpeg refuses to decode it; let ffprobe report it.
  if (comp !== BI_RLE4 && comp !== BI_RLE8 && Math.floor((width * depth + 7) / 8) * height > fileSize - hsize)
    return null;
  return { container: 'bmp_pipe', width, height, pixFmt };
}

/** DPX descriptor → elements per pixel (dpx.c); only the RGB(A) and luma layouts are answered. */
const DPX_ELEMENTS: Record<number, number> = { 6: 1, 50: 3, 51: 4 };
/** `1000 × descriptor + 10 × bits + big-endian` → ffmpeg's pix_fmt (dpx.c's switch, 5.1). */
const DPX_PIX_FMTS: Record<number, string> = {
  6080: 'gray',
  6081: 'gray',
  6100: 'gray10le',
  6101: 'gray10le',
  6120: 'gray12le',
  6121: 'gray12le',
  6160: 'gray16le',
  6161: 'gray16be',
  50080: 'rgb24',
  50081: 'rgb24',
  50100: 'gbrp10le',
  50101: 'gbrp10le',
  50120: 'gbrp12le',
  50121: 'gbrp12le',
  50160: 'rgb48le',
  50161: 'rgb48be',
  51080: 'rgba',
  51081: 'rgba',
  51100: 'gbrap10le',
  51101: 'gbrap10le',
  51120: 'gbrap12le',
  51121: 'gbrap12le',
  51160: 'rgba64le',
  51161: 'rgba64be',
};

/**
 * DPX (dpx.c): size, pix_fmt and sample aspect from the file header, as ffmpeg's decoder decides
 * them. Declined (null): encrypted or run-length encoded images, layouts other than luma, RGB and
 * RGBA, unpacked 10/12-bit data, image data shorter than its rows.
 */
export function dpxLayout(b: Buffer, fileSize: number): HeaderLayout | null {
  if (b.length < 1636) return null;
  const magic = b.toString('latin1', 0, 4);
  if (magic !== 'SDPX' && magic !== 'XPDS') return null;
  const be = magic === 'SDPX';
  const u32 = (at: number) => (be ? b.readUInt32BE(at) : b.readUInt32LE(at));
  const u16 = (at: number) => (be ? b.readUInt16BE(at) : b.readUInt16LE(at));
  const offset = u32(4);
  if (u32(660) !== 0xffffffff) return null; // encrypted
  const width = u32(772);
  const height = u32(776);
  const descriptor = b[800]!;
  const bits = b[803]!;
  const packing = u16(804);
  if (u16(806) !== 0) return null; // run-length encoding
  const elements = DPX_ELEMENTS[descriptor];
  const pixFmt = DPX_PIX_FMTS[1000 * descriptor + 10 * bits + (be ? 1 : 0)];
  if (!elements || !pixFmt || !width || !height || width > 65535 || height > 65535) return null;
  // Bytes a row takes (dpx.c); unpacked 10/12-bit rows are refused or odd there: left to ffprobe.
  let stride: number;
  if (bits === 8) stride = width * elements;
  else if (bits === 10 && packing) stride = Math.floor((width * elements + 2) / 3) * 4;
  else if (bits === 12 && packing) stride = width * elements * 2;
  else if (bits === 16) stride = 2 * width * elements;
  else return null;
  if (offset >= fileSize || offset + stride * height > fileSize) return null;
  const num = u32(1628);
  const den = u32(1632);
  const layout: HeaderLayout = { container: 'dpx_pipe', width, height, pixFmt };
  // dpx.c reads these as signed ints: 0xffffffff ("undefined") and 0 leave no aspect ratio.
  if (num > 0 && den > 0 && num <= 0x7fffffff && den <= 0x7fffffff) {
    layout.sar = avReduce(num, den, 0x10000);
  }
  return layout;
}
