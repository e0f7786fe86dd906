/**
 * Loading MF16 files (the `float` rendition and the baked LUTs, decisions 147 and 148) in the
 * browser: the header through the domain's reader, the payload inflated by the browser's own
 * `DecompressionStream('deflate')` (zlib) into the half floats WebGL2 uploads as they are.
 */
import { halfToFloat, parseFloatImage, type FloatImageHeader } from '@montu/domain';

export interface HalfImage {
  header: FloatImageHeader;
  /** IEEE half floats, channels interleaved, as the header describes. */
  halves: Uint16Array;
}

/** Inflates a zlib stream with the browser's decoder. */
async function inflate(bytes: Uint8Array): Promise<ArrayBuffer> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream('deflate'));
  return new Response(stream).arrayBuffer();
}

/** Fetches and decodes an MF16 file; refuses one whose payload does not match its header. */
export async function loadHalfImage(url: string, signal?: AbortSignal): Promise<HalfImage> {
  const res = await fetch(url, { credentials: 'same-origin', ...(signal ? { signal } : {}) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${res.statusText}`);
  const { header, payload } = parseFloatImage(new Uint8Array(await res.arrayBuffer()));
  const raw = await inflate(payload);
  const expected = header.width * header.height * header.depth * header.channels * 2;
  if (raw.byteLength !== expected)
    throw new Error(`${url}: ${raw.byteLength} bytes of half floats, the header says ${expected}`);
  return { header, halves: new Uint16Array(raw) };
}

/** The values of one pixel (x right, y down from the top-left), as floats; A is 1 without alpha. */
export function pixelAt(image: HalfImage, x: number, y: number): [number, number, number, number] {
  const { width, channels } = image.header;
  const o = (y * width + x) * channels;
  const h = image.halves;
  return [
    halfToFloat(h[o]!),
    halfToFloat(h[o + 1]!),
    halfToFloat(h[o + 2]!),
    channels === 4 ? halfToFloat(h[o + 3]!) : 1,
  ];
}
