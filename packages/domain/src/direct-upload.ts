/**
 * Direct-to-S3 uploads (decision 160): how a file is cut into the parts of one S3 multipart
 * upload. One rule, used by the server (which hands out the part URLs) and by every client
 * (which reads the parts from the file).
 */
import { ValidationError } from './errors.js';

const MIB = 1024 * 1024;
/** The smallest part Montu asks for (S3's own floor is 5 MiB for all but the last part). */
export const DIRECT_MIN_PART_BYTES = 8 * MIB;
/**
 * Parts a file is cut into at most: under S3's hard limit of 10,000 with room to spare, so that
 * no size, however large, needs part 10,001 (tus-node-server's S3 store had exactly that bug,
 * its issue #688: a fixed part size ran out of part numbers on large files).
 */
export const DIRECT_TARGET_PARTS = 9_000;
/** S3's limit on the parts of one multipart upload. */
export const S3_MAX_PARTS = 10_000;
/** S3's largest part. */
export const S3_MAX_PART_BYTES = 5 * 1024 * MIB;

/** The part size of a direct upload of `size` bytes: max(8 MiB, ⌈size / 9,000⌉). */
export function directPartSize(size: number): number {
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new ValidationError(`A direct upload needs a size of at least one byte, not ${size}.`, {
      field: 'size',
    });
  }
  const partSize = Math.max(DIRECT_MIN_PART_BYTES, Math.ceil(size / DIRECT_TARGET_PARTS));
  if (partSize > S3_MAX_PART_BYTES) {
    throw new ValidationError(
      `${size} bytes is more than one S3 multipart upload can hold (${DIRECT_TARGET_PARTS} parts of 5 GiB).`,
      { field: 'size' },
    );
  }
  return partSize;
}

/** How many parts a file of `size` bytes is cut into. */
export function directPartCount(size: number): number {
  return Math.ceil(size / directPartSize(size));
}

/** Bytes `[start, end)` of part `partNumber` (1-based) of a file of `size` bytes. */
export function directPartRange(size: number, partNumber: number): { start: number; end: number } {
  const partSize = directPartSize(size);
  const count = Math.ceil(size / partSize);
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > count) {
    throw new ValidationError(`Part ${partNumber} is not one of parts 1–${count} of this upload.`, {
      field: 'partNumber',
    });
  }
  const start = (partNumber - 1) * partSize;
  return { start, end: Math.min(size, start + partSize) };
}
