/**
 * The upload write path (storage/file-sink.ts): bytes land in order at the right offset and
 * the off-thread sha256 matches, whatever the piece sizes, the start offset (a resumed upload
 * starts unaligned) or whether O_DIRECT is allowed (buffered writes where it is not); bytes
 * that arrived before an error, an early close or a stop are kept and hashed; the size cap
 * stops the sink. Also peekStream, which sniffs an upload's head without another stream layer.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { sinkToFile, SLAB_BYTES } from '../../src/storage/file-sink.js';
import { ParallelSha256 } from '../../src/storage/parallel-hash.js';
import { peekStream } from '../../src/util/streams.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'montu-sink-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** `data` as a stream of pieces of the given sizes (cycled). */
function pieces(data: Buffer, sizes: number[]): Readable {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(data.subarray(at, at + n));
    at += n;
  }
  return Readable.from(out, { objectMode: false });
}

async function sinkInto(
  file: string,
  source: Readable,
  position = 0,
  extra: { maxBytes?: number; signal?: AbortSignal; endsContent?: boolean } = {},
) {
  const handle = await fsp.open(file, fs.existsSync(file) ? 'r+' : 'w');
  const hash = new ParallelSha256();
  try {
    const result = await sinkToFile(source, { handle, path: file }, { position, hash, ...extra });
    return { result, sha256: await hash.digest() };
  } finally {
    hash.dispose();
    await handle.close();
  }
}

describe('sinkToFile', () => {
  const cases: Array<[string, number, number[]]> = [
    ['empty', 0, [1]],
    ['one byte', 1, [1]],
    ['small, one piece', 70_000, [70_000]],
    ['exactly one slab', SLAB_BYTES, [65_536]],
    ['a slab and a byte', SLAB_BYTES + 1, [65_536]],
    ['odd pieces across slabs', 3 * SLAB_BYTES + 12_345, [65_536, 7, 1_000_003, 333]],
    ['pieces bigger than a slab', 2 * SLAB_BYTES + 99, [SLAB_BYTES + 17]],
  ];
  for (const [name, size, sizes] of cases) {
    it(`writes and hashes ${name} (${size} bytes)`, async () => {
      const data = randomBytes(size);
      const file = path.join(tmp(), 'out.bin');
      const { result, sha256 } = await sinkInto(file, pieces(data, sizes), 0, { endsContent: true });
      expect(result).toEqual({ written: size, ended: true });
      expect(sha256).toBe(sha(data));
      expect(fs.readFileSync(file).equals(data)).toBe(true);
    });
  }

  it('falls back to buffered writes where O_DIRECT is refused at open or at write', async () => {
    const data = randomBytes(2 * SLAB_BYTES + 5);
    const realOpen = fsp.open.bind(fsp);
    const einval = () => Object.assign(new Error('EINVAL: invalid argument'), { code: 'EINVAL' });
    for (const refuse of ['open', 'write'] as const) {
      const spy = vi.spyOn(fsp, 'open').mockImplementation(async (file, flags, mode) => {
        if (typeof flags === 'number' && flags & fs.constants.O_DIRECT) {
          if (refuse === 'open') throw einval();
          const real = await realOpen(file, fs.constants.O_WRONLY);
          return Object.assign(Object.create(real) as typeof real, {
            write: async () => {
              throw einval();
            },
            close: () => real.close(),
          });
        }
        return realOpen(file, flags, mode);
      });
      try {
        const file = path.join(tmp(), `refused-${refuse}.bin`);
        const { result, sha256 } = await sinkInto(file, pieces(data, [65_536]));
        expect(result.written).toBe(data.length);
        expect(sha256).toBe(sha(data));
        expect(fs.readFileSync(file).equals(data)).toBe(true);
        // The sink did ask for a direct descriptor.
        expect(
          spy.mock.calls.some(([, f]) => typeof f === 'number' && (f & fs.constants.O_DIRECT) !== 0),
        ).toBe(true);
      } finally {
        spy.mockRestore();
      }
    }
  });

  it('appends from an unaligned offset, carrying the hash on (a resumed upload)', async () => {
    const data = randomBytes(3 * SLAB_BYTES + 777);
    const cut = 1_234_567;
    const file = path.join(tmp(), 'partial.bin');
    const handle = await fsp.open(file, 'w');
    const hash = new ParallelSha256();
    try {
      const first = await sinkToFile(
        pieces(data.subarray(0, cut), [65_536]),
        { handle, path: file },
        {
          position: 0,
          hash,
        },
      );
      expect(first).toEqual({ written: cut, ended: true });
      const second = await sinkToFile(
        pieces(data.subarray(cut), [65_536]),
        { handle, path: file },
        {
          position: cut,
          hash,
        },
      );
      expect(second).toEqual({ written: data.length - cut, ended: true });
      expect(hash.bytes).toBe(data.length);
      expect(await hash.digest()).toBe(sha(data));
    } finally {
      hash.dispose();
      await handle.close();
    }
    expect(fs.readFileSync(file).equals(data)).toBe(true);
  });

  it('keeps and hashes what arrived before the source failed', async () => {
    const data = randomBytes(SLAB_BYTES + 4321);
    const source = new PassThrough();
    const file = path.join(tmp(), 'cut.bin');
    const done = sinkInto(file, source);
    source.write(data.subarray(0, SLAB_BYTES));
    source.write(data.subarray(SLAB_BYTES), () =>
      setImmediate(() => source.destroy(new Error('connection reset'))),
    );
    const { result, sha256 } = await done;
    expect(result.ended).toBe(false);
    expect((result.error as Error).message).toBe('connection reset');
    expect(result.written).toBe(data.length);
    expect(sha256).toBe(sha(data));
    expect(fs.readFileSync(file).equals(data)).toBe(true);
  });

  it('stops when asked, writing what it took', async () => {
    const source = new PassThrough();
    const stop = new AbortController();
    const file = path.join(tmp(), 'stopped.bin');
    const done = sinkInto(file, source, 0, { signal: stop.signal });
    const part = randomBytes(100_000);
    source.write(part, () => setImmediate(() => stop.abort()));
    const { result, sha256 } = await done;
    expect(result).toEqual({ written: part.length, ended: false });
    expect(sha256).toBe(sha(part));
    // The rest of the source is left unread for the caller.
    expect(source.listenerCount('data')).toBe(0);
  });

  it('fails with the size cap, writing nothing past it', async () => {
    const data = randomBytes(SLAB_BYTES * 2);
    const file = path.join(tmp(), 'big.bin');
    const { result } = await sinkInto(file, pieces(data, [65_536]), 0, { maxBytes: SLAB_BYTES + 10 });
    expect(result.ended).toBe(false);
    expect((result.error as Error).message).toMatch(/more than/);
    expect(result.written).toBeLessThanOrEqual(SLAB_BYTES + 10);
  });

  it('keeps memory flat on a large body (slabs are reused)', async () => {
    const block = randomBytes(1 << 20);
    const total = 256;
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < total; i++) yield block;
      })(),
      { objectMode: false },
    );
    const before = process.memoryUsage().rss;
    const file = path.join(tmp(), 'large.bin');
    const { result } = await sinkInto(file, source);
    expect(result.written).toBe(total << 20);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 << 20);
  });
});

