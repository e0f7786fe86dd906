import fsp from 'node:fs/promises';

/** A reader declining a file it cannot answer for exactly (the caller then runs ffprobe). */
export class Unsupported extends Error {}

/**
 * A reader's answer, or null when it declines: it said so (Unsupported), or the file ended
 * inside a structure (RangeError from a Buffer read).
 */
export async function orDecline<T>(answer: Promise<T>): Promise<T | null> {
  try {
    return await answer;
  } catch (e) {
    if (e instanceof Unsupported || e instanceof RangeError) return null;
    throw e;
  }
}

/** The first `maxBytes` of a file (fewer when it is shorter) and its size. */
export async function readHead(file: string, maxBytes: number): Promise<{ head: Buffer; size: number }> {
  const fh = await fsp.open(file, 'r');
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(size, maxBytes));
    await fh.read(head, 0, head.length, 0);
    return { head, size };
  } finally {
    await fh.close();
  }
}
