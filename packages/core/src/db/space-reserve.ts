import fsp from 'node:fs/promises';

/** Bytes kept aside beside a SQLite file: a delete's WAL frames need far less (decision 123). */
export const SPACE_RESERVE_BYTES = 4 * 1024 * 1024;

/**
 * A file of real (allocated) bytes kept beside the SQLite database so that deleting — the way an
 * operator frees space — still works when the disk is full: SQLite's write-ahead log must grow
 * to record even a delete. A delete that fails for want of space frees the reserve and tries
 * once more; the reserve is made again when there is room (opening, after a delete). Null file:
 * PostgreSQL, whose disk is the database server's.
 */
export class SpaceReserve {
  constructor(
    private readonly file: string | null,
    private readonly bytes: number = SPACE_RESERVE_BYTES,
  ) {}

  /** Makes the reserve when it is missing or short; false when there is no room for it now. */
  async ensure(): Promise<boolean> {
    if (this.file === null) return true;
    const size = await fsp.stat(this.file).then(
      (s) => s.size,
      () => -1,
    );
    if (size === this.bytes) return true;
    const part = `${this.file}.part`;
    try {
      // Zeros written, not a sparse file: the blocks must be taken now to be given back later.
      await fsp.writeFile(part, Buffer.alloc(this.bytes), { mode: 0o600 });
      await fsp.rename(part, this.file);
      return true;
    } catch {
      await fsp.rm(part, { force: true });
      return false;
    }
  }

  /** Gives the reserve's space back to the volume; false when there was none to give. */
  async release(): Promise<boolean> {
    if (this.file === null) return false;
    try {
      await fsp.unlink(this.file);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Runs `work` (a delete); when it fails because the disk is full, frees the reserve and runs it
   * once more. The reserve is made again afterwards, if the delete left room for it.
   */
  async freeing<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      if (!isDiskFull(e) || !(await this.release())) throw e;
      return await work();
    }
  }
}

/** A full disk or quota, from the library's own errors, Node's, SQLite's or PostgreSQL's. */
export function isDiskFull(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (
      code === 'insufficient_storage' ||
      code === 'ENOSPC' ||
      code === 'EDQUOT' ||
      code === 'SQLITE_FULL' ||
      code === '53100' // PostgreSQL disk_full
    )
      return true;
  }
  return false;
}