describe('peekStream', () => {
  it('returns the head and the same Readable, head pushed back', async () => {
    const data = randomBytes(300_000);
    const source = pieces(data, [1000, 50_000]);
    const { head, stream } = await peekStream(source, 4100);
    expect(head.equals(data.subarray(0, 4100))).toBe(true);
    expect(stream).toBe(source);
    const all: Buffer[] = [];
    for await (const c of stream) all.push(c as Buffer);
    expect(Buffer.concat(all).equals(data)).toBe(true);
  });

  it('replays content shorter than the head', async () => {
    const data = randomBytes(100);
    const { head, stream } = await peekStream(pieces(data, [30]), 4100);
    expect(head.equals(data)).toBe(true);
    const all: Buffer[] = [];
    for await (const c of stream) all.push(c as Buffer);
    expect(Buffer.concat(all).equals(data)).toBe(true);
  });

  it('rejects when the source fails before the head is read', async () => {
    const source = new PassThrough();
    const p = peekStream(source, 4100);
    source.write(Buffer.alloc(10));
    setImmediate(() => source.destroy(new Error('gone')));
    await expect(p).rejects.toThrow('gone');
  });

  it('still takes async iterables', async () => {
    const data = randomBytes(10_000);
    async function* gen() {
      yield data.subarray(0, 5000);
      yield data.subarray(5000);
    }
    const { head, stream } = await peekStream(gen(), 100);
    expect(head.equals(data.subarray(0, 100))).toBe(true);
    const all: Buffer[] = [];
    for await (const c of stream) all.push(c as Buffer);
    expect(Buffer.concat(all).equals(data)).toBe(true);
  });
});
