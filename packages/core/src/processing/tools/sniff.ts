import fsp from 'node:fs/promises';
import { fileTypeFromBuffer } from 'file-type';
import type { MediaType } from '@montu/domain';

export interface SniffResult {
  mediaType: Exclude<MediaType, 'sequence'>;
  /** Container or image format, lower case: `exr`, `dpx`, `mov`, `wav`, … */
  format: string;
  mimeType: string;
}

/** Bytes needed from the start of a file to recognise it. */
export const SNIFF_BYTES = 8192;

// file-type extensions we accept, with the media type they imply. Everything else is refused:
// an allow-list, so HTML, SVG, PDF or archives renamed as images never get in.
const ALLOWED: Record<string, MediaType> = {
  jpg: 'image',
  png: 'image',
  apng: 'image',
  tif: 'image',
  gif: 'image',
  webp: 'image',
  bmp: 'image',
  exr: 'image',
  avif: 'image',
  heic: 'image',
  jxl: 'image',
  jp2: 'image',
  psd: 'image',
  mov: 'video',
  mp4: 'video',
  m4v: 'video',
  mkv: 'video',
  webm: 'video',
  avi: 'video',
  flv: 'video',
  asf: 'video',
  wmv: 'video',
  mxf: 'video',
  mts: 'video',
  mpg: 'video',
  '3gp': 'video',
  ogv: 'video',
  wav: 'audio',
  mp3: 'audio',
  aac: 'audio',
  m4a: 'audio',
  flac: 'audio',
  ogg: 'audio',
  opus: 'audio',
  aif: 'audio',
  oga: 'audio',
  wma: 'audio',
  mp2: 'audio',
  ac3: 'audio',
};

const MIME_OVERRIDES: Record<string, string> = {
  exr: 'image/x-exr',
  dpx: 'image/x-dpx',
  hdr: 'image/vnd.radiance',
  tga: 'image/x-tga',
  mov: 'video/quicktime',
};

/**
 * Decides what a file is from its first bytes. The file name is used only to tell apart
 * formats without a signature (TGA) after their header has been checked, never on its own.
 * Returns null for anything that is not an allowed image, video or audio format.
 */
export async function sniffBuffer(head: Uint8Array, fileName = ''): Promise<SniffResult | null> {
  const buf = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (buf.length >= 4) {
    const magic = buf.toString('latin1', 0, 4);
    if (magic === 'SDPX' || magic === 'XPDS') return result('image', 'dpx');
  }
  // OpenEXR: magic 76 2f 31 01 (file-type does not recognise it).
  if (buf.length >= 4 && buf[0] === 0x76 && buf[1] === 0x2f && buf[2] === 0x31 && buf[3] === 0x01)
    return result('image', 'exr');
  if (buf.toString('latin1', 0, 10) === '#?RADIANCE' || buf.toString('latin1', 0, 6) === '#?RGBE') {
    return result('image', 'hdr');
  }
  const ft = await fileTypeFromBuffer(buf).catch(() => undefined);
  // A TGA whose header happens to look like an icon (file-type's weak ICO/CUR check).
  if (
    ft &&
    (ft.ext === 'cur' || ft.ext === 'ico') &&
    /\.(tga|icb|vda|vst)$/i.test(fileName) &&
    looksLikeTga(buf)
  ) {
    return result('image', 'tga');
  }
  if (ft) {
    const type = ALLOWED[ft.ext];
    if (!type || type === 'sequence') return null;
    // An Ogg or ASF container may hold video; probing refines the type later.
    return { mediaType: type, format: ft.ext, mimeType: MIME_OVERRIDES[ft.ext] ?? ft.mime };
  }
  // TIFF whose first IFD lies beyond the sniffed bytes (file-type needs to read it).
  const t4 = buf.toString('latin1', 0, 4);
  if (t4 === 'II*\0' || t4 === 'MM\0*' || t4 === 'II+\0' || t4 === 'MM\0+')
    return { mediaType: 'image', format: 'tif', mimeType: 'image/tiff' };
  if (/\.(tga|icb|vda|vst)$/i.test(fileName) && looksLikeTga(buf)) return result('image', 'tga');
  return null;
}

export async function sniffFile(filePath: string, fileName = filePath): Promise<SniffResult | null> {
  const fh = await fsp.open(filePath, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    return await sniffBuffer(buf.subarray(0, bytesRead), fileName);
  } finally {
    await fh.close();
  }
}

function result(mediaType: 'image' | 'video' | 'audio', format: string): SniffResult {
  return { mediaType, format, mimeType: MIME_OVERRIDES[format] ?? `application/octet-stream` };
}

/** TGA has no magic number: check that the 18-byte header is self-consistent. */
function looksLikeTga(b: Buffer): boolean {
  if (b.length < 18) return false;
  const colorMapType = b[1]!;
  const imageType = b[2]!;
  const width = b.readUInt16LE(12);
  const height = b.readUInt16LE(14);
  const depth = b[16]!;
  const validTypes = [1, 2, 3, 9, 10, 11];
  return (
    colorMapType <= 1 &&
    validTypes.includes(imageType) &&
    width > 0 &&
    height > 0 &&
    [8, 15, 16, 24, 32].includes(depth)
  );
}
