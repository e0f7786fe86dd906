/**
 * Scale-mode settings from the command line (issue 20 item 10): local-mode commands honour
 * MONTU_STORAGE=s3, `montu verify` checks S3, `storage migrate` keeps the environment's S3
 * credentials when bucket/endpoint are flags (and takes --s3-force-path-style), and every command
 * follows one precedence rule for the database (`worker --data-dir X` with MONTU_DATABASE_URL).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage } from '@montu/core';
import { startS3rver, type S3rverHandle } from '../../core/test/helpers/s3rver.js';
import { freshDatabase } from '../../core/test/helpers/env.js';
import { CORPUS, ensureBuilt, montu, spawnMontu, tempDir } from './helpers/cli.js';

const FILE = path.join(CORPUS, 'media/image/ExifTool.jpg');
const PG = process.env['MONTU_TEST_DATABASE_URL'];

let s3: S3rverHandle;
let work: string;

/** Every file under a folder (recursively), relative paths. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((p) =>
    fs.statSync(path.join(dir, p)).isFile(),
  );
}

beforeAll(async () => {
  ensureBuilt();
  s3 = await startS3rver();
  work = tempDir();
});
afterAll(async () => {
  await s3?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

function s3Env(prefix: string): Record<string, string> {
  return {
    MONTU_STORAGE: 's3',
    MONTU_S3_BUCKET: s3.bucket,
    MONTU_S3_ENDPOINT: s3.endpoint,
    MONTU_S3_REGION: s3.region,
    MONTU_S3_PREFIX: prefix,
    MONTU_S3_FORCE_PATH_STYLE: 'true',
    MONTU_S3_ACCESS_KEY_ID: s3.accessKeyId,
    MONTU_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
  };
}

describe('local mode on S3', () => {
  it('ingest honours MONTU_STORAGE=s3 and verify checks the objects there, flagging a changed one', async () => {
    const data = path.join(work, 'on-s3');
    const env = { MONTU_DATA_DIR: data, ...s3Env('verify') };
    const ing = await montu(['ingest', '-p', 'SCL', '-t', 'ep01_sq010_sh010_comp', FILE, '--json'], { env });
    expect(ing.code, ing.stderr).toBe(0);
    const id = (JSON.parse(ing.stdout) as { items: Array<{ mediaId: string }> }).items[0]!.mediaId;
    // The original went to the bucket, not to the data directory's own storage folder.
    expect(filesUnder(path.join(data, 'storage'))).toEqual([]);
    const store = createStorage(s3.storageConfig({ prefix: 'verify' }));
    const item = JSON.parse((await montu(['get', id, '--json'], { env })).stdout) as {
      files: Array<{ role: string; key: string }>;
    };
    const key = item.files.find((f) => f.role === 'original')!.key;
    expect(await store.stat(key)).not.toBeNull();

    const started = Date.now();
    const ok = await montu(['verify'], { env });
    console.log(
      `S3 verify: montu verify of 1 object on s3rver took ${Date.now() - started} ms (whole command)`,
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^1 file\(s\) checked on s3:\/\/.+: 0 corrupt, 0 missing/m);

    // Replace the object with other bytes of the same length: verify must read S3 to notice.
    const bytes = fs.readFileSync(FILE);
    bytes[bytes.length - 10] ^= 0xff;
    const changed = path.join(work, 'changed.jpg');
    fs.writeFileSync(changed, bytes);
    await store.put(key, fs.createReadStream(changed));
    const bad = await montu(['verify', '--json'], { env });
    expect(bad.code, bad.stderr).toBe(7);
    const report = JSON.parse(bad.stdout) as { checked: number; corrupt: Array<{ key: string }> };
    expect(report.checked).toBe(1);
    expect(report.corrupt.map((c) => c.key)).toEqual([key]);
    await store.close?.();
  });

  it('storage migrate keeps MONTU_S3_* credentials when bucket and endpoint are flags; --s3-force-path-style', async () => {
    const data = path.join(work, 'to-migrate');
    const local = { MONTU_DATA_DIR: data };
    const ing = await montu(['ingest', '-p', 'SCL', '-t', 'ep01_sq010_sh020_comp', FILE], { env: local });
    expect(ing.code, ing.stderr).toBe(0);
    expect(filesUnder(path.join(data, 'storage')).length).toBeGreaterThan(0);
    const mig = await montu(
      [
        'storage',
        'migrate',
        '--to',
        's3',
        '--s3-bucket',
        s3.bucket,
        '--s3-endpoint',
        s3.endpoint,
        '--s3-region',
        s3.region,
        '--s3-prefix',
        'migrated',
        '--s3-force-path-style',
      ],
      // Only the credentials come from the environment (as an operator keeps secrets out of argv).
      {
        env: {
          ...local,
          MONTU_S3_ACCESS_KEY_ID: s3.accessKeyId,
          MONTU_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
        },
      },
    );
    expect(mig.code, `${mig.stdout}\n${mig.stderr}`).toBe(0);
    expect(mig.stdout).toMatch(/1 file\(s\) copied to s3:\/\//);
    const v = await montu(['verify'], { env: { ...local, ...s3Env('migrated') } });
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/^1 file\(s\) checked on s3:\/\//m);
  });
});

describe.skipIf(!PG)('one precedence rule for the database', () => {
  it('worker --data-dir X with MONTU_DATABASE_URL set uses that database, as serve does, and says so', async () => {
    const db = await freshDatabase('postgres', work);
    const x = path.join(work, 'worker-dir');
    const w = spawnMontu(['worker', '--data-dir', x], /worker on/, {
      MONTU_DATABASE_URL: db.url,
      MONTU_REDIS_URL: undefined,
      MONTU_DATA_DIR: undefined,
    });
    try {
      const out = await w.started;
      expect(out).toMatch(/worker on postgres/);
      expect(out).toMatch(/note: the database is postgres:\/\/.+ \(from the environment\)/);
      expect(fs.existsSync(path.join(x, 'montu.db'))).toBe(false);
      // `montu config` with the same settings names the same database.
      const cfg = await montu(['config', '--json', '--data-dir', x], { env: { MONTU_DATABASE_URL: db.url } });
      expect((JSON.parse(cfg.stdout) as { databaseUrl?: string }).databaseUrl).toMatch(/^postgres:/);
    } finally {
      w.child.kill('SIGTERM');
      await new Promise((r) => w.child.once('exit', r));
      await db.drop();
    }
  });
});
