import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NotFound, ValidationError } from '@montu/domain';
import type {
  AdoptOptions,
  ByteRange,
  ObjectInfo,
  PutOptions,
  StorageBackend,
  StoredObject,
  TemporarySweep,
} from './backend.js';
import { BlockWriter, returnSlab, sinkToFile, takeSlab } from './file-sink.js';
import { HashingCounter, checkExpectedSha256, storageFailure } from './hashing.js';
import { ParallelSha256 } from './parallel-hash.js';
import { assertSafeKey, TEMP_DIR } from './keys.js';
import { ABANDONED_AFTER_MS, OWNER, ownerIsDeadLocalProcess } from './owner.js';

/**
 * Files in a folder. A write streams into `<root>/.montu-tmp/<owner>~<random>.part` on the same
 * volume while hashing, is fsynced, then renamed into place and the directory fsynced: readers
 * see a whole file or none, and a crash leaves only a temporary file that `sweepTemporary`
 * recognises by its dead owner.
 */
export class LocalStorage implements StorageBackend {
  readonly name = 'local';
  /** put() writes through sinkToFile, which copies each chunk in its 'data' event or pauses. */
  readonly takesLentChunks = true;
  readonly root: string;
  private readonly tempDir: string;
  /** Temporary files this process is writing right now (never swept). */
  private readonly active = new Set<string>();

  constructor(root: string) {
    this.root = path.resolve(root);
    this.tempDir = path.join(this.root, TEMP_DIR);
    // A data folder made here is the service's alone, as connect.ts makes it for the database.
    fs.mkdirSync(this.tempDir, { recursive: true, mode: 0o700 });
  }

  get location(): string {
    return this.root;
  }

  /** The file holding `key` (processing tools read it in place). */
  localPath(key: string): string {
    return this.pathOf(key);
  }

  private pathOf(key: string): string {
    assertSafeKey(key);
    const p = path.resolve(this.root, ...key.split('/'));
    // Belt and braces: the checks above already make this impossible.
    if (!p.startsWith(this.root + path.sep))
      throw new ValidationError(`Storage key escapes the root: ${key}`);
    return p;
  }

  async put(
    key: string,
    body: Readable | AsyncIterable<Uint8Array>,
    options: PutOptions = {},
  ): Promise<StoredObject> {
    const source = body instanceof Readable ? body : Readable.from(body);
    return this.writeAtomically(
      key,
      (tmp) => writeFile(tmp, source, options.maxBytes),
      options.expectedSha256,
    );
  }

  /**
   * A file smaller than one slab (file-sink.ts) is read straight into a pooled slab, hashed there
   * and written from it — no read stream, no copy from its chunks into a slab, no hash worker;
   * a larger one streams through `put`. The write is the same: a temporary file, fsynced, renamed
   * into place, the directory fsynced.
   */
  async putFile(filePath: string, key: string, options: PutOptions = {}): Promise<StoredObject> {
    const slab = takeSlab();
    try {
      const content = await readWhole(filePath, slab.mem).catch((e: unknown) => {
        throw storageFailure(e, `store ${key}`);
      });
      if (!content)
        return await this.put(key, fs.createReadStream(filePath, { highWaterMark: 1 << 20 }), options);
      return await this.putBytes(key, content, slab.aligned, options);
    } finally {
      returnSlab(slab);
    }
  }

  /**
   * The atomic write of `put` for bytes in memory, checked before anything is written.
   * `aligned`: `content` starts on a page boundary, so its whole blocks can be written direct.
   */
  private async putBytes(
    key: string,
    content: Buffer,
    aligned: boolean,
    options: PutOptions,
  ): Promise<StoredObject> {
    if (options.maxBytes !== undefined && content.length > options.maxBytes) {
      throw new ValidationError(`The file is larger than the limit of ${options.maxBytes} bytes.`, {
        limit: options.maxBytes,
      });
    }
    const sha256 = createHash('sha256').update(content).digest('hex');
    checkExpectedSha256(sha256, options.expectedSha256);
    return this.writeAtomically(key, async (tmp) => {
      const handle = await fsp.open(tmp, 'wx', 0o644);
      const writer = new BlockWriter(handle, tmp);
      try {
        await writer.write(content, 0, aligned);
        await handle.sync();
      } finally {
        await writer.close();
        await handle.close();
      }
      return { size: content.length, sha256 };
    });
  }

