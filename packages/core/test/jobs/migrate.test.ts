import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, migrateStorage, storageUsage, type MigrationProgress } from '../../src/index.js';
import { makePng, tempDir } from '../helpers/env.js';
import { openTestLibrary, type TestLibrary } from '../helpers/montu.js';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.js';

describe('montu storage migrate: local → S3 (s3rver)', () => {
  let lib: TestLibrary;
  let s3: S3rverHandle;
  beforeAll(async () => {
    s3 = await startS3rver();
    lib = await openTestLibrary('sqlite', { jobs: { concurrency: 2 } });
  });
  afterAll(async () => {
    await lib.cleanup();
    await s3.close();
  });

  it('copies every file verifying sha256, resumes after an interruption, and the library then runs on S3', async () => {
    const dir = tempDir();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const png = await makePng(path.join(dir, `p${i}.png`), 64 + i, 48);
      ids.push(
        await lib.montu.media.uploadMedia({
          filePath: png,
          projectId: 'MIG',
          taskId: `sh0${i}0_comp`,
          author: 'x',
          wait: true,
        }),
      );
    }
    const before = await storageUsage(lib.montu.db);
    expect(Object.keys(before)).toEqual(['local']);
    const total = before['local']!.files;
    expect(total).toBe(8); // original and thumbnail each (a PNG is its own web image)

    // A corrupted source file is refused (nothing kept on the target) and stays on local.
    const bad = (await lib.montu.media.getMediaById(ids[3]!)).files.find((f) => f.role === 'original')!;
    const badPath = path.join(lib.storageRoot, bad.key);
    const good = fs.readFileSync(badPath);
    fs.writeFileSync(
      badPath,
      Buffer.concat([good.subarray(0, good.length - 1), Buffer.from([good[good.length - 1]! ^ 0xff])]),
    );

    const target = createStorage(s3.storageConfig({ prefix: 'library' }));
    // First run stops early (a crash or Ctrl-C).
    const ac = new AbortController();
    const first = await migrateStorage(lib.montu, target, {
      concurrency: 1,
      signal: ac.signal,
      onProgress: (p) => p.copied >= 3 && ac.abort(),
    });
    expect(first.copied).toBe(3);
    expect((await storageUsage(lib.montu.db))['s3']!.files).toBe(3);

    const seen: MigrationProgress[] = [];
    const second = await migrateStorage(lib.montu, target, { onProgress: (p) => seen.push(p) });
    expect(second.alreadyMoved).toBe(3);
    expect(second.total).toBe(total - 3);
    expect(second.copied).toBe(total - 4);
    expect(second.failures).toHaveLength(1);
    expect(second.failures[0]!.key).toBe(bad.key);
    expect(second.failures[0]!.error).toMatch(/sha256|checksum/i);
    expect(await target.stat(bad.key)).toBeNull();
    expect(seen.at(-1)).toMatchObject({ total: total - 3, copied: total - 4, failed: 1 });

    // Repair the source and resume: now everything is on S3.
    fs.writeFileSync(badPath, good);
    const third = await migrateStorage(lib.montu, target);
    expect(third).toMatchObject({ total: 1, copied: 1, failures: [] });
    expect(await storageUsage(lib.montu.db)).toEqual({ s3: { files: total, bytes: before['local']!.bytes } });

    // Reopen on S3: every file reads back with its recorded checksum, and processing works there.
    await lib.reopen({ storage: createStorage(s3.storageConfig({ prefix: 'library' })) });
    for (const id of ids) {
      const m = await lib.montu.media.getMediaById(id);
      for (const f of m.files) {
        const h = createHash('sha256');
        for await (const c of await lib.montu.storage.get(f.key)) h.update(c as Buffer);
        expect(h.digest('hex')).toBe(f.sha256);
      }
    }
    const png = await makePng(path.join(dir, 'after.png'), 80, 40);
    const after = await lib.montu.media.uploadMedia({
      filePath: png,
      projectId: 'MIG',
      taskId: 'sh090_comp',
      author: 'x',
      wait: true,
    });
    const m = await lib.montu.media.getMediaById(after);
    expect(m.processingState).toBe('ready');
    expect(m.files.every((f) => f.backend === 's3')).toBe(true);
  });
});
