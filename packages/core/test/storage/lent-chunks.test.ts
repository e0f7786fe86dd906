/**
 * Streams that lend their chunks (lent-chunks.ts): a source that refills one buffer as soon as
 * its consumer lets it (the contract of a body read from the socket) is stored byte for byte by
 * the local backend, which takes lent chunks, and by S3 through `forStorage`'s copies — and,
 * as the control that shows the copies matter, not by S3 without them. An upload through the
 * library (`uploadMedia`) applies `forStorage` itself.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage } from '../../src/storage/factory.js';
import { forStorage, LENDS_CHUNKS, lendsChunks } from '../../src/storage/lent-chunks.js';
import { LocalStorage } from '../../src/storage/local.js';
import type { StorageBackend } from '../../src/storage/backend.js';
import { CORPUS, tempDir } from '../helpers/env.js';
import { openTestLibrary } from '../helpers/montu.js';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.js';

const CHUNK = 64 * 1024;

/**
 * `prefix` then `size` bytes in 64 KiB chunks, all in one reused buffer refilled for every
 * chunk: handed straight to a flowing consumer (valid during its 'data' event, or until it
 * resumes after pausing there); a chunk that must wait in the stream's buffer is a copy.
 */
class LendingSource extends Readable {
  private readonly buffer = Buffer.alloc(CHUNK);
  private sent = 0;
  private counter = 0;
  private held = false;
  private readonly hash = createHash('sha256');
  /** The sha256 of every byte sent, once the stream ended. */
  sha256 = '';

  constructor(
    private readonly size: number,
    private readonly prefix: Buffer,
  ) {
    super({ highWaterMark: CHUNK });
    (this as unknown as Record<symbol, boolean>)[LENDS_CHUNKS] = true;
  }

  override _read(): void {
    if (this.held) return;
    // Later, as a socket read would be.
    setImmediate(() => this.produce());
  }

  override resume(): this {
    super.resume();
    if (this.held) {
      this.held = false;
      setImmediate(() => this.produce());
    }
    return this;
  }

  private produce(): void {
    if (this.held || this.destroyed) return;
    if (this.sent >= this.size + this.prefix.length) {
      this.sha256 = this.hash.digest('hex');
      this.push(null);
      return;
    }
    const first = this.sent === 0 && this.prefix.length > 0;
    const n = first ? this.prefix.length : Math.min(CHUNK, this.size + this.prefix.length - this.sent);
    const view = this.buffer.subarray(0, n);
    if (first) this.prefix.copy(view);
    else view.fill(createHash('md5').update(String(this.counter++)).digest());
    this.hash.update(view);
    this.sent += n;
    const direct =
      this.readableFlowing === true && this.readableLength === 0 && this.listenerCount('data') > 0;
    this.push(direct ? view : Buffer.from(view));
    // The stream asks for the next chunk (_read) unless the consumer paused holding this one.
    if (direct && this.readableFlowing !== true) this.held = true;
  }
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('streams that lend their chunks', () => {
  let s3: S3rverHandle;
  let dir: string;
  beforeAll(async () => {
    s3 = await startS3rver();
    dir = tempDir();
  });
  afterAll(async () => {
    await s3?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const size = 12 << 20;
  const stored = async (storage: StorageBackend, key: string) => readAll(await storage.get(key));

  it('are stored whole by the local backend, which takes them as they are', async () => {
    const local = new LocalStorage(path.join(dir, 'local'));
    expect(local.takesLentChunks).toBe(true);
    const source = new LendingSource(size, Buffer.alloc(0));
    expect(forStorage(local, source)).toBe(source);
    const object = await local.put('a/lent.bin', source);
    expect(object.sha256).toBe(source.sha256);
    expect(sha(await stored(local, 'a/lent.bin'))).toBe(source.sha256);
  });

  it('are copied for S3, which keeps chunks in its part buffers (and without the copies come out wrong)', async () => {
    const s3storage = createStorage(s3.storageConfig());
    const copied = new LendingSource(size, Buffer.alloc(0));
    const wrapped = forStorage(s3storage, copied);
    expect(wrapped).not.toBe(copied);
    await s3storage.put('a/copied.bin', wrapped);
    expect(sha(await stored(s3storage, 'a/copied.bin'))).toBe(copied.sha256);

    const raw = new LendingSource(size, Buffer.alloc(0));
    await s3storage.put('a/raw.bin', raw).catch(() => undefined);
    const rawBytes = await stored(s3storage, 'a/raw.bin').catch(() => Buffer.alloc(0));
    expect(sha(rawBytes)).not.toBe(raw.sha256);
  });

  it('are copied by uploadMedia for an S3 library', async () => {
    const lib = await openTestLibrary('sqlite', {
      storage: createStorage(s3.storageConfig({ prefix: 'lib' })),
    });
    try {
      const jpeg = fs.readFileSync(path.join(CORPUS, 'media/image/ExifTool.jpg'));
      const source = new LendingSource(size, jpeg);
      expect(lendsChunks(source)).toBe(true);
      const id = await lib.montu.media.uploadMedia({
        stream: source,
        fileName: 'plate.jpg',
        projectId: 'LNT',
        taskId: 'sh010_comp',
        author: 'test',
      });
      const media = await lib.montu.media.getMediaById(id);
      expect(media.sha256).toBe(source.sha256);
      const original = media.files.find((f) => f.role === 'original')!;
      expect(sha(await readAll(await lib.montu.storage.get(original.key)))).toBe(source.sha256);
    } finally {
      await lib.cleanup();
    }
  });
});
