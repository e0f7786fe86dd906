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

/** `length` bytes of a file from `offset` (fewer at its end). */
export async function readAt(file: string, offset: number, length: number): Promise<Buffer> {
  const fh = await fsp.open(file, 'r');
  try {
    const b = Buffer.alloc(length);
    const { bytesRead } = await fh.read(b, 0, length, offset);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** ffmpeg's av_reduce: num/den reduced, or its closest continued fraction with terms ≤ max. */
export function avReduce(num: number, den: number, max: number): [number, number] {
  let a0: [number, number] = [0, 1];
  let a1: [number, number] = [1, 0];
  const g = gcdN(num, den);
  if (g) {
    num /= g;
    den /= g;
  }
  if (num <= max && den <= max) return [num, den];
  while (den) {
    const x = Math.floor(num / den);
    const nextDen = num - den * x;
    const a2n = x * a1[0] + a0[0];
    const a2d = x * a1[1] + a0[1];
    if (a2n > max || a2d > max) {
      let y = x;
      if (a1[0]) y = Math.floor((max - a0[0]) / a1[0]);
      if (a1[1]) y = Math.min(y, Math.floor((max - a0[1]) / a1[1]));
      if (den * (2 * y * a1[1] + a0[1]) > num * a1[1]) a1 = [y * a1[0] + a0[0], y * a1[1] + a0[1]];
      break;
    }
    a0 = a1;
    a1 = [a2n, a2d];
    num = den;
    den = nextDen;
  }
  return a1;
}
function gcdN(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * ffmpeg's av_d2q(d, INT_MAX) for d > 0: d scaled to a 61-bit fraction, then av_reduce, in
 * BigInt because the terms pass 2^53.
 */
export function avD2q(d: number): [number, number] {
  const max = 2n ** 31n - 1n;
  // frexp's exponent less one: floor(log2 d), corrected where log2 rounds across a power of two.
  let e = Math.floor(Math.log2(d));
  if (2 ** e > d) e--;
  else if (2 ** (e + 1) <= d) e++;
  const exponent = Math.max(e, 0);
  return avReduceBig(BigInt(Math.floor(d * 2 ** (61 - exponent) + 0.5)), 2n ** BigInt(61 - exponent), max);
}

function avReduceBig(num: bigint, den: bigint, max: bigint): [number, number] {
  let a0: [bigint, bigint] = [0n, 1n];
  let a1: [bigint, bigint] = [1n, 0n];
  const g = gcdBig(num, den);
  if (g) {
    num /= g;
    den /= g;
  }
  if (num <= max && den <= max) return [Number(num), Number(den)];
  while (den) {
    const x = num / den;
    const nextDen = num - den * x;
    const a2n = x * a1[0] + a0[0];
    const a2d = x * a1[1] + a0[1];
    if (a2n > max || a2d > max) {
      let y = x;
      if (a1[0]) y = (max - a0[0]) / a1[0];
      if (a1[1] && (max - a0[1]) / a1[1] < y) y = (max - a0[1]) / a1[1];
      if (den * (2n * y * a1[1] + a0[1]) > num * a1[1]) a1 = [y * a1[0] + a0[0], y * a1[1] + a0[1]];
      break;
    }
    a0 = a1;
    a1 = [a2n, a2d];
    num = den;
    den = nextDen;
  }
  return [Number(a1[0]), Number(a1[1])];
}
function gcdBig(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a;
}
