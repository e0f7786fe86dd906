import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { StorageError, ValidationError } from '@montu/domain';

/** A pass-through stream that hashes (sha256) and counts what flows through it, with a size cap. */
export class HashingCounter extends Transform {
  private readonly hash: Hash = createHash('sha256');
  size = 0;

  constructor(private readonly maxBytes?: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    if (this.maxBytes !== undefined && this.size > this.maxBytes) {
      cb(
        new ValidationError(`The file is larger than the limit of ${this.maxBytes} bytes.`, {
          limit: this.maxBytes,
        }),
      );
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

export function checkExpectedSha256(actual: string, expected: string | undefined): void {
  if (expected === undefined) return;
  if (!/^[0-9a-f]{64}$/i.test(expected)) {
    throw new ValidationError(
      `The expected sha256 ${JSON.stringify(expected)} is not 64 hexadecimal digits.`,
    );
  }
  if (actual !== expected.toLowerCase()) {
    throw new ValidationError(
      `Checksum mismatch: the received file hashes to ${actual}, not the expected ${expected.toLowerCase()}. Nothing was stored.`,
      { expected: expected.toLowerCase(), actual },
    );
  }
}

/** Maps low-level I/O errors to a StorageError with a message a user can act on. */
export function storageFailure(e: unknown, what: string): Error {
  if (e instanceof ValidationError || e instanceof StorageError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') {
    return new StorageError(`Storage is full: could not ${what}. Free space or add capacity, then retry.`, {
      cause: e,
      full: true,
    });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new StorageError(`Storage refused to ${what}: permission denied or read-only volume.`, {
      cause: e,
    });
  }
  // Node's messages name the absolute path on the server ("ENOTDIR: not a directory, mkdir
  // '/srv/montu/storage/…'"): the answer says what failed by key and error code, the cause (in
  // the server's log) keeps the rest. An error without a system code (a source stream that
  // failed, an S3 answer) names no local path, and its message is what the user needs.
  if (code) return new StorageError(`Could not ${what} (${code}).`, { cause: e });
  const reason = e instanceof Error && e.message ? `: ${e.message}` : '';
  return new StorageError(`Could not ${what}${reason}.`, { cause: e });
}
