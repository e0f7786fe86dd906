import { parseHeader } from './image-header.js';
import { exiftoolText, type RawTags } from './exif.js';
import type { ImageHeader } from './image-ops.mjs';

/**
 * The header facts libvips (sharp's `metadata()`) gives for JPEG and PNG files, read in-process
 * from the file's first bytes, so that probing these stills needs no round trip to a decoder
 * process (decision 226). Same answer as the decoder's `metadata` op on the fields the probe uses:
 * format, size, bands, depth, EXIF orientation, interpretation (`space`), alpha.
 *
 * Deliberately narrow: anything outside the plain cases returns null and the caller asks the
 * decoder process as before — JPEG other than 8-bit baseline/extended/progressive Huffman with 1
 * or 3 components (CMYK/YCCK, 12-bit, lossless, arithmetic), EXIF it cannot walk cleanly, PNG
 * with an eXIf chunk (libvips reads the orientation from it) or an animation (APNG), and any
 * header that does not fit the bytes read. Checked against sharp in test/media/jpeg-png-header.test.ts.
 */

/** Bytes read first; a JPEG whose APP segments (ICC, EXIF thumbnail) push its frame header further is re-read once, larger. */
const FIRST_READ = 64 * 1024;
const MAX_READ = 1024 * 1024;

export function readJpegPngHeader(file: string, format: 'jpg' | 'png'): Promise<ImageHeader | null> {
  return parseHeader(file, format === 'jpg' ? jpegHeader : pngHeader, FIRST_READ, MAX_READ);
}

/** SOF markers libjpeg(-turbo) decodes with Huffman coding: baseline, extended, progressive. */
const HUFFMAN_SOF = new Set([0xc0, 0xc1, 0xc2]);

/**
 * JPEG: size and components from the frame header, orientation from the EXIF APP1 segment. Read up
 * to the first scan, as libjpeg's `jpeg_read_header` does (an APP1 after the frame header counts).
 */
export function jpegHeader(b: Buffer): ImageHeader | null | 'short' {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  let o = 2;
  let orientation: number | undefined;
  let exifSeen = false;
  let frame: { width: number; height: number; components: 1 | 3 } | null = null;
  for (;;) {
    if (o + 4 > b.length) return 'short';
    if (b[o] !== 0xff) return null;
    const marker = b[o + 1]!;
    // Fill bytes before a marker.
    if (marker === 0xff) {
      o++;
      continue;
    }
    // Markers without a length: anything here before the first scan is unusual.
    if (marker === 0xd8 || marker === 0xd9 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7))
      return null;
    if (marker === 0xda) {
      if (!frame) return null; // a scan before any frame header
      // An Adobe APP14 transform does not matter here: libvips calls any 3-component JPEG sRGB.
      return {
        format: 'jpeg',
        width: frame.width,
        height: frame.height,
        channels: frame.components,
        depth: 'uchar',
        ...(orientation !== undefined ? { orientation } : {}),
        space: frame.components === 1 ? 'b-w' : 'srgb',
        hasAlpha: false,
      };
    }
    const len = b.readUInt16BE(o + 2);
    if (len < 2) return null;
    const end = o + 2 + len;
    if (end > b.length) return 'short';
    const seg = b.subarray(o + 4, end);
    if (marker === 0xe1 && seg.length >= 6 && seg.toString('latin1', 0, 6) === 'Exif\0\0') {
      // libjpeg keeps the first; a second EXIF segment is odd enough to leave to libvips.
      if (exifSeen) return null;
      exifSeen = true;
      const r = exifOrientation(seg.subarray(6));
      if (r === null) return null;
      orientation = r === 0 ? undefined : r;
    } else if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (frame || !HUFFMAN_SOF.has(marker) || seg.length < 6) return null;
      const precision = seg[0]!;
      const height = seg.readUInt16BE(1);
      const width = seg.readUInt16BE(3);
      const components = seg[5]!;
      if (precision !== 8 || width === 0 || height === 0) return null;
      if (components !== 1 && components !== 3) return null;
      if (seg.length < 6 + 3 * components) return null;
      frame = { width, height, components };
    }
    o = end;
  }
}

/**
 * The Orientation tag of IFD0 of an EXIF block (TIFF structure), 1 outside 1–8 as libvips has it;
 * 0 when there is no such tag, null when the block cannot be walked cleanly.
 */
export function exifOrientation(t: Buffer): number | null {
  if (t.length < 8) return null;
  const order = t.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return null;
  const le = order === 'II';
  const u16 = (at: number) => (le ? t.readUInt16LE(at) : t.readUInt16BE(at));
  const u32 = (at: number) => (le ? t.readUInt32LE(at) : t.readUInt32BE(at));
  if (u16(2) !== 42) return null;
  const ifd = u32(4);
  if (ifd < 8 || ifd + 2 > t.length) return null;
  const count = u16(ifd);
  if (ifd + 2 + 12 * count > t.length) return null;
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + 12 * i;
    if (u16(e) !== 0x0112) continue;
    // SHORT, one value: anything else is left to libexif's own reading.
    if (u16(e + 2) !== 3 || u32(e + 4) !== 1) return null;
    const v = u16(e + 8);
    return v >= 1 && v <= 8 ? v : 1;
  }
  return 0;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Colour type → bands as libvips loads them (palette expands to RGB). */