  /**
   * The one write path of `put` and `putFile`: `write` fills a temporary file (fsynced), which is
   * checked, renamed into place, and its directory fsynced; on any failure the temporary file goes.
   */
  private async writeAtomically(
    key: string,
    write: (tmp: string) => Promise<{ size: number; sha256: string }>,
    expectedSha256?: string,
  ): Promise<StoredObject> {
    const dest = this.pathOf(key);
    const tmpName = `${OWNER}~${randomBytes(8).toString('hex')}.part`;
    const tmp = path.join(this.tempDir, tmpName);
    this.active.add(tmpName);
    try {
      await fsp.mkdir(this.tempDir, { recursive: true });
      const { size, sha256 } = await write(tmp);
      checkExpectedSha256(sha256, expectedSha256);
      await fsp.mkdir(path.dirname(dest), { recursive: true });
      await fsp.rename(tmp, dest);
      await fsyncPath(path.dirname(dest), 'r');
      return { key, size, sha256 };
    } catch (e) {
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
      throw storageFailure(e, `store ${key}`);
    } finally {
      this.active.delete(tmpName);
    }
  }

  async adopt(filePath: string, key: string, options: AdoptOptions = {}): Promise<StoredObject> {
    const dest = this.pathOf(key);
    let size: number;
    let sha256: string;
    try {
      if (options.hashed) {
        // Hashed by the writer as it wrote the file: check the size instead of re-reading it.
        const st = await fsp.stat(filePath);
        if (st.size !== options.hashed.size) {
          throw new ValidationError(
            `The received file has ${st.size} bytes, not the ${options.hashed.size} that were hashed.`,
          );
        }
        ({ size, sha256 } = options.hashed);
        if (options.maxBytes !== undefined && size > options.maxBytes) {
          throw new ValidationError(`The file is larger than the limit of ${options.maxBytes} bytes.`, {
            limit: options.maxBytes,
          });
        }
      } else {
        const hasher = new HashingCounter(options.maxBytes);
        await pipeline(
          fs.createReadStream(filePath, { highWaterMark: 1 << 20 }),
          hasher,
          new Writable({ write: (_c, _e, cb) => cb() }),
        );
        size = hasher.size;
        sha256 = hasher.digest();
      }
      checkExpectedSha256(sha256, options.expectedSha256);
      await fsyncPath(filePath, 'r+');
      await fsp.mkdir(path.dirname(dest), { recursive: true });
      await fsp.rename(filePath, dest);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EXDEV') {
        // Another volume: copy through the atomic write path instead, then drop the source.
        const stored = await this.put(
          key,
          fs.createReadStream(filePath, { highWaterMark: 1 << 20 }),
          options,
        );
        await fsp.rm(filePath, { force: true });
        return stored;
      }
      throw storageFailure(e, `store ${key}`);
    }
    await fsyncPath(path.dirname(dest), 'r');
    return { key, size, sha256 };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const p = this.pathOf(key);
    let size: number;
    try {
      size = (await fsp.stat(p)).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new NotFound(`Stored file ${key} does not exist.`);
      throw storageFailure(e, `read ${key}`);
    }
    if (range) {
      const end = range.end ?? size - 1;
      if (!Number.isInteger(range.start) || range.start < 0 || end < range.start || end >= size) {
        throw new ValidationError(
          `Byte range ${range.start}-${range.end ?? ''} is outside the file (${size} bytes).`,
        );
      }
      return fs.createReadStream(p, { start: range.start, end, highWaterMark: 1 << 20 });
    }
    return fs.createReadStream(p, { highWaterMark: 1 << 20 });
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    try {
      const s = await fsp.stat(this.pathOf(key));
      return s.isFile() ? { key, size: s.size, modifiedAt: s.mtime } : null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw storageFailure(e, `stat ${key}`);
    }
  }

  async delete(key: string): Promise<void> {
    const p = this.pathOf(key);
    try {
      await fsp.unlink(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw storageFailure(e, `delete ${key}`);
    }
    // Remove folders the delete emptied, up to (not including) the root.
    let dir = path.dirname(p);
    while (dir.startsWith(this.root + path.sep)) {
      try {
        await fsp.rmdir(dir);
      } catch {
        break;
      }
      dir = path.dirname(dir);
    }
  }

  async *list(prefix = ''): AsyncIterable<ObjectInfo> {
    const start = prefix ? this.pathOf(prefix.replace(/\/+$/, '')) : this.root;
    yield* this.walk(start);
  }

  private async *walk(dir: string): AsyncIterable<ObjectInfo> {
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw storageFailure(e, `list ${dir}`);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (full === this.tempDir) continue;
      if (entry.isDirectory()) {
        yield* this.walk(full);
      } else if (entry.isFile()) {
        const s = await fsp.stat(full).catch(() => null);
        if (!s) continue;
        yield {
          key: path.relative(this.root, full).split(path.sep).join('/'),
          size: s.size,
          modifiedAt: s.mtime,
        };
      }
    }
  }

  async sweepTemporary({ dryRun }: { dryRun: boolean }): Promise<TemporarySweep> {
    const found: string[] = [];
    const removed: string[] = [];
    let names: string[];
    try {
      names = await fsp.readdir(this.tempDir);
    } catch {
      return { found, removed };
    }
    const now = Date.now();
    for (const name of names) {
      if (this.active.has(name)) continue;
      const full = path.join(this.tempDir, name);
      const s = await fsp.stat(full).catch(() => null);
      if (!s) continue;
      const owner = name.split('~').slice(0, 2).join('~');
      const mine = owner === OWNER; // ours but not active: left by an earlier process with our pid
      if (mine || ownerIsDeadLocalProcess(owner) || now - s.mtimeMs > ABANDONED_AFTER_MS) {
        found.push(`${TEMP_DIR}/${name}`);
        if (!dryRun) {
          await fsp.rm(full, { force: true, recursive: true });
          removed.push(`${TEMP_DIR}/${name}`);
        }
      }
    }
    return { found, removed };
  }
}

