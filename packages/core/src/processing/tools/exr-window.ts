/**
 * OpenEXR data window / display window geometry for the ffmpeg decode path (decision 075).
 *
 * The picture of an EXR is its display window; the data window says where the stored pixels lie
 * in the same absolute coordinates, and everything outside it is black. ffmpeg 5.1's decoder gets
 * this right only when the display window starts at (0,0): it makes a frame of the display
 * window's *size* but puts each stored pixel at its *absolute* coordinates, dropping those below
 * zero or past the frame. So the frame always shows the absolute region [0, w) × [0, h), and a
 * display window at (400,0) showed the data at (0,0) instead of black.
 *
 * We keep ffmpeg (it is the EXR decoder of the built-in path) and work with what it does:
 * - a display window starting right of or below (0,0) would lose the pixels past the frame, so
 *   ffmpeg is given a copy whose header says the display window is (0,0)–(its far corner): the
 *   frame then covers everything the picture needs, and the chunks (which the data window
 *   alone locates) are untouched;
 * - the display window's part of that frame is cropped out (ffmpeg `crop`, still float) and
 *   scaled, and placed into a black picture where the display window starts left of or above 0.
 * Data at negative coordinates is lost by ffmpeg either way: it shows black there (noted in 075).
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ProcessingError } from '@montu/domain';
import type { MediaMetadata, PixelWindow } from './metadata.js';

/** A rectangle in pixels, `x`/`y` its top-left corner. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** How to get the display window of an EXR at `outWidth × outHeight` out of ffmpeg. */
export interface ExrLayout {
  /** Display window to write into a copy of the header, or null when ffmpeg can read the file as it is. */
  headerWindow: PixelWindow | null;
  /** The part of ffmpeg's frame to keep (frame coordinates), or null for the whole frame. */
  crop: Rect | null;
  /** Where the scaled crop goes in the output; null when nothing of the frame is visible (all black). */
  place: Rect | null;
}

/**
 * The layout for a probed EXR, or null when ffmpeg's own frame already is the picture (display
 * window at (0,0): the usual case, overscan included) or the header gave no windows.
 */
export function exrLayout(meta: MediaMetadata, outWidth: number, outHeight: number): ExrLayout | null {
  const disp = meta.displayWindow;
  if (meta.format !== 'exr' || !disp || !meta.dataWindow) return null;
  if (disp.xMin === 0 && disp.yMin === 0) return null;
  const headerWindow =
    disp.xMin > 0 || disp.yMin > 0 ? window(0, 0, Math.max(0, disp.xMax), Math.max(0, disp.yMax)) : null;
  const frameW = headerWindow ? headerWindow.width : disp.width;
  const frameH = headerWindow ? headerWindow.height : disp.height;
  // The display window's part of the frame, in absolute coordinates (the frame starts at 0,0).
  const x0 = Math.max(disp.xMin, 0);
  const y0 = Math.max(disp.yMin, 0);
  const x1 = Math.min(disp.xMax + 1, frameW);
  const y1 = Math.min(disp.yMax + 1, frameH);
  // Edges in the output, rounded like the whole picture's size is.
  const sx = outWidth / disp.width;
  const sy = outHeight / disp.height;
  const px0 = Math.round((x0 - disp.xMin) * sx);
  const py0 = Math.round((y0 - disp.yMin) * sy);
  const px1 = Math.round((x1 - disp.xMin) * sx);
  const py1 = Math.round((y1 - disp.yMin) * sy);
  const whole = x0 === 0 && y0 === 0 && x1 === frameW && y1 === frameH;
  return {
    headerWindow,
    crop: whole ? null : { x: x0, y: y0, width: x1 - x0, height: y1 - y0 },
    place:
      x1 > x0 && y1 > y0 && px1 > px0 && py1 > py0
        ? { x: px0, y: py0, width: px1 - px0, height: py1 - py0 }
        : null,
  };
}

function window(xMin: number, yMin: number, xMax: number, yMax: number): PixelWindow {
  return { xMin, yMin, xMax, yMax, width: xMax - xMin + 1, height: yMax - yMin + 1 };
}

/** The header is read up to this size looking for `displayWindow` (real headers are a few KB). */
const MAX_HEADER_BYTES = 1 << 20;

/**
 * Byte offset of the value of the first header's `displayWindow` attribute (a box2i: four
 * little-endian int32), or null when it is not found in a well-formed header.
 */
export function findDisplayWindowOffset(head: Buffer): number | null {
  if (head.length < 8 || head.readUInt32LE(0) !== 20000630) return null;
  let pos = 8;
  for (;;) {
    const nameEnd = head.indexOf(0, pos);
    if (nameEnd < 0 || nameEnd === pos) return null; // end of the header, or cut off
    const name = head.toString('latin1', pos, nameEnd);
    const typeEnd = head.indexOf(0, nameEnd + 1);
    if (typeEnd < 0 || typeEnd + 4 > head.length) return null;
    const type = head.toString('latin1', nameEnd + 1, typeEnd);
    const size = head.readInt32LE(typeEnd + 1);
    const value = typeEnd + 5;
    if (size < 0 || value + size > head.length) return null;
    if (name === 'displayWindow') return type === 'box2i' && size === 16 ? value : null;
    pos = value + size;
  }
}

/**
 * A private copy of `file` whose first header has display window `w` (same length, so every
 * offset in the file stays valid). Call `cleanup` when done.
 */
export async function withDisplayWindow(
  file: string,
  w: PixelWindow,
): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'montu-exr-'));
  const cleanup = () => fsp.rm(dir, { recursive: true, force: true });
  try {
    const copy = path.join(dir, 'input.exr');
    await fsp.copyFile(file, copy);
    const fh = await fsp.open(copy, 'r+');
    try {
      const head = Buffer.alloc(MAX_HEADER_BYTES);
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      const at = findDisplayWindowOffset(head.subarray(0, bytesRead));
      if (at === null) throw new ProcessingError('no displayWindow attribute found in the OpenEXR header');
      const box = Buffer.alloc(16);
      box.writeInt32LE(w.xMin, 0);
      box.writeInt32LE(w.yMin, 4);
      box.writeInt32LE(w.xMax, 8);
      box.writeInt32LE(w.yMax, 12);
      await fh.write(box, 0, 16, at);
    } finally {
      await fh.close();
    }
    return { path: copy, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** Copies `src` (3 bytes a pixel, `place.width × place.height`) into a black `width × height` picture at `place`. */
export function placeRgb(src: Buffer, place: Rect, width: number, height: number): Buffer {
  const out = Buffer.alloc(width * height * 3);
  const w = Math.min(place.width, width - place.x);
  for (let y = 0; y < place.height && place.y + y < height; y++) {
    const from = y * place.width * 3;
    src.copy(out, ((place.y + y) * width + place.x) * 3, from, from + w * 3);
  }
  return out;
}
