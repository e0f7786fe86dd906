/**
 * `montu ingest` in remote mode against a server whose storage is S3 (a real s3rver): a file of
 * a part or more goes straight to the bucket (decision 160), and the media is the file.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3rver, type S3rverHandle } from '../../core/test/helpers/s3rver.js';
import { png } from '../../client/test/helpers/png.js';
import { ensureBuilt, montu, spawnMontu, tempDir } from './helpers/cli.js';

let work: string;
let s3: S3rverHandle;
let server: ReturnType<typeof spawnMontu>;
let url: string;
let token: string;

beforeAll(async () => {
  ensureBuilt();
  work = tempDir('montu-cli-direct-');
  s3 = await startS3rver();
  server = spawnMontu(
    ['--data-dir', path.join(work, 'data'), 'serve', '--port', '0', '--log-level', 'warn'],
    /montu: serving http:\/\/\S+/,
    {
      MONTU_STORAGE: 's3',
      MONTU_S3_BUCKET: s3.bucket,
      MONTU_S3_ENDPOINT: s3.endpoint,
      MONTU_S3_FORCE_PATH_STYLE: 'true',
      MONTU_S3_ACCESS_KEY_ID: s3.accessKeyId,
      MONTU_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    },
  );
  const out = await server.started;
  url = /montu: serving (http:\/\/\S+)/.exec(out)![1]!;
  token = /API token: (\S+)/.exec(out)![1]!;
}, 60_000);

afterAll(async () => {
  if (server) {
    server.child.kill('SIGINT');
    await new Promise((resolve) => server.child.on('exit', resolve));
  }
  await s3?.close();
});

describe('montu ingest with S3 storage', () => {
  it('uploads straight to the bucket and records the file', async () => {
    const bytes = Buffer.concat([png(7), randomBytes(17 * 1024 * 1024)]); // 3 parts
    fs.writeFileSync(path.join(work, 'plate.png'), bytes);
    const r = await montu(['ingest', '-p', 'CLI', '-t', 'sh010_plate', 'plate.png', '--json'], {
      cwd: work,
      env: { MONTU_SERVER: url, MONTU_TOKEN: token },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: number; items: Array<{ mediaId: string }> };
    expect(out.ok).toBe(1);
    const mediaId = out.items[0]!.mediaId;
    const media = (await (
      await fetch(`${url}/api/v1/media/${mediaId}`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { size: number; sha256: string };
    expect(media.size).toBe(bytes.length);
    expect(media.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    // The server took it as a direct upload (its session says so), not through its own hands.
    const db = new Database(path.join(work, 'data', 'montu.db'), { readonly: true });
    try {
      const row = db
        .prepare('SELECT kind, state, media_id FROM upload_session WHERE media_id = ?')
        .get(mediaId);
      expect(row).toEqual({ kind: 's3-direct', state: 'complete', media_id: mediaId });
    } finally {
      db.close();
    }
  });
});