/**
 * Writes `source` to a new file at `file` (which must not exist), hashing it, and fsyncs it.
 * A failed or cut-off source rejects (the caller removes the file).
 */
async function writeFile(
  file: string,
  source: Readable,
  maxBytes: number | undefined,
): Promise<{ size: number; sha256: string }> {
  const handle = await fsp.open(file, 'wx', 0o644);
  const hash = new ParallelSha256();
  try {
    const result = await sinkToFile(
      source,
      { handle, path: file },
      {
        position: 0,
        hash,
        endsContent: true,
        ...(maxBytes !== undefined
          ? {
              maxBytes,
              tooLarge: () =>
                new ValidationError(`The file is larger than the limit of ${maxBytes} bytes.`, {
                  limit: maxBytes,
                }),
            }
          : {}),
      },
    );
    if (!result.ended) throw result.error ?? new Error('The upload stopped before its end.');
    await handle.sync();
    return { size: result.written, sha256: await hash.digest() };
  } catch (e) {
    // Nothing more is wanted from the source (a file being read, a request body).
    if (!source.destroyed) source.destroy();
    throw e;
  } finally {
    hash.dispose();
    await handle.close();
  }
}

/**
 * The whole of a file that fits in `into` with a byte to spare (a view of it), or null when it
 * does not: read to its end, so a file that grew since it was looked at is still read whole.
 */
async function readWhole(file: string, into: Buffer): Promise<Buffer | null> {
  const h = await fsp.open(file, 'r');
  try {
    if ((await h.stat()).size >= into.length) return null;
    let n = 0;
    for (;;) {
      const { bytesRead } = await h.read(into, n, into.length - n, n);
      if (bytesRead === 0) return into.subarray(0, n);
      n += bytesRead;
      if (n === into.length) return null;
    }
  } finally {
    await h.close();
  }
}

async function fsyncPath(p: string, flags: 'r' | 'r+'): Promise<void> {
  const h = await fsp.open(p, flags);
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}