const PNG_BANDS: Record<number, number> = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 };
const PNG_DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

/** PNG: size, bands and depth from IHDR; a tRNS chunk before the image data adds alpha. */
export function pngHeader(b: Buffer): ImageHeader | null | 'short' {
  if (b.length < 33) return 'short';
  if (!b.subarray(0, 8).equals(PNG_SIGNATURE)) return null;
  if (b.readUInt32BE(8) !== 13 || b.toString('latin1', 12, 16) !== 'IHDR') return null;
  const width = b.readUInt32BE(16);
  const height = b.readUInt32BE(20);
  const bitDepth = b[24]!;
  const colourType = b[25]!;
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) return null;
  const bandsNoAlpha = PNG_BANDS[colourType];
  if (bandsNoAlpha === undefined || !PNG_DEPTHS[colourType]!.includes(bitDepth)) return null;
  // b[26..28]: compression, filter, interlace — their values do not change the header facts;
  // libvips (libspng) refuses unknown ones when decoding, as the thumbnail step will report.
  let bands = bandsNoAlpha;
  let o = 33;
  for (;;) {
    if (o + 8 > b.length) return 'short';
    const len = b.readUInt32BE(o);
    const type = b.toString('latin1', o + 4, o + 8);
    if (type === 'IDAT') break;
    if (type === 'eXIf' || type === 'acTL' || type === 'IEND') return null;
    if (type === 'tRNS' && (colourType === 0 || colourType === 2 || colourType === 3)) bands++;
    if (len > 0x7fffffff) return null;
    o += 12 + len;
  }
  const sixteen = bitDepth === 16;
  return {
    format: 'png',
    width,
    height,
    channels: bands as 1 | 2 | 3 | 4,
    depth: sixteen ? 'ushort' : 'uchar',
    space: bands <= 2 ? (sixteen ? 'grey16' : 'b-w') : sixteen ? 'rgb16' : 'srgb',
    hasAlpha: bands === 2 || bands === 4,
  };
}

/**
 * exiftool's tags for a JPEG that carries no metadata (decision 250): a JFIF APP0 without a
 * thumbnail, at most one comment, and the tables and frame header up to the first scan, which
 * is all exiftool reads with `-fast`. Of what exiftool says about such a file the probe reads
 * only the size and the comment, which these tags give as exiftool does; any other segment (EXIF,
 * XMP, ICC, IPTC, Adobe, MPF, …) declines (null), and exiftool reads the file.
 */
export async function readPlainJpegTags(file: string): Promise<RawTags | null> {
  return (await readJpegFacts(file)).tags;
}

/**
 * A JPEG's header facts (readJpegPngHeader) and, when it carries no metadata, its exiftool tags
 * (readPlainJpegTags), from one read of its first bytes.
 */
export async function readJpegFacts(
  file: string,
): Promise<{ header: ImageHeader | null; tags: RawTags | null }> {
  const facts = await parseHeader(
    file,
    (b) => {
      const header = jpegHeader(b);
      if (header === 'short') return 'short';
      const tags = plainJpegTags(b);
      return { header, tags: tags === 'short' ? null : tags };
    },
    FIRST_READ,
    MAX_READ,
  );
  return facts ?? { header: null, tags: null };
}

/** Segments exiftool reads no tag from that the probe uses: quantisation and Huffman tables, restart interval. */
const TABLES = new Set([0xdb, 0xc4, 0xdd]);

export function plainJpegTags(b: Buffer): RawTags | null | 'short' {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  const tags: RawTags = {};
  let o = 2;
  let frame = false;
  for (;;) {
    if (o + 4 > b.length) return 'short';
    if (b[o] !== 0xff) return null;
    const marker = b[o + 1]!;
    if (marker === 0xda) return frame ? tags : null;
    if (
      marker === 0xff ||
      marker === 0xd8 ||
      marker === 0xd9 ||
      marker === 0x01 ||
      (marker >= 0xd0 && marker <= 0xd7)
    )
      return null;
    const len = b.readUInt16BE(o + 2);
    if (len < 2) return null;
    const end = o + 2 + len;
    if (end > b.length) return 'short';
    const seg = b.subarray(o + 4, end);
    if (marker === 0xe0) {
      // JFIF 1.0x without a thumbnail (exiftool names its resolution fields; the probe reads none).
      if (seg.length !== 14 || seg.toString('latin1', 0, 5) !== 'JFIF\0' || seg[12] !== 0 || seg[13] !== 0)
        return null;
    } else if (marker === 0xfe) {
      if ('Main:Comment' in tags) return null;
      // exiftool drops the trailing nulls some writers add.
      let n = seg.length;
      while (n > 0 && seg[n - 1] === 0) n--;
      const comment = n ? exiftoolText(seg.subarray(0, n)) : null;
      if (comment === null) return null;
      tags['Main:Comment'] = comment;
    } else if (HUFFMAN_SOF.has(marker)) {
      if (frame || seg.length < 6) return null;
      frame = true;
      tags['Main:ImageHeight'] = seg.readUInt16BE(1);
      tags['Main:ImageWidth'] = seg.readUInt16BE(3);
    } else if (!TABLES.has(marker)) {
      return null;
    }
    o = end;
  }
}
