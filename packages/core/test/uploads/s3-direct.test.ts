/**
 * Direct-to-S3 uploads in the library (decision 160) on SQLite and PostgreSQL, against a real
 * s3rver: parts PUT to presigned URLs, recorded, completed, verified, recorded as media once; a
 * damaged part leaves no media and no object; a missing part keeps the upload open.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directPartRange } from '@montu/domain';
import { createStorage, openMontu, type Montu } from '../../src/index.js';
import { DATABASES, freshDatabase, makePng, tempDir } from '../helpers/env.js';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.js';

const MIB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** PUTs part `n` of `bytes` to its presigned URL and records the ETag the store answered. */
async function sendPart(montu: Montu, uploadId: string, bytes: Buffer, n: number, body?: Buffer) {
  const [{ url }] = (await montu.directUploads.partUrls(uploadId, [n])).urls as [{ url: string }];
  const { start, end } = directPartRange(bytes.length, n);
  const res = await fetch(url, { method: 'PUT', body: body ?? bytes.subarray(start, end) });
  expect(res.status).toBe(200);
  await montu.directUploads.recordPart(uploadId, n, res.headers.get('etag')!);
}

let s3: S3rverHandle;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3?.close();
});

for (const kind of DATABASES) {
  describe(`direct uploads in the library (${kind})`, () => {
    let dir: string;
    let db: Awaited<ReturnType<typeof freshDatabase>>;
    let montu: Montu;
    let file: Buffer;
    beforeAll(async () => {
      dir = tempDir('montu-direct-');
      db = await freshDatabase(kind, dir);
      montu = await openMontu({
        dataDir: dir,
        databaseUrl: db.url,
        storage: createStorage(s3.storageConfig({ prefix: kind })),
        jobs: false,
      });
      const png = fs.readFileSync(await makePng(path.join(dir, 'p.png')));
      file = Buffer.concat([png, randomBytes(2 * 8 * MIB + 5000)]); // 3 parts
    });
    afterAll(async () => {
      await montu?.close();
      await db?.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('records the media once the stored object is verified, and once only', async () => {
      const up = await montu.directUploads.start({
        userId: 'u1',
        fileName: 'plate.png',
        size: file.length,
        projectId: 'PRJ',
        taskId: 'sh010_comp',
        author: 'ana',
        tags: ['direct'],
      });
      expect(up).toMatchObject({ partSize: 8 * MIB, partCount: 3, parts: [], state: 'uploading' });
      for (const n of [3, 1, 2]) await sendPart(montu, up.uploadId, file, n);
      expect((await montu.directUploads.get(up.uploadId)).parts.map((p) => p.partNumber)).toEqual([1, 2, 3]);
      const id = await montu.directUploads.complete(up.uploadId, sha(file));
      const media = await montu.media.getMediaById(id);
      expect(media).toMatchObject({
        size: file.length,
        sha256: sha(file),
        tags: ['direct'],
        version: 'v001',
      });
      // Completing again answers the same item (a client whose answer was lost).
      expect(await montu.directUploads.complete(up.uploadId)).toBe(id);
      expect((await montu.uploads.get(up.uploadId))?.state).toBe('complete');
      const stored = montu.storage.list();
      const keys: string[] = [];
      for await (const o of stored) keys.push(o.key);
      expect(keys).toEqual(['PRJ/sh010_comp/v001/sh010_comp_v001.png']);
    });

    it('a damaged part: checksum mismatch, no media, no object, the upload failed', async () => {
      const up = await montu.directUploads.start({
        userId: 'u1',
        fileName: 'plate.png',
        size: file.length,
        projectId: 'PRJ',
        taskId: 'sh020_comp',
        author: 'ana',
        sha256: sha(file),
      });
      await sendPart(montu, up.uploadId, file, 1);
      const damaged = Buffer.from(file.subarray(8 * MIB, 16 * MIB));
      damaged[100] ^= 1;
      await sendPart(montu, up.uploadId, file, 2, damaged);
      await sendPart(montu, up.uploadId, file, 3);
      await expect(montu.directUploads.complete(up.uploadId)).rejects.toThrow(/Checksum mismatch/);
      expect((await montu.media.searchMedia({ projectId: 'PRJ', taskId: 'sh020_comp' })).items).toEqual([]);
      expect(await montu.uploads.get(up.uploadId)).toMatchObject({
        state: 'failed',
        error: { status: 422, code: 'checksum_mismatch' },
      });
      const keys: string[] = [];
      for await (const o of montu.storage.list('PRJ/sh020_comp')) keys.push(o.key);
      expect(keys).toEqual([]);
      await expect(montu.directUploads.complete(up.uploadId)).rejects.toThrow(/This upload failed/);
    });

    it('refuses parts out of range, a missing part, and is not offered without S3', async () => {
      const up = await montu.directUploads.start({
        userId: 'u1',
        fileName: 'x.png',
        size: file.length,
        projectId: 'PRJ',
        taskId: 'sh030_comp',
        author: 'ana',
      });
      await expect(montu.directUploads.partUrls(up.uploadId, [4])).rejects.toThrow(/not one of parts 1–3/);
      await sendPart(montu, up.uploadId, file, 1);
      await expect(montu.directUploads.complete(up.uploadId)).rejects.toThrow(/Parts 2–3 of 3/);
      expect((await montu.uploads.get(up.uploadId))?.state).toBe('uploading');
      await montu.directUploads.abort(up.uploadId);
      await expect(montu.directUploads.get(up.uploadId)).rejects.toThrow(/does not exist/);
    });
  });
}

describe('direct uploads without S3 storage', () => {
  it('are not offered with local storage', async () => {
    const dir = tempDir('montu-direct-local-');
    const montu = await openMontu({ dataDir: dir, jobs: false });
    try {
      expect(montu.directUploads.offer()).toEqual({
        offered: false,
        reason: 'Storage is not S3: upload through the server.',
      });
      await expect(
        montu.directUploads.start({
          userId: 'u',
          fileName: 'a.png',
          size: 10,
          projectId: 'P',
          taskId: 't',
          author: 'a',
        }),
      ).rejects.toThrow(/not offered/);
    } finally {
      await montu.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
