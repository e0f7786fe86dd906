import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { NotFound, StorageError, ValidationError } from '@montu/domain';
import { S3Storage } from '../../src/storage/s3.js';
import { createStorage } from '../../src/storage/factory.js';
import { LocalStorage } from '../../src/storage/local.js';
import { HOST } from '../../src/storage/owner.js';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.js';

const MIB = 1024 * 1024;

let s3: S3rverHandle;
const opened: S3Storage[] = [];

function storage(extra: Partial<ConstructorParameters<typeof S3Storage>[0]> = {}): S3Storage {
  const { type: _type, ...cfg } = s3.storageConfig();
  const st = new S3Storage({ ...cfg, partSizeBytes: 5 * MIB, ...extra });
  opened.push(st);
  return st;
}

function sha(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A deterministic pseudo-random stream of `size` bytes in 1 MiB chunks, never held whole. */
function generated(size: number, seed = 1): { stream: Readable; sha256: Promise<string> } {
  const hash = createHash('sha256');
  let resolve!: (v: string) => void;
  const sha256 = new Promise<string>((r) => (resolve = r));
  let produced = 0;
  let counter = seed;
  const stream = new Readable({
    read() {
      if (produced >= size) {
        resolve(hash.digest('hex'));
        this.push(null);
        return;
      }
      const n = Math.min(MIB, size - produced);
      const chunk = createHash('sha512').update(String(counter++)).digest().subarray(0, 64);
      const buf = Buffer.alloc(n, chunk);
      if (n >= 4) buf.writeUInt32LE(counter, 0);
      hash.update(buf);
      produced += n;
      this.push(buf);
    },
  });
  return { stream, sha256 };
}

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

beforeAll(async () => {
  s3 = await startS3rver();
});

afterAll(async () => {
  for (const st of opened) await st.close();
  await s3?.close();
});

describe('S3Storage against s3rver', () => {
  it('puts, gets, stats and deletes a small object, recording its sha256', async () => {
    const st = storage();
    const data = Buffer.from('hello, montu\n');
    const stored = await st.put('SWA/ep01_sq010_sh020_lighting/v001/hello.txt', Readable.from([data]), {
      contentType: 'text/plain',
    });
    expect(stored).toEqual({
      key: 'SWA/ep01_sq010_sh020_lighting/v001/hello.txt',
      size: data.length,
      sha256: sha(data),
    });
    expect(await readAll(await st.get(stored.key))).toEqual(data);
    const info = await st.stat(stored.key);
    expect(info?.size).toBe(data.length);
    expect(info?.modifiedAt).toBeInstanceOf(Date);
    expect(await st.recordedSha256(stored.key)).toBe(sha(data));
    const head = await st.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: stored.key }));
    expect(head.ContentType).toBe('text/plain');
    expect(head.Metadata?.sha256).toBe(sha(data));

    await st.delete(stored.key);
    expect(await st.stat(stored.key)).toBeNull();
    await st.delete(stored.key); // idempotent
    await expect(st.get(stored.key)).rejects.toBeInstanceOf(NotFound);
  });

  it('stores an empty object and accepts async iterables', async () => {
    const st = storage();
    async function* nothing(): AsyncIterable<Uint8Array> {}
    const stored = await st.put('empty/file.bin', nothing());
    expect(stored).toMatchObject({ size: 0, sha256: sha(Buffer.alloc(0)) });
    expect((await readAll(await st.get('empty/file.bin'))).length).toBe(0);
    expect((await st.stat('empty/file.bin'))?.size).toBe(0);
  });

  it('reads byte ranges: first, middle, last, open-ended; refuses ranges outside the object', async () => {
    const st = storage();
    const data = randomBytes(10_000);
    await st.put('range/blob.bin', Readable.from([data]));
    expect(await readAll(await st.get('range/blob.bin', { start: 0, end: 0 }))).toEqual(data.subarray(0, 1));
    expect(await readAll(await st.get('range/blob.bin', { start: 1234, end: 5677 }))).toEqual(
      data.subarray(1234, 5678),
    );
    expect(await readAll(await st.get('range/blob.bin', { start: 9999, end: 9999 }))).toEqual(
      data.subarray(9999),
    );
    expect(await readAll(await st.get('range/blob.bin', { start: 9000 }))).toEqual(data.subarray(9000));
    await expect(st.get('range/blob.bin', { start: 5, end: 10_000 })).rejects.toBeInstanceOf(ValidationError);
    await expect(st.get('range/blob.bin', { start: 10_000 })).rejects.toBeInstanceOf(ValidationError);
    await expect(st.get('range/blob.bin', { start: 7, end: 3 })).rejects.toBeInstanceOf(ValidationError);
    await expect(st.get('range/blob.bin', { start: -1, end: 3 })).rejects.toBeInstanceOf(ValidationError);
  });

  it('rejects unsafe keys before talking to the store', async () => {
    const st = storage();
    for (const key of ['../x', '/abs', 'a/../b', 'a\\b', 'a\u0000b', 'a\nb', '', 'a//b', '.montu-tmp/x']) {
      await expect(st.put(key, Readable.from([Buffer.from('x')]))).rejects.toBeInstanceOf(StorageError);
      await expect(st.stat(key)).rejects.toBeInstanceOf(StorageError);
    }
    // Encoded forms are just characters of the name.
    const stored = await st.put('enc/%2e%2e/%2F', Readable.from([Buffer.from('x')]));
    expect((await st.stat(stored.key))?.size).toBe(1);
  });

  it('lists with pagination, under a folder prefix, never showing temporary objects', async () => {
    const st = storage({ prefix: 'list-test', listPageSize: 2 });
    const keys = ['a/1.bin', 'a/2.bin', 'a/3.bin', 'ab/4.bin', 'b/5.bin'];
    for (const k of keys) await st.put(k, Readable.from([Buffer.from(k)]));
    await st.client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: 'list-test/.montu-tmp/stray.part', Body: 'x' }),
    );
    const all: string[] = [];
    for await (const o of st.list()) all.push(o.key);
    expect(all.sort()).toEqual([...keys].sort());
    const underA: string[] = [];
    for await (const o of st.list('a/')) underA.push(o.key);
    expect(underA.sort()).toEqual(['a/1.bin', 'a/2.bin', 'a/3.bin']);
    const underA2: string[] = [];
    for await (const o of st.list('a')) underA2.push(o.key);
    expect(underA2.sort()).toEqual(underA.sort());
    const none: string[] = [];
    for await (const o of st.list('zzz')) none.push(o.key);
    expect(none).toEqual([]);
  });

  it('keeps keys relative to the prefix and separates prefixes', async () => {
    const one = storage({ prefix: '/studio/one/' });
    const two = storage({ prefix: 'studio/two' });
    expect(one.prefix).toBe('studio/one');
    await one.put('p/file.txt', Readable.from([Buffer.from('one')]));
    await two.put('p/file.txt', Readable.from([Buffer.from('two')]));
    expect((await readAll(await one.get('p/file.txt'))).toString()).toBe('one');
    expect((await readAll(await two.get('p/file.txt'))).toString()).toBe('two');
    const raw = await one.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'studio/' }));
    expect(raw.Contents?.map((c) => c.Key).sort()).toEqual([
      'studio/one/p/file.txt',
      'studio/two/p/file.txt',
    ]);
    const listed: string[] = [];
    for await (const o of one.list()) listed.push(o.key);
    expect(listed).toEqual(['p/file.txt']);
    expect(() => storage({ prefix: '../up' })).toThrow(ValidationError);
  });

  it('keeps nothing when the expected sha256 does not match (single put and multipart)', async () => {
    const st = storage();
    const small = Buffer.from('small body');
    await expect(
      st.put('mismatch/small.bin', Readable.from([small]), { expectedSha256: 'a'.repeat(64) }),
    ).rejects.toThrow(/Checksum mismatch/);
    expect(await st.stat('mismatch/small.bin')).toBeNull();

    const big = generated(12 * MIB + 123);
    const err = await st
      .put('mismatch/big.bin', big.stream, { expectedSha256: 'b'.repeat(64) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(/Checksum mismatch/);
    expect(await st.stat('mismatch/big.bin')).toBeNull();
    const listed: string[] = [];
    for await (const o of st.list('mismatch')) listed.push(o.key);
    expect(listed).toEqual([]);

    // A malformed expectation is refused up front.
    await expect(
      st.put('mismatch/x.bin', Readable.from([small]), { expectedSha256: 'nope' }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('accepts a matching expected sha256 on a multipart upload and records it as metadata', async () => {
    const st = storage();
    const probe = generated(11 * MIB, 7);
    const expected = await (async () => {
      for await (const _ of probe.stream) void _;
      return probe.sha256;
    })();
    const again = generated(11 * MIB, 7);
    const stored = await st.put('multi/match.bin', again.stream, { expectedSha256: expected.toUpperCase() });
    expect(stored).toMatchObject({ size: 11 * MIB, sha256: expected });
    expect(await st.recordedSha256('multi/match.bin')).toBe(expected);
    expect(sha(await readAll(await st.get('multi/match.bin')))).toBe(expected);
  });

  it('records sha256 metadata after a multipart upload without an expectation', async () => {
    const st = storage();
    const g = generated(6 * MIB + 1, 3);
    const stored = await st.put('multi/unknown.bin', g.stream, { contentType: 'video/mp4' });
    expect(stored.sha256).toBe(await g.sha256);
    expect(await st.recordedSha256('multi/unknown.bin')).toBe(stored.sha256);
    const head = await st.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'multi/unknown.bin' }));
    expect(head.ContentType).toBe('video/mp4');
    expect(head.ContentLength).toBe(6 * MIB + 1);
  });

  it('enforces maxBytes and keeps nothing (single put and multipart)', async () => {
    const st = storage();
    await expect(
      st.put('limit/small.bin', Readable.from([Buffer.alloc(101)]), { maxBytes: 100 }),
    ).rejects.toThrow(/larger than the limit/);
    expect(await st.stat('limit/small.bin')).toBeNull();
    const exactly = await st.put('limit/exact.bin', Readable.from([Buffer.alloc(100)]), { maxBytes: 100 });
    expect(exactly.size).toBe(100);

    const big = generated(20 * MIB);
    const err = await st.put('limit/big.bin', big.stream, { maxBytes: 11 * MIB }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(await st.stat('limit/big.bin')).toBeNull();
  });

  it('stores nothing when the source stream fails midway', async () => {
    const st = storage();
    async function* failing(): AsyncIterable<Uint8Array> {
      yield Buffer.alloc(6 * MIB, 1);
      yield Buffer.alloc(MIB, 2);
      throw new Error('client went away');
    }
    await expect(st.put('broken/upload.bin', failing())).rejects.toThrow(/client went away/);
    expect(await st.stat('broken/upload.bin')).toBeNull();
  });

  it('streams a 64 MiB object with bounded memory and reads it back intact', async () => {
    const st = storage({ partSizeBytes: 8 * MIB, queueSize: 4 });
    const size = 64 * MIB;
    const g = generated(size, 42);
    const baseline = process.memoryUsage();
    let peak = 0;
    const sample = (): void => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.arrayBuffers + m.heapUsed - baseline.arrayBuffers - baseline.heapUsed);
    };
    const timer = setInterval(sample, 20);
    let stored;
    try {
      stored = await st.put('big/64mib.bin', g.stream, { contentType: 'application/octet-stream' });
    } finally {
      clearInterval(timer);
    }
    sample();
    expect(stored).toMatchObject({ size, sha256: await g.sha256 });
    // (queueSize + 2) parts of 8 MiB in flight at most, plus slack for GC timing.
    expect(peak).toBeLessThan(160 * MIB);
    const back = createHash('sha256');
    let n = 0;
    for await (const c of await st.get('big/64mib.bin')) {
      back.update(c as Buffer);
      n += (c as Buffer).length;
    }
    expect(n).toBe(size);
    expect(back.digest('hex')).toBe(stored.sha256);
    const mid = await readAll(await st.get('big/64mib.bin', { start: 20 * MIB - 10, end: 20 * MIB + 9 }));
    expect(mid.length).toBe(20);
  });

  it('presigns downloads with content-disposition and content-type overrides', async () => {
    const st = storage({ presignDownloads: true, presignExpiresSeconds: 60 });
    const data = randomBytes(2048);
    await st.put('presign/render v001.exr', Readable.from([data]), { contentType: 'image/x-exr' });
    const url = await st.presignGet('presign/render v001.exr', {
      expiresInSeconds: 60,
      fileName: 'sh020 lighting v001 – é.exr',
      contentType: 'application/octet-stream',
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(url).toMatch(/X-Amz-Signature=/);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const disposition = res.headers.get('content-disposition') ?? '';
    expect(disposition).toMatch(/^attachment; filename="sh020 lighting v001 _ _.exr"/);
    expect(disposition).toContain("filename*=UTF-8''sh020%20lighting%20v001%20%E2%80%93%20%C3%A9.exr");
    expect(Buffer.from(await res.arrayBuffer())).toEqual(data);

    const plain = await st.presignGet('presign/render v001.exr', { expiresInSeconds: 60 });
    const res2 = await fetch(plain, { headers: { Range: 'bytes=0-9' } });
    expect(res2.status).toBe(206);
    expect(Buffer.from(await res2.arrayBuffer())).toEqual(data.subarray(0, 10));
    // (s3rver does not verify SigV4 signatures, so a tampered URL cannot be tested here.)
    await expect(st.presignGet('presign/render v001.exr', { expiresInSeconds: 0 })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('sweeps temporary objects of dead writers, keeping live ones; tolerates stores without ListMultipartUploads', async () => {
    const st = storage({ prefix: 'sweep' });
    const dead = `${HOST}~${deadPid()}~0011223344556677.part`;
    const live = `${HOST}~${process.ppid}~8899aabbccddeeff.part`;
    for (const name of [dead, live]) {
      await st.client.send(
        new PutObjectCommand({ Bucket: s3.bucket, Key: `sweep/.montu-tmp/${name}`, Body: 'x' }),
      );
    }
    await st.put('kept/file.bin', Readable.from([Buffer.from('kept')]));

    const dry = await st.sweepTemporary({ dryRun: true });
    expect(dry).toEqual({ found: [`.montu-tmp/${dead}`], removed: [] });
    const wet = await st.sweepTemporary({ dryRun: false });
    expect(wet).toEqual({ found: [`.montu-tmp/${dead}`], removed: [`.montu-tmp/${dead}`] });
    const raw = await st.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'sweep/' }));
    expect(raw.Contents?.map((c) => c.Key).sort()).toEqual([
      'sweep/.montu-tmp/' + live,
      'sweep/kept/file.bin',
    ]);

    // Anything older than staleAfterMs goes whoever owns it.
    const eager = storage({ prefix: 'sweep', staleAfterMs: -1 });
    const all = await eager.sweepTemporary({ dryRun: false });
    expect(all.removed).toEqual([`.montu-tmp/${live}`]);
    expect(await st.stat('kept/file.bin')).not.toBeNull();
  });

  it('maps store and network failures to StorageError with clear messages', async () => {
    const { type: _type, ...cfg } = s3.storageConfig();
    const noBucket = new S3Storage({ ...cfg, bucket: 'no-such-bucket-here', maxAttempts: 1 });
    opened.push(noBucket);
    const e1 = await noBucket.put('a/b.bin', Readable.from([Buffer.from('x')])).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(StorageError);
    expect((e1 as Error).message).toMatch(/bucket no-such-bucket-here does not exist/);

    const unreachable = new S3Storage({ ...cfg, endpoint: 'http://127.0.0.1:1', maxAttempts: 2 });
    opened.push(unreachable);
    const e2 = await unreachable.stat('a/b.bin').catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(StorageError);
    expect((e2 as Error).message).toMatch(/Could not reach the object store to stat a\/b\.bin/);

    // s3rver checks the access key id but not SigV4 signatures.
    const badCreds = new S3Storage({ ...cfg, accessKeyId: 'NOT-A-KEY', maxAttempts: 1 });
    opened.push(badCreds);
    const e3 = await badCreds.put('a/b.bin', Readable.from([Buffer.from('x')])).catch((e: unknown) => e);
    expect(e3).toBeInstanceOf(StorageError);
    expect((e3 as Error).message).toMatch(/refused to store a\/b\.bin/);

    expect(() => new S3Storage({ bucket: 'Bad_Bucket' })).toThrow(ValidationError);
    expect(() => new S3Storage({ bucket: 'ok-bucket', accessKeyId: 'x' })).toThrow(ValidationError);
    expect(() => new S3Storage({ bucket: 'ok-bucket', partSizeBytes: MIB })).toThrow(ValidationError);
  });

  it('works with checksums turned off (for stores that reject checksum headers)', async () => {
    const st = storage({ checksumAlgorithm: 'none' });
    const g = generated(7 * MIB, 9);
    const stored = await st.put('nock/file.bin', g.stream);
    expect(stored.sha256).toBe(await g.sha256);
    const raw = await st.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'nock/file.bin' }));
    expect(sha(Buffer.from(await raw.Body!.transformToByteArray()))).toBe(stored.sha256);
  });
});

describe('createStorage', () => {
  it('builds local and S3 backends from plain config', async () => {
    const st = createStorage({ ...s3.storageConfig({ prefix: 'factory' }), presignDownloads: true });
    expect(st).toBeInstanceOf(S3Storage);
    opened.push(st as S3Storage);
    expect(st.name).toBe('s3');
    expect(st.location).toBe(`s3://${s3.bucket}/factory/ at ${s3.endpoint}`);
    expect((st as S3Storage).presignDownloads).toBe(true);
    await st.put('x.txt', Readable.from([Buffer.from('factory')]));
    expect((await readAll(await st.get('x.txt'))).toString()).toBe('factory');

    const os = await import('node:os');
    const path = await import('node:path');
    const fs = await import('node:fs');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'montu-factory-'));
    try {
      const local = createStorage({ type: 'local', root: dir });
      expect(local).toBeInstanceOf(LocalStorage);
      expect(local.name).toBe('local');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(() => createStorage({ type: 'ftp' } as never)).toThrow(ValidationError);
  });
});
